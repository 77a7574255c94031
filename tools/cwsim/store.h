// The simulator's data: every record both APIs serve, generated from a seed
// and changed by mutations. One mutex guards it all; handlers hold it while
// they read or write and release it before any delay or network write.
#pragma once

#include "value.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace cwsim {

using Json = nlohmann::json;

// Parameters of the generated data set (a subset of the CLI options).
struct DataSpec {
  uint64_t seed = 1;
  int quotes = 200;          // rows the default /api/quotes listing shows
  int opportunities = 100;
  int tickets = 20;
  int items_per_quote = 3;   // average
  TimeMs now = 0;            // reference "now"; generated dates lie before it
};

// One row of CPQ's QuoteView. Text that repeats across rows (accounts, reps)
// is stored as an index into the store's tables to keep 100k rows small.
struct Quote {
  uint64_t seq = 0;                 // listing order (creation order)
  std::string id;                   // GUID
  int64_t quote_number = 0;
  int quote_version = 1;
  bool latest = true;               // newest version of its quote number
  std::string name;
  std::string quote_status;
  std::string quote_type;
  int account = -1;                 // index into Store::accounts; -1 = null
  bool is_accepted = false, is_sent = false, is_archive = false, is_lost = false;
  std::optional<std::string> lost_reason;
  std::optional<TimeMs> won_or_lost_date;
  double quote_total = 0, subtotal = 0, tax = 0, gross_margin = 0, recurring_total = 0;
  int probability = 0;
  TimeMs create_date = 0, modify_date = 0;
  std::optional<TimeMs> expiration_date, expected_close_date;
  std::optional<std::string> crm_opportunity_id;
  int primary_rep = -1, inside_rep = -1;  // index into Store::reps; -1 = null
  std::optional<std::string> short_description;
  bool has_custom = false;          // zCustom* present at all (else missing)
  std::optional<std::string> z_custom_text1;
  std::optional<double> z_custom_decimal1;
  std::optional<TimeMs> z_custom_date1;
  uint64_t item_seed = 0;
  int item_count = 0;

  // Serialized JSON for one includeFields spec; reset on every change.
  mutable std::string cache;
  mutable uint32_t cache_spec = 0;
};

struct Account {
  std::string name;
  std::string customer_id;  // GUID of the Sell customer record
};

struct Store {
  std::mutex mu;
  DataSpec spec;

  // CPQ
  std::vector<Account> accounts;
  std::vector<std::string> reps;
  std::vector<Quote> quotes;                          // all rows, seq order
  std::unordered_map<std::string, size_t> quote_by_id;
  std::map<int64_t, std::vector<size_t>> quote_versions;  // number -> rows
  std::vector<Json> deleted_quotes;                   // tombstones {id, quoteNumber, quoteVersion, deletedAt}
  int64_t next_quote_number = 0;
  uint64_t next_seq = 0;
  std::map<std::string, uint32_t> field_specs;        // includeFields -> cache id

  // Bumped by every mutation; invalidates listing_cache.
  uint64_t generation = 0;
  // Row indices matching a (conditions, showAllVersions) key, so paging
  // through a filtered listing is O(pageSize) per page, not O(rows).
  struct Listing {
    std::string key;
    uint64_t generation = 0;
    std::vector<uint32_t> rows;
  };
  std::vector<Listing> listing_cache;  // most recent first, at most 4

  // PSA
  std::map<int64_t, Json> opportunities;              // by id
  std::vector<Json> deleted_opportunities;            // tombstones {id, deletedAt}
  std::vector<Json> opportunity_statuses;
  std::vector<Json> members;
  std::vector<Json> boards;                           // {id, name}
  std::vector<Json> board_statuses;                   // each with board{id}
  std::map<int64_t, Json> tickets;
  std::vector<Json> deleted_tickets;                  // tombstones {id, deletedAt}
  std::map<int64_t, std::vector<Json>> notes;         // ticket id -> notes
  std::vector<Json> time_entries;
  int64_t next_opportunity_id = 1, next_note_id = 50001, next_time_entry_id = 70001;
  int64_t next_ticket_id = 1001;

  // Autotask PSA: the records cwsim stores for its Autotask personality
  // (autotask_data.cpp). Opportunities, companies and resources are views of
  // the ConnectWise records above, so mutations of those show in both.
  struct Autotask {
    std::map<int64_t, Json> tickets;                  // by id
    std::map<int64_t, std::vector<Json>> notes;       // ticket id -> TicketNotes
    std::vector<Json> time_entries;
    std::vector<Json> resource_roles;                 // ResourceRoles rows
    int64_t next_note_id = 0, next_time_entry_id = 0;
    // The zone the database lives in, as a path prefix of its REST root:
    // "" serves /ATServicesRest/, "/ws2" serves /ws2/ATServicesRest/. The
    // `autotask_zone` mutation moves it (docs/simulator.md).
    std::string zone;
    // When set, the zone lookup names this URL instead of cwsim's own root:
    // one cwsim then plays the lookup host for a database another serves
    // (a zone on another host). `autotask_zone` with `url` sets it.
    std::string zone_url;
  } at;

  // Deterministic randomness for mutations (seeded from spec.seed).
  uint64_t mutation_state = 0;

  // Fills everything from `s`. Deterministic for a given spec.
  void generate(const DataSpec& s);

  // Indices of the rows /api/quotes lists (latest, not archived unless all).
  bool quote_visible(const Quote& q, bool show_all_versions) const {
    return show_all_versions || (q.latest && !q.is_archive);
  }
  // Line items of a quote, regenerated from its item seed (never stored).
  std::vector<Json> quote_items(const Quote& q) const;
  // The full JSON object of a quote (every field; zCustom only if present).
  Json quote_json(const Quote& q) const;
  // Next pseudo-random number for mutations.
  uint64_t next_random();
};

// Fills store.at (autotask_data.cpp); the last step of Store::generate.
void generate_autotask(Store& s);

// Deterministic generator: SplitMix64. Chosen over <random> distributions
// because their output is implementation-defined.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next();
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) { return next() % n; }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  // Random v4-shaped GUID, lower-case.
  std::string guid();

 private:
  uint64_t s_;
};

// Mixes a seed with a stream tag and an index into an independent seed.
uint64_t mix_seed(uint64_t seed, uint64_t stream, uint64_t index);

}  // namespace cwsim
