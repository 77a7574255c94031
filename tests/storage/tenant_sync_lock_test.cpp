// TenantSyncLock: a tenant's reconcile excludes its pulls across threads of
// one process (each holder has its own file description) and across
// processes (a forked child holds the lock while the parent asks).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "storage/db_lock.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

using Role = TenantSyncRole;
using testing::TempDir;

std::optional<TenantSyncLock> take(const std::string& db, const char* tenant, Role role) {
  auto lock = TenantSyncLock::try_acquire(db, tenant, role);
  EXPECT_TRUE(lock.ok()) << lock.error().describe();
  return lock.ok() ? std::move(*lock) : std::nullopt;
}

TEST(TenantSyncLockTest, PullsShareAndAReconcileExcludesThemInOneProcess) {
  TempDir dir;
  const std::string db = dir.file("cache.db");
  auto quotes = take(db, "acme", Role::kPull);
  auto opportunities = take(db, "acme", Role::kPull);
  ASSERT_TRUE(quotes && opportunities);                       // pulls overlap
  EXPECT_FALSE(take(db, "acme", Role::kReconcile));           // not while they run
  EXPECT_TRUE(take(db, "contoso", Role::kReconcile));         // another tenant: free
  quotes.reset();
  EXPECT_FALSE(take(db, "acme", Role::kReconcile));           // one pull still runs
  opportunities.reset();
  auto reconcile = take(db, "acme", Role::kReconcile);
  ASSERT_TRUE(reconcile);
  EXPECT_FALSE(take(db, "acme", Role::kPull));
  EXPECT_FALSE(take(db, "acme", Role::kReconcile));
  reconcile.reset();
  EXPECT_TRUE(take(db, "acme", Role::kPull));
}

// `cwsync sync --once --entity reconcile` next to a running daemon: the lock
// is seen by the other process, and dropped by the kernel when it exits.
TEST(TenantSyncLockTest, HoldsAcrossProcessesAndDiesWithTheHolder) {
  TempDir dir;
  const std::string db = dir.file("cache.db");
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = TenantSyncLock::try_acquire(db, "acme", Role::kReconcile);
    const char ok = lock.ok() && lock->has_value() ? '1' : '0';
    (void)!::write(ready[1], &ok, 1);
    char c;
    (void)!::read(release[0], &c, 1);
    ::_exit(0);  // no destructor: the kernel must drop the lock
  }
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, '1');
  EXPECT_FALSE(take(db, "acme", Role::kPull));
  EXPECT_TRUE(take(db, "contoso", Role::kPull));
  (void)!::write(release[1], "x", 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(take(db, "acme", Role::kPull));
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
}

TEST(TenantSyncLockTest, AnUnwritableFolderIsAnIoErrorNamingTheLockFile) {
  auto lock = TenantSyncLock::try_acquire("/nonexistent-dir/cache.db", "acme", Role::kPull);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().kind, ErrorKind::kIo);
  EXPECT_NE(lock.error().describe().find("/nonexistent-dir/cache.db.lock"), std::string::npos);
}

}  // namespace
}  // namespace cwsync::storage
