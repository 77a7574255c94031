#include "request_log.h"

namespace cwsim {

namespace {
// The benchmark makes ~10^3 requests; a runaway client in a soak test must not
// eat memory, so the log keeps the newest entries only.
constexpr size_t kMaxEntries = 500'000;
}  // namespace

uint64_t RequestLog::begin(LogEntry e) {
  std::lock_guard lk(mu_);
  e.seq = next_seq_++;
  if (e.body.size() > 4096) e.body.resize(4096);
  if (entries_.size() >= kMaxEntries) {
    size_t drop = kMaxEntries / 10;
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
    first_seq_ += drop;
  }
  entries_.push_back(std::move(e));
  return entries_.back().seq;
}

void RequestLog::finish(uint64_t seq, int status, bool responded, const std::string& fault, int64_t duration_us,
                        int handled) {
  std::lock_guard lk(mu_);
  if (seq < first_seq_ || seq - first_seq_ >= entries_.size()) return;
  LogEntry& e = entries_[seq - first_seq_];
  e.status = status;
  e.responded = responded;
  e.fault = fault;
  e.duration_us = duration_us;
  e.handled = handled;
}

Json RequestLog::to_json(uint64_t since, const std::string& method) const {
  std::lock_guard lk(mu_);
  Json out = Json::array();
  for (const LogEntry& e : entries_) {
    if (e.seq < since || (!method.empty() && e.method != method)) continue;
    out.push_back({{"seq", e.seq},
                   {"api", e.api},
                   {"method", e.method},
                   {"path", e.path},
                   {"query", e.query},
                   {"body", e.body},
                   {"status", e.status},
                   {"handled", e.handled},
                   {"responded", e.responded},
                   {"arrived_ms", e.arrived_ms},
                   {"duration_ms", e.duration_us / 1000},
                   {"duration_us", e.duration_us},
                   {"fault", e.fault.empty() ? Json(nullptr) : Json(e.fault)}});
  }
  return out;
}

void RequestLog::clear() {
  std::lock_guard lk(mu_);
  first_seq_ = next_seq_;
  entries_.clear();
}

size_t RequestLog::size() const {
  std::lock_guard lk(mu_);
  return entries_.size();
}

}  // namespace cwsim
