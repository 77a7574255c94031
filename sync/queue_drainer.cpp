#include "sync/queue_drainer.h"

#include <algorithm>

#include "base/crash_point.h"
#include "base/log.h"
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

// What the error means for the post.
enum class Class { kRetryAt, kBackoff, kDead, kPause, kRelease };

Class classify(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kThrottled: return Class::kRetryAt;
    case ErrorKind::kAuth:
    case ErrorKind::kConfig: return Class::kPause;
    case ErrorKind::kBadRequest:
    case ErrorKind::kNotFound:
    case ErrorKind::kInvalidInput: return Class::kDead;
    case ErrorKind::kCancelled: return Class::kRelease;
    default: return Class::kBackoff;  // 409/5xx, timeout, reset, malformed reply, DB hiccup
  }
}

}  // namespace

QueueDrainer::QueueDrainer(storage::QueueStore& store, std::string tenant, QueuePolicy policy,
                           PsaPoster& poster, const Clock& clock, Backoff backoff,
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
  for (;;) {
    TimePoint now = clock_.now();
    if (paused_until_ && now < *paused_until_) {
      stats.paused = true;
      break;
    }
    paused_until_.reset();
    if (options_.stop && options_.stop()) break;
    auto claims = store_.claim_due(now, policy_.lease, std::max(1, options_.batch), filter);
    if (!claims.ok()) return claims.error();
    if (claims->empty()) break;
    stats.claimed += static_cast<int>(claims->size());
    crash_point("post_claimed");
    for (std::size_t k = 0; k < claims->size(); ++k) {
      const ClaimedPost& c = (*claims)[k];
      bool stopping = options_.stop && options_.stop();
      bool paused = paused_until_.has_value();
      if (stopping || paused || seen.count(c.post.id)) {
        const char* why = paused ? "tenant paused" : stopping ? "shutdown" : "due again in this pass";
        if (auto st = release_rest(*claims, k, why, stats); !st.ok()) return st.error();
        if (paused) stats.paused = true;
        return stats;
      }
      seen.insert(c.post.id);
      auto next = handle(c, stats);
      if (!next.ok()) return next.error();
      if (options_.progress) options_.progress();
    }
  }
  return stats;
}

Status QueueDrainer::release_rest(const std::vector<ClaimedPost>& claims, std::size_t from,
                                  std::string_view reason, DrainStats& stats) {
  TimePoint now = clock_.now();
  for (std::size_t k = from; k < claims.size(); ++k) {
    const PostRow& p = claims[k].post;
    // Keep the post's own due time: releasing must not jump the queue.
    TimePoint at = std::max(now, p.next_retry_at);
    if (auto st = store_.release(p.id, at, reason, now); !st.ok()) return st;
    ++stats.released;
    log::info("post_released").tenant(tenant_).post_id(p.id).msg(reason);
  }
  return {};
}

