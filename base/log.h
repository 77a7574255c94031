// Structured logging: one JSON object per line on stdout (or text for humans).
//
//   log::info("sync_page").tenant("acme").entity("quotes").field("page", 3)
//       .msg("stored 1000 rows");
//
// The record is written when the builder is destroyed, i.e. at the end of the
// statement. Event names are stable strings documented in docs/logging.md.
// Secret has no conversion to a field value, so credentials cannot be logged.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace spdlog::sinks { class sink; }

namespace cwsync::log {

enum class Format { kJson, kText };
enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// Parses "trace|debug|info|warn|error|critical|off"; nullopt otherwise.
std::optional<Level> parse_level(std::string_view text);
std::optional<Format> parse_format(std::string_view text);

// Replaces the process logger. `sink` defaults to stdout; tests pass an
// ostream sink to capture lines.
void init(Format format, Level level,
          std::shared_ptr<spdlog::sinks::sink> sink = nullptr);
void set_level(Level level);
bool enabled(Level level);
void flush();

class Record {
 public:
  Record(Level level, std::string_view event);
  ~Record();
  Record(const Record&) = delete;
  Record& operator=(const Record&) = delete;

  Record& tenant(std::string_view v);
  Record& entity(std::string_view v);
  Record& post_id(std::int64_t v);
  Record& http_status(int v);
  Record& attempt(int v);
  Record& duration(std::chrono::milliseconds v);
  Record& msg(std::string_view v);
  // Any other context field. Values are JSON scalars (string, number, bool).
  Record& field(std::string_view key, nlohmann::json value);

 private:
  bool enabled_;
  Level level_;
  nlohmann::json fields_;
};

inline Record trace(std::string_view event) { return Record(Level::kTrace, event); }
inline Record debug(std::string_view event) { return Record(Level::kDebug, event); }
inline Record info(std::string_view event) { return Record(Level::kInfo, event); }
inline Record warn(std::string_view event) { return Record(Level::kWarn, event); }
inline Record error(std::string_view event) { return Record(Level::kError, event); }
// An event whose level is decided at run time (e.g. log.runs: changes).
inline Record at(Level level, std::string_view event) { return Record(level, event); }

}  // namespace cwsync::log
