// The CLI's answers to hostile or careless input , on the real
// binary: exit 2 (bad input), 78 (config) or 1 with a message that names the
// option, file or path and the fix; never a rounded ticket or a library
// exception.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <SQLiteCpp/Database.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "cwsim_process.h"
#include "sim_control.h"
#include "temp_dir.h"

namespace cwsync::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class HostileCliTest : public ::testing::Test {
 protected:
  HostileCliTest() {
    std::ofstream(dir_.file("psa-key")) << "cwsim-private\n";
    ::chmod(dir_.file("psa-key").c_str(), 0600);
    write_private_file(config(),
                       "database: cache.db\n"
                       "tenants:\n" + sim_.tenant_yaml(false, "private_key_file: psa-key"));
  }
  std::string config() const { return dir_.file("cwsync.yaml").string(); }
  std::string db() const { return dir_.file("cache.db").string(); }

  RunResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config()});
    return run_cwsync(args, dir_.path());
  }
  RunResult enqueue(std::vector<std::string> args) {
    args.insert(args.begin(), "enqueue");
    return cli(args);
  }

  CwsimProcess sim_{std::vector<std::string>{"--tickets", "3"}};
  TempDir dir_{"cwsync-hostile-"};
};

TEST_F(HostileCliTest, EnqueueRefusesBadInputWithExitTwoAndAClearLine) {
  ASSERT_EQ(cli({"migrate"}).code, 0);
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::string latin1 = "caf\xe9";
  const std::vector<Case> cases = {
      {{"note", "--ticket", "99999999999999999999", "--text", "x"},
       "--ticket 99999999999999999999 is too large"},
      {{"note", "--ticket", "1", "--text", latin1}, "--text is not UTF-8 text (byte 0xE9 at offset 3)"},
      {{"note", "--ticket", "1", "--text", ""}, "--text is empty"},
      {{"note", "--ticket", "1", "--text-file", dir_.path().string()}, "is a directory"},
      {{"status", "--ticket", "1", "--status", "-3"}, "--status -3 is not a status id"},
      {{"time", "--ticket", "1", "--start", "2026-11-23T00:00:00Z", "--end", "2036-11-23T00:00:00Z"},
       "87672 hours long; at most 24 h"},
  };
  for (const Case& c : cases) {
    RunResult r = enqueue(c.args);
    EXPECT_EQ(r.code, 2) << c.says << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.says));
    EXPECT_THAT(r.err, Not(HasSubstr("json.exception")));
  }
  // Nothing was queued.
  RunResult list = cli({"queue", "list", "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 0u);
}

TEST_F(HostileCliTest, AConfigThatIsADirectoryIsNamedAsSuch) {
  RunResult r = run_cwsync({"--config", dir_.path().string(), "check-config"}, dir_.path());
  EXPECT_EQ(r.code, 78);
  EXPECT_THAT(r.err, HasSubstr(dir_.path().string() + ": is a directory; expected the YAML config file"));
}

TEST_F(HostileCliTest, AWorldReadableKeyFileIsWarnedAboutByCheckConfigAndCheck) {
  ::chmod(dir_.file("psa-key").c_str(), 0644);
  const std::string says = "key file " + dir_.file("psa-key").string() +
                           " is readable by everyone (mode 0644); run `chmod 600";
  RunResult cc = cli({"check-config"});
  EXPECT_EQ(cc.code, 0) << cc.err;
  EXPECT_THAT(cc.err, HasSubstr("warning: "));
  EXPECT_THAT(cc.err, HasSubstr(says));
  RunResult json = cli({"check-config", "--json"});
  EXPECT_THAT(nlohmann::json::parse(json.out)["warnings"][0]["message"].get<std::string>(), HasSubstr(says));
  RunResult check = cli({"check"});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_THAT(check.err, HasSubstr(says));
  ::chmod(dir_.file("psa-key").c_str(), 0600);
  EXPECT_THAT(cli({"check-config"}).err, Not(HasSubstr("warning")));
}

TEST_F(HostileCliTest, AForeignDatabaseIsRefusedWithThePathAndTheFix) {
  {
    SQLite::Database other(db(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
  }
  RunResult r = cli({"migrate"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr(db()));
  EXPECT_THAT(r.err, HasSubstr("not a cwsync database: it holds another program's tables (invoices)"));
  SQLite::Database other(db(), SQLite::OPEN_READONLY);
  EXPECT_EQ(other.execAndGet("SELECT COUNT(*) FROM sqlite_master").getInt(), 1);
}

TEST_F(HostileCliTest, ARowWithATextTicketIdIsRefusedOrDeadLetteredNeverPostedElsewhere) {
  ASSERT_EQ(cli({"migrate"}).code, 0);
  SQLite::Database h(db(), SQLite::OPEN_READWRITE, 5000);
  const std::string row =
      "INSERT INTO psa_posts (tenant, kind, ticket_id, payload) "
      "VALUES ('acme', 'note', '1010abc', '{\"text\":\"for ticket 1010abc\"}')";
  EXPECT_THROW(h.exec(row), SQLite::Exception);  // refused at INSERT
  // A row from before the checks existed slips through: dead, with the reason.
  h.exec("DROP TRIGGER psa_posts_check_insert");
  h.exec(row);
  RunResult drain = cli({"drain", "--once"});
  EXPECT_EQ(drain.code, 0) << drain.err;
  RunResult history = cli({"history", "--ticket", "1010", "--json"});
  ASSERT_EQ(history.code, 0) << history.err;
  auto rows = nlohmann::json::parse(history.out);
  ASSERT_EQ(rows.size(), 1u) << history.out;
  EXPECT_EQ(rows[0]["status"], "dead");
  EXPECT_THAT(rows[0].dump(), HasSubstr("ticket_id '1010abc' is not a whole number"));
  SimControl ctl(sim_.port());
  const nlohmann::json store = ctl.store("notes");  // the loop must not outlive it
  for (const auto& n : store["notes"]) {
    EXPECT_THAT(n["text"].get<std::string>(), Not(HasSubstr("1010abc"))) << n.dump();
  }
}

}  // namespace
}  // namespace cwsync::test
