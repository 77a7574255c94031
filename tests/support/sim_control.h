// Client of cwsim's control API (/_sim/...), for tests that run cwsim as a
// process (CwsimProcess) or in-process (cwsim::Simulator) over HTTP.
// Every call is one HTTP request to 127.0.0.1:port. Failures (transport or
// non-2xx) throw std::runtime_error with the status and body.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace cwsync::test {

class SimControl {
 public:
  explicit SimControl(int port) : port_(port) {}

  struct Reply {
    int status = 0;
    nlohmann::json body;
  };
  // Raw call; never throws for HTTP statuses.
  Reply call(const std::string& method, const std::string& target,
             const nlohmann::json& body = nlohmann::json()) const;

  nlohmann::json get(const std::string& target) const;
  nlohmann::json post(const std::string& target, const nlohmann::json& body) const;
  nlohmann::json del(const std::string& target) const;

  // POST /_sim/faults; returns the rule id.
  int add_fault(const nlohmann::json& rule) const;
  // GET /_sim/faults: rules with their matched/fired counters.
  nlohmann::json faults() const;
  void clear_faults() const;
  // POST /_sim/mutate; returns {"entity","kind","timestamp","affected":[ids]}.
  nlohmann::json mutate(const nlohmann::json& spec) const;
  // GET /_sim/requests?since=N: array of logged API requests.
  nlohmann::json requests(uint64_t since = 0) const;
  void clear_requests() const;
  // POST /_sim/rate-limit for "cpq" or "psa"; DELETE when requests == 0.
  void set_rate_limit(const std::string& api, int requests, int window_ms) const;
  // GET /_sim/store/<view>: quotes, opportunities, notes, time-entries,
  // tickets, members, boards, opportunity-statuses.
  nlohmann::json store(const std::string& view) const;
  // POST /_sim/reset: clears request log, faults and rate limits.
  void reset() const;
  // GET /_sim/config: keys, company, client id, codebase, counts.
  nlohmann::json config() const;

 private:
  int port_;
};

}  // namespace cwsync::test
