#include "daemon/daemon.h"

#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "config/duration.h"
#include "base/log.h"
#include "daemon/command.h"
#include "daemon/health.h"
#include "daemon/http_clients.h"
#include "daemon/http_server.h"
#include "daemon/metrics.h"
#include "daemon/notify.h"
#include "daemon/reports.h"
#include "daemon/scheduler.h"
#include "daemon/signals.h"
#include "storage/database.h"
#include "storage/db_lock.h"
#include "storage/migrations.h"
#include "sync/tenant_clients.h"
#include "storage/state_store.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string join_problems(const ConfigError& err) {
  std::string out;
  for (const auto& p : err.problems) {
    if (!out.empty()) out += "; ";
    out += p.to_string();
  }
  return out;
}

// Unsafe but accepted settings (a world-readable key file), on every start
// and reload, like allow_insecure below.
void log_config_warnings(const Config& cfg) {
  for (const auto& w : cfg.warnings) {
    log::warn("config_warning").field("key", w.key).msg(w.to_string());
  }
}

// allow_insecure is the one way to send keys over plain http:// to a remote
// host (TLS verification itself has no switch). Say so on every start and
// reload, so it is never on silently.
void warn_insecure_connections(const Config& cfg) {
  for (const auto& t : cfg.tenants) {
    auto warn = [&t](const char* api, const std::string& url) {
      log::warn("insecure_transport_allowed").field("tenant", t.name).field("api", api)
          .field("host", host_key(url)).field("url", url)
          .msg("allow_insecure: true permits plain http:// to a non-loopback host; "
               "keys and data may travel unencrypted");
    };
    if (t.cpq && t.cpq->allow_insecure) warn("cpq", t.cpq->base_url);
    if (t.psa && t.psa->allow_insecure) warn("psa", t.psa->site);
  }
}

// A broken tenants_dir file disables only its tenant; say which and why on
// every start and reload.
void warn_disabled_tenants(const Config& cfg) {
  for (const auto& d : cfg.disabled_tenants) {
    std::string reasons;
    for (const auto& p : d.problems) {
      if (!reasons.empty()) reasons += "; ";
      reasons += p.to_string();
    }
    log::warn("tenant_disabled").tenant(d.name).field("file", d.file)
        .field("problems", static_cast<std::int64_t>(d.problems.size()))
        .field("reasons", reasons).msg("the tenant's file has problems; it does not run");
  }
}

// The keys a reload cannot apply keep their running values in `next` (every
// job reads the database path from the config snapshot, so without this a
// reload would move them to the new file). Returns them, comma-separated.
std::string keep_restart_keys(Config& next, const Config& running) {
  std::string keys;
  auto keep = [&](auto& value, const auto& old, const char* key) {
    if (value == old) return;
    value = old;
    keys += (keys.empty() ? "" : ",") + std::string(key);
  };
  keep(next.database, running.database, "database");
  keep(next.http_listen, running.http_listen, "http_listen");
  keep(next.log.format, running.log.format, "log.format");
  return keys;
}

const char* signal_name(int signo) {
  switch (signo) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    default: return "other";
  }
}

class Daemon {
 public:
  Daemon(const Context& ctx, const RunOptions& opts, std::shared_ptr<const Config> config)
      : ctx_(ctx), opts_(opts), holder_(std::move(config)) {}

  int run();

 private:
  int start_http(const Config& cfg);
  void close_abandoned_runs(const std::string& database);
  void stop_if_database_replaced(const std::string& database);
  void on_signal(int signo);
  void reload();
  void supervise();
  void refresh_status();
  std::vector<std::unique_ptr<Job>> collect_jobs(const Config& cfg);
  std::optional<storage::QueueCounts> read_queue_counts();
  void record_failure(const std::string& tenant, const std::string& job, const JobOutcome& outcome,
                      TimePoint now);

  const Context& ctx_;
  RunOptions opts_;
  ConfigHolder holder_;
  const Clock& clock_ = SystemClock::instance();
  Metrics metrics_;
  StopWaiter waiter_;
  UpstreamRegistry upstreams_;
  std::unique_ptr<HttpClient> pull_http_, queue_http_;  // built in run(), before any job
  Notifier notifier_;
  std::vector<std::unique_ptr<JobProvider>> providers_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<HttpServer> http_;
  std::optional<storage::Database> status_db_;  // supervisor thread only
  std::mutex state_mu_;                         // guards state_db_ (worker threads)
  std::optional<storage::Database> state_db_;   // writes tenant_states
  std::optional<storage::DbLock> lock_;         // held for the daemon's life
  // The database file opened at start (device, inode), to notice it being
  // deleted or replaced under the daemon.
  std::optional<std::pair<dev_t, ino_t>> db_identity_;
  std::string db_path_;  // the database this process opened (a reload keeps it)
  std::atomic<int> exit_code_{kExitOk};  // set when the daemon stops on its own
};

