// Typed rows that cross the storage boundary. The sync layer maps upstream
// JSON to these structs and passes the original object bytes as `raw_json`;
// storage never parses upstream JSON. Timestamps are TimePoints here and
// ISO-8601 UTC text ("2026-11-23T10:15:00Z") in the database. nullopt ⇔ NULL.
// Column meanings: docs/schema.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "config/config.h"

namespace cwsync::storage {

// ---- vocabulary -------------------------------------------------------------

// What a sync_state / sync_runs row and a tombstone reconcile are about.
enum class Entity { kQuotes, kQuoteItems, kOpportunities, kTickets };
const char* to_string(Entity e);                       // "quotes" ...
std::optional<Entity> parse_entity(std::string_view s);

enum class RunKind { kIncremental, kFull, kReconcile };
const char* to_string(RunKind k);                      // "incremental" ...
std::optional<RunKind> parse_run_kind(std::string_view s);
enum class RunStatus { kRunning, kOk, kFailed };
const char* to_string(RunStatus s);                    // "running" ...
std::optional<RunStatus> parse_run_status(std::string_view s);

enum class OpportunityStatus { kOpen, kWon, kLost };
const char* to_string(OpportunityStatus s);            // "open" | "won" | "lost"
std::optional<OpportunityStatus> parse_opportunity_status(std::string_view s);
// "psa" | "quotes": the `source` column of cpq_opportunities.
const char* source_name(OpportunitySource s);

enum class PostKind { kNote, kStatus, kTimeEntry };
const char* to_string(PostKind k);                     // "note" | "status" | "time_entry"
std::optional<PostKind> parse_post_kind(std::string_view s);

enum class PostStatus { kPending, kInFlight, kSucceeded, kDead };
const char* to_string(PostStatus s);                   // "pending" | "in_flight" | ...
std::optional<PostStatus> parse_post_status(std::string_view s);

enum class ActivityEvent {
  kEnqueued, kClaimed, kAttempt, kSucceeded, kFailed, kRetryScheduled,
  kDeadLettered, kRequeued, kDeduplicated, kPurged,
};
const char* to_string(ActivityEvent e);                // "enqueued" ...
std::optional<ActivityEvent> parse_activity_event(std::string_view s);

// ---- cache rows (written by the sync layer) ----------------------------------

// One CPQ QuoteView (one version of a quote). Key: (tenant, id).
struct QuoteRow {
  std::string id;                          // GUID
  std::int64_t quote_number = 0;
  int quote_version = 1;
  std::optional<std::string> name, quote_status, quote_type, account_name;
  std::optional<std::string> customer_id;  // from the `customer` reference
  bool is_accepted = false, is_sent = false, is_archive = false, is_lost = false;
  std::optional<std::string> lost_reason;
  std::optional<TimePoint> won_or_lost_date;
  std::optional<double> quote_total, subtotal, tax, gross_margin, probability;
  std::optional<TimePoint> create_date, modify_date, expiration_date, expected_close_date;
  std::optional<std::string> crm_opportunity_id;  // PSA opportunity id, as text
  std::optional<std::string> primary_rep, inside_rep;
  std::string raw_json;
};

// One CPQ QuoteItemView (a line of a quote version). Key: (tenant, id).
struct QuoteItemRow {
  std::string id;                          // GUID
  std::string quote_id;                    // idQuote
  std::optional<std::string> tab_id;       // idQuoteTabs
  std::optional<std::string> item_number;  // itemNumber (part number / SKU)
  std::optional<std::int64_t> sort_order;  // sortOrder
  std::optional<std::string> short_description, long_description;
  std::optional<std::string> manufacturer_part_number, product_type, product_class;
  std::optional<double> quantity, price, cost;  // price: quoteItemPrice (unit)
  std::optional<double> extended_price, extended_cost, gross_margin, recurring_amount;
  std::optional<bool> is_optional, is_selected, is_printed, is_taxable;
  std::optional<TimePoint> modify_date;
  std::string raw_json;
};

// One pipeline item. Key: (tenant, id). For source psa, `value` is Autotask's
// amount (ConnectWise leaves it empty): the views use it only while no quote
// is linked, else they sum the linked quotes. For source quotes it is the
// quote's total.
struct OpportunityRow {
  OpportunitySource source = OpportunitySource::kPsa;
  std::string id;                          // PSA opportunity id, or quote number
  std::optional<std::string> name, client_name;
  OpportunityStatus status = OpportunityStatus::kOpen;
  std::optional<std::string> status_name, stage_name;
  std::optional<double> probability, value;
  std::optional<TimePoint> expected_close_date, closed_date, date_entered, last_updated;
  std::string raw_json;
};

// One PSA service ticket (either provider). Key: (tenant, id). Reference
// ids (board, status, company, contact) are text, as upstream sends them.
struct TicketRow {
  std::string provider = "connectwise";
  std::string id;                          // upstream ticket id
  std::string number;                      // what people call it (ConnectWise: the id)
  std::optional<std::string> summary, record_type;
  std::optional<std::string> board_id, board, status_id, status, priority;
  std::optional<std::string> company_id, company_identifier, company;
  std::optional<std::string> contact_id, contact, owner_identifier, owner;
  std::optional<std::string> parent_id;
  bool closed = false;
  std::optional<TimePoint> closed_at, created_at, updated_at;
  std::string raw_json;
};

// A cached ticket as read back, with its bookkeeping.
struct CachedTicket {
  TicketRow row;
  TimePoint synced_at;
  std::optional<TimePoint> deleted_at;
};

// One full-text hit (the `search` table). number/title/body as indexed.
struct SearchHit {
  std::string kind, id, tenant;            // kind: quote | opportunity | ticket
  std::optional<std::string> number, title, body;
  std::string snippet;                     // the best matching fragment, hits in [ ]
  double rank = 0;                         // bm25: lower is better
  bool ranked = true;                      // false: too many matches, newest first
};

// Incremental position: everything at or before (modified_at, id) is stored.
struct SyncCursor {
  TimePoint modified_at;
  std::string id;
  friend bool operator==(const SyncCursor&, const SyncCursor&) = default;
};

struct SyncState {
  std::string tenant;
  Entity entity = Entity::kQuotes;
  std::optional<SyncCursor> cursor;
  std::optional<TimePoint> last_incremental_at;   // last ok incremental run
  std::optional<TimePoint> last_full_at;          // last ok full run
  std::optional<TimePoint> last_reconcile_at;     // last applied reconcile
  std::optional<std::string> last_error;          // cleared by the next ok run
  std::optional<TimePoint> last_error_at;
};

// What finish_run records.
struct RunOutcome {
  RunStatus status = RunStatus::kOk;
  std::int64_t pages = 0, api_calls = 0, upserted = 0, deleted = 0;
  std::optional<std::string> error;
};

struct SyncRunRow {
  std::int64_t id = 0;
  std::string tenant;
  Entity entity = Entity::kQuotes;
  RunKind kind = RunKind::kIncremental;
  TimePoint started_at;
  std::optional<TimePoint> finished_at;
  RunOutcome outcome;  // status kRunning until finished
};

// ---- dashboard reads -------------------------------------------------------

struct PipelineSummary {
  std::string tenant;
  int window_days = 30;
  std::int64_t total_count = 0, open_count = 0, won_count = 0, lost_count = 0;
  double total_value = 0, open_value = 0, won_value = 0, lost_value = 0;
  std::optional<double> win_rate;  // won/(won+lost) in the window; nullopt if none
};

struct PipelineItem {
  std::string tenant, id, source;
  std::optional<std::string> name, client_name, status_name, stage_name;
  OpportunityStatus status = OpportunityStatus::kOpen;
  double value = 0;                          // effective value (psa: linked quotes, else stored)
  std::optional<double> probability;
  std::optional<TimePoint> expected_close_date, closed_date, date_entered, last_updated;
  std::optional<std::int64_t> age_days;      // open items: whole days since date_entered
  bool at_risk = false;                      // age_days > settings.at_risk_days
};

struct CacheCounts {
  std::int64_t quotes = 0, quotes_deleted = 0;
  std::int64_t quote_items = 0, quote_items_deleted = 0;
  std::int64_t opportunities = 0, opportunities_deleted = 0;
  std::int64_t tickets = 0, tickets_deleted = 0;
};

// ---- queue rows ------------------------------------------------------------

struct NewPost {
  std::string tenant;
  PostKind kind = PostKind::kNote;
  std::int64_t ticket_id = 0;
  std::string payload_json;                       // contract: docs/schema.md
  std::optional<std::string> idempotency_key;     // minted (UUID v4) when absent
  std::string provider = "connectwise";
};

struct EnqueueResult {
  std::int64_t id = 0;
  bool inserted = false;  // false: the key existed; id is the existing post
};

struct PostRow {
  std::int64_t id = 0;
  std::string tenant, provider;
  std::optional<PostKind> kind;            // nullopt only if the DB holds junk
  std::int64_t ticket_id = 0;
  // The stored ticket_id as text when SQLite holds it as something other than
  // an INTEGER (a hand-inserted '1010abc' or 1011.5, which ticket_id above
  // would silently round): such a post must be dead-lettered, never sent.
  std::optional<std::string> ticket_id_text;
  std::string payload;
  std::string idempotency_key;
  PostStatus status = PostStatus::kPending;
  int retry_count = 0;                     // failed attempts scheduled for retry
  int attempts = 0;                        // 'attempt' events so far (all time)
  int failures = 0;                        // post-specific failures since enqueue/requeue
  TimePoint next_retry_at;
  std::optional<std::string> last_error;
  std::optional<int> last_http_status;
  std::optional<std::string> remote_id;
  std::optional<TimePoint> lease_until;
  std::optional<TimePoint> last_requeued_at;  // latest 'requeued' event
  std::optional<TimePoint> first_claimed_at;  // earliest 'claimed' event: before any send
  int claims = 0;                          // 'claimed' events so far (this claim included)
  TimePoint created_at, updated_at;
};

struct ClaimedPost {
  PostRow post;
  bool reclaimed = false;  // it was in_flight with an expired lease (crash)
  std::optional<TimePoint> previous_lease;  // the expired lease, when reclaimed
};

struct ActivityRow {
  std::int64_t id = 0, post_id = 0;
  std::string tenant;
  std::optional<std::int64_t> ticket_id;
  ActivityEvent event = ActivityEvent::kEnqueued;
  std::optional<int> attempt, http_status;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::string> message;
  TimePoint at;
};

struct PostDetail {
  PostRow post;
  std::vector<ActivityRow> activity;  // oldest first
};

// One row of the psa_post_history view.
struct PostHistoryRow {
  std::int64_t post_id = 0;
  std::string tenant, provider, kind, status;
  std::int64_t ticket_id = 0;
  int attempts = 0, retry_count = 0;
  std::optional<int> last_http_status;
  std::optional<std::string> last_error, remote_id, last_event;
  TimePoint created_at, updated_at;
  std::optional<TimePoint> delivered_at, last_event_at;
};

struct QueueCounts {
  std::int64_t pending = 0, in_flight = 0, succeeded = 0, dead = 0;
};

// An upstream's own count of requests against its limit (Autotask's
// ThresholdInformation: the database's requests in the rolling hour), as the
// last pull read it. Kept in sync_meta under kUpstreamUsageKey.
inline constexpr const char* kUpstreamUsageKey = "upstream_usage";
struct UpstreamUsage {
  std::int64_t used = 0, limit = 0;
  TimePoint at{};
};

}  // namespace cwsync::storage
