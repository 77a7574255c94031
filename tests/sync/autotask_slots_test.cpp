// Autotask's per-endpoint cap on requests in flight (sync/autotask/
// at_concurrency.h) and how ApiClient uses a SendGate: no I/O, a ManualClock
// and ManualWaiter (waiting at the gate is not a timed wait: it must never
// show up as one), and threads only where a caller has to block.
#include "sync/autotask/at_concurrency.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sync/http/api_client.h"

namespace cwsync {
namespace {

using namespace std::chrono_literals;

const std::string kZone = "https://webservices5.autotask.net/ATServicesRest/V1.0/";

HttpRequest at_request(const std::string& path, std::string method = "GET") {
  HttpRequest r;
  r.method = std::move(method);
  r.url = kZone + path;
  return r;
}

// Polls `done` for up to 5 s: the other thread's progress is real time.
template <class F>
bool eventually(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

class SlotsTest : public ::testing::Test {
 protected:
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  ManualWaiter waiter_{clock_};
};

TEST(AutotaskEndpointOfTest, TheEntitySegmentAfterTheVersionLowerCased) {
  EXPECT_EQ(autotask_endpoint_of(kZone + "Tickets/query"), "tickets");
  EXPECT_EQ(autotask_endpoint_of(kZone + "Tickets/5/Notes"), "tickets");
  EXPECT_EQ(autotask_endpoint_of(kZone + "tickets/entityInformation/fields"), "tickets");
  EXPECT_EQ(autotask_endpoint_of(kZone + "TimeEntries"), "timeentries");
  EXPECT_EQ(autotask_endpoint_of(kZone + "TicketNotes/query?search=%2Fv1.0%2FX"), "ticketnotes");
  EXPECT_EQ(autotask_endpoint_of("http://127.0.0.1:9/ATServicesRest/v1.0/Resources/7/Roles"),
            "resources");
  EXPECT_EQ(autotask_endpoint_of(kZone + "ZoneInformation?user=a%40b"), "")
      << "the zone lookup is not capped";
  EXPECT_EQ(autotask_endpoint_of("https://example.com/other/Tickets"), "");
}

TEST_F(SlotsTest, ThreePerEndpointAtOnceAndOtherEndpointsAreNotHeldUp) {
  AutotaskEndpointSlots slots;
  const HttpRequest ticket = at_request("Tickets/query", "POST");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(slots.enter(ticket, waiter_, clock_));
  EXPECT_EQ(slots.in_flight("tickets"), 3);

  std::atomic<bool> fourth_in{false};
  std::thread fourth([&] {
    EXPECT_TRUE(slots.enter(at_request("Tickets/5/Notes", "POST"), waiter_, clock_));
    fourth_in = true;
  });
  ASSERT_TRUE(eventually([&] { return slots.waiting("tickets") == 1; }));
  EXPECT_FALSE(fourth_in.load());
  // Another endpoint has its own three.
  EXPECT_TRUE(slots.enter(at_request("TimeEntries", "POST"), waiter_, clock_));
  EXPECT_EQ(slots.in_flight("timeentries"), 1);

  slots.leave(ticket);
  fourth.join();
  EXPECT_TRUE(fourth_in.load());
  EXPECT_EQ(slots.in_flight("tickets"), 3);
  EXPECT_EQ(slots.waiting("tickets"), 0);
  EXPECT_TRUE(waiter_.waits().empty()) << "a slot wait is not a timed wait (backoff)";
}

TEST_F(SlotsTest, WaitersGoInArrivalOrder) {
  AutotaskEndpointSlots slots(1);
  const HttpRequest r = at_request("Tickets/query", "POST");
  ASSERT_TRUE(slots.enter(r, waiter_, clock_));
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int k = 0; k < 3; ++k) {
    threads.emplace_back([&, k] {
      ASSERT_TRUE(slots.enter(r, waiter_, clock_));
      {
        std::lock_guard lock(mu);
        order.push_back(k);
      }
      slots.leave(r);
    });
    // The next caller arrives only once this one is queued.
    ASSERT_TRUE(eventually([&] { return slots.waiting("tickets") == k + 1; }));
  }
  slots.leave(r);
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(slots.in_flight("tickets"), 0);
}

TEST_F(SlotsTest, StopEndsAWaitPromptlyAndHoldsNothing) {
  AutotaskEndpointSlots slots;  // the default poll: what shutdown gets
  const HttpRequest r = at_request("Tickets/query", "POST");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(slots.enter(r, waiter_, clock_));
  std::atomic<bool> admitted{true};
  std::chrono::steady_clock::time_point returned;
  std::thread blocked([&] {
    admitted = slots.enter(r, waiter_, clock_);
    returned = std::chrono::steady_clock::now();
  });
  ASSERT_TRUE(eventually([&] { return slots.waiting("tickets") == 1; }));
  const auto stop_at = std::chrono::steady_clock::now();
  waiter_.request_stop();
  blocked.join();
  EXPECT_FALSE(admitted.load());
  EXPECT_LT(returned - stop_at, 1s);
  EXPECT_EQ(slots.waiting("tickets"), 0);
  EXPECT_EQ(slots.in_flight("tickets"), 3) << "the three in flight are still there";
  for (int i = 0; i < 3; ++i) slots.leave(r);
  EXPECT_EQ(slots.in_flight("tickets"), 0);
  EXPECT_FALSE(slots.enter(r, waiter_, clock_)) << "stopped: nothing more is admitted";
}

TEST_F(SlotsTest, AStoppedWaiterDoesNotHoldUpTheOneBehindIt) {
  AutotaskEndpointSlots slots(1);
  const HttpRequest r = at_request("Tickets/query", "POST");
  ManualWaiter other(clock_);
  ASSERT_TRUE(slots.enter(r, other, clock_));
  std::thread first([&] { EXPECT_FALSE(slots.enter(r, waiter_, clock_)); });
  ASSERT_TRUE(eventually([&] { return slots.waiting("tickets") == 1; }));
  std::atomic<bool> second_in{false};
  std::thread second([&] {
    second_in = slots.enter(r, other, clock_);
  });
  ASSERT_TRUE(eventually([&] { return slots.waiting("tickets") == 2; }));
  waiter_.request_stop();  // the first caller gives up its place
  first.join();
  slots.leave(r);
  second.join();
  EXPECT_TRUE(second_in.load());
  EXPECT_EQ(slots.in_flight("tickets"), 1);
}

TEST(AutotaskSlotsRegistryTest, OnePerApiUserWhicheverClientAsks) {
  UpstreamRegistry registry;
  AutotaskSettings a;
  a.username = "ApiUser@msp.example.com";
  AutotaskSettings same = a;
  same.username = "apiuser@MSP.example.com";
  AutotaskSettings other = a;
  other.username = "second@msp.example.com";
  auto g1 = autotask_endpoint_slots(registry, a);
  ASSERT_NE(g1, nullptr);
  EXPECT_EQ(g1, autotask_endpoint_slots(registry, same));
  EXPECT_NE(g1, autotask_endpoint_slots(registry, other));
}

// An HttpClient whose sends block until released, counting them.
class HeldHttp final : public HttpClient {
 public:
  Result<HttpResponse> send(const HttpRequest&) override {
    std::unique_lock lock(mu_);
    ++sent_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    HttpResponse r;
    r.status = 200;
    r.body = "{}";
    return r;
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int sent_ = 0;
  bool open_ = false;
};

TEST_F(SlotsTest, ApiClientWaitsAtTheGateWithoutCountingAnAttempt) {
  HeldHttp http;
  auto host = std::make_shared<UpstreamHost>("webservices5.autotask.net:443", BreakerPolicy{});
  auto gate = std::make_shared<AutotaskEndpointSlots>(1);
  ApiClientOptions options;
  options.api = "autotask";
  ApiClient api(options, ApiClient::Deps{http, nullptr, host, waiter_, clock_,
                                         seeded_random(1), nullptr, gate});
  std::atomic<int> first_attempts{0}, second_attempts{0};
  std::thread first([&] {
    CallOptions o;
    o.on_attempt = [&](const AttemptInfo&) { ++first_attempts; };
    EXPECT_TRUE(api.execute(at_request("Tickets/1"), o).ok());
  });
  ASSERT_TRUE(eventually([&] { return http.sent() == 1; }));

  Result<HttpResponse> second_result = make_error(ErrorKind::kInternal, "not run", "");
  std::thread second([&] {
    CallOptions o;
    o.on_attempt = [&](const AttemptInfo&) { ++second_attempts; };
    second_result = api.execute(at_request("Tickets/2"), o);
  });
  ASSERT_TRUE(eventually([&] { return gate->waiting("tickets") == 1; }));
  waiter_.request_stop();
  second.join();
  ASSERT_FALSE(second_result.ok());
  EXPECT_EQ(second_result.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(second_attempts.load(), 0) << "a wait for a slot is not an attempt";
  EXPECT_EQ(http.sent(), 1);
  EXPECT_EQ(host->metrics().requests.load(), 0u) << "the first is still in flight";

  http.open();
  first.join();
  EXPECT_EQ(first_attempts.load(), 1);
  EXPECT_EQ(host->metrics().requests.load(), 1u);
  EXPECT_EQ(gate->in_flight("tickets"), 0) << "the slot is given back after the response";
}

}  // namespace
}  // namespace cwsync
