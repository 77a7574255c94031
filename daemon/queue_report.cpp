#include "daemon/queue_report.h"

#include <cstdio>

#include "base/clock.h"

namespace cwsync {
namespace {

using nlohmann::json;

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
json opt_time(const std::optional<TimePoint>& t) {
  return t ? json(format_iso8601(*t)) : json(nullptr);
}

// Left-aligned column of at least `width` characters.
std::string pad_right(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

json to_json(const storage::PostRow& p) {
  json payload = json::parse(p.payload, nullptr, false);
  if (payload.is_discarded()) payload = p.payload;
  return {{"id", p.id},
          {"tenant", p.tenant},
          {"provider", p.provider},
          {"kind", p.kind ? json(storage::to_string(*p.kind)) : json(nullptr)},
          {"ticket_id", p.ticket_id},
          {"payload", payload},
          {"idempotency_key", p.idempotency_key},
          {"status", storage::to_string(p.status)},
          {"attempts", p.attempts},
          {"retry_count", p.retry_count},
          {"failures", p.failures},
          {"next_retry_at", format_iso8601(p.next_retry_at)},
          {"last_error", opt(p.last_error)},
          {"last_http_status", opt(p.last_http_status)},
          {"remote_id", opt(p.remote_id)},
          {"lease_until", opt_time(p.lease_until)},
          {"created_at", format_iso8601(p.created_at)},
          {"updated_at", format_iso8601(p.updated_at)}};
}

json to_json(const storage::ActivityRow& a) {
  return {{"id", a.id},
          {"post_id", a.post_id},
          {"tenant", a.tenant},
          {"ticket_id", opt(a.ticket_id)},
          {"event", storage::to_string(a.event)},
          {"attempt", opt(a.attempt)},
          {"http_status", opt(a.http_status)},
          {"duration_ms", opt(a.duration_ms)},
          {"message", opt(a.message)},
          {"at", format_iso8601(a.at)}};
}

json to_json(const storage::PostHistoryRow& h) {
  return {{"post_id", h.post_id},
          {"tenant", h.tenant},
          {"provider", h.provider},
          {"kind", h.kind},
          {"ticket_id", h.ticket_id},
          {"status", h.status},
          {"attempts", h.attempts},
          {"retry_count", h.retry_count},
          {"last_http_status", opt(h.last_http_status)},
          {"last_error", opt(h.last_error)},
          {"remote_id", opt(h.remote_id)},
          {"last_event", opt(h.last_event)},
          {"created_at", format_iso8601(h.created_at)},
          {"updated_at", format_iso8601(h.updated_at)},
          {"delivered_at", opt_time(h.delivered_at)},
          {"last_event_at", opt_time(h.last_event_at)}};
}

std::string post_line(const storage::PostRow& p) {
  std::string s = pad_right(std::to_string(p.id), 6) + "  " + pad_right(p.tenant, 10) + "  " +
                  pad_right(p.kind ? storage::to_string(*p.kind) : "?", 10) + "  ticket " +
                  pad_right(std::to_string(p.ticket_id), 8) + "  " +
                  pad_right(storage::to_string(p.status), 9) + "  " + std::to_string(p.attempts) +
                  (p.attempts == 1 ? " try " : " tries");
  if (p.status == storage::PostStatus::kPending) s += "  next " + format_iso8601(p.next_retry_at);
  if (p.status == storage::PostStatus::kSucceeded && p.remote_id) s += "  remote " + *p.remote_id;
  if (p.status != storage::PostStatus::kSucceeded && p.last_error) s += "  " + *p.last_error;
  return s;
}

std::string activity_line(const storage::ActivityRow& a) {
  std::string s = format_iso8601(a.at) + "  " + pad_right(storage::to_string(a.event), 15);
  if (a.attempt) s += "  #" + std::to_string(*a.attempt);
  if (a.http_status) s += "  http " + std::to_string(*a.http_status);
  if (a.duration_ms) s += "  " + std::to_string(*a.duration_ms) + "ms";
  if (a.message && !a.message->empty()) s += "  " + *a.message;
  return s;
}

std::string history_line(const storage::PostHistoryRow& h) {
  std::string s = format_iso8601(h.created_at) + "  #" + pad_right(std::to_string(h.post_id), 6) +
                  " " + pad_right(h.tenant, 10) + " " + pad_right(h.kind, 10) + " " +
                  pad_right(h.status, 9) + "  " + std::to_string(h.attempts) +
                  (h.attempts == 1 ? " try " : " tries");
  if (h.delivered_at) s += "  delivered " + format_iso8601(*h.delivered_at);
  if (h.remote_id) s += "  remote " + *h.remote_id;
  if (h.status != "succeeded" && h.last_error) s += "  " + *h.last_error;
  return s;
}

}  // namespace cwsync
