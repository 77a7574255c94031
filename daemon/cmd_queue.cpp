// `cwsync queue list|show|requeue|purge`: inspect and repair the PSA queue
// (docs/queue.md). Reads work while the daemon runs (WAL); requeue and purge
// are single write transactions that log 'requeued' / 'purged' activity.
// Exit 0 ok; 2 bad input (unknown id, a post that is not dead, bad
// duration); 78 config; 1 database failure.
//
//   list    [--status S] [--ticket N] [--tenant T] [--limit N]
//   show    ID                                   (post + its activity)
//   requeue ID | --all-dead [--tenant T]
//   purge   --succeeded-older-than 30d
// All take --json.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "config/duration.h"
#include "daemon/command.h"
#include "storage/queue_store.h"
#include "daemon/queue_report.h"

namespace cwsync::daemon {
namespace {

using nlohmann::json;

struct QueueArgs {
  bool json = false;
  std::string tenant, status, older_than;
  std::int64_t ticket = 0, id = 0;
  int limit = 100;
  bool all_dead = false;
};

int fail(const std::string& what, int code) {
  std::cerr << "cwsync queue: " << what << "\n";
  return code;
}

int code_for(const Error& e) {
  return (e.kind == ErrorKind::kInvalidInput || e.kind == ErrorKind::kNotFound) ? kExitUsage
                                                                                : kExitFailure;
}

// Loads the config and opens the DB (read-only unless `write`); returns an
// exit code on failure.
std::variant<storage::Database, int> open_db(const Context& ctx, const QueueArgs& a, bool write) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  if (!a.tenant.empty() && cfg->find_tenant(a.tenant) == nullptr) {
    return fail("unknown tenant '" + a.tenant + "'", kExitUsage);
  }
  Result<storage::Database> db = make_error(ErrorKind::kIo, "unopened");
  if (write) {
    storage::OpenOptions o;
    o.create = false;
    db = storage::Database::open(cfg->database, o);
  } else {
    db = open_reader(cfg->database);
  }
  if (!db.ok()) return fail(db.error().describe(), kExitFailure);
  return std::move(*db);
}

int run_list(const Context& ctx, const QueueArgs& a) {
  storage::PostFilter f;
  if (!a.status.empty()) {
    f.status = storage::parse_post_status(a.status);
    if (!f.status) return fail("--status must be pending, in_flight, succeeded or dead", kExitUsage);
  }
  if (!a.tenant.empty()) f.tenant = a.tenant;
  if (a.ticket > 0) f.ticket_id = a.ticket;
  f.limit = a.limit;
  auto opened = open_db(ctx, a, false);
  if (auto* code = std::get_if<int>(&opened)) return *code;
  storage::QueueStore store(std::get<storage::Database>(opened));
  auto rows = store.list(f);
  if (!rows.ok()) return fail(rows.error().describe(), kExitFailure);
  if (a.json) {
    json out = json::array();
    for (const auto& p : *rows) out.push_back(to_json(p));
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& p : *rows) std::cout << post_line(p) << "\n";
    if (rows->empty()) std::cout << "no posts\n";
  }
  return kExitOk;
}

