// Captures the JSON log lines emitted while it lives (then logs go to
// stdout again). Header-only: the test binary links cwsync_base and spdlog.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include "base/log.h"

namespace cwsync::test {

class LogCapture {
 public:
  LogCapture() {
    log::init(log::Format::kJson, log::Level::kDebug,
              std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  }
  ~LogCapture() { log::init(log::Format::kJson, log::Level::kInfo); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Every captured line whose "event" is `name`, parsed.
  std::vector<nlohmann::json> events(std::string_view name) {
    log::flush();
    std::vector<nlohmann::json> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("event", "") == name) out.push_back(std::move(j));
    }
    return out;
  }

 private:
  std::ostringstream out_;
};

}  // namespace cwsync::test
