// The files a database is made of, as people outside the daemon meet them:
// a group reader while the daemon is stopped, a path that is not a database
// file, and a full disk. Each failure says what is wrong and the fix, once.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <sqlite3.h>
#include <gtest/gtest.h>

#include "storage/sql_util.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr uid_t kReaderUid = 65534;  // nobody
constexpr gid_t kGroup = 65534;      // its group, standing in for group cwsync

// A migrated database at dir/cache.db, every connection closed again.
std::string stopped_database(const TempDir& dir) {
  const std::string path = dir.file("cache.db");
  auto db = Database::open(path);
  EXPECT_TRUE(db.ok()) << db.error().describe();
  EXPECT_TRUE(migrate(*db).ok());
  return path;
}

// Runs `body` in a child as a member of the database's group who may not
// write the folder (docs/operations.md: StateDirectory mode 0750). As root,
// permission checks do not apply, so the child gives the folder and files to
// root:kGroup (0750 / 0640) and becomes uid `nobody`; otherwise it takes the
// write bit off the folder. Returns what `body` returned, or why it could not run.
std::string as_group_reader(const TempDir& dir, const std::function<std::string()>& body) {
  const fs::path folder = fs::path(dir.file("x")).parent_path();
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::geteuid() == 0) {
      bool ok = ::chown(folder.c_str(), 0, kGroup) == 0 && ::chmod(folder.c_str(), 0750) == 0;
      for (const auto& e : fs::directory_iterator(folder)) {
        ok = ok && ::chown(e.path().c_str(), 0, kGroup) == 0;
      }
      ok = ok && ::setgroups(0, nullptr) == 0 && ::setgid(kGroup) == 0 && ::setuid(kReaderUid) == 0;
      out = ok ? body() : "cannot become a group reader";
    } else {
      out = ::chmod(folder.c_str(), 0555) == 0 ? body() : "chmod failed";
      ::chmod(folder.c_str(), 0755);
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return out;
}

std::string read_schema_version(const std::string& path) {
  auto db = Database::open(path, {.read_only = true});
  if (!db.ok()) return db.error().describe();
  auto v = db->user_version();
  return v.ok() ? "version " + std::to_string(*v) : v.error().describe();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(StoppedDatabaseTest, ACleanStopLeavesAnEmptyWalAndTheShmFileWithTheFilesMode) {
  TempDir dir;
  const std::string path = stopped_database(dir);
  ASSERT_TRUE(fs::exists(path + "-wal"));
  ASSERT_TRUE(fs::exists(path + "-shm"));
  EXPECT_EQ(fs::file_size(path + "-wal"), 0u);  // checkpointed into the main file
  struct stat st {};
  ASSERT_EQ(::stat((path + "-shm").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(StoppedDatabaseTest, AGroupReaderReadsItWhileTheDaemonIsStopped) {
  TempDir dir;
  const std::string path = stopped_database(dir);
  const std::string said = as_group_reader(dir, [&] { return read_schema_version(path); });
  EXPECT_EQ(said.rfind("version ", 0), 0u) << said;
}

// A database last closed by an older cwsync (or whose -shm someone deleted).
TEST(StoppedDatabaseTest, WithoutTheShmFileTheReaderIsToldWhyAndTheFix) {
  TempDir dir;
  const std::string path = stopped_database(dir);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
  const std::string said = as_group_reader(dir, [&] { return read_schema_version(path); });
  EXPECT_EQ(said.find("attempt to write a readonly database"), std::string::npos) << said;
  EXPECT_NE(said.find(path + "-shm is missing"), std::string::npos) << said;
  EXPECT_NE(said.find("not writable by this user"), std::string::npos) << said;
  EXPECT_NE(said.find("start the daemon once"), std::string::npos) << said;
}

TEST(NotADatabaseTest, AFileOfSomethingElseIsNamedWithTheFixAndLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  const std::string text(200, 'x');
  std::ofstream(path) << text;
  for (bool read_only : {false, true}) {
    auto db = Database::open(path, {.read_only = read_only});
    ASSERT_FALSE(db.ok());
    const std::string said = db.error().describe();
    EXPECT_NE(said.find("not an SQLite database"), std::string::npos) << said;
    EXPECT_NE(said.find("`database:`"), std::string::npos) << said;
    EXPECT_EQ(count(said, path), 1u) << said;
  }
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), text);
}

TEST(NotADatabaseTest, ADirectoryIsNamedWithTheFix) {
  TempDir dir;
  const std::string path = dir.file("db");
  fs::create_directory(path);
  for (bool read_only : {false, true}) {
    auto db = Database::open(path, {.read_only = read_only});
    ASSERT_FALSE(db.ok());
    const std::string said = db.error().describe();
    EXPECT_NE(said.find("is a directory, not a database file"), std::string::npos) << said;
    EXPECT_NE(said.find(path + "/cache.db"), std::string::npos) << said;
    EXPECT_EQ(said.find("disk I/O error"), std::string::npos) << said;
  }
}

// A failed commit is explained where it fails and again by its caller (the
// migration): the second pass must leave the message as it is.
TEST(DiskFullMessageTest, ExplainingTwiceSaysItOnce) {
  TempDir dir;
  Error e = make_error(ErrorKind::kDatabase, "database or disk is full", "COMMIT");
  e.sqlite_code = SQLITE_FULL;
  const Error once = detail::explain_disk_error(e, dir.file("cache.db"));
  const Error twice = detail::explain_disk_error(once, dir.file("cache.db"));
  EXPECT_EQ(twice.message, once.message);
  EXPECT_EQ(count(twice.message, "disk full"), 1u) << twice.message;
  EXPECT_EQ(count(twice.message, "SQLite said"), 1u) << twice.message;
}

}  // namespace
}  // namespace cwsync::storage