Result<QueueDrainer::Next> QueueDrainer::handle(const ClaimedPost& c, DrainStats& stats) {
  const PostRow& post = c.post;
  TimePoint now = clock_.now();
  auto dead = [&](const std::string& reason, std::optional<int> http) -> Result<Next> {
    if (auto st = store_.dead_letter(post.id, reason, http, now); !st.ok()) return st.error();
    ++stats.dead;
    auto rec = log::warn("post_dead_lettered");
    rec.tenant(tenant_).post_id(post.id).attempt(post.attempts).field("ticket_id", post.ticket_id);
    if (http) rec.http_status(*http);
    rec.msg(reason);
    return Next::kContinue;
  };

  auto payload = check_post_row(post);  // rows come from other programs' SQL
  if (!payload.ok()) return dead(payload.error().message, std::nullopt);

  // Age counts from the last operator requeue, so a requeued post gets a
  // fresh max_age window.
  TimePoint age_base = post.last_requeued_at.value_or(post.created_at);
  if (now - age_base > policy_.max_age) {
    return dead("expired: not delivered within max_age " +
                    std::to_string(policy_.max_age.count() / 1000) + "s" +
                    (post.last_error ? "; last error: " + *post.last_error : ""),
                post.last_http_status);
  }

  // Any earlier attempt may have been applied upstream (ambiguous failure,
  // or a crash while in flight): look before sending again.
  const bool check_first = c.reclaimed || post.attempts > 0;
  const int attempt = post.attempts + 1;
  TimePoint t0 = clock_.now();
  auto result = poster_.deliver(post, *payload, check_first);
  crash_point("post_sent");
  Millis dur = elapsed(clock_, t0);
  now = clock_.now();

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
    rec.msg(attempt_msg);
  }

  if (result.ok()) {
    if (result->deduplicated) {
      if (auto st = store_.mark_deduplicated(post.id, result->remote_id, result->evidence, now); !st.ok()) {
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
    return Next::kContinue;
  }

  const Error& e = result.error();
  switch (classify(e)) {
    case Class::kDead:
      return dead(e.describe(), status_of(e.http_status));
    case Class::kPause: {
      paused_until_ = now + options_.pause_cool_down;
      stats.paused = true;
      stats.pause_reason = e.describe();
      log::error("queue_paused").tenant(tenant_).post_id(post.id).http_status(e.http_status)
          .field("until", format_iso8601(*paused_until_))
          .msg("PSA refused the credentials or role; the tenant's queue is paused (no post is "
               "dead-lettered). Fix the keys or the API member's security role, then reload: " +
               e.describe());
      if (auto st = store_.release(post.id, now, "tenant paused: " + e.describe(), now, e.describe(),
                                   status_of(e.http_status));
          !st.ok()) {
        return st.error();
      }
      ++stats.released;
      return Next::kStopBatch;
    }
    case Class::kRelease: {
      if (auto st = store_.release(post.id, now, "shutdown", now); !st.ok()) return st.error();
      ++stats.released;
      return Next::kStopBatch;
    }
    case Class::kRetryAt:
    case Class::kBackoff:
      if (auto st = fail(post, e, now, stats); !st.ok()) return st.error();
      return Next::kContinue;
  }
  return Next::kContinue;
}

Status QueueDrainer::fail(const PostRow& post, const Error& e, TimePoint now, DrainStats& stats) {
  const int attempts = post.attempts + 1;
  const bool throttled = e.kind == ErrorKind::kThrottled;
  // 429s are our limiter's miss, not the post's fault: they never use up
  // attempts, only max_age.
  if (!throttled && attempts >= policy_.max_attempts) {
    std::string reason = "gave up after " + std::to_string(attempts) + " attempts: " + e.describe();
    if (auto st = store_.dead_letter(post.id, reason, status_of(e.http_status), now); !st.ok()) return st;
    ++stats.dead;
    log::warn("post_dead_lettered").tenant(tenant_).post_id(post.id).attempt(attempts)
        .http_status(e.http_status).msg(reason);
    return {};
  }
  Millis wait = e.retry_after ? *e.retry_after
                              : std::max(options_.min_retry_delay, backoff_.next(post.retry_count));
  TimePoint next = now + wait;
  TimePoint age_base = post.last_requeued_at.value_or(post.created_at);
  if (next - age_base > policy_.max_age) {
    std::string reason = "expired: next retry would pass max_age; last error: " + e.describe();
    if (auto st = store_.dead_letter(post.id, reason, status_of(e.http_status), now); !st.ok()) return st;
    ++stats.dead;
    log::warn("post_dead_lettered").tenant(tenant_).post_id(post.id).attempt(attempts)
        .http_status(e.http_status).msg(reason);
    return {};
  }
  std::string error = e.describe() + (e.ambiguous ? " [ambiguous: next attempt checks upstream first]" : "");
  if (auto st = store_.schedule_retry(post.id, next, error, status_of(e.http_status), now); !st.ok()) {
    return st;
  }
  ++stats.retried;
  log::info("post_retry_scheduled").tenant(tenant_).post_id(post.id).attempt(attempts)
      .http_status(e.http_status).field("next_retry_at", format_iso8601(next))
      .field("wait_ms", static_cast<std::int64_t>(wait.count())).msg(error);
  return {};
}

}  // namespace cwsync
