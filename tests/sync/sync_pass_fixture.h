// Shared setup for the pull tests: an in-process cwsim on 127.0.0.1, a fresh
// SQLite cache in a temp dir, and the production HTTP client and sync core.
#pragma once

#include <functional>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>
#include <memory>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>

#include "base/clock.h"
#include "config/config.h"
#include "base/log.h"
#include "log_capture.h"
#include "sim_connections.h"
#include "simulator.h"
#include "storage/cache_store.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "temp_dir.h"
#include "sync/http/backoff.h"
#include "sync/http/http_poco.h"
#include "sync/sync_pass.h"
#include "sync/tenant_clients.h"
#include "sync/http/upstream.h"
#include "sync/http/waiter.h"

namespace cwsync::test {

inline cwsim::Options pull_sim_options(int quotes = 120, int opportunities = 60) {
  cwsim::Options o;
  o.seed = 7;
  o.quotes = quotes;
  o.opportunities = opportunities;
  o.tickets = 2;
  o.now = "2026-11-01T00:00:00Z";
  o.threads = 4;
  return o;
}

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override { start(pull_sim_options()); }

  // (Re)starts the simulator and rebuilds everything on top of it.
  void start(const cwsim::Options& o, OpportunitySource source = OpportunitySource::kPsa) {
    clients_.reset();
    sim_ = std::make_unique<cwsim::Simulator>(o);
    sim_->start();
    defaults_ = Defaults{};
    defaults_.page_size = 50;  // several pages even with small data sets
    defaults_.backoff.base = std::chrono::milliseconds(5);
    defaults_.backoff.cap = std::chrono::milliseconds(50);
    defaults_.backoff.max_attempts = 6;
    defaults_.retry_after_cap = std::chrono::seconds(3);
    defaults_.http.connect = std::chrono::seconds(2);
    defaults_.http.read = std::chrono::seconds(2);
    tenant_ = Tenant{};
    tenant_.name = "acme";
    tenant_.opportunities = source;
    tenant_.cpq = sim_cpq(*sim_, o);
    tenant_.psa = sim_psa(*sim_, o);
    if (!db_) {
      auto db = storage::Database::open(dir_.file("cache.db").string());
      ASSERT_TRUE(db.ok()) << db.error().describe();
      db_ = std::make_unique<storage::Database>(std::move(*db));
      ASSERT_TRUE(storage::migrate(*db_).ok());
    }
    rebuild_clients();
  }

  // New clients (and host state) for the current tenant_ / defaults_.
  void rebuild_clients() {
    clients_.reset();
    hosts_ = std::make_unique<UpstreamRegistry>();
    env_ = std::make_unique<SyncEnvironment>(
        SyncEnvironment{*http_, *hosts_, waiter_, *clock_, seeded_random(3)});
    clients_ = std::make_unique<TenantClients>(defaults_, tenant_, *env_);
  }
  // New clients over the same host state, as each pull job of the daemon
  // builds them.
  void new_job_clients() {
    clients_.reset();
    clients_ = std::make_unique<TenantClients>(defaults_, tenant_, *env_);
  }

  PassResult pass(PassEntity e, bool full = false) {
    PassOptions o;
    o.full = full;
    return run_pass(e, {defaults_, tenant_, *clients_, *db_, *clock_}, o);
  }

  storage::CacheStore cache() { return storage::CacheStore(*db_); }
  nlohmann::json requests() { return sim_->control("GET", "/_sim/requests").body["requests"]; }
  void clear_requests() { sim_->control("DELETE", "/_sim/requests"); }
  nlohmann::json mutate(const nlohmann::json& spec) {
    auto r = sim_->control("POST", "/_sim/mutate", spec);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    // A single mutation reports {"affected":[...]}; make a typo'd lookup fail loudly.
    if (spec.is_object()) {
      EXPECT_TRUE(r.body["affected"].is_array()) << r.body.dump();
      EXPECT_FALSE(r.body["affected"].empty()) << r.body.dump();
    }
    return r.body;
  }
  int add_fault(const nlohmann::json& rule) {
    auto r = sim_->control("POST", "/_sim/faults", rule);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body.value("id", 0);
  }

  // The ticket cache (ConnectWise and Autotask tenants alike).
  std::int64_t live_tickets() { return cache().counts("acme")->tickets; }
  std::optional<storage::CachedTicket> cached(std::int64_t id) {
    auto t = cache().get_ticket("acme", std::to_string(id));
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : std::nullopt;
  }
  // The ticket cursor stands at `iso`.
  void expect_ticket_cursor(const char* iso) {
    auto state = cache().cursor("acme", storage::Entity::kTickets);
    ASSERT_TRUE(state.ok() && *state);
    EXPECT_EQ((*state)->modified_at, *parse_iso8601(iso));
  }
  // The logged requests whose path contains `part`.
  std::vector<nlohmann::json> requests_to(const std::string& part) {
    std::vector<nlohmann::json> out;
    for (const nlohmann::json& e : requests()) {
      if (e.value("path", "").find(part) != std::string::npos) out.push_back(e);
    }
    return out;
  }
  // The ticket reconcile every PSA shares, on a cache of 120 pulled tickets:
  // equal counts cost one request (to `count_path`, among the requests to
  // `part`); after `delete_1003_to_1005` (a mutation) the counts differ, an
  // id listing (`is_listing` of a request) runs and the three are tombstoned.
  void expect_count_checked_ticket_reconcile(
      const std::string& part, const std::string& count_path,
      const nlohmann::json& delete_1003_to_1005,
      const std::function<bool(const nlohmann::json&)>& is_listing) {
    LogCapture logs;
    clear_requests();
    auto r = pass(PassEntity::kReconcile);
    ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
    auto reqs = requests_to(part);
    ASSERT_EQ(reqs.size(), 1u) << nlohmann::json(reqs).dump();
    EXPECT_NE(reqs[0]["path"].get<std::string>().find(count_path), std::string::npos);

    mutate(delete_1003_to_1005);
    clear_requests();
    r = pass(PassEntity::kReconcile);
    ASSERT_TRUE(r.status.ok()) << r.status.error().describe();
    EXPECT_EQ(live_tickets(), 117);
    ASSERT_TRUE(cached(1003));
    EXPECT_TRUE(cached(1003)->deleted_at);
    bool listed = false;
    for (const nlohmann::json& e : requests_to(part)) listed = listed || is_listing(e);
    EXPECT_TRUE(listed);
    auto checks = logs.events("ticket_count_checked");
    ASSERT_EQ(checks.size(), 2u);
    EXPECT_EQ(checks[1]["upstream"], 117);
    EXPECT_EQ(checks[1]["cached"], 120);
    EXPECT_EQ(checks[1]["listing"], true);
  }

