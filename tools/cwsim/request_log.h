// Every API request the simulator saw, in arrival order, so tests can assert
// "nothing lost, nothing duplicated, limit never exceeded". Thread-safe.
#pragma once

#include "store.h"

#include <mutex>
#include <string>
#include <vector>

namespace cwsim {

struct LogEntry {
  uint64_t seq = 0;
  std::string api;      // "cpq", "psa" or "autotask"
  std::string method;
  std::string path;
  std::string query;
  std::string body;     // request body of POST/PATCH (truncated to 4 KiB)
  int status = 0;       // 0 while in flight, or when no response was sent
  // The status the API handler answered, also when that answer never went
  // out (applied-then-lost, client gone): a 2xx here means the request was
  // applied. 0 while in flight, or when no handler ran (rate limit, injected
  // status, reset).
  int handled = 0;
  TimeMs arrived_ms = 0;
  int64_t duration_us = 0;  // arrival to response written (or dropped)
  std::string fault;    // fault kind applied, "rate_limit", or ""
  bool responded = false;
};

class RequestLog {
 public:
  // Records an arrival; returns its sequence number.
  uint64_t begin(LogEntry e);
  // Completes an entry (status 0 and responded=false for dropped connections;
  // `handled`: see LogEntry::handled).
  void finish(uint64_t seq, int status, bool responded, const std::string& fault, int64_t duration_us,
              int handled = 0);
  // Entries with seq >= since (and, when `method` is not empty, that method),
  // as JSON objects.
  Json to_json(uint64_t since, const std::string& method = "") const;
  void clear();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<LogEntry> entries_;
  uint64_t first_seq_ = 1;  // seq of entries_[0]
  uint64_t next_seq_ = 1;
};

}  // namespace cwsim
