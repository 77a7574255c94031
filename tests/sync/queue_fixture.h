// Shared by the PSA queue tests: an in-process cwsim on 127.0.0.1, a real
// SQLite file, and the drainer wired like the daemon wires it, on a
// ManualClock (the rate limiter and backoff never sleep).
#pragma once

#include <memory>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "sim_connections.h"
#include "simulator.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/queue_store.h"
#include "sync/http/http_poco.h"
#include "sync/note_marker.h"
#include "sync/connectwise/cw_provider.h"
#include "sync/queue_drainer.h"
#include "sync/tenant_queue.h"
#include "temp_dir.h"

namespace cwsync::test {

class QueueFixture : public ::testing::Test {
 protected:
  QueueFixture() : clock_(*parse_iso8601("2026-11-23T12:00:00Z")), waiter_(clock_) {}

  void SetUp() override {
    cwsim::Options o;
    o.seed = 7;
    o.quotes = 5;
    o.opportunities = 5;
    o.tickets = 6;
    o.now = "2026-11-20T00:00:00Z";
    sim_ = std::make_unique<cwsim::Simulator>(o);
    sim_->start();
    tenant_.name = "acme";
    tenant_.psa = sim_psa(*sim_, o);
    tenant_.queue.max_attempts = 4;
    defaults_.backoff = {std::chrono::seconds(2), std::chrono::minutes(5), 5};
    defaults_.http = {std::chrono::seconds(2), std::chrono::seconds(2)};
    http_ = make_poco_http_client();
    auto db = storage::Database::open(dir_.file("cache.db").string());
    ASSERT_TRUE(db.ok()) << db.error().describe();
    db_ = std::make_unique<storage::Database>(std::move(*db));
    ASSERT_TRUE(storage::migrate(*db_).ok());
    store_ = std::make_unique<storage::QueueStore>(*db_);
    rebuild();
  }

  // The tenant's PSA becomes cwsim's Autotask personality (zone looked up,
  // or pinned there), with new clients.
  void use_autotask(bool pin_zone = false) {
    tenant_.psa = sim_autotask(*sim_, sim_->options(), kTestRateLimit, pin_zone);
    rebuild();
  }

  // (Re)creates the clients and the drainer, e.g. after changing tenant_.
  void rebuild() {
    drainer_ = nullptr;
    poster_ = nullptr;
    members_ = nullptr;
    queue_.reset();
    // A fresh registry: a host keeps its first breaker policy, and a test
    // that changes defaults_.breaker means it.
    hosts_ = std::make_unique<UpstreamRegistry>();
    SyncEnvironment env{*http_, *hosts_, waiter_, clock_, seeded_random(3)};
    queue_ = std::make_unique<TenantQueue>(defaults_, tenant_, env, *store_);
    auto* cw = dynamic_cast<ConnectWiseProvider*>(&queue_->provider());
    members_ = cw != nullptr ? &cw->members() : nullptr;
    poster_ = &queue_->provider();
    drainer_ = &queue_->drainer();
  }

  std::int64_t enqueue(storage::PostKind kind, std::int64_t ticket, const nlohmann::json& payload,
                       std::string tenant = "acme") {
    storage::NewPost p;
    p.tenant = std::move(tenant);
    p.kind = kind;
    p.ticket_id = ticket;
    p.payload_json = payload.dump();
    auto r = store_->enqueue(p, clock_.now());
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? r->id : 0;
  }

  DrainStats drain() {
    auto r = drainer_->drain_once();
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : DrainStats{};
  }

  storage::PostRow post(std::int64_t id) {
    auto d = store_->get(id);
    EXPECT_TRUE(d.ok() && d->has_value());
    return (d.ok() && d->has_value()) ? (*d)->post : storage::PostRow{};
  }

  // The marker a post's note or time entry carries.
  std::string marker_of(std::int64_t id) {
    return format_marker(tenant_.queue.marker_format, post(id).idempotency_key);
  }

  std::vector<std::string> events(std::int64_t id) {
    std::vector<std::string> out;
    auto a = store_->activity(id);
    if (a.ok()) {
      for (const auto& row : *a) out.push_back(storage::to_string(row.event));
    }
    return out;
  }

  nlohmann::json store_view(const std::string& what) {
    return sim_->control("GET", "/_sim/store/" + what).body;
  }
  // One list of a store view, by value: iterating `store_view(v)[list]`
  // directly would walk a destroyed temporary.
  nlohmann::json store_list(const std::string& view, const char* list) {
    nlohmann::json all = store_view(view);
    return all.contains(list) ? all[list] : nlohmann::json::array();
  }
  // How many requests cwsim has logged so far.
  std::size_t request_count() {
    nlohmann::json log = sim_->control("GET", "/_sim/requests").body;
    return log.contains("requests") ? log["requests"].size() : 0;
  }
  int add_fault(const nlohmann::json& rule) {
    auto r = sim_->control("POST", "/_sim/faults", rule);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body.value("id", 0);
  }
  // Notes/time entries at cwsim whose text carries `marker`.
  int count_with(const std::string& view, const char* list, const char* field,
                 const std::string& marker) {
    int n = 0;
    for (const auto& x : store_list(view, list)) {
      if (x[field].get<std::string>().find(marker) != std::string::npos) ++n;
    }
    return n;
  }
  nlohmann::json ticket(std::int64_t id) {
    for (const auto& t : store_list("tickets", "tickets")) {
      if (t["id"] == id) return t;
    }
    return {};
  }

  TempDir dir_{"cwsync-queue-"};
  ManualClock clock_;
  ManualWaiter waiter_;
  std::unique_ptr<cwsim::Simulator> sim_;
  Tenant tenant_;
  Defaults defaults_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<UpstreamRegistry> hosts_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::QueueStore> store_;
  std::unique_ptr<TenantQueue> queue_;   // the daemon's wiring (sync/tenant_queue.h)
  MemberDirectory* members_ = nullptr;
  PsaProvider* poster_ = nullptr;
  QueueDrainer* drainer_ = nullptr;
};

}  // namespace cwsync::test