int run_show(const Context& ctx, const QueueArgs& a) {
  auto opened = open_db(ctx, a, false);
  if (auto* code = std::get_if<int>(&opened)) return *code;
  storage::QueueStore store(std::get<storage::Database>(opened));
  auto d = store.get(a.id);
  if (!d.ok()) return fail(d.error().describe(), kExitFailure);
  if (!d->has_value()) return fail("no post with id " + std::to_string(a.id), kExitUsage);
  const storage::PostDetail& detail = **d;
  if (a.json) {
    json out = to_json(detail.post);
    out["activity"] = json::array();
    for (const auto& ev : detail.activity) out["activity"].push_back(to_json(ev));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << post_line(detail.post) << "\n"
            << "  key      " << detail.post.idempotency_key << "\n"
            << "  payload  " << detail.post.payload << "\n"
            << "  created  " << format_iso8601(detail.post.created_at) << "\n";
  if (detail.post.last_error) std::cout << "  error    " << *detail.post.last_error << "\n";
  std::cout << "activity:\n";
  for (const auto& ev : detail.activity) std::cout << "  " << activity_line(ev) << "\n";
  return kExitOk;
}

int run_requeue(const Context& ctx, const QueueArgs& a) {
  if ((a.id > 0) == a.all_dead) return fail("give either a post ID or --all-dead", kExitUsage);
  auto opened = open_db(ctx, a, true);
  if (auto* code = std::get_if<int>(&opened)) return *code;
  storage::QueueStore store(std::get<storage::Database>(opened));
  TimePoint now = SystemClock::instance().now();
  std::int64_t n = 0;
  if (a.all_dead) {
    std::optional<std::string> tenant;
    if (!a.tenant.empty()) tenant = a.tenant;
    auto r = store.requeue_all_dead(tenant, now);
    if (!r.ok()) return fail(r.error().describe(), code_for(r.error()));
    n = *r;
  } else {
    if (auto st = store.requeue(a.id, now); !st.ok()) {
      return fail("post " + std::to_string(a.id) + ": " + st.error().describe(), code_for(st.error()));
    }
    n = 1;
  }
  if (a.json) std::cout << json{{"requeued", n}}.dump() << "\n";
  else std::cout << "requeued " << n << (n == 1 ? " post" : " posts") << "\n";
  return kExitOk;
}

int run_purge(const Context& ctx, const QueueArgs& a) {
  auto age = parse_duration(a.older_than);
  if (!age || age->count() <= 0) {
    return fail("--succeeded-older-than needs a duration such as 30d, 12h", kExitUsage);
  }
  auto opened = open_db(ctx, a, true);
  if (auto* code = std::get_if<int>(&opened)) return *code;
  storage::QueueStore store(std::get<storage::Database>(opened));
  TimePoint now = SystemClock::instance().now();
  auto r = store.purge_succeeded_older_than(now - *age, now);
  if (!r.ok()) return fail(r.error().describe(), code_for(r.error()));
  if (a.json) std::cout << json{{"purged", *r}}.dump() << "\n";
  else std::cout << "purged " << *r << " succeeded " << (*r == 1 ? "post" : "posts")
                 << " (their activity log stays)\n";
  return kExitOk;
}

void register_queue(CLI::App& app, Context& ctx) {
  auto* queue = app.add_subcommand("queue", "inspect and repair the PSA post queue");
  queue->require_subcommand(1);

  auto l = std::make_shared<QueueArgs>();
  auto* list = queue->add_subcommand("list", "list posts, newest first");
  list->add_option("--status", l->status, "pending | in_flight | succeeded | dead");
  list->add_option("--ticket", l->ticket, "only this ticket");
  list->add_option("--tenant", l->tenant, "only this tenant");
  list->add_option("--limit", l->limit, "at most this many (0: all)");
  list->add_flag("--json", l->json, "machine-readable output");
  ctx.on_run(list, [&ctx, l] { return run_list(ctx, *l); });

  auto s = std::make_shared<QueueArgs>();
  auto* show = queue->add_subcommand("show", "one post and its activity");
  show->add_option("id", s->id, "post id")->required();
  show->add_flag("--json", s->json, "machine-readable output");
  ctx.on_run(show, [&ctx, s] { return run_show(ctx, *s); });

  auto r = std::make_shared<QueueArgs>();
  auto* requeue = queue->add_subcommand("requeue", "bring dead posts back (due now, tries reset)");
  requeue->add_option("id", r->id, "post id");
  requeue->add_flag("--all-dead", r->all_dead, "every dead post");
  requeue->add_option("--tenant", r->tenant, "with --all-dead: only this tenant");
  requeue->add_flag("--json", r->json, "machine-readable output");
  ctx.on_run(requeue, [&ctx, r] { return run_requeue(ctx, *r); });

  auto p = std::make_shared<QueueArgs>();
  auto* purge = queue->add_subcommand("purge", "delete old succeeded posts (history stays)");
  purge->add_option("--succeeded-older-than", p->older_than, "e.g. 30d")->required();
  purge->add_flag("--json", p->json, "machine-readable output");
  ctx.on_run(purge, [&ctx, p] { return run_purge(ctx, *p); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(queue, register_queue);

}  // namespace cwsync::daemon
