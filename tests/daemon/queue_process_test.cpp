// The PSA queue end to end with real processes: `cwsync enqueue` into a real
// SQLite file, `cwsync run` delivering to a cwsim process, SIGKILL while
// posts are in flight, restart, and the queue's promises (docs/queue.md):
// every post delivered exactly once, an intact database, a complete
// activity log; and an invalid SQL-inserted row goes dead without taking the
// drainer down. Bounded: each test finishes in a few seconds.
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

// Readers may meet a lock briefly (WAL recovery after the SIGKILL).
constexpr int kBusyMs = 5000;

struct Post {
  std::int64_t id = 0;
  std::string kind, status, key;
};

class QueueProcessTest : public ::testing::Test {
 protected:
  QueueProcessTest() : sim_({"--tickets", "6", "--seed", "5"}), control_(sim_.port()) {}

  std::string write_config() {
    std::string text =
        "database: " + db_path() + "\n"
        "log: { level: info, format: json }\n"
        "defaults:\n"
        "  intervals: { quotes: 5m, opportunities: 5m, reconcile: 24h, queue: 200ms }\n"
        "  backoff: { base: 100ms, cap: 1s }\n"
        "  http: { connect_timeout: 1s, read_timeout: 2s }\n"
        "tenants:\n"
        "  - name: acme\n"
        "    opportunities: psa\n"
        "    psa:\n"
        "      site: " + sim_.base_url() + "\n"
        "      company_id: cwsim\n"
        "      public_key: cwsim-public\n"
        "      private_key: cwsim-private\n"
        "      client_id: 00000000-0000-0000-0000-000000000000\n"
        "    intervals: { quotes: 5m, opportunities: 24h, reconcile: 24h, queue: 200ms }\n"
        "    queue: { max_attempts: 10, lease: 1s, settle: 500ms }\n";
    write_private_file(config_path(), text);
    return config_path();
  }
  std::string config_path() const { return dir_.file("cwsync.yaml").string(); }
  std::string db_path() const { return dir_.file("cache.db").string(); }

  std::int64_t enqueue(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--config", config_path(), "enqueue"};
    full.insert(full.end(), args.begin(), args.end());
    full.push_back("--json");
    RunResult r = run_cwsync(full, dir_.path());
    EXPECT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j.value("id", std::int64_t{0}) : 0;
  }

  std::vector<Post> posts() {
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY, kBusyMs);
    SQLite::Statement q(db, "SELECT id, kind, status, idempotency_key FROM psa_posts ORDER BY id");
    std::vector<Post> out;
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                     q.getColumn(2).getString(), q.getColumn(3).getString()});
    }
    return out;
  }
  int count_status(const std::string& status) {
    int n = 0;
    for (const auto& p : posts()) n += p.status == status ? 1 : 0;
    return n;
  }
  std::vector<std::string> events(std::int64_t post_id) {
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY, kBusyMs);
    SQLite::Statement q(db, "SELECT event FROM psa_activity_log WHERE post_id = ? ORDER BY id");
    q.bind(1, static_cast<int64_t>(post_id));
    std::vector<std::string> out;
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  }
  int note_posts_seen() {
    int n = 0;
    for (const auto& r : control_.requests()) {
      if (r.value("method", "") == "POST" &&
          r.value("path", "").find("/notes") != std::string::npos) {
        ++n;
      }
    }
    return n;
  }
  // Notes / time entries at cwsim carrying `marker`.
  int effects_with(const std::string& marker) {
    int n = 0;
    json notes = control_.store("notes")["notes"];
    for (const auto& x : notes) n += x["text"].get<std::string>().find(marker) != std::string::npos;
    json entries = control_.store("time-entries")["time_entries"];
    for (const auto& x : entries) n += x["notes"].get<std::string>().find(marker) != std::string::npos;
    return n;
  }
  std::unique_ptr<ChildProcess> start_daemon() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{"run", "--config", config_path()}, dir_.path());
  }

  TempDir dir_{"cwsync-queueproc-"};
  CwsimProcess sim_;
  SimControl control_;
};

