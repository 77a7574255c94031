#include "sync/queue_drainer.h"

#include <algorithm>

#include "base/crash_point.h"
#include "base/log.h"
#include "sync/post_payload.h"
#include "sync/post_row_check.h"

namespace cwsync {
namespace {

using storage::ClaimedPost;
using storage::PostRow;

std::optional<int> status_of(int s) {
  if (s <= 0) return std::nullopt;
  return s;
}

Millis elapsed(const Clock& clock, TimePoint since) {
  return std::max(Millis(0), std::chrono::duration_cast<Millis>(clock.now() - since));
}

// What a failure does to the post.
enum class Action {
  kWait,     // outage: retry later, no budget used
  kCount,    // post-specific: probe the tenant, then count toward max_attempts
  kDead,     // rejection: dead at once
  kPause,    // credentials: release, pause the tenant
  kRelease,  // stop requested: release as it was
};

struct FailureAction {
  Failure failure;
  Action action;
};

// The classes' consequences, as data (docs/queue.md "Failure classes").
constexpr FailureAction kByFailure[] = {
    {Failure::kOutage, Action::kWait},
    {Failure::kPostSpecific, Action::kCount},
    {Failure::kRejection, Action::kDead},
    {Failure::kAuth, Action::kPause},
};

struct KindAction {
  ErrorKind kind;
  Action action;
};

// Failures that never reached an upstream answer (Failure::kNone) by kind:
// local verdicts on the post (unknown status name or member, bad URL) and
// garbage in a check's list. Anything else counts, so a local fault that
// repeats still ends in `dead`.
constexpr KindAction kByKind[] = {
    {ErrorKind::kInvalidInput, Action::kDead},
    {ErrorKind::kNotFound, Action::kDead},
    {ErrorKind::kBadRequest, Action::kDead},
    {ErrorKind::kAuth, Action::kPause},
    {ErrorKind::kConfig, Action::kPause},
    {ErrorKind::kCancelled, Action::kRelease},
    {ErrorKind::kMalformed, Action::kWait},
    {ErrorKind::kThrottled, Action::kWait},
    {ErrorKind::kTimeout, Action::kWait},
    {ErrorKind::kNetwork, Action::kWait},
};

Action action_for(const Error& e) {
  if (e.kind == ErrorKind::kCancelled) return Action::kRelease;
  for (const auto& row : kByFailure) {
    if (row.failure == e.failure) return row.action;
  }
  for (const auto& row : kByKind) {
    if (row.kind == e.kind) return row.action;
  }
  return Action::kCount;
}

TimePoint age_base(const PostRow& post) { return post.last_requeued_at.value_or(post.created_at); }

std::string seconds(Millis d) { return std::to_string(d.count() / 1000) + "s"; }

}  // namespace

QueueDrainer::QueueDrainer(storage::QueueStore& store, std::string tenant, QueuePolicy policy,
                           PsaProvider& poster, const Clock& clock, Backoff backoff,
                           DrainOptions options)
    : store_(store),
      tenant_(std::move(tenant)),
      policy_(std::move(policy)),
      poster_(poster),
      clock_(clock),
      backoff_(std::move(backoff)),
      options_(std::move(options)) {}

Result<DrainStats> QueueDrainer::drain_once() {
  DrainStats stats;
  std::set<std::int64_t> seen;  // a post comes back due in this pass → stop
  storage::ClaimFilter filter;
  filter.tenant = tenant_;
  filter.provider = poster_.provider();  // a row with the default learns where it goes
  for (;;) {
    TimePoint now = clock_.now();
    if (paused_until_ && now < *paused_until_) {
      stats.paused = true;
      break;
    }
    paused_until_.reset();
    if (options_.stop && options_.stop()) break;
    // While the breaker is open nothing could be sent: claim nothing, so an
    // outage costs neither attempts nor activity rows.
    if (auto until = poster_.unavailable_until(now)) {
      stats.unavailable_until = until;
      break;
    }
    // The first post after an outage is the breaker's probe: claim it alone,
    // so a failed probe does not claim and release a whole batch.
    const int batch = poster_.recovering(now) ? 1 : std::max(1, options_.batch);
    auto claims = store_.claim_due(now, policy_.lease, batch, filter);
    if (!claims.ok()) return claims.error();
    if (claims->empty()) break;
    stats.claimed += static_cast<int>(claims->size());
    crash_point("post_claimed");
    for (std::size_t k = 0; k < claims->size(); ++k) {
      const ClaimedPost& c = (*claims)[k];
      bool stopping = options_.stop && options_.stop();
      bool paused = paused_until_.has_value();
      auto unavailable = poster_.unavailable_until(clock_.now());
      if (stopping || paused || unavailable || seen.count(c.post.id)) {
        const char* why = paused        ? "tenant paused"
                          : stopping    ? "shutdown"
                          : unavailable ? "circuit breaker open"
                                        : "due again in this pass";
        if (auto st = release_rest(*claims, k, why, stats); !st.ok()) return st.error();
        if (paused) stats.paused = true;
        if (unavailable) stats.unavailable_until = unavailable;
        return stats;
      }
      seen.insert(c.post.id);
      if (auto st = handle(c, stats); !st.ok()) return st.error();
      if (options_.progress) options_.progress();
    }
  }
  return stats;
}

Status QueueDrainer::release_rest(const std::vector<ClaimedPost>& claims, std::size_t from,
                                  std::string_view reason, DrainStats& stats) {
  TimePoint now = clock_.now();
  const auto unavailable = poster_.unavailable_until(now);
  for (std::size_t k = from; k < claims.size(); ++k) {
    const PostRow& p = claims[k].post;
    // Keep the post's own due time: releasing must not jump the queue.
    TimePoint at = std::max(now, p.next_retry_at);
    if (unavailable) at = std::max(at, *unavailable);
    if (auto st = store_.release(p.id, at, reason, now); !st.ok()) return st;
    ++stats.released;
    log::info("post_released").tenant(tenant_).post_id(p.id).msg(reason);
  }
  return {};
}

Status QueueDrainer::dead(const PostRow& post, const std::string& reason, std::optional<int> http,
                          DrainStats& stats, bool counted) {
  const TimePoint now = clock_.now();
  if (auto st = store_.dead_letter(post.id, reason, http, now, counted); !st.ok()) return st;
  ++stats.dead;
  auto rec = log::warn("post_dead_lettered");
  // The claim's attempt, sent or not (post.attempts counts earlier ones).
  rec.tenant(tenant_).post_id(post.id).attempt(post.attempts + 1).field("ticket_id", post.ticket_id);
  if (http) rec.http_status(*http);
  rec.msg(reason);
  return {};
}

Status QueueDrainer::wait_uncounted(const PostRow& post, TimePoint at, const std::string& why,
                                    DrainStats& stats) {
  if (auto st = store_.release(post.id, at, why, clock_.now()); !st.ok()) return st;
  ++stats.released;
  log::info("post_released").tenant(tenant_).post_id(post.id)
      .field("next_retry_at", format_iso8601(at)).msg(why);
  return {};
}

Status QueueDrainer::handle(const ClaimedPost& c, DrainStats& stats) {
  const PostRow& post = c.post;
  TimePoint now = clock_.now();
  auto dead_now = [&](const std::string& reason, std::optional<int> http) {
    return dead(post, reason, http, stats);
  };

  auto payload = check_post_row(post);  // rows come from other programs' SQL
  if (!payload.ok()) return dead_now(payload.error().message, std::nullopt);
  // The tenant's config decides where a post goes. The column's default,
  // connectwise, is what a four-column INSERT gets for any tenant (the claim
  // corrected it already); another explicit provider than the tenant's is a
  // mistake no retry fixes.
  if (post.provider != poster_.provider() && post.provider != storage::kDefaultPostProvider) {
    return dead_now("invalid post: provider '" + post.provider + "', but tenant " + tenant_ +
                        " uses " + poster_.provider() + "; it was not sent",
                    std::nullopt);
  }

  // Age counts from the last operator requeue, so a requeued post gets a
  // fresh max_age window.
  if (now - age_base(post) > policy_.max_age) {
    return dead_now("expired: not delivered within max_age " + seconds(policy_.max_age) +
                        (post.last_error ? "; last error: " + *post.last_error : ""),
                    post.last_http_status);
  }

  // A crashed drainer may have sent this post just before its lease ran out,
  // and PSA may still be applying that request: wait before looking.
  if (c.reclaimed && c.previous_lease && now < *c.previous_lease + options_.settle) {
    if (auto st = wait_uncounted(post, *c.previous_lease + options_.settle,
                                 "reclaimed after a lease expired; waiting until PSA can no longer "
                                 "be applying a request sent under it",
                                 stats);
        !st.ok()) {
      return st.error();
    }
    return {};
  }

  // Any earlier attempt may have been applied upstream (ambiguous failure,
  // or a crash while in flight, even one whose reclaim was then released):
  // look before sending again. An earlier claim is enough to look.
  const bool check_first = c.reclaimed || post.attempts > 0 || post.claims > 1;
  const int attempt = post.attempts + 1;
  TimePoint t0 = clock_.now();
  auto result = poster_.deliver(post, *payload, check_first);
  crash_point("post_sent");
  Millis dur = elapsed(clock_, t0);
  now = clock_.now();

  // The breaker refused the call: nothing was sent, so this is no attempt.
  if (!result.ok() && result.error().fast_fail) {
    const Error& e = result.error();
    TimePoint at = now + e.retry_after.value_or(options_.min_retry_delay);
    stats.unavailable_until = at;
    if (auto st = wait_uncounted(post, at, "circuit breaker open: " + e.message, stats); !st.ok()) {
      return st.error();
    }
    return {};
  }

  int http = result.ok() ? result->http_status : result.error().http_status;
  std::string attempt_msg =
      result.ok() ? (result->deduplicated ? "already applied" : "delivered")
                  : result.error().describe() + (result.error().ambiguous ? " [ambiguous]" : "");
  if (check_first) attempt_msg = "checked upstream first; " + attempt_msg;
  if (auto st = store_.record_attempt(post.id, attempt, status_of(http), dur, attempt_msg, now);
      !st.ok()) {
    return st.error();
  }
  {
    auto rec = log::info("post_attempt");
    rec.tenant(tenant_).post_id(post.id).attempt(attempt).duration(dur)
        .field("kind", storage::to_string(*post.kind)).field("ticket_id", post.ticket_id);
    if (http > 0) rec.http_status(http);
    if (!result.ok()) rec.field("failure", to_string(result.error().failure));
    rec.msg(attempt_msg);
  }

  if (!result.ok()) return handle_failure(post, result.error(), stats);

  if (result->deduplicated) {
    if (auto st = store_.mark_deduplicated(post.id, result->remote_id, result->evidence, now);
        !st.ok()) {
      return st.error();
    }
    ++stats.deduplicated;
    log::info("post_deduplicated").tenant(tenant_).post_id(post.id).attempt(attempt)
        .field("remote_id", result->remote_id.value_or("")).msg(result->evidence);
  } else {
    if (auto st = store_.mark_succeeded(post.id, result->remote_id, status_of(http), dur, now);
        !st.ok()) {
      return st.error();
    }
    log::info("post_succeeded").tenant(tenant_).post_id(post.id).attempt(attempt)
        .http_status(http).duration(dur).field("remote_id", result->remote_id.value_or(""))
        .msg("delivered");
  }
  crash_point("post_recorded");
  ++stats.succeeded;
  return {};
}

Status QueueDrainer::handle_failure(const PostRow& post, const Error& e, DrainStats& stats) {
  const TimePoint now = clock_.now();
  switch (action_for(e)) {
    case Action::kDead:
      return dead(post, e.describe(), status_of(e.http_status), stats);
    case Action::kPause: {
      paused_until_ = now + options_.pause_cool_down;
      stats.paused = true;
      stats.pause_reason = e.describe();
      log::error("queue_paused").tenant(tenant_).post_id(post.id).http_status(e.http_status)
          .field("until", format_iso8601(*paused_until_))
          .msg("PSA refused the credentials or role; the tenant's queue is paused (no post is "
               "dead-lettered). Fix the keys or the API member's security role, then reload: " +
               e.describe());
      if (auto st = store_.release(post.id, now, "tenant paused: " + e.describe(), now,
                                   e.describe(), status_of(e.http_status));
          !st.ok()) {
        return st.error();
      }
      ++stats.released;
      return {};
    }
    case Action::kRelease:
      if (auto st = store_.release(post.id, now, "shutdown", now); !st.ok()) return st.error();
      ++stats.released;
      return {};
    case Action::kWait:
      if (auto st = retry(post, e, false, stats); !st.ok()) return st.error();
      return {};
    case Action::kCount: {
      // Post-specific only while the tenant's other calls succeed: one read
      // of the ticket tells a poison post from a PSA that fails everything.
      // Its 404 says the ticket is gone, which no retry can fix.
      auto probe = poster_.probe_ticket(post);
      if (!probe.ok() && probe.error().failure == Failure::kRejection) {
        if (auto st = dead(post, e.describe() + "; and " + probe.error().describe(),
                           status_of(e.http_status), stats);
            !st.ok()) {
          return st.error();
        }
        return {};
      }
      if (auto st = retry(post, e, probe.ok(), stats); !st.ok()) return st.error();
      return {};
    }
  }
  return {};
}

Status QueueDrainer::retry(const PostRow& post, const Error& e, bool counted, DrainStats& stats) {
  const TimePoint now = clock_.now();
  const int failures = post.failures + (counted ? 1 : 0);
  if (counted && failures >= policy_.max_attempts) {
    return dead(post,
                "gave up after " + std::to_string(failures) + " failures of this post: " +
                    e.describe(),
                status_of(e.http_status), stats, true);
  }
  const TimePoint deadline = age_base(post) + policy_.max_age;
  if (now >= deadline) {
    return dead(post, "expired: not delivered within max_age " + seconds(policy_.max_age) +
                          "; last error: " + e.describe(),
                status_of(e.http_status), stats);
  }
  Millis wait = std::max(options_.min_retry_delay, backoff_.next(post.retry_count));
  if (!counted) wait = std::min(wait, std::max(options_.min_retry_delay, options_.outage_wait_cap));
  if (e.retry_after) wait = *e.retry_after;
  // PSA may still be applying a request whose answer never came (a timeout
  // or reset after sending, a gateway's 504): looking before it is done
  // could miss the note and send a second copy. Any other answer means PSA
  // is done with the request; the check before resending still runs.
  const bool may_still_apply =
      e.ambiguous && (e.http_status == 0 || e.http_status == 504 || e.http_status == 408);
  if (may_still_apply) wait = std::max(wait, options_.settle);
  // The schedule reaches max_age: one last attempt at the deadline.
  const TimePoint next = std::min(now + wait, deadline);
  std::string error = e.describe() +
                      (e.ambiguous ? " [ambiguous: next attempt checks upstream first]" : "") +
                      (counted ? ""
                       : e.failure == Failure::kPostSpecific
                           ? " [PSA fails the ticket's read too: an outage, no budget used]"
                           : " [" + std::string(to_string(e.failure)) + ": no budget used]");
  if (auto st = store_.schedule_retry(post.id, next, error, status_of(e.http_status), now, counted);
      !st.ok()) {
    return st;
  }
  ++stats.retried;
  if (!counted) ++stats.waiting;
  log::info("post_retry_scheduled").tenant(tenant_).post_id(post.id).attempt(post.attempts + 1)
      .http_status(e.http_status).field("next_retry_at", format_iso8601(next))
      .field("failure", to_string(e.failure)).field("counted", counted)
      .field("failures", failures)
      .field("wait_ms", static_cast<std::int64_t>(std::chrono::duration_cast<Millis>(next - now).count()))
      .msg(error);
  return {};
}

}  // namespace cwsync