// Credentials (and where they are sent) of a tenant's connections: a reload
// that changes them may have fixed a 401/403.
bool same_credentials(const Tenant& a, const Tenant& b) {
  auto same_psa = [](const std::optional<PsaConnection>& x, const std::optional<PsaConnection>& y) {
    if (!x || !y) return x.has_value() == y.has_value();
    return x->site == y->site && x->company_id == y->company_id &&
           x->public_key == y->public_key && x->private_key == y->private_key &&
           x->client_id == y->client_id &&
           (x->autotask.has_value() == y->autotask.has_value()) &&
           (!x->autotask || (x->autotask->username == y->autotask->username &&
                             x->autotask->integration_code == y->autotask->integration_code &&
                             x->autotask->zone_url == y->autotask->zone_url));
  };
  auto same_cpq = [](const std::optional<CpqConnection>& x, const std::optional<CpqConnection>& y) {
    if (!x || !y) return x.has_value() == y.has_value();
    return x->base_url == y->base_url && x->access_key == y->access_key &&
           x->public_key == y->public_key && x->private_key == y->private_key;
  };
  return same_psa(a.psa, b.psa) && same_cpq(a.cpq, b.cpq);
}

int Daemon::run() {
  auto cfg = holder_.get();
  log::info("daemon_starting").field("version", CWSYNC_VERSION).field("config", cfg->source_path)
      .field("pid", static_cast<std::int64_t>(getpid())).field("database", cfg->database);
  warn_insecure_connections(*cfg);
  warn_disabled_tenants(*cfg);
  log_config_warnings(*cfg);

  // Before the database is created or migrated: a listen address that
  // start_http() would refuse must not leave a new file behind.
  if (cfg->http_listen) {
    if (Status st = check_listen_address(*cfg->http_listen, opts_.allow_remote_http); !st.ok()) {
      log::error("http_listen_failed").field("listen", *cfg->http_listen)
          .msg(st.error().describe());
      return kExitConfig;
    }
  }
  {
    auto db = storage::Database::open(cfg->database);
    if (!db.ok()) {
      log::error("db_open_failed").field("database", cfg->database).msg(db.error().describe());
      return kExitFailure;
    }
    // Before migrating: a second daemon must not touch a database in use.
    auto lock = storage::DbLock::open(cfg->database);
    Status locked = lock.ok() ? lock->lock_daemon() : Status(lock.error());
    if (!locked.ok()) {
      log::error("daemon_already_running").field("database", cfg->database)
          .msg(locked.error().describe());
      return kExitFailure;
    }
    lock_.emplace(std::move(*lock));
    if (auto st = storage::migrate(*db); !st.ok()) {
      log::error("migration_failed").field("database", cfg->database).msg(st.error().describe());
      return kExitFailure;
    }
    // Pauses and stops live in this process; a new one starts without them.
    storage::StateStore states(*db);
    for (auto st : {storage::TenantState::kQueuePaused, storage::TenantState::kPullsStopped}) {
      if (auto r = states.clear_all(st); !r.ok()) {
        log::warn("state_write_failed").msg(r.error().describe());
      }
    }
    if (auto st = join_syncers(*lock_, *db); !st.ok()) {
      log::error("db_open_failed").field("database", cfg->database).msg(st.error().describe());
      return kExitFailure;
    }
    if (struct stat st{}; ::stat(cfg->database.c_str(), &st) == 0) {
      db_identity_ = std::make_pair(st.st_dev, st.st_ino);
      db_path_ = cfg->database;
    }
    auto version = db->user_version();
    log::info("db_ready").field("database", cfg->database)
        .field("schema_version", version.ok() ? *version : -1);
  }

  describe_standard_metrics(metrics_);
  metrics_.set(metric::kBuildInfo, {{"version", CWSYNC_VERSION}}, 1);
  std::string db_path = cfg->database;
  metrics_.add_collector([this, db_path](Metrics& m) {
    std::vector<std::string> tenants;
    for (const auto& t : holder_.get()->tenants) tenants.push_back(t.name);
    collect_queue_metrics(db_path, tenants, m, clock_.now());
    collect_upstream_metrics(upstreams_, m, clock_.now());
  });

  SchedulerOptions sched_opts;
  sched_opts.workers = opts_.workers;
  sched_opts.queue_workers = opts_.queue_workers;
  sched_opts.on_finished = [this](const std::string& tenant, const std::string& job,
                                  const JobOutcome& outcome, TimePoint now) {
    record_failure(tenant, job, outcome, now);
  };
  scheduler_ = std::make_unique<Scheduler>(clock_, [this] { return holder_.get(); }, metrics_,
                                           waiter_, default_random(), sched_opts);
  configure_upstreams(upstreams_, *cfg);
  // Built here, on the main thread, so a failure (TLS set-up) stops start-up
  // with a message instead of surfacing in a worker's first job.
  try {
    pull_http_ = make_http_client(cfg->defaults);
    queue_http_ = make_http_client(cfg->defaults);
  } catch (const std::exception& e) {
    log::error("http_client_failed").msg(std::string("cannot set up the HTTP client: ") + e.what());
    scheduler_->request_stop();
    scheduler_->drain(opts_.shutdown_grace);
    return kExitFailure;
  }
  JobEnv env{clock_, metrics_, scheduler_->job_waiter(), upstreams_, *pull_http_, *queue_http_};
  for (auto& reg : registered_job_providers()) {
    if (auto p = reg.factory(env)) providers_.push_back(std::move(p));
  }
  scheduler_->set_jobs(collect_jobs(*cfg));

  if (int rc = start_http(*cfg); rc != kExitOk) {
    scheduler_->request_stop();
    scheduler_->drain(opts_.shutdown_grace);
    return rc;
  }

  SignalThread signals([this](int signo) { on_signal(signo); });
  notifier_.ready();
  refresh_status();
  auto period = notifier_.watchdog_period();
  log::info("daemon_ready").field("jobs", static_cast<std::int64_t>(scheduler_->snapshot().size()))
      .field("providers", static_cast<std::int64_t>(providers_.size()))
      .field("watchdog_ms", period ? static_cast<std::int64_t>(period->count()) : 0)
      .field("tenants", describe_intervals(*cfg));
  std::thread supervisor([this] { supervise(); });

  scheduler_->run();  // until SIGTERM/SIGINT

  log::info("daemon_stopping").field("grace_ms", static_cast<std::int64_t>(opts_.shutdown_grace.count()))
      .msg("waiting for running jobs to finish their page or post");
  bool drained = scheduler_->drain(opts_.shutdown_grace);
  supervisor.join();
  http_.reset();
  if (!drained) {
    // A job ignored the stop (e.g. stuck in a read). Its open transaction
    // rolls back when the process ends and an in-flight post's lease
    // expires, so leaving now is safe; waiting would break the 10 s promise.
    log::warn("shutdown_abandoned").msg("jobs still running after the grace period; exiting anyway");
    close_abandoned_runs(cfg->database);
    log::info("daemon_stopped").field("exit_code", static_cast<std::int64_t>(exit_code_.load()));
    log::flush();
    std::cout.flush();
    std::_Exit(exit_code_.load());
  }
  log::info("daemon_stopped").field("exit_code", static_cast<std::int64_t>(exit_code_.load()));
  return exit_code_.load();
}

