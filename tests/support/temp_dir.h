// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction. For tests that need real files (SQLite databases, configs).
#pragma once

#include <filesystem>
#include <string>

namespace cwsync::test {

class TempDir {
 public:
  // Creates "<tmp>/<prefix>XXXXXX". Throws std::runtime_error on failure.
  explicit TempDir(const std::string& prefix = "cwsync-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name.
  std::filesystem::path file(const std::string& name) const { return path_ / name; }
  // Keeps the directory after destruction, for a post-mortem of a failure.
  void release() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace cwsync::test
