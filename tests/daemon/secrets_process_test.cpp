// Security checks on real processes:
//  - a full `cwsync run` (three tenants, six private keys from a key file, an
//    environment variable and inline YAML, faults, a 401, posts, reload, every
//    read command) leaks no secret into any output: daemon stdout/stderr, each
//    CLI's stdout/stderr, /metrics, /healthz, /api, every sd_notify datagram,
//    and the raw bytes of cache.db, cache.db-wal and cache.db-shm;
//  - TLS verification has no switch, and the one downgrade there is
//    (allow_insecure: plain http to a remote host) is never silent.
// A secret is searched in every form cwsync could emit it in: as is, its
// random core alone, base64 of the key, and the Basic credential it sends
// (base64(accessKey+publicKey:privateKey) for CPQ, base64(company+publicKey:
// privateKey) for PSA; sync/http/auth.cpp). An Autotask tenant (delta) sends
// its Secret and integration code as headers: both are searched as is,
// their random cores and base64.
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <Poco/Base64Encoder.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "cwsim_process.h"
#include "http_client.h"
#include "sim_control.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr auto kStepTimeout = 30s;

// Appends every datagram `socket` receives to `out` on a thread of its own
// until stop() (or destruction, so a failed ASSERT cannot leave it running).
class NotifyReader {
 public:
  NotifyReader(NotifySocket& socket, std::vector<std::string>& out)
      : thread_([this, &socket, &out] {
          while (!stop_) {
            if (auto d = socket.receive(100ms)) out.push_back(*d);
          }
        }) {}
  ~NotifyReader() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};
constexpr const char* kClientId = "00000000-0000-0000-0000-000000000000";
// Far above what 300 ms intervals need, so our own limiter never waits.
constexpr const char* kFastRate = ", rate_limit: { requests: 1000, per: 1s }";

std::string random_hex(int digits) {
  std::random_device rd;
  std::string out;
  for (int k = 0; k < digits; ++k) out += "0123456789abcdef"[rd() % 16];
  return out;
}

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

std::string slurp_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One upstream connection's credentials. `user` is what precedes ':' in the
// Basic credential: accessKey+publicKey (CPQ) or company+publicKey (PSA).
struct Credentials {
  std::string label, user, private_key, core;
};

Credentials make_credentials(const std::string& label, const std::string& user, bool wrong) {
  std::string core = random_hex(16);
  return {label, user, std::string(wrong ? "S3cr3t-wrong-" : "S3cr3t-priv-") + label + "-" + core,
          core};
}

struct SecretForm {
  std::string label, bytes;
};

std::vector<SecretForm> forms_of(const Credentials& c) {
  std::string header = basic_auth(c.user, c.private_key);  // "Basic <base64>"
  return {{c.label + " plain", c.private_key},
          {c.label + " random core", c.core},
          {c.label + " base64(key)", base64(c.private_key)},
          {c.label + " basic credential", header.substr(header.find(' ') + 1)}};
}

struct Output {
  std::string name, bytes;
};

// Labels of the forms found in `bytes`.
std::vector<std::string> leaks_in(const std::string& bytes, const std::vector<SecretForm>& forms) {
  std::vector<std::string> found;
  for (const auto& f : forms) {
    if (bytes.find(f.bytes) != std::string::npos) found.push_back(f.label);
  }
  return found;
}

class SecretsRunTest : public ::testing::Test {
 protected:
  SecretsRunTest()
      : alpha_cpq_(make_credentials("alpha-cpq", "alpha-access+alpha-cpq-pub", false)),
        alpha_psa_(make_credentials("alpha-psa", "alpha-co+alpha-psa-pub", false)),
        bravo_cpq_(make_credentials("bravo-cpq", "bravo-access+bravo-cpq-pub", false)),
        bravo_psa_(make_credentials("bravo-psa", "bravo-co+bravo-psa-pub", false)),
        charlie_cpq_(make_credentials("charlie-cpq", "alpha-access+alpha-cpq-pub", true)),
        charlie_psa_(make_credentials("charlie-psa", "alpha-co+alpha-psa-pub", true)),
        delta_at_(make_credentials("delta-at", "", false)),
        delta_code_(make_credentials("delta-code", "", false)),
        // One simulator per connection, so each correct key is distinct.
        sim_alpha_cpq_(sim_args("alpha-access", "alpha-cpq-pub", alpha_cpq_, "alpha-co")),
        sim_alpha_psa_(sim_args("alpha-access", "alpha-psa-pub", alpha_psa_, "alpha-co")),
        sim_bravo_cpq_(sim_args("bravo-access", "bravo-cpq-pub", bravo_cpq_, "bravo-co")),
        sim_bravo_psa_(autotask_args(sim_args("bravo-access", "bravo-psa-pub", bravo_psa_,
                                              "bravo-co"))) {
    env_ = {{"CWSYNC_TEST_ALPHA_PSA_KEY", alpha_psa_.private_key},
            {"CWSYNC_TEST_CHARLIE_PSA_KEY", charlie_psa_.private_key}};
    for (const auto* c : {&alpha_cpq_, &alpha_psa_, &bravo_cpq_, &bravo_psa_, &charlie_cpq_,
                          &charlie_psa_, &delta_at_, &delta_code_}) {
      for (auto& f : forms_of(*c)) forms_.push_back(std::move(f));
    }
  }

