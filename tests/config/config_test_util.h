// Shared setup for the config loader tests: a temporary directory holding
// real files, and an injected environment.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"

namespace cwsync::testing_util {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cwsync-config-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Writes `text` to dir/name with `mode`. A leading newline is dropped so
  // that raw strings can start on their own line: line 1 is the first line
  // after R"(.
  std::string write(const std::string& name, std::string text, mode_t mode = 0600) {
    if (!text.empty() && text[0] == '\n') text.erase(0, 1);
    const auto path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
    return path.string();
  }

  ConfigEnvironment env() const {
    return ConfigEnvironment{[vars = vars_](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    }};
  }

  std::variant<Config, ConfigError> load(const std::string& path) {
    return load_config(path, env());
  }

  // Makes a FIFO dir/name and returns its path.
  std::string fifo(const std::string& name) {
    const auto path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
    return path.string();
  }

  // load() for a config that names FIFOs, bounded in time: a loader that
  // opens a FIFO with a plain open() blocks until a writer comes. After
  // `limit` the test fails, and each FIFO in `fifos` is given a writer that
  // closes at once (EOF), until the load returns.
  std::variant<Config, ConfigError> load_bounded(const std::string& path,
                                                 const std::vector<std::string>& fifos,
                                                 std::chrono::seconds limit = std::chrono::seconds(10)) {
    auto done = std::async(std::launch::async, [this, path] { return load(path); });
    if (done.wait_for(limit) == std::future_status::timeout) {
      ADD_FAILURE() << "loading " << path << " blocked for " << limit.count() << " s";
      while (done.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout) {
        for (const auto& f : fifos) {
          const int fd = ::open(f.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
          if (fd >= 0) ::close(fd);
        }
      }
    }
    return done.get();
  }

  // Loads and expects success; fails the test with every problem otherwise.
  Config load_ok(const std::string& path) {
    auto result = load(path);
    if (auto* error = std::get_if<ConfigError>(&result)) {
      ADD_FAILURE() << "unexpected problems:\n" << error->to_string();
      return Config{};
    }
    return std::get<Config>(std::move(result));
  }

  // Loads and expects failure; returns the problems (empty on success).
  ConfigError load_error(const std::string& path) {
    auto result = load(path);
    if (std::holds_alternative<Config>(result)) {
      ADD_FAILURE() << "expected problems, but " << path << " loaded";
      return ConfigError{};
    }
    return std::get<ConfigError>(std::move(result));
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> vars_;
};

// A minimal valid tenant section, for tests that vary the rest. Lines 1-6.
inline constexpr const char* kMinimalTenant = R"(tenants:
  - name: acme
    cpq:
      access_key: acme
      public_key: pub-cpq
      private_key_env: ACME_CPQ_KEY
)";

}  // namespace cwsync::testing_util