  // Every visible upstream quote equals its cached row (typed columns and
  // item sets), and the cache holds no other live quote.
  void expect_quotes_match_upstream();
  // Every PSA opportunity equals its cached row; no other live one.
  void expect_opportunities_match_upstream();

  TempDir dir_{"cwsync-pull-"};
  // The clients' and the pass's clock; a test may point it at a ManualClock
  // before SetUp.
  const Clock* clock_ = &SystemClock::instance();
  std::unique_ptr<cwsim::Simulator> sim_;
  std::unique_ptr<HttpClient> http_ = make_poco_http_client();
  std::unique_ptr<UpstreamRegistry> hosts_;
  StopWaiter waiter_;
  std::unique_ptr<SyncEnvironment> env_;
  Defaults defaults_;
  Tenant tenant_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<TenantClients> clients_;
};

inline std::optional<TimePoint> upstream_time(const nlohmann::json& v) {
  if (!v.is_string()) return std::nullopt;
  auto t = parse_iso8601(v.get<std::string>());
  if (!t) return t;
  return std::chrono::floor<std::chrono::seconds>(*t);
}

inline void PullTest::expect_quotes_match_upstream() {
  struct Expected {
    nlohmann::json quote;
    std::vector<std::string> item_ids;
  };
  std::map<std::string, Expected> expected = sim_->with_store([](cwsim::Store& s) {
    std::map<std::string, Expected> out;
    for (const cwsim::Quote& q : s.quotes) {
      if (!s.quote_visible(q, false)) continue;
      Expected e{s.quote_json(q), {}};
      for (const auto& item : s.quote_items(q)) e.item_ids.push_back(item["id"].get<std::string>());
      std::sort(e.item_ids.begin(), e.item_ids.end());
      out.emplace(q.id, std::move(e));
    }
    return out;
  });
  auto c = cache();
  auto counts = c.counts("acme");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->quotes, static_cast<std::int64_t>(expected.size()));
  std::size_t items_total = 0;
  for (const auto& [id, e] : expected) {
    auto row = c.get_quote("acme", id);
    ASSERT_TRUE(row.ok());
    ASSERT_TRUE(row->has_value()) << "quote " << id << " missing from the cache";
    const storage::QuoteRow& q = **row;
    EXPECT_EQ(q.quote_number, e.quote["quoteNumber"].get<std::int64_t>()) << id;
    EXPECT_EQ(q.quote_version, e.quote["quoteVersion"].get<int>()) << id;
    EXPECT_EQ(q.name, e.quote["name"].get<std::string>()) << id;
    EXPECT_EQ(q.is_lost, e.quote["isLost"].get<bool>()) << id;
    EXPECT_EQ(q.is_accepted, e.quote["isAccepted"].get<bool>()) << id;
    ASSERT_TRUE(q.quote_total.has_value()) << id;
    EXPECT_NEAR(*q.quote_total, e.quote["quoteTotal"].get<double>(), 1e-6) << id;
    EXPECT_EQ(q.modify_date, upstream_time(e.quote["modifyDate"])) << id;
    auto raw = nlohmann::json::parse(q.raw_json);
    EXPECT_EQ(raw["id"], e.quote["id"]);
    EXPECT_EQ(raw["quoteTotal"], e.quote["quoteTotal"]);
    auto items = c.quote_items("acme", id);
    ASSERT_TRUE(items.ok());
    std::vector<std::string> got;
    for (const auto& it : *items) got.push_back(it.id);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, e.item_ids) << "items of quote " << id;
    items_total += got.size();
  }
  EXPECT_EQ(counts->quote_items, static_cast<std::int64_t>(items_total));
}

inline void PullTest::expect_opportunities_match_upstream() {
  std::map<std::int64_t, nlohmann::json> expected =
      sim_->with_store([](cwsim::Store& s) { return s.opportunities; });
  auto c = cache();
  auto counts = c.counts("acme");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->opportunities, static_cast<std::int64_t>(expected.size()));
  for (const auto& [id, o] : expected) {
    auto row = c.get_opportunity("acme", std::to_string(id));
    ASSERT_TRUE(row.ok());
    ASSERT_TRUE(row->has_value()) << "opportunity " << id << " missing";
    EXPECT_EQ((*row)->name, o["name"].get<std::string>()) << id;
    EXPECT_EQ((*row)->status_name, o["status"]["name"].get<std::string>()) << id;
    EXPECT_EQ((*row)->last_updated, upstream_time(o["_info"]["lastUpdated"])) << id;
  }
}

}  // namespace cwsync::test
