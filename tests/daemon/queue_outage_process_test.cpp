// The queue's failure classes with real processes (`cwsync run` against a
// cwsim process, real SQLite, real signals): a PSA outage does not
// dead-letter a small budget, a POST that PSA applies after the read timeout
// is not sent twice, and a reload with fixed credentials lifts a 401 pause at
// once, while `cwsync status --json` shows the pause, the stop and the job
// failures. Bounded: each test takes seconds.
#include <signal.h>

#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "cwsim_process.h"
#include "sim_control.h"
#include "sync/note_marker.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kBusyMs = 5000;

class QueueOutageProcessTest : public ::testing::Test {
 protected:
  QueueOutageProcessTest() : sim_({"--tickets", "6", "--seed", "5"}), control_(sim_.port()) {}

  void write_config(const std::string& private_key, const std::string& extra_defaults = "",
                    const std::string& queue = "{ max_attempts: 3, lease: 1s, settle: 1s }") {
    std::string text =
        "database: " + db_path() + "\n"
        "log: { level: info, format: json }\n"
        "defaults:\n"
        "  intervals: { quotes: 5m, opportunities: 5m, reconcile: 24h, queue: 200ms }\n"
        "  backoff: { base: 100ms, cap: 1s }\n"
        "  breaker: { failures: 3, cool_down: 1s }\n" + extra_defaults +
        "tenants:\n"
        "  - name: acme\n"
        "    opportunities: psa\n"
        "    psa:\n"
        "      site: " + sim_.base_url() + "\n"
        "      company_id: cwsim\n"
        "      public_key: cwsim-public\n"
        "      private_key: " + private_key + "\n"
        "      client_id: 00000000-0000-0000-0000-000000000000\n"
        "    intervals: { quotes: 5m, opportunities: 1h, reconcile: 24h, queue: 200ms }\n"
        "    queue: " + queue + "\n";
    write_private_file(config_path(), text);
  }
  std::string config_path() const { return dir_.file("cwsync.yaml").string(); }
  std::string db_path() const { return dir_.file("cache.db").string(); }

  RunResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_path()});
    return run_cwsync(args, dir_.path());
  }
  std::int64_t enqueue_note(int ticket, const std::string& text) {
    RunResult r = cli({"enqueue", "note", "--ticket", std::to_string(ticket), "--text", text, "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("id", std::int64_t{0}) : 0;
  }
  std::string column(std::int64_t id, const char* col) {
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY, kBusyMs);
    SQLite::Statement q(db, std::string("SELECT COALESCE(") + col + ", '') FROM psa_posts WHERE id = ?");
    q.bind(1, static_cast<int64_t>(id));
    return q.executeStep() ? q.getColumn(0).getString() : "";
  }
  int count_events(std::int64_t id, const std::string& event) {
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY, kBusyMs);
    SQLite::Statement q(db, "SELECT COUNT(*) FROM psa_activity_log WHERE post_id = ? AND event = ?");
    q.bind(1, static_cast<int64_t>(id));
    q.bind(2, event);
    q.executeStep();
    return q.getColumn(0).getInt();
  }
  int copies(std::int64_t id) {
    const std::string marker = format_marker("[cwsync:{marker}]", column(id, "idempotency_key"));
    int n = 0;
    const json notes = control_.store("notes")["notes"];  // by value: not a temporary's member
    for (const auto& x : notes) {
      n += x["text"].get<std::string>().find(marker) != std::string::npos;
    }
    return n;
  }
  json status_of_acme() {
    RunResult r = cli({"status", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    if (!j.is_object()) return json::object();
    for (const auto& t : j["tenants"]) {
      if (t["tenant"] == "acme") return t;
    }
    return json::object();
  }
  std::unique_ptr<ChildProcess> start_daemon() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{"run", "--config", config_path()}, dir_.path());
  }
  void stop(ChildProcess& daemon) {
    daemon.signal(SIGTERM);
    auto code = daemon.wait(10s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0);
  }

  TempDir dir_{"cwsync-outageproc-"};
  CwsimProcess sim_;
  SimControl control_;
};

