// `cwsync run` on a database holding months of old sync_runs rows (and an
// opted-in activity log) prunes them soon after start and logs
// retention_pruned; the newest run of each kind stays.
#include <signal.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include "base/clock.h"
#include "child_process.h"
#include "cwsim_process.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(RetentionProcessTest, ADaemonStartedOnOldRowsPrunesThemAndSaysSo) {
  CwsimProcess sim({"--quotes", "5", "--opportunities", "2"});
  TempDir dir("cwsync-retention-run-");
  const std::string db_path = dir.file("cache.db").string();
  {
    auto db = storage::Database::open(db_path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(storage::migrate(*db).ok());
    // 300 runs of a tenant no longer configured, 60 to 35 days old, and a
    // delivered post whose history is as old.
    SQLite::Statement ins(db->handle(),
        "INSERT INTO sync_runs (tenant, entity, kind, started_at, finished_at, status) "
        "VALUES ('gone', 'quotes', 'incremental', ?1, ?1, 'ok')");
    const TimePoint now = SysClock::now();
    for (int i = 0; i < 300; ++i) {
      ins.bind(1, format_iso8601(now - std::chrono::hours(24 * 60) + std::chrono::hours(2) * i));
      ins.exec();
      ins.reset();
    }
    const std::string old = format_iso8601(now - std::chrono::hours(24 * 60));
    db->handle().exec(
        "INSERT INTO psa_posts (tenant, kind, ticket_id, payload, status, created_at, "
        "updated_at) VALUES ('gone', 'note', 1, '{\"text\":\"x\",\"type\":\"internal\"}', "
        "'succeeded', '" + old + "', '" + old + "')");
  }
  write_private_file(dir.file("cwsync.yaml"),
                     "database: " + db_path + "\n"
                     "retention: { sync_runs: 30d, activity_log: 30d }\n"
                     "defaults:\n"
                     "  intervals: { quotes: 1h, opportunities: 1h, reconcile: 24h }\n"
                     "tenants:\n"
                     "  - name: acme\n"
                     "    cpq:\n"
                     "      base_url: " + sim.base_url() + "\n"
                     "      access_key: cwsim\n"
                     "      public_key: cwsim-public\n"
                     "      private_key: cwsim-private\n");

  ChildProcess child({"run", "--config", dir.file("cwsync.yaml").string()}, dir.path());
  auto line = child.wait_for_line({"\"event\":\"retention_pruned\""}, 20s);
  ASSERT_TRUE(line.has_value()) << child.out() << child.err();
  const json event = json::parse(*line);
  EXPECT_EQ(event["level"], "info");
  EXPECT_EQ(event["sync_runs"], 299);
  EXPECT_EQ(event["activity_log"], 1);  // the post's 'enqueued' row
  EXPECT_TRUE(event["duration_ms"].is_number_integer());
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(10s), 0) << child.out();

  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM sync_runs WHERE tenant = 'gone'").getInt(), 1);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM psa_activity_log").getInt(), 0);
}

}  // namespace
}  // namespace cwsync::test