void Daemon::close_abandoned_runs(const std::string& database) {
  // The abandoned jobs' sync_runs rows say 'running' and would until the
  // next start; a row must say so only while a process runs it. Closed here
  // only when no other process syncs (join_syncers: then every running row
  // is one of ours). A short busy timeout: a stuck job may hold the write
  // lock, and the 10 s promise matters more than the row, which the next
  // start closes anyway.
  storage::OpenOptions o;
  o.busy_timeout = std::chrono::milliseconds(1000);
  o.create = false;
  auto db = storage::Database::open(database, o);
  Status st = db.ok() ? join_syncers(*lock_, *db) : Status(db.error());
  if (!st.ok()) log::warn("state_write_failed").msg(st.error().describe());
}

int Daemon::start_http(const Config& cfg) {
  if (!cfg.http_listen) return kExitOk;
  HttpRoutes routes;
  std::string db_path = cfg.database;
  routes.healthz = [this, db_path] {
    return evaluate_health(scheduler_->snapshot(), clock_.now(), probe_db_writable(db_path));
  };
  routes.metrics = [this] { return metrics_.render(); };
  routes.api = [this, db_path](const std::string& path, const QueryParams& q) {
    return serve_cpq_api(db_path, *holder_.get(), path, q, clock_.now());
  };
  auto server = HttpServer::start(*cfg.http_listen, std::move(routes), opts_.allow_remote_http);
  if (!server.ok()) {
    log::error("http_listen_failed").field("listen", *cfg.http_listen).msg(server.error().describe());
    return server.error().kind == ErrorKind::kConfig ? kExitConfig : kExitFailure;
  }
  http_ = std::move(server).value();
  log::info("http_listening").field("address", http_->address())
      .field("port", static_cast<int>(http_->port()));
  return kExitOk;
}