  static std::vector<std::string> sim_args(const std::string& access, const std::string& pub,
                                           const Credentials& c, const std::string& company) {
    return {"--quotes", "25", "--opportunities", "12", "--tickets", "4", "--access-key", access,
            "--public-key", pub, "--private-key", c.private_key, "--company", company};
  }

  // bravo's PSA simulator also answers as delta's Autotask.
  std::vector<std::string> autotask_args(std::vector<std::string> args) const {
    args.insert(args.end(), {"--at-username", "delta-api@msp.example.com", "--at-secret",
                             delta_at_.private_key, "--at-integration-code",
                             delta_code_.private_key});
    return args;
  }

  std::string config_path() const { return dir_.file("cwsync.yaml").string(); }
  std::string db_path() const { return dir_.file("cache.db").string(); }

  // alpha: CPQ key from a relative key file, PSA key from an environment
  // variable. bravo: CPQ key inline, PSA key from an absolute key file with a
  // trailing newline. charlie: the alpha simulators with wrong keys (401).
  void write_config() {
    write_private_file(dir_.file("alpha-cpq.key"), alpha_cpq_.private_key);
    write_private_file(dir_.file("bravo-psa.key"), bravo_psa_.private_key + "\n");
    write_private_file(dir_.file("delta-at.key"), delta_at_.private_key + "\n");
    std::string text =
        "database: " + db_path() + "\n"
        "log: { level: trace, format: json }\n"
        "http_listen: 127.0.0.1:0\n"
        "defaults:\n"
        "  intervals: { quotes: 300ms, opportunities: 300ms, reconcile: 1s, queue: 200ms }\n"
        "  backoff: { base: 50ms, cap: 200ms, max_attempts: 3 }\n"
        "  http: { connect_timeout: 1s, read_timeout: 3s }\n"
        "  breaker: { failures: 50, cool_down: 1s }\n"
        "tenants:\n"
        "  - name: alpha\n"
        "    cpq: { base_url: " + sim_alpha_cpq_.base_url() + ", access_key: alpha-access,"
        " public_key: alpha-cpq-pub, private_key_file: alpha-cpq.key" + kFastRate + " }\n"
        "    psa: { site: " + sim_alpha_psa_.base_url() + ", company_id: alpha-co,"
        " public_key: alpha-psa-pub, private_key_env: CWSYNC_TEST_ALPHA_PSA_KEY,"
        " client_id: " + kClientId + kFastRate + " }\n"
        "    queue: { max_attempts: 6, lease: 1s, settle: 1s }\n"
        "  - name: bravo\n"
        "    cpq: { base_url: " + sim_bravo_cpq_.base_url() + ", access_key: bravo-access,"
        " public_key: bravo-cpq-pub, private_key: " + bravo_cpq_.private_key + kFastRate + " }\n"
        "    psa: { site: " + sim_bravo_psa_.base_url() + ", company_id: bravo-co,"
        " public_key: bravo-psa-pub, private_key_file: " + dir_.file("bravo-psa.key").string() +
        ", client_id: " + kClientId + kFastRate + " }\n"
        "    queue: { max_attempts: 6, lease: 1s, settle: 1s }\n"
        "  - name: charlie\n"
        "    cpq: { base_url: " + sim_alpha_cpq_.base_url() + ", access_key: alpha-access,"
        " public_key: alpha-cpq-pub, private_key: " + charlie_cpq_.private_key + " }\n"
        "    psa: { site: " + sim_alpha_psa_.base_url() + ", company_id: alpha-co,"
        " public_key: alpha-psa-pub, private_key_env: CWSYNC_TEST_CHARLIE_PSA_KEY,"
        " client_id: " + kClientId + kFastRate + " }\n"
        "  - name: delta\n"
        "    psa: { provider: autotask, username: delta-api@msp.example.com,"
        " secret_file: delta-at.key, integration_code: " + delta_code_.private_key + ","
        " zone_lookup_url: " + sim_bravo_psa_.base_url() + "/ATServicesRest/" + kFastRate + " }\n"
        "    queue: { max_attempts: 6, lease: 1s, settle: 1s }\n";
    write_private_file(config_path(), text);
  }

