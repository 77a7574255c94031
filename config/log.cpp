#include "base/log.h"

#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"

namespace cwsync::log {
namespace {

struct State {
  std::mutex mu;
  std::shared_ptr<spdlog::logger> logger;
  Format format = Format::kJson;
};

State& state() {
  static State s;
  return s;
}

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kCritical: return spdlog::level::critical;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kCritical: return "critical";
    case Level::kOff: return "off";
  }
  return "info";
}

std::shared_ptr<spdlog::logger> logger() {
  auto& s = state();
  std::lock_guard lock(s.mu);
  if (!s.logger) {
    s.logger = std::make_shared<spdlog::logger>(
        "cwsync", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    s.logger->set_pattern("%v");
    s.logger->set_level(spdlog::level::info);
    s.logger->flush_on(spdlog::level::trace);
  }
  return s.logger;
}

// Text form: "2026-11-23T10:15:00.123Z info  sync_page tenant=acme ... | msg".
std::string render_text(const nlohmann::json& j) {
  std::string out = j.value("ts", "") + " " + j.value("level", "");
  out.resize(std::max<size_t>(out.size(), 30), ' ');
  out += j.value("event", "");
  for (const auto& [k, v] : j.items()) {
    if (k == "ts" || k == "level" || k == "event" || k == "msg") continue;
    out += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  if (j.contains("msg")) out += " | " + j["msg"].get<std::string>();
  return out;
}

}  // namespace

std::optional<Level> parse_level(std::string_view t) {
  if (t == "trace") return Level::kTrace;
  if (t == "debug") return Level::kDebug;
  if (t == "info") return Level::kInfo;
  if (t == "warn" || t == "warning") return Level::kWarn;
  if (t == "error") return Level::kError;
  if (t == "critical") return Level::kCritical;
  if (t == "off") return Level::kOff;
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view t) {
  if (t == "json") return Format::kJson;
  if (t == "text") return Format::kText;
  return std::nullopt;
}

void init(Format format, Level level, std::shared_ptr<spdlog::sinks::sink> sink) {
  if (!sink) sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto l = std::make_shared<spdlog::logger>("cwsync", std::move(sink));
  l->set_pattern("%v");
  l->set_level(to_spd(level));
  l->flush_on(spdlog::level::trace);  // people tail the journal; never buffer
  auto& s = state();
  std::lock_guard lock(s.mu);
  s.logger = std::move(l);
  s.format = format;
}

void set_level(Level level) { logger()->set_level(to_spd(level)); }
bool enabled(Level level) { return logger()->should_log(to_spd(level)); }
void flush() { logger()->flush(); }

Record::Record(Level level, std::string_view event)
    : enabled_(enabled(level)), level_(level) {
  if (!enabled_) return;
  fields_ = nlohmann::json::object();
  fields_["ts"] = format_iso8601_ms(SysClock::now());
  fields_["level"] = level_name(level);
  fields_["event"] = std::string(event);
}

Record::~Record() {
  if (!enabled_) return;
  Format format;
  {
    auto& s = state();
    std::lock_guard lock(s.mu);
    format = s.format;
  }
  // error_handler::replace keeps invalid UTF-8 from upstream text from
  // throwing out of a destructor.
  std::string line = format == Format::kJson
                         ? fields_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                         : render_text(fields_);
  logger()->log(to_spd(level_), line);
}

Record& Record::tenant(std::string_view v) { return field("tenant", std::string(v)); }
Record& Record::entity(std::string_view v) { return field("entity", std::string(v)); }
Record& Record::post_id(std::int64_t v) { return field("post_id", v); }
Record& Record::http_status(int v) { return field("http_status", v); }
Record& Record::attempt(int v) { return field("attempt", v); }
Record& Record::duration(std::chrono::milliseconds v) {
  return field("duration_ms", static_cast<std::int64_t>(v.count()));
}
Record& Record::msg(std::string_view v) { return field("msg", std::string(v)); }

Record& Record::field(std::string_view key, nlohmann::json value) {
  if (enabled_) fields_[std::string(key)] = std::move(value);
  return *this;
}

}  // namespace cwsync::log
