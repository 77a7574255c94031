// Scripted faults and the built-in rate limit.
//
// A fault rule matches requests by API, method and path pattern (a glob, or a
// regex with "regex": true), skips the first `after` matches, then fires on
// `count` matches (-1: every one) with `probability`. Rules are checked in the
// order they were added; the first non-mutate rule that fires wins. "mutate"
// rules are side effects (a data change before the request is served) and do
// not stop other rules.
#pragma once

#include "store.h"

#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace cwsim {

enum class FaultKind {
  kStatus,           // an error status (429/500/502/503/504/...) with optional Retry-After
  kDelay,            // serve normally after delay_ms
  kReset,            // drop the connection before doing anything
  kTruncate,         // serve the first half of the body
  kWrongType,        // valid JSON of the wrong shape (object for array, array for object)
  kHtml,             // an HTML error page (status defaults to 200, as a misbehaving proxy sends)
  kAppliedThenLost,  // apply the request, then drop the connection with no response
  kMutate,           // apply `mutation`, then serve normally
};

const char* to_string(FaultKind k);

struct FaultRule {
  int id = 0;
  FaultKind kind = FaultKind::kStatus;
  std::string api = "*";      // "cpq", "psa", "autotask" or "*"
  std::string method = "*";
  std::string path = "*";     // glob on the path, or a regex when use_regex
  bool use_regex = false;
  int status = 503;
  std::optional<int> retry_after_s;  // Retry-After seconds
  bool retry_after_http_date = false; // send Retry-After as an HTTP-date instead
  int delay_ms = 0;           // applies before any kind's action
  int after = 0;
  int count = 1;              // -1 = unlimited
  double probability = 1.0;
  Json mutation;              // kMutate only
  // > 0: the rule is live only this long after it was added ("an outage of
  // 40 s"); afterwards it neither counts nor fires.
  int duration_ms = 0;
  TimeMs added_ms = 0;
  // kAppliedThenLost: after applying, this many notes from another writer
  // land on the same ticket (a busy ticket before the client's retry).
  int other_writers = 0;
  int matched = 0;
  int fired = 0;

  Json to_json() const;
};

class FaultEngine {
 public:
  explicit FaultEngine(uint64_t seed) : rng_state_(seed) {}
  // Adds a rule from its JSON spec; returns its id. Throws std::invalid_argument
  // with a message for the 400 body when the spec is wrong.
  int add(const Json& spec);
  bool remove(int id);
  void clear();
  Json list() const;
  // Counts this request against every matching rule. Returns the mutate rules
  // that fire, then at most one other rule (last element) that fires.
  std::vector<FaultRule> pick(const std::string& api, const std::string& method, const std::string& path);

 private:
  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;
  std::vector<std::regex> regexes_;  // parallel to rules_
  int next_id_ = 1;
  uint64_t rng_state_;
};

// Token bucket per API: `requests` tokens, refilled continuously over
// `window_ms`. Thread-safe.
class RateLimiter {
 public:
  void configure(const std::string& api, int requests, int window_ms);
  void disable(const std::string& api);
  // True when the request may proceed; otherwise sets retry_after_ms to the
  // time until one token is available.
  bool allow(const std::string& api, TimeMs now, TimeMs& retry_after_ms);
  // The same with one bucket per (api, tenant), each configured like `api`'s
  // (--rate-limit-per-tenant). An empty tenant uses the api's own bucket.
  bool allow(const std::string& api, const std::string& tenant, TimeMs now,
             TimeMs& retry_after_ms);
  Json to_json() const;

 private:
  struct Bucket {
    int requests = 0;
    int window_ms = 0;
    double tokens = 0;
    TimeMs last = 0;
    int rejected = 0;
  };
  static bool take(Bucket& b, TimeMs now, TimeMs& retry_after_ms);

  mutable std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
  std::map<std::pair<std::string, std::string>, Bucket> tenant_buckets_;  // (api, tenant)
};

// Parses "25/5s", "60/60000ms", "100/1m" into (requests, window_ms).
std::optional<std::pair<int, int>> parse_rate(const std::string& text);

}  // namespace cwsim
