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

// An Autotask connection to cwsim's Autotask personality: the zone is looked
// up at cwsim (zone_lookup_url), or pinned there with `pin_zone`.
inline PsaConnection sim_autotask(const cwsim::Simulator& sim, const cwsim::Options& o,
                                  RateLimit limit = kTestRateLimit, bool pin_zone = false) {
  PsaConnection c;
  c.provider = PsaProviderKind::kAutotask;
  AutotaskSettings a;
  a.username = o.at_username;
  a.integration_code = o.at_integration_code;
  a.zone_lookup_url = sim.base_url() + "/ATServicesRest/";
  if (pin_zone) a.zone_url = a.zone_lookup_url;
  c.site = a.zone_url.value_or(a.zone_lookup_url);
  c.private_key = Secret(o.at_secret);
  c.rate_limit = limit;
  c.autotask = std::move(a);
  return c;
}

}  // namespace cwsync::test