TEST_F(QueueOutageProcessTest, AnOutageLongerThanTheBudgetDeadLettersNothing) {
  write_config("cwsim-private");
  ASSERT_EQ(cli({"migrate"}).code, 0);
  // Every PSA API call answers 503 for 4 s: with a 100 ms backoff and
  // max_attempts 3 the old budget was gone within a second.
  control_.add_fault({{"api", "psa"}, {"path", "*/apis/3.0/*"}, {"status", 503}, {"count", -1},
                      {"duration_ms", 4000}});
  std::vector<std::int64_t> ids;
  for (int k = 0; k < 4; ++k) ids.push_back(enqueue_note(1001 + k, "during the outage"));
  auto daemon = start_daemon();
  auto delivered = [&] {
    for (auto id : ids) {
      if (column(id, "status") != "succeeded") return false;
    }
    return true;
  };
  ASSERT_TRUE(eventually(delivered, 25s)) << daemon->out();
  for (auto id : ids) {
    EXPECT_EQ(copies(id), 1) << id;
    EXPECT_EQ(column(id, "failures"), "0") << id;
    EXPECT_EQ(count_events(id, "dead_lettered"), 0) << id;
  }
  stop(*daemon);
}

TEST_F(QueueOutageProcessTest, APostPsaAppliesFiveSecondsAfterTheReadTimeoutIsSentOnce) {
  // read_timeout 2 s; PSA holds the POST 7 s, then applies it. settle 6 s:
  // cwsync looks 8 s after giving up, when PSA is done with it.
  write_config("cwsim-private", "  http: { connect_timeout: 1s, read_timeout: 2s }\n",
               "{ max_attempts: 3, lease: 1s, settle: 6s }");
  ASSERT_EQ(cli({"migrate"}).code, 0);
  control_.add_fault({{"kind", "delay"}, {"api", "psa"}, {"method", "POST"},
                      {"path", "*/tickets/1002/notes"}, {"delay_ms", 7000}, {"count", 1}});
  auto id = enqueue_note(1002, "PSA is slow today");
  auto daemon = start_daemon();
  ASSERT_TRUE(eventually([&] { return column(id, "status") == "succeeded"; }, 25s))
      << daemon->out();
  EXPECT_EQ(copies(id), 1);
  EXPECT_EQ(count_events(id, "deduplicated"), 1) << "the late copy is found, not re-sent";
  EXPECT_FALSE(column(id, "remote_id").empty());
  stop(*daemon);
}

TEST_F(QueueOutageProcessTest, AReloadWithFixedCredentialsLiftsThe401PauseAtOnce) {
  write_config("wrong-private-key");
  ASSERT_EQ(cli({"migrate"}).code, 0);
  auto id = enqueue_note(1003, "waits for the right key");
  auto daemon = start_daemon();
  // The queue is paused (15 min) and the pulls are stopped; status says so.
  // The queue job's failure is recorded by its own write, just after the
  // pause: wait for all three, not only the first two.
  json acme;
  auto queue_failed = [&] {
    for (const auto& f : acme["job_failures"]) {
      if (f["job"] == "psa_queue") return true;
    }
    return false;
  };
  ASSERT_TRUE(eventually(
      [&] {
        acme = status_of_acme();
        return acme.contains("queue") && acme["queue"]["paused"]["active"] == true &&
               acme["pulls_stopped"]["active"] == true && acme.contains("job_failures") &&
               queue_failed();
      },
      10s))
      << acme.dump(2) << daemon->out();
  EXPECT_NE(acme["queue"]["paused"]["reason"].get<std::string>().find("401"), std::string::npos);
  ASSERT_TRUE(acme["queue"]["paused"]["until"].is_string());
  EXPECT_TRUE(acme["pulls_stopped"]["until"].is_null()) << "until a reload";
  EXPECT_FALSE(acme["pulls_stopped"]["reason"].get<std::string>().empty());
  RunResult text = cli({"status"});
  EXPECT_NE(text.out.find("queue PAUSED"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pulls STOPPED"), std::string::npos) << text.out;
  EXPECT_EQ(column(id, "status"), "pending");

  write_config("cwsim-private");
  const auto reloaded = std::chrono::steady_clock::now();
  daemon->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return column(id, "status") == "succeeded"; }, 5s)) << daemon->out();
  EXPECT_LT(std::chrono::steady_clock::now() - reloaded, 5s);
  ASSERT_TRUE(eventually(
      [&] {
        acme = status_of_acme();
        return acme["queue"]["paused"]["active"] == false &&
               acme["pulls_stopped"]["active"] == false;
      },
      5s))
      << acme.dump(2);
  EXPECT_EQ(copies(id), 1);
  stop(*daemon);
}

}  // namespace
}  // namespace cwsync::test