TEST_F(QueueProcessTest, SigkillWhileInFlightThenRestartDeliversEachPostExactlyOnce) {
  write_config();
  for (int k = 0; k < 12; ++k) {
    ASSERT_GT(enqueue({"note", "--ticket", std::to_string(1001 + k % 6), "--text",
                       "step " + std::to_string(k)}),
              0);
  }
  ASSERT_GT(enqueue({"time", "--ticket", "1002", "--start", "2026-11-23T09:00:00Z", "--end",
                     "2026-11-23T09:20:00Z", "--rounding", "15m"}),
            0);
  ASSERT_GT(enqueue({"status", "--ticket", "1003", "--status", "Closed"}), 0);
  // Slow notes: each POST is applied at cwsim after 300 ms, so a kill lands
  // while one is in flight (sent, applied, response never read).
  control_.add_fault({{"kind", "delay"}, {"api", "psa"}, {"method", "POST"}, {"path", "*/notes"},
                      {"delay_ms", 300}, {"count", -1}});

  auto first = start_daemon();
  ASSERT_TRUE(eventually([&] { return note_posts_seen() >= 3; }, 10s)) << first->out();
  std::this_thread::sleep_for(100ms);  // into the next delayed POST
  first->signal(SIGKILL);
  ASSERT_TRUE(first->wait(5s).has_value());
  EXPECT_GE(count_status("in_flight"), 1) << "the kill should leave a post in flight";
  EXPECT_GT(count_status("pending"), 0);
  std::this_thread::sleep_for(400ms);  // let cwsim apply the orphaned POST
  control_.clear_faults();

  auto second = start_daemon();
  ASSERT_TRUE(eventually([&] { return count_status("succeeded") == 14; }, 12s))
      << second->out() << second->err();
  second->signal(SIGTERM);
  auto code = second->wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);

  // Exactly one effect per post at cwsim.
  int deduplicated = 0;
  for (const auto& p : posts()) {
    if (p.kind != "status") {
      EXPECT_EQ(effects_with(format_marker("[cwsync:{marker}]", p.key)), 1)
          << "post " << p.id << " (" << p.kind << ")";
    }
    auto ev = events(p.id);
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.front(), "enqueued") << p.id;
    EXPECT_EQ(ev.back(), "succeeded") << p.id;
    EXPECT_NE(std::find(ev.begin(), ev.end(), "attempt"), ev.end()) << p.id;
    // Every attempt follows a claim.
    int claims = 0, attempts = 0;
    for (const auto& e : ev) {
      claims += e == "claimed";
      attempts += e == "attempt";
      EXPECT_LE(attempts, claims) << p.id;
    }
    deduplicated += std::count(ev.begin(), ev.end(), "deduplicated") > 0;
  }
  EXPECT_GE(deduplicated, 1) << "the orphaned POST must be found, not re-sent";
  EXPECT_EQ(control_.store("tickets")["tickets"][2]["status"]["name"], "Closed");

  SQLite::Database db(db_path(), SQLite::OPEN_READONLY, kBusyMs);
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
}

