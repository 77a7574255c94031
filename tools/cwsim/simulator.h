// cwsim: an in-process ConnectWise CPQ (Sell) + PSA (Manage) simulator.
//
//   cwsim::Options o;            // same fields as the CLI flags (docs/simulator.md)
//   o.quotes = 500;
//   cwsim::Simulator sim(o);
//   int port = sim.start();      // binds 127.0.0.1; port 0 picks a free one
//   ... talk HTTP to http://127.0.0.1:<port> ...
//   Json log = sim.control("GET", "/_sim/requests").body;
//   sim.stop();                  // also done by the destructor
//
// All member functions are thread-safe.
#pragma once

#include "store.h"

#include <cstdint>
#include <memory>
#include <string>

namespace cwsim {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;                       // 0 = ephemeral
  uint64_t seed = 1;
  int quotes = 200;                   // rows in the default /api/quotes listing
  int opportunities = 100;
  int tickets = 20;
  int items_per_quote = 3;            // average line items per quote
  std::string access_key = "cwsim";   // CPQ tenant
  std::string no_license_access_key = "cwsim-nolicense";  // CPQ tenant without API licence: 403
  std::string public_key = "cwsim-public";                // both APIs
  std::string private_key = "cwsim-private";              // both APIs
  std::string company = "cwsim";      // PSA company id
  std::string client_id = "00000000-0000-0000-0000-000000000000";  // required PSA clientId
  std::string codebase = "v2025_1/";
  std::string now;                    // reference time (ISO-8601); "" = today 00:00:00Z
  int mutate_every_ms = 0;            // 0 = no scheduled mutations
  std::string cpq_rate_limit;         // "25/5s"; "" = unlimited
  std::string psa_rate_limit;         // "60/60s"; "" = unlimited
  int tenants = 0;                    // more tenants on the same data: access keys and
                                      // companies "<access_key>-1".."<access_key>-N"
  bool rate_limit_per_tenant = false; // one bucket per (API, tenant) instead of per API
  // Autotask PSA personality (paths under /ATServicesRest/).
  std::string at_username = "apiuser@msp.example.com";
  std::string at_secret = "cwsim-secret";
  std::string at_integration_code = "CWSIMINTEGRATIONCODE";
  int at_hourly_limit = 10000;        // requests per rolling hour for the database
  int at_concurrency = 3;             // concurrent requests per endpoint; more get 429
  int at_threshold_delay_ms = 500;    // added from 50% of the hourly limit (doubled from 75%)
  int threads = 16;                   // server worker threads
  int gzip_level = 1;                 // zlib level for Accept-Encoding: gzip
};

struct ControlResult {
  int status = 0;
  Json body;
};

class Simulator {
 public:
  // Generates the data set. Throws std::invalid_argument on bad options.
  explicit Simulator(Options options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds and starts serving; returns the bound port. Throws on bind failure.
  int start();
  // Stops serving, aborting open connections and pending delays. Idempotent.
  void stop();
  int port() const;
  // "http://127.0.0.1:<port>".
  std::string base_url() const;
  const Options& options() const;

  // Calls the control API in-process: same routes and bodies as /_sim/... over
  // HTTP (docs/simulator.md). `target` is a path with optional query.
  ControlResult control(const std::string& method, const std::string& target, const Json& body = Json());

  // Runs `fn(store)` with the store locked. Do not block inside.
  template <typename F>
  auto with_store(F&& fn) {
    std::lock_guard lk(store().mu);
    return fn(store());
  }

  struct State;

 private:
  Store& store();
  std::unique_ptr<State> state_;
};

}  // namespace cwsim
