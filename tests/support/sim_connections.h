// Connections that authenticate against an in-process cwsim with the keys it
// was started with, for tests that drive cwsync's sync/ layer directly.
#pragma once

#include <chrono>

#include "config/config.h"
#include "simulator.h"

namespace cwsync::test {

// Far above anything a test reaches, so our limiter never paces a test.
inline const RateLimit kTestRateLimit{1000, std::chrono::seconds(1)};

inline CpqConnection sim_cpq(const cwsim::Simulator& sim, const cwsim::Options& o,
                             RateLimit limit = kTestRateLimit) {
  CpqConnection c;
  c.base_url = sim.base_url();
  c.access_key = o.access_key;
  c.public_key = o.public_key;
  c.private_key = Secret(o.private_key);
  c.rate_limit = limit;
  return c;
}

inline PsaConnection sim_psa(const cwsim::Simulator& sim, const cwsim::Options& o,
                             RateLimit limit = kTestRateLimit) {
  PsaConnection c;
  c.site = sim.base_url();
  c.company_id = o.company;
  c.public_key = o.public_key;
  c.private_key = Secret(o.private_key);
  c.client_id = o.client_id;
  c.rate_limit = limit;
  return c;
}

}  // namespace cwsync::test