TEST_F(QueueProcessTest, InvalidSqlRowGoesDeadAndTheDrainerKeepsGoing) {
  write_config();
  ASSERT_EQ(run_cwsync({"--config", config_path(), "migrate"}, dir_.path()).code, 0);
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READWRITE, kBusyMs);
    db.exec("DROP TRIGGER psa_posts_check_insert");  // a row from before the insert checks
    db.exec("INSERT INTO psa_posts (tenant, kind, ticket_id, payload) "
            "VALUES ('acme', 'note', 1001, '{\"text\": unquoted}')");
  }
  auto good = enqueue({"note", "--ticket", "1001", "--text", "after the bad one"});
  auto daemon = start_daemon();
  ASSERT_TRUE(eventually([&] { return count_status("succeeded") == 1; }, 10s)) << daemon->out();
  auto all = posts();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].status, "dead");
  {
    SQLite::Database db(db_path(), SQLite::OPEN_READONLY, kBusyMs);
    std::string err = db.execAndGet("SELECT last_error FROM psa_posts WHERE id = " +
                                    std::to_string(all[0].id)).getString();
    EXPECT_NE(err.find("invalid payload"), std::string::npos) << err;
  }
  // Still alive and still draining.
  auto later = enqueue({"note", "--ticket", "1002", "--text", "later"});
  ASSERT_TRUE(eventually([&] { return count_status("succeeded") == 2; }, 10s)) << daemon->out();
  EXPECT_FALSE(daemon->wait(0ms).has_value());
  EXPECT_GT(later, good);
  auto ev = events(all[0].id);
  EXPECT_EQ(ev, (std::vector<std::string>{"enqueued", "claimed", "dead_lettered"}));

  // The CLI shows it, and requeue is refused for a post that is not dead.
  RunResult show = run_cwsync({"--config", config_path(), "queue", "show",
                               std::to_string(all[0].id), "--json"}, dir_.path());
  EXPECT_EQ(show.code, 0);
  EXPECT_EQ(json::parse(show.out)["status"], "dead");
  RunResult bad = run_cwsync({"--config", config_path(), "queue", "requeue",
                              std::to_string(good)}, dir_.path());
  EXPECT_EQ(bad.code, 2) << bad.err;
  daemon->signal(SIGTERM);
  auto code = daemon->wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST_F(QueueProcessTest, EnqueueRejectsBadInputWithExit2AndIgnoresARepeatedKey) {
  write_config();
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_path()});
    return run_cwsync(args, dir_.path());
  };
  // Invalid input: nothing is added, exit 2, one clear line.
  RunResult r = run({"enqueue", "note", "--text", "x"});
  EXPECT_EQ(r.code, 2) << "missing --ticket";
  r = run({"enqueue", "note", "--ticket", "1001", "--type", "shout", "--text", "x"});
  EXPECT_EQ(r.code, 2) << "bad type";
  r = run({"enqueue", "note", "--ticket", "0", "--text", "x"});
  EXPECT_EQ(r.code, 2) << "non-positive ticket";
  r = run({"enqueue", "note", "--ticket", "1001", "--text-file", dir_.file("missing.txt").string()});
  EXPECT_EQ(r.code, 2) << "unreadable text file";
  r = run({"enqueue", "time", "--ticket", "1001", "--start", "2026-11-23T10:00:00Z", "--end",
           "2026-11-23T09:00:00Z"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("must be after"), std::string::npos) << r.err;
  r = run({"enqueue", "status", "--ticket", "1001", "--status", "Closed", "--tenant", "nosuch"});
  EXPECT_EQ(r.code, 2);

  // A repeated idempotency key is a no-op that reports the existing post.
  r = run({"enqueue", "status", "--ticket", "1001", "--status", "Closed", "--idempotency-key",
           "session-1-close", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json first = json::parse(r.out);
  EXPECT_TRUE(first["inserted"].get<bool>());
  EXPECT_EQ(first["idempotency_key"], "session-1-close");
  r = run({"enqueue", "status", "--ticket", "1001", "--status", "Closed", "--idempotency-key",
           "session-1-close", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json second = json::parse(r.out);
  EXPECT_FALSE(second["inserted"].get<bool>());
  EXPECT_EQ(second["id"], first["id"]);
  ASSERT_EQ(posts().size(), 1u) << "the invalid enqueues and the repeat added nothing";
  EXPECT_EQ(events(first["id"].get<std::int64_t>()), (std::vector<std::string>{"enqueued"}));

  // The operator commands see it.
  r = run({"queue", "list", "--status", "pending", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json list = json::parse(r.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["payload"]["status"], "Closed");
  r = run({"history", "--ticket", "1001", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).size(), 1u);
  EXPECT_EQ(run({"queue", "show", "999"}).code, 2) << "unknown id";
  EXPECT_EQ(run({"queue", "purge", "--succeeded-older-than", "soon"}).code, 2);
  r = run({"queue", "purge", "--succeeded-older-than", "30d", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["purged"], 0);
}

}  // namespace
}  // namespace cwsync::test