std::vector<std::unique_ptr<Job>> Daemon::collect_jobs(const Config& cfg) {
  std::vector<std::unique_ptr<Job>> all;
  for (auto& p : providers_) {
    for (auto& j : p->jobs(cfg)) all.push_back(std::move(j));
  }
  return all;
}

void Daemon::on_signal(int signo) {
  log::info("signal_received").field("signal", signal_name(signo));
  if (signo == SIGHUP) {
    reload();
    return;
  }
  notifier_.stopping();
  notifier_.status("stopping");
  scheduler_->request_stop();  // also stops waiter_: every wait returns at once
}

void Daemon::reload() {
  notifier_.reloading();
  auto loaded = cwsync::load_config(ctx_.options.config_path);
  if (auto* err = std::get_if<ConfigError>(&loaded)) {
    log::error("config_reload_failed")
        .field("problems", static_cast<std::int64_t>(err->problems.size()))
        .field("reasons", join_problems(*err))
        .msg("keeping the previous config");
    metrics_.add(metric::kConfigReloads, {{"result", "failed"}});
    notifier_.ready();
    return;
  }
  auto prev = holder_.get();
  Config loaded_cfg = std::move(std::get<Config>(loaded));
  const std::string restart_keys = keep_restart_keys(loaded_cfg, *prev);
  auto next = std::make_shared<const Config>(std::move(loaded_cfg));
  if (!restart_keys.empty()) {
    log::warn("config_reload_needs_restart").field("keys", restart_keys)
        .msg("these keys keep their old value until `systemctl restart cwsync`");
  }
  if (auto level = log::parse_level(next->log.level)) log::set_level(*level);
  configure_upstreams(upstreams_, *next);
  holder_.set(next);
  scheduler_->set_jobs(collect_jobs(*next));
  scheduler_->config_changed();
  std::string renewed;
  for (const auto& t : next->tenants) {
    const Tenant* before = prev->find_tenant(t.name);
    if (before == nullptr || same_credentials(*before, t)) continue;
    scheduler_->run_now(t.name);  // lifts a 401/403 pause now, not after its cool-down
    renewed += (renewed.empty() ? "" : ",") + t.name;
  }
  metrics_.add(metric::kConfigReloads, {{"result", "ok"}});
  log::info("config_reloaded").field("tenants", static_cast<std::int64_t>(next->tenants.size()))
      .field("disabled_tenants", static_cast<std::int64_t>(next->disabled_tenants.size()))
      .field("credentials_changed", renewed)
      .field("intervals", describe_intervals(*next));
  warn_insecure_connections(*next);
  warn_disabled_tenants(*next);
  log_config_warnings(*next);
  notifier_.ready();
}

std::optional<storage::QueueCounts> Daemon::read_queue_counts() {
  if (!status_db_) {
    storage::OpenOptions o;
    o.read_only = true;
    auto db = storage::Database::open(holder_.get()->database, o);
    if (!db.ok()) return std::nullopt;
    status_db_.emplace(std::move(db).value());
  }
  auto counts = queue_counts(*status_db_);
  if (!counts.ok()) {
    status_db_.reset();  // reopen next time
    return std::nullopt;
  }
  return *counts;
}

void Daemon::record_failure(const std::string& tenant, const std::string& job,
                            const JobOutcome& outcome, TimePoint now) {
  if (outcome.status.ok() || tenant.empty()) return;
  const Error& e = outcome.status.error();
  if (e.kind == ErrorKind::kCancelled) return;
  std::lock_guard lock(state_mu_);
  if (!state_db_) {
    auto db = storage::Database::open(holder_.get()->database);
    if (!db.ok()) return;
    state_db_.emplace(std::move(db).value());
  }
  storage::TenantStateRow row;
  row.tenant = tenant;
  row.state = storage::TenantState::kJobFailed;
  row.job = job;
  row.reason = e.describe();
  // Best effort: when the disk is full this write may fail too; the log has
  // the failure either way.
  if (auto st = storage::StateStore(*state_db_).set(row, now); !st.ok()) {
    log::debug("state_write_failed").tenant(tenant).field("job", job).msg(st.error().describe());
    state_db_.reset();
  }
}

void Daemon::refresh_status() {
  notifier_.status(status_line(scheduler_->snapshot(), clock_.now(), read_queue_counts()));
}

