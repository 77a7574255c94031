// cwsim executable: prints the bound port as the first stdout line, then
// serves until SIGTERM or SIGINT. Flags: docs/simulator.md.
#include "simulator.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  cwsim::Options o;
  CLI::App app{"cwsim: ConnectWise CPQ (Sell) + PSA (Manage) and Autotask PSA API simulator"};
  app.add_option("--port", o.port, "TCP port on 127.0.0.1 (0 = ephemeral)")->capture_default_str();
  app.add_option("--host", o.host, "Address to bind")->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of the generated data")->capture_default_str();
  app.add_option("--quotes", o.quotes, "Quotes in the default /api/quotes listing")->capture_default_str();
  app.add_option("--opportunities", o.opportunities, "PSA opportunities")->capture_default_str();
  app.add_option("--tickets", o.tickets, "PSA service tickets (ids from 1001)")->capture_default_str();
  app.add_option("--items-per-quote", o.items_per_quote, "Average line items per quote")->capture_default_str();
  app.add_option("--access-key", o.access_key, "CPQ access key (tenant)")->capture_default_str();
  app.add_option("--no-license-access-key", o.no_license_access_key,
                 "CPQ access key of a tenant without API licence (403)")->capture_default_str();
  app.add_option("--public-key", o.public_key, "Public key (both APIs)")->capture_default_str();
  app.add_option("--private-key", o.private_key, "Private key (both APIs)")->capture_default_str();
  app.add_option("--company", o.company, "PSA company id")->capture_default_str();
  app.add_option("--client-id", o.client_id, "Required PSA clientId header value")->capture_default_str();
  app.add_option("--codebase", o.codebase, "PSA codebase returned by /login/companyinfo")->capture_default_str();
  app.add_option("--now", o.now, "Reference time of the generated data (ISO-8601; default: today 00:00Z)");
  app.add_option("--mutate-every", o.mutate_every_ms, "Random mutation every N ms (0 = off)")->capture_default_str();
  app.add_option("--cpq-rate-limit", o.cpq_rate_limit, "Token bucket for CPQ, e.g. 25/5s (default: off)");
  app.add_option("--psa-rate-limit", o.psa_rate_limit, "Token bucket for PSA, e.g. 60/60s (default: off)");
  app.add_option("--tenants", o.tenants,
                 "Also serve tenants <access-key>-1..N (CPQ) and <company>-1..N (PSA), same data")
      ->capture_default_str();
  app.add_flag("--rate-limit-per-tenant", o.rate_limit_per_tenant,
               "Apply --cpq/psa-rate-limit per tenant (access key / company), not per API");
  app.add_option("--at-username", o.at_username, "Autotask API user (UserName header, zone lookup ?user=)")
      ->capture_default_str();
  app.add_option("--at-secret", o.at_secret, "Autotask Secret header value")->capture_default_str();
  app.add_option("--at-integration-code", o.at_integration_code, "Autotask ApiIntegrationCode header value")
      ->capture_default_str();
  app.add_option("--at-hourly-limit,--autotask-hourly-limit", o.at_hourly_limit,
                 "Autotask requests per rolling hour for the database; more get 429")->capture_default_str();
  app.add_option("--at-concurrency", o.at_concurrency, "Autotask concurrent requests per endpoint; more get 429")
      ->capture_default_str();
  app.add_option("--at-threshold-delay-ms", o.at_threshold_delay_ms,
                 "Autotask latency added from 50% of the hourly limit (doubled from 75%)")->capture_default_str();
  app.add_option("--threads", o.threads, "Server worker threads")->capture_default_str();
  app.add_option("--gzip-level", o.gzip_level, "zlib level for gzip responses (1-9)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before any thread starts, then wait for them here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    cwsim::Simulator sim(o);
    int port = sim.start();
    std::printf("%d\n", port);
    std::fflush(stdout);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    sim.stop();
  } catch (const std::exception& e) {
    std::cerr << "cwsim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
