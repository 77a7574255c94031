#include "sync/http/api_client.h"

#include <algorithm>

#include "base/log.h"
#include "sync/http/http_classify.h"

namespace cwsync {
namespace {

Resend effective(Resend r, const std::string& method) {
  if (r != Resend::kAuto) return r;
  return method == "POST" ? Resend::kIfNotApplied : Resend::kIfRetryable;
}

// Only a 429, or a failure before the request was fully written, proves the
// upstream did not apply a non-idempotent request (docs/design.md, "Upstream").
bool safe_to_resend(const Error& e, Resend mode) {
  if (mode == Resend::kIfRetryable) return true;
  if (e.http_status == 429) return true;
  return e.http_status == 0 && !e.ambiguous;
}

// Outages trip the breaker; answers (4xx, 429, a 5xx with an error body
// about this request) and local refusals do not: one bad post must never
// close the host for everyone.
bool trips_breaker(const Error& e) {
  return e.failure == Failure::kOutage && e.http_status != 429;
}

Error cancelled(const std::string& what, const std::string& context) {
  return make_error(ErrorKind::kCancelled, "stop requested " + what, context);
}

long long ms(Millis d) { return static_cast<long long>(d.count()); }

}  // namespace

ApiClientOptions api_client_options(const Defaults& defaults, std::string api,
                                    std::string tenant, bool allow_insecure) {
  ApiClientOptions o;
  o.api = std::move(api);
  o.tenant = std::move(tenant);
  o.retry.max_attempts = defaults.backoff.max_attempts;
  o.retry.retry_after_cap = defaults.retry_after_cap;
  o.backoff = defaults.backoff;
  o.timeouts = defaults.http;
  o.allow_insecure = allow_insecure;
  return o;
}

ApiClient::ApiClient(ApiClientOptions options, Deps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      backoff_(options_.backoff.base, options_.backoff.cap, deps_.random) {}

Result<HttpResponse> ApiClient::execute(HttpRequest request, const CallOptions& call) {
  const Resend resend = effective(call.resend, request.method);
  RetryPolicy policy = options_.retry;
  if (call.max_attempts) policy.max_attempts = *call.max_attempts;
  policy.max_attempts = std::max(policy.max_attempts, 1);

  if (call.authenticate && deps_.auth) deps_.auth->apply(request.headers);
  if (!request.headers.contains("Accept")) request.headers.set("Accept", "application/json");
  request.allow_insecure = request.allow_insecure || options_.allow_insecure;
  if (!request.connect_timeout) request.connect_timeout = options_.timeouts.connect;
  if (!request.read_timeout) request.read_timeout = options_.timeouts.read;
  // Refuse before spending a rate-limit token or touching the breaker.
  if (auto ok = check_url_allowed(request.url, request.allow_insecure); !ok) return ok.error();

  const std::string context = request_context(request.method, request.url);
  const std::shared_ptr<UpstreamHost> host_state = host_for(request.url);
  UpstreamHost& host = *host_state;
  std::optional<Error> last;
  for (int n = 1;; ++n) {
    if (deps_.waiter.stop_requested()) return cancelled("before sending", context);
    const TimePoint now = deps_.clock.now();
    if (auto until = host.breaker().allow(now)) {
      host.metrics().breaker_rejections.fetch_add(1, std::memory_order_relaxed);
      Error e = make_error(ErrorKind::kRetryable,
                           "circuit breaker open for " + host.key() + "; next probe at " +
                               format_iso8601(*until),
                           context);
      if (last) e.message += "; last error: " + last->message;
      e.failure = Failure::kOutage;
      e.fast_fail = true;
      e.retry_after = std::max(Millis(0), std::chrono::ceil<Millis>(*until - now));
      log::debug("breaker_rejected").tenant(options_.tenant).field("api", options_.api)
          .field("host", host.key()).field("retry_after_ms", ms(*e.retry_after));
      return e;
    }

    auto result = attempt(request, call, n, host);
    if (result) return result;
    Error err = result.error();
    if (err.kind == ErrorKind::kCancelled || !err.retryable()) return err;
    if (!safe_to_resend(err, resend)) {
      log::warn("http_not_resent").tenant(options_.tenant).field("api", options_.api)
          .http_status(err.http_status).attempt(n).field("label", call.label)
          .field("ambiguous", err.ambiguous).msg(err.describe() +
                                                  "; not idempotent, left to the caller");
      return err;
    }

    const RetryDecision d = decide_retry(err, n, deps_.clock.now(), policy, backoff_);
    if (d.action == RetryDecision::Action::kGiveUp) {
      if (n > 1) err.message += " (after " + std::to_string(n) + " attempts)";
      return err;
    }
    if (d.action == RetryDecision::Action::kDefer) {
      host.metrics().deferrals.fetch_add(1, std::memory_order_relaxed);
      err.retry_after = d.wait;
      log::warn("http_deferred").tenant(options_.tenant).field("api", options_.api)
          .http_status(err.http_status).attempt(n).field("label", call.label)
          .field("retry_after_ms", ms(d.wait)).field("not_before", format_iso8601(d.not_before))
          .msg(err.describe() + "; wait too long to block, deferring");
      return err;
    }
    host.metrics().retries.fetch_add(1, std::memory_order_relaxed);
    log::info("http_retry").tenant(options_.tenant).field("api", options_.api)
        .http_status(err.http_status).attempt(n).field("label", call.label)
        .field("kind", to_string(err.kind)).field("wait_ms", ms(d.wait))
        .field("retry_after", err.retry_after.has_value()).msg(err.describe());
    if (!deps_.waiter.wait_for(d.wait)) {
      return cancelled("while waiting to retry after: " + err.message, context);
    }
    last = std::move(err);
  }
}

std::shared_ptr<UpstreamHost> ApiClient::host_for(const std::string& url) const {
  if (!deps_.host_of_url) return deps_.host;
  auto host = deps_.host_of_url(url);
  return host ? host : deps_.host;
}

Result<HttpResponse> ApiClient::attempt(const HttpRequest& request, const CallOptions& call,
                                        int attempt_no, UpstreamHost& host) {
  // Both the connection's budget and the host's ceiling must allow the start.
  const TimePoint now = deps_.clock.now();
  const Millis wait = std::max(deps_.budget ? deps_.budget->reserve(now) : Millis(0),
                               host.reserve_ceiling(now));
  if (wait > Millis(0)) {
    host.metrics().rate_limit_wait_ms.fetch_add(static_cast<std::uint64_t>(wait.count()),
                                                std::memory_order_relaxed);
    log::debug("rate_limited").tenant(options_.tenant).field("api", options_.api)
        .field("host", host.key()).field("wait_ms", ms(wait));
    if (!deps_.waiter.wait_for(wait)) {
      return cancelled("while waiting for the rate limiter",
                       request_context(request.method, request.url));
    }
  }

  // The gate comes last, just before the send: then a slot is only ever held
  // by a request on the wire, never by a run parked in a rate-limit wait that
  // needs a daemon worker back (held, perhaps, by a run waiting at this gate).
  // A stop while waiting here returns before anything counts as an attempt.
  std::optional<GatePass> pass;
  if (deps_.gate) {
    if (!deps_.gate->enter(request, deps_.waiter, deps_.clock)) {
      return cancelled("while waiting for a free request slot",
                       request_context(request.method, request.url));
    }
    pass.emplace(*deps_.gate, request);
  }
  const TimePoint start = deps_.clock.now();
  auto sent = deps_.http.send(request);
  pass.reset();  // the response is in: the next request may go
  const TimePoint end = deps_.clock.now();
  const Millis duration = std::chrono::ceil<Millis>(end - start);
  const int status = sent ? sent->status : 0;
  host.metrics().count_attempt(status);

  // Classified once, here, where the response is read: the error's kind for
  // retries, its Failure for the breaker and the PSA queue's budget.
  // A 2xx response is moved, not copied: a page body is megabytes.
  Result<HttpResponse> out = std::move(sent);
  if (out && (status < 200 || status >= 300)) {
    Error e = response_error(*out, request.method, request.url, end);
    if (options_.refine_error) options_.refine_error(*out, e);
    out = std::move(e);
  } else if (!out) {
    Error transport = out.error();
    transport.failure = classify_failure(0, false, transport.kind);
    out = std::move(transport);
  }

  if (!out) {
    if (trips_breaker(out.error())) {
      if (host.breaker().on_failure(end)) {
        log::error("breaker_open").field("host", host.key()).field("api", options_.api)
            .field("failures", host.breaker().consecutive_failures())
            .msg("too many consecutive failures; pausing calls to " + host.key());
      }
    } else if (host.breaker().on_success()) {
      log::info("breaker_closed").field("host", host.key()).msg("upstream answering again");
    }
  } else if (host.breaker().on_success()) {
    log::info("breaker_closed").field("host", host.key()).msg("upstream answering again");
  }

  if (log::enabled(log::Level::kDebug)) {
    log::debug("http_request").tenant(options_.tenant).field("api", options_.api)
        .field("method", request.method).field("url", redact_url(request.url))
        .http_status(status).attempt(attempt_no).duration(duration).field("label", call.label);
  }
  if (status == 429) {
    auto rec = log::warn("http_throttled");
    rec.tenant(options_.tenant).field("api", options_.api).field("host", host.key())
        .http_status(status).attempt(attempt_no);
    if (out.error().retry_after) rec.field("retry_after_ms", ms(*out.error().retry_after));
  }
  if (call.on_attempt) {
    AttemptInfo info;
    info.attempt = attempt_no;
    info.http_status = status;
    info.duration = duration;
    info.error = out ? nullptr : &out.error();
    call.on_attempt(info);
  }
  return out;
}

Result<nlohmann::json> ApiClient::get_json(const std::string& url, const CallOptions& options) {
  auto r = execute(get_request(url), options);
  if (!r) return r.error();
  return parse_json_body(*r, "GET", url);
}

HttpRequest get_request(std::string url) {
  HttpRequest r;
  r.method = "GET";
  r.url = std::move(url);
  return r;
}

HttpRequest json_request(std::string method, std::string url, std::string body) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  r.headers.set("Content-Type", "application/json");
  return r;
}

Result<nlohmann::json> parse_json_body(const HttpResponse& response, std::string_view method,
                                       std::string_view url) {
  auto j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return malformed_error(method, url, "body is not valid JSON", response.status);
  }
  return j;
}

}  // namespace cwsync
