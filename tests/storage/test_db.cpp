#include "test_db.h"

#include <SQLiteCpp/Database.h>

namespace cwsync::storage::testing {

std::int64_t DbTest::scalar(const std::string& sql) {
  return db_->handle().execAndGet(sql).getInt64();
}

std::string DbTest::text(const std::string& sql) {
  auto col = db_->handle().execAndGet(sql);
  return col.isNull() ? std::string("<null>") : col.getString();
}

}  // namespace cwsync::storage::testing