// How often the daemon checks that its database file is still the one at the
// configured path: one stat(2), so often enough that an operator's mistake is
// reported within seconds.
constexpr milliseconds kDatabaseCheckInterval{2000};

void Daemon::stop_if_database_replaced(const std::string& database) {
  if (!db_identity_ || exit_code_.load() != kExitOk) return;
  struct stat st{};
  const bool gone = ::stat(database.c_str(), &st) != 0;
  if (!gone && std::make_pair(st.st_dev, st.st_ino) == *db_identity_) return;
  // Connections opened earlier keep writing to the deleted file, where no
  // reader finds the rows, while new ones would open a new file without the
  // queue: posts enqueued there would wait for a restart. Stop (exit 1) so
  // that systemd's restart opens whatever is at the path now, and say why.
  log::error("db_replaced").field("database", database)
      .msg(std::string("the database file was ") + (gone ? "deleted" : "replaced by another file") +
           " while the daemon ran; stopping so that a restart opens the file now at the path "
           "(systemd restarts the service; otherwise start it again). Stop the daemon before "
           "moving, restoring or deleting its database");
  exit_code_ = kExitFailure;
  notifier_.stopping();
  notifier_.status("stopping: database file replaced");
  scheduler_->request_stop();
}

void Daemon::supervise() {
  auto period = notifier_.watchdog_period();
  auto next_ping = steady_clock::now();
  auto next_status = steady_clock::now() + opts_.status_interval;
  auto next_db_check = steady_clock::now() + kDatabaseCheckInterval;
  bool withheld = false;
  for (;;) {
    auto now = steady_clock::now();
    if (period && now >= next_ping) {
      if (scheduler_->progressing()) {
        notifier_.watchdog();
        if (withheld) log::info("watchdog_resumed").msg("the loop is making progress again");
        withheld = false;
      } else if (!withheld) {
        log::error("watchdog_withheld").msg("scheduler loop or a job made no progress; "
                                            "not pinging, systemd will restart the service");
        withheld = true;
      }
      next_ping = now + *period;
    }
    if (now >= next_db_check) {
      stop_if_database_replaced(db_path_);
      next_db_check = now + kDatabaseCheckInterval;
    }
    if (now >= next_status) {
      refresh_status();
      // A burst of parked runs (many tenants' initial syncs) leaves freed
      // memory in malloc's free lists; give it back so an idle daemon's RSS
      // follows its tenant count, not its busiest minute.
      ::malloc_trim(0);
      next_status = now + opts_.status_interval;
    }
    auto until = std::min(next_db_check, period ? std::min(next_ping, next_status) : next_status);
    auto wait = std::chrono::duration_cast<milliseconds>(until - steady_clock::now());
    if (!waiter_.wait_for(std::max(wait, milliseconds(1)))) return;
  }
}

}  // namespace

std::string describe_intervals(const Config& config) {
  std::string out;
  for (const auto& t : config.tenants) {
    if (!out.empty()) out += "; ";
    out += t.name + ": quotes=" + format_duration(t.intervals.quotes) +
           " opportunities=" + format_duration(t.intervals.opportunities) +
           " reconcile=" + format_duration(t.intervals.reconcile) +
           " queue=" + format_duration(t.intervals.queue) +
           (t.tickets.enabled ? " tickets=" + format_duration(t.intervals.tickets) : std::string());
  }
  return out;
}

int run_daemon(const Context& ctx, const RunOptions& options) {
  // Runs park on many threads, but few hold a worker at once: a few malloc
  // arenas serve them, instead of up to 8 per core each keeping freed memory.
  ::mallopt(M_ARENA_MAX, 2);
  block_daemon_signals();
  auto loaded = ctx.load_config();  // problems go to stderr
  const Config* cfg = std::get_if<Config>(&loaded);
  log::Level level = log::Level::kInfo;
  if (cfg != nullptr) level = log::parse_level(cfg->log.level).value_or(log::Level::kInfo);
  log::init(ctx.log_format(cfg), level);  // stdout: the journal
  if (cfg == nullptr) {
    const auto& err = std::get<ConfigError>(loaded);
    log::error("config_invalid").field("config", ctx.options.config_path)
        .field("problems", static_cast<std::int64_t>(err.problems.size()))
        .field("reasons", join_problems(err)).msg("fix the config; exiting with 78");
    return kExitConfig;
  }
  Daemon daemon(ctx, options, std::make_shared<const Config>(std::move(std::get<Config>(loaded))));
  return daemon.run();
}

}  // namespace cwsync::daemon