  // Runs one cwsync command to completion with the test's environment and
  // records its stdout and stderr as outputs to scan.
  RunResult cli(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_path()});
    ChildProcess child(args, dir_.path(), env_);
    auto code = child.wait(kStepTimeout);
    RunResult r{code.value_or(-1), child.out(), child.err()};
    EXPECT_TRUE(code.has_value()) << name << " did not finish";
    outputs_.push_back({"`cwsync " + name + "` stdout", r.out});
    outputs_.push_back({"`cwsync " + name + "` stderr", r.err});
    return r;
  }

  std::int64_t enqueue(const std::string& tenant, std::vector<std::string> args) {
    args.insert(args.begin(), {"enqueue"});
    args.insert(args.begin() + 2, {"--tenant", tenant});
    args.push_back("--json");
    RunResult r = cli("enqueue " + args[1] + " (" + tenant + ")", args);
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("id", std::int64_t{0}) : 0;
  }

  HttpReply scrape(const std::string& target) {
    HttpReply r = http_request(http_port_, "GET", target);
    outputs_.push_back({"GET " + target, r.body});
    return r;
  }

  int count_posts(const std::string& where) {
    return count("SELECT count(*) FROM psa_posts WHERE " + where);
  }
  int count(const std::string& sql) {
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY, 5000);
    return db.execAndGet(sql).getInt();
  }

  template <typename Pred>
  static bool eventually(Pred pred, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(100ms);
    }
    return pred();
  }

  static int fired(const SimControl& sim) {
    int n = 0;
    for (const auto& f : sim.faults()) n += f.value("fired", 0);
    return n;
  }

  // Copies of the database files as they are on disk now (the WAL and shm
  // exist only while a connection is open).
  void snapshot_db_files(const std::string& when) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::path p = db_path() + suffix;
      if (!std::filesystem::exists(p)) continue;
      outputs_.push_back({"cache.db" + std::string(suffix) + " " + when, slurp_file(p)});
    }
  }

  TempDir dir_{"cwsync-secrets-"};
  Credentials alpha_cpq_, alpha_psa_, bravo_cpq_, bravo_psa_, charlie_cpq_, charlie_psa_,
      delta_at_, delta_code_;
  CwsimProcess sim_alpha_cpq_, sim_alpha_psa_, sim_bravo_cpq_, sim_bravo_psa_;
  std::map<std::string, std::string> env_;
  std::vector<SecretForm> forms_;
  std::vector<Output> outputs_;
  int http_port_ = 0;
};

