// Shared setup for the config loader tests: a temporary directory holding
// real files, and an injected environment.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <variant>

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
