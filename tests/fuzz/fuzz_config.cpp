// libFuzzer: load_config over arbitrary YAML text.
// The input is written to a private temporary directory (no .env beside it,
// an empty environment), then loaded. Invariants: never throws or crashes; a
// failure lists at least one problem; every problem has a message and names
// a key or a line (only the empty file is a whole-file problem); lines point
// into the file.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>

#include <unistd.h>
#include <sys/stat.h>

#include "config/config.h"

namespace {

namespace fs = std::filesystem;

const std::string& config_path() {
  static const std::string path = [] {
    std::string dir = (fs::temp_directory_path() / "cwsync-fuzz-config-XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) std::abort();
    static const std::string keep = dir;
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(keep, ec);
    });
    return dir + "/cwsync.yaml";
  }();
  return path;
}

// Lines a YAML reader may count: \n, lone \r, and the Unicode breaks.
int max_line(const std::string& text) {
  int lines = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == 0x85 ||
        (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) ||
        (c == 0xE2 && i + 2 < text.size() && text[i + 1] == '\x80' &&
         (text[i + 2] == '\xA8' || text[i + 2] == '\xA9'))) {
      ++lines;
    }
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = config_path();
  const std::string text(reinterpret_cast<const char*>(data), size);
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) std::abort();
    if (size > 0 && std::fwrite(text.data(), 1, size, f) != size) std::abort();
    std::fclose(f);
    ::chmod(path.c_str(), 0600);
  }
  cwsync::ConfigEnvironment env;
  env.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };

  auto result = cwsync::load_config(path, env);
  if (auto* config = std::get_if<cwsync::Config>(&result)) {
    // Without tenants_dir a success has a tenant; with it, tenants may all
    // be in (or missing from) the directory.
    if (config->tenants.empty() && !config->tenants_dir) std::abort();
    (void)cwsync::describe_config(*config);
    return 0;
  }
  const auto& error = std::get<cwsync::ConfigError>(result);
  if (error.problems.empty()) std::abort();
  const int lines = max_line(text);
  for (const cwsync::ConfigProblem& p : error.problems) {
    if (p.message.empty()) std::abort();
    const bool empty_file = p.message.starts_with("the file is empty");
    if (p.line <= 0 && p.key.empty() && !empty_file) {
      std::fprintf(stderr, "problem without key or line: %s\n", p.to_string().c_str());
      std::abort();
    }
    if (p.file == path && p.line > lines) {
      std::fprintf(stderr, "line %d beyond the file's %d lines: %s\n", p.line, lines,
                   p.to_string().c_str());
      std::abort();
    }
  }
  (void)error.to_string();
  return 0;
}