TEST_F(SecretsRunTest, NoSecretInAnyOutputOfAFullRun) {
  write_config();
  // The scanner must be able to fail: it finds the keys where they really are.
  EXPECT_THAT(leaks_in(slurp_file(config_path()), forms_), ::testing::Contains("bravo-cpq plain"));
  EXPECT_THAT(leaks_in(slurp_file(dir_.file("alpha-cpq.key")), forms_),
              ::testing::Contains("alpha-cpq random core"));
  EXPECT_THAT(leaks_in(basic_auth(bravo_psa_.user, bravo_psa_.private_key), forms_),
              ::testing::Contains("bravo-psa basic credential"));

  SimControl alpha_psa(sim_alpha_psa_.port()), bravo_cpq(sim_bravo_cpq_.port()),
      bravo_psa(sim_bravo_psa_.port());
  // Error paths that log upstream answers: 500s and a lost response on the
  // notes POST (then the marker check), a throttle, truncated JSON and an
  // HTML error page on pulls. charlie shares alpha's PSA simulator but posts
  // to ticket 1004, so these rules only ever meet alpha's notes.
  const std::string alpha_notes = "*/service/tickets/100[1-3]/notes";
  alpha_psa.add_fault({{"kind", "status"}, {"status", 500}, {"method", "POST"},
                       {"path", alpha_notes}, {"count", 2}});
  alpha_psa.add_fault({{"kind", "applied_then_lost"}, {"method", "POST"}, {"path", alpha_notes},
                       {"count", 1}});
  bravo_cpq.add_fault({{"kind", "status"}, {"status", 500}, {"path", "/api/quotes"}, {"count", 2}});
  bravo_cpq.add_fault({{"kind", "html"}, {"status", 502}, {"path", "/api/quoteItems"}, {"count", 1}});
  bravo_psa.add_fault({{"kind", "status"}, {"status", 429}, {"retry_after", 1}, {"count", 1}});
  bravo_psa.add_fault({{"kind", "truncate"}, {"path", "*/sales/opportunities"}, {"count", 1}});

  // Posts queued before the daemon starts, and more while it runs.
  std::vector<std::int64_t> ids;
  for (int k = 0; k < 3; ++k) {
    ids.push_back(enqueue("alpha", {"note", "--ticket", std::to_string(1001 + k), "--text",
                                    "alpha note " + std::to_string(k)}));
  }
  ids.push_back(enqueue("charlie", {"note", "--ticket", "1004", "--text", "charlie note"}));

  NotifySocket notify(dir_.file("notify.sock"));
  std::map<std::string, std::string> daemon_env = env_;
  daemon_env["NOTIFY_SOCKET"] = notify.path();
  daemon_env["WATCHDOG_USEC"] = "2000000";
  ChildProcess daemon({"--config", config_path(), "run"}, dir_.path(), daemon_env);
  std::vector<std::string> datagrams;
  ASSERT_TRUE(notify.wait_for("READY=1", kStepTimeout, &datagrams)) << daemon.out() << daemon.err();
  // From here on a thread reads every datagram as it arrives, as systemd
  // does: a receiver that stops reading fills the socket's queue, and the
  // daemon's next sd_notify() blocks (slow builds such as ASan send more).
  NotifyReader reader(notify, datagrams);
  auto listening = daemon.wait_for_line({"\"event\":\"http_listening\""}, 5s);
  ASSERT_TRUE(listening.has_value()) << daemon.out();
  json listen_event = json::parse(*listening);
  http_port_ = listen_event["port"].get<int>();
  EXPECT_EQ(listen_event["address"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << *listening;

  ids.push_back(enqueue("alpha", {"time", "--ticket", "1002", "--start", "2026-11-23T09:00:00Z",
                                  "--end", "2026-11-23T09:20:00Z", "--rounding", "15m"}));
  ids.push_back(enqueue("alpha", {"status", "--ticket", "1003", "--status", "Closed"}));
  for (int k = 0; k < 3; ++k) {
    ids.push_back(enqueue("bravo", {"note", "--ticket", std::to_string(1001 + k), "--text",
                                    "bravo note " + std::to_string(k)}));
  }
  for (int k = 0; k < 2; ++k) {
    ids.push_back(enqueue("delta", {"note", "--ticket", std::to_string(1001 + k), "--text",
                                    "delta note " + std::to_string(k)}));
  }
  for (auto id : ids) ASSERT_GT(id, 0);

  // The paths ran: every good post delivered through the faults, the wrong
  // keys refused, the pulls of both good tenants finished.
  EXPECT_TRUE(eventually([&] { return count_posts("tenant != 'charlie' AND status = 'succeeded'") == 10; },
                         kStepTimeout))
      << daemon.out();
  // charlie's post met the 401 (its queue pauses; the post stays pending).
  EXPECT_TRUE(eventually([&] {
    return count("SELECT count(*) FROM psa_activity_log l JOIN psa_posts p ON p.id = l.post_id "
                 "WHERE p.tenant = 'charlie' AND l.http_status = 401") >= 1;
  }, kStepTimeout)) << daemon.out();
  EXPECT_EQ(count_posts("tenant = 'charlie' AND status = 'succeeded'"), 0);
  // The lost response was found by its marker, not re-sent.
  EXPECT_GE(count("SELECT count(*) FROM psa_activity_log WHERE event = 'deduplicated'"), 1);
  EXPECT_TRUE(daemon.wait_for_line({"\"event\":\"auth_failed\"", "\"http_status\":401",
                                    "\"tenant\":\"charlie\""}, kStepTimeout));
  EXPECT_TRUE(daemon.wait_for_line({"\"event\":\"sync_finished\"", "\"entity\":\"opportunities\"",
                                    "\"tenant\":\"delta\""}, kStepTimeout));
  EXPECT_EQ(count_posts("tenant = 'delta' AND provider = 'autotask'"), 2);
  for (const char* tenant : {"alpha", "bravo"}) {
    EXPECT_TRUE(daemon.wait_for_line({"\"event\":\"sync_finished\"", "\"entity\":\"quotes\"",
                                      std::string("\"tenant\":\"") + tenant + "\""}, kStepTimeout))
        << tenant;
    EXPECT_TRUE(daemon.wait_for_line({"\"event\":\"sync_finished\"", "\"entity\":\"opportunities\"",
                                      std::string("\"tenant\":\"") + tenant + "\""}, kStepTimeout))
        << tenant;
  }
  EXPECT_TRUE(eventually([&] { return fired(alpha_psa) == 3 && fired(bravo_cpq) == 3 &&
                                      fired(bravo_psa) == 2; }, kStepTimeout))
      << alpha_psa.faults() << bravo_cpq.faults() << bravo_psa.faults();
  EXPECT_TRUE(daemon.wait_for_line({"\"level\":\"debug\""}, 1s)) << "trace/debug logging was off";

  HttpReply metrics = scrape("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("cwsync_queue_posts{tenant=\"alpha\""));
  HttpReply health = scrape("/healthz");
  EXPECT_TRUE(health.status == 200 || health.status == 503) << health.status;
  EXPECT_THAT(health.body, HasSubstr("charlie"));  // the failing tenant is reported
  EXPECT_EQ(scrape("/api/cpq/pipeline?tenant=alpha").status, 200);
  EXPECT_EQ(scrape("/api/cpq/backlog?tenant=bravo").status, 200);

  // Every command that reads state or talks upstream, text and --json.
  EXPECT_EQ(cli("check", {"check"}).code, 1);  // charlie's keys are wrong
  cli("check --json", {"check", "--json"});
  EXPECT_EQ(cli("check-config", {"check-config"}).code, 0);
  EXPECT_EQ(cli("check-config --json", {"check-config", "--json"}).code, 0);
  cli("status", {"status"});
  cli("status --json", {"status", "--json"});
  cli("queue list", {"queue", "list"});
  cli("queue list --json", {"queue", "list", "--json"});
  for (auto id : ids) cli("queue show " + std::to_string(id), {"queue", "show", std::to_string(id), "--json"});
  cli("history", {"history", "--ticket", "1001"});
  cli("history --json", {"history", "--ticket", "1001", "--json"});
  cli("pipeline", {"pipeline", "--json"});
  cli("backlog", {"backlog"});
  EXPECT_NE(cli("sync --once charlie", {"sync", "--once", "--tenant", "charlie"}).code, 0);
  cli("drain --once charlie", {"drain", "--once", "--tenant", "charlie", "--json"});

  // The world-readable rule, at the process level: refused, naming the fix.
  std::filesystem::copy_file(config_path(), dir_.file("readable.yaml"));
  ::chmod(dir_.file("readable.yaml").c_str(), 0644);
  {
    ChildProcess child({"--config", dir_.file("readable.yaml").string(), "check-config"},
                       dir_.path(), env_);
    auto code = child.wait(kStepTimeout);
    EXPECT_EQ(code, 78);
    EXPECT_THAT(child.err(), HasSubstr("world-readable and holds secrets; run `chmod 640"));
    outputs_.push_back({"check-config (world-readable) stdout", child.out()});
    outputs_.push_back({"check-config (world-readable) stderr", child.err()});
  }

  size_t mark = daemon.line_count();
  daemon.signal(SIGHUP);
  EXPECT_TRUE(daemon.wait_for_line({"\"event\":\"config_reloaded\""}, kStepTimeout, mark));
  snapshot_db_files("while running");
  struct stat st {};
  ASSERT_EQ(::stat(db_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777 & ~0640u, 0u) << "cache.db mode " << std::oct << (st.st_mode & 07777);

  daemon.signal(SIGTERM);
  auto code = daemon.wait(15s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon.err();
  reader.stop();
  while (auto d = notify.receive(500ms)) datagrams.push_back(*d);
  snapshot_db_files("after exit");
  outputs_.push_back({"daemon stdout", daemon.out()});
  outputs_.push_back({"daemon stderr", daemon.err()});

  int status_lines = 0;
  for (size_t k = 0; k < datagrams.size(); ++k) {
    status_lines += datagrams[k].find("STATUS=") != std::string::npos;
    outputs_.push_back({"notify datagram " + std::to_string(k), datagrams[k]});
  }
  EXPECT_GE(status_lines, 2) << "expected STATUS= at start and on stop";
  bool wal_seen = false;
  for (const auto& o : outputs_) wal_seen = wal_seen || (o.name == "cache.db-wal while running" && !o.bytes.empty());
  EXPECT_TRUE(wal_seen) << "the WAL was not captured while the daemon ran";

  int leaks = 0;
  for (const auto& o : outputs_) {
    for (const auto& label : leaks_in(o.bytes, forms_)) {
      ++leaks;
      ADD_FAILURE() << "secret form '" << label << "' found in " << o.name;
    }
  }
  std::printf("secrets scan: %zu outputs, %zu secret forms, leaks: %d\n", outputs_.size(),
              forms_.size(), leaks);
  EXPECT_EQ(leaks, 0);
}

// TLS verification has no off switch in the config; the only downgrade,
// allow_insecure (plain http to a remote host), shows in check-config (text
// and --json) and in a warning the daemon logs at start and on reload.
class InsecureTransportTest : public ::testing::Test {
 protected:
  void write(const std::string& cpq_extra) {
    write_private_file(dir_.file("cwsync.yaml"),
                       "database: " + dir_.file("cache.db").string() + "\n"
                       "defaults:\n"
                       "  intervals: { quotes: 1h, opportunities: 1h, reconcile: 24h, queue: 1h }\n"
                       "  http: { connect_timeout: 1s, read_timeout: 1s }\n"
                       "tenants:\n"
                       "  - name: acme\n"
                       "    cpq:\n"
                       "      base_url: http://cwsync-test.invalid:8080\n"
                       "      access_key: acme\n"
                       "      public_key: pub\n"
                       "      private_key: Not-Shown-" + random_hex(12) + "\n" + cpq_extra);
  }
  RunResult run(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--config", dir_.file("cwsync.yaml").string()};
    full.insert(full.end(), args.begin(), args.end());
    return run_cwsync(full, dir_.path());
  }
  TempDir dir_{"cwsync-insecure-"};
};

TEST_F(InsecureTransportTest, PlainHttpToARemoteHostNeedsAllowInsecure) {
  write("");
  RunResult r = run({"check-config"});
  EXPECT_EQ(r.code, 78);
  EXPECT_THAT(r.err, HasSubstr("tenants[0].cpq.base_url"));
  EXPECT_THAT(r.err, HasSubstr("allow_insecure: true"));
}

TEST_F(InsecureTransportTest, NoKeyTurnsCertificateVerificationOff) {
  for (const char* key : {"tls_verify: false", "verify_tls: false", "insecure_skip_verify: true",
                          "verify_ssl: false"}) {
    write(std::string("      ") + key + "\n");
    RunResult r = run({"check-config"});
    EXPECT_EQ(r.code, 78) << key;
    EXPECT_THAT(r.err, HasSubstr("unknown key")) << key;
  }
}

TEST_F(InsecureTransportTest, AllowInsecureIsShownAndLogged) {
  write("      allow_insecure: true\n");
  RunResult text = run({"check-config"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("http://cwsync-test.invalid:8080 (allow_insecure)"));
  RunResult as_json = run({"check-config", "--json"});
  ASSERT_EQ(as_json.code, 0) << as_json.err;
  EXPECT_EQ(json::parse(as_json.out)["tenants"][0]["cpq"]["allow_insecure"], true) << as_json.out;

  ChildProcess daemon({"--config", dir_.file("cwsync.yaml").string(), "run"}, dir_.path());
  auto warning = daemon.wait_for_line({"\"event\":\"insecure_transport_allowed\""}, kStepTimeout);
  ASSERT_TRUE(warning.has_value()) << daemon.out();
  json w = json::parse(*warning);
  EXPECT_EQ(w["level"], "warn");
  EXPECT_EQ(w["tenant"], "acme");
  EXPECT_EQ(w["api"], "cpq");
  EXPECT_EQ(w["host"], "cwsync-test.invalid:8080");
  EXPECT_EQ(w["url"], "http://cwsync-test.invalid:8080");
  ASSERT_TRUE(daemon.wait_for_line({"\"event\":\"daemon_ready\""}, kStepTimeout));
  size_t mark = daemon.line_count();
  daemon.signal(SIGHUP);  // a reload says it again
  EXPECT_TRUE(daemon.wait_for_line({"\"event\":\"insecure_transport_allowed\""}, kStepTimeout, mark))
      << daemon.out();
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(15s), 0);
}

}  // namespace
}  // namespace cwsync::test
