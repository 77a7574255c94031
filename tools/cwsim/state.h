// Internal: the state every handler shares, and the handler entry points.
#pragma once

#include "autotask_limits.h"
#include "faults.h"
#include "http_util.h"
#include "request_log.h"
#include "simulator.h"
#include "store.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace cwsim {

struct Runtime;  // Poco server and threads; defined in server.cpp

struct Simulator::State {
  Options opts;
  Store store;
  FaultEngine faults;
  RateLimiter limiter;
  AutotaskLimits at_limits;
  RequestLog log;
  std::string codebase;  // guarded by store.mu; the control API can change it

  std::mutex wait_mu;
  std::condition_variable wait_cv;
  std::atomic<bool> stopping{false};

  std::mutex runtime_mu;
  std::unique_ptr<Runtime> runtime;  // set while started

  explicit State(Options o);
  ~State();

  // Sleeps up to ms; returns early (false) when the simulator stops.
  bool sleep_for(int64_t ms);
};

using State = Simulator::State;

// Whether `name` is `base` or one of the --tenants aliases "<base>-1".."<base>-N"
// (case-insensitive when `nocase`).
bool is_tenant(const State& st, const std::string& base, const std::string& name, bool nocase);

// Thrown by handlers for a ready-made error response; caught in dispatch.
struct HttpError {
  Response response;
};

Response handle_cpq(State& st, const Request& req);
Response handle_psa(State& st, const Request& req);
Response handle_control(State& st, const Request& req);

// Applies a mutation spec (docs/simulator.md "Mutations") and returns a report
// {"kind","entity","affected":[ids]}. Caller must NOT hold store.mu.
// Throws std::invalid_argument for a bad spec.
Json apply_mutation(State& st, const Json& spec);
// One random mutation, for --mutate-every.
Json random_mutation(State& st);

}  // namespace cwsim
