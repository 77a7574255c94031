#include "storage/rows.h"

#include <array>
#include <utility>

namespace cwsync::storage {
namespace {

// One table per enum, so to_string and parse can never disagree.
template <typename E, std::size_t N>
std::optional<E> parse_from(const std::array<std::pair<E, const char*>, N>& table,
                            std::string_view s) {
  for (const auto& [value, name] : table) {
    if (s == name) return value;
  }
  return std::nullopt;
}

template <typename E, std::size_t N>
const char* name_of(const std::array<std::pair<E, const char*>, N>& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<Entity, const char*>, 4> kEntities{{
    {Entity::kQuotes, "quotes"},
    {Entity::kQuoteItems, "quote_items"},
    {Entity::kOpportunities, "opportunities"},
    {Entity::kTickets, "tickets"},
}};
constexpr std::array<std::pair<RunKind, const char*>, 3> kRunKinds{{
    {RunKind::kIncremental, "incremental"},
    {RunKind::kFull, "full"},
    {RunKind::kReconcile, "reconcile"},
}};
constexpr std::array<std::pair<RunStatus, const char*>, 3> kRunStatuses{{
    {RunStatus::kRunning, "running"},
    {RunStatus::kOk, "ok"},
    {RunStatus::kFailed, "failed"},
}};
constexpr std::array<std::pair<OpportunityStatus, const char*>, 3> kOppStatuses{{
    {OpportunityStatus::kOpen, "open"},
    {OpportunityStatus::kWon, "won"},
    {OpportunityStatus::kLost, "lost"},
}};
constexpr std::array<std::pair<PostKind, const char*>, 3> kPostKinds{{
    {PostKind::kNote, "note"},
    {PostKind::kStatus, "status"},
    {PostKind::kTimeEntry, "time_entry"},
}};
constexpr std::array<std::pair<PostStatus, const char*>, 4> kPostStatuses{{
    {PostStatus::kPending, "pending"},
    {PostStatus::kInFlight, "in_flight"},
    {PostStatus::kSucceeded, "succeeded"},
    {PostStatus::kDead, "dead"},
}};
constexpr std::array<std::pair<ActivityEvent, const char*>, 10> kEvents{{
    {ActivityEvent::kEnqueued, "enqueued"},
    {ActivityEvent::kClaimed, "claimed"},
    {ActivityEvent::kAttempt, "attempt"},
    {ActivityEvent::kSucceeded, "succeeded"},
    {ActivityEvent::kFailed, "failed"},
    {ActivityEvent::kRetryScheduled, "retry_scheduled"},
    {ActivityEvent::kDeadLettered, "dead_lettered"},
    {ActivityEvent::kRequeued, "requeued"},
    {ActivityEvent::kDeduplicated, "deduplicated"},
    {ActivityEvent::kPurged, "purged"},
}};

}  // namespace

const char* to_string(Entity e) { return name_of(kEntities, e); }
std::optional<Entity> parse_entity(std::string_view s) { return parse_from(kEntities, s); }
const char* to_string(RunKind k) { return name_of(kRunKinds, k); }
const char* to_string(RunStatus s) { return name_of(kRunStatuses, s); }
const char* to_string(OpportunityStatus s) { return name_of(kOppStatuses, s); }
const char* to_string(PostKind k) { return name_of(kPostKinds, k); }
std::optional<PostKind> parse_post_kind(std::string_view s) { return parse_from(kPostKinds, s); }
const char* to_string(PostStatus s) { return name_of(kPostStatuses, s); }
std::optional<PostStatus> parse_post_status(std::string_view s) {
  return parse_from(kPostStatuses, s);
}
const char* to_string(ActivityEvent e) { return name_of(kEvents, e); }
std::optional<ActivityEvent> parse_activity_event(std::string_view s) {
  return parse_from(kEvents, s);
}

const char* source_name(OpportunitySource s) {
  return s == OpportunitySource::kPsa ? "psa" : "quotes";
}

std::optional<RunKind> parse_run_kind(std::string_view s) { return parse_from(kRunKinds, s); }
std::optional<RunStatus> parse_run_status(std::string_view s) {
  return parse_from(kRunStatuses, s);
}
std::optional<OpportunityStatus> parse_opportunity_status(std::string_view s) {
  return parse_from(kOppStatuses, s);
}

}  // namespace cwsync::storage
