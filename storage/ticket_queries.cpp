// Reads of the ticket cache and the full-text index `search`
// (docs/schema.md, "search").
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <string>
#include <vector>

#include "storage/cache_store.h"
#include "storage/row_codec.h"
#include "storage/sql_util.h"

namespace cwsync::storage {
namespace {

using detail::guarded;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// What SQLite said about a bad MATCH, in words a person can act on.
Error explain_match_error(const Error& e, std::string_view match) {
  const std::string& m = e.message;
  if (m.find("fts5:") == std::string::npos && m.find("no such column") == std::string::npos &&
      m.find("unterminated string") == std::string::npos &&
      m.find("unknown special query") == std::string::npos) {
    return e;
  }
  return make_error(ErrorKind::kInvalidInput,
                    "the search text is not a valid full-text query (" + m +
                        "); quote a phrase with \"...\", end a word with * for a prefix, and "
                        "combine with AND, OR, NOT",
                    std::string(match));
}

// The phrases of a query fts_query_from_text made ("word" or "word"*, one
// space apart); empty when `match` has any other shape (a raw FTS5 query
// runs as given).
std::vector<std::string> phrases_of(std::string_view match) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < match.size()) {
    if (match[i] != '"') return {};
    std::size_t j = i + 1;
    for (;; ++j) {
      if (j >= match.size()) return {};
      if (match[j] != '"') continue;
      if (j + 1 < match.size() && match[j + 1] == '"') {
        ++j;  // a doubled quote inside the phrase
        continue;
      }
      break;
    }
    ++j;  // past the closing quote
    if (j < match.size() && match[j] == '*') ++j;
    out.emplace_back(match.substr(i, j - i));
    if (j < match.size() && match[j] != ' ') return {};
    i = j + 1;
  }
  return out;
}

// How many records match `query`, counting no further than `cap` + 1.
int matches_up_to(SQLite::Database& db, const std::string& query, int cap) {
  SQLite::Statement count(db,
      "SELECT count(*) FROM (SELECT rowid FROM search WHERE search MATCH ? LIMIT ?)");
  count.bind(1, query);
  count.bind(2, cap + 1);
  count.executeStep();
  return count.getColumn(0).getInt();
}

// Leaves out the words that nearly every record holds ("Ltd" in company
// names) when rarer words remain: ANDing with such a word walks its whole
// list and costs hundreds of milliseconds at a million records, while it
// hardly narrows the result.
std::string without_frequent_words(SQLite::Database& db, std::string_view match) {
  const std::vector<std::string> phrases = phrases_of(match);
  if (phrases.size() < 2) return std::string(match);
  std::string kept;
  for (const std::string& p : phrases) {
    if (matches_up_to(db, p, kSearchFrequentWord) > kSearchFrequentWord) continue;
    kept += (kept.empty() ? "" : " ") + p;
  }
  return kept.empty() ? std::string(match) : kept;
}

}  // namespace

Result<std::string> fts_query_from_text(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    std::size_t j = i;
    while (j < text.size() && !is_space(text[j])) ++j;
    std::string_view word = text.substr(i, j - i);
    i = j;
    bool prefix = false;
    while (!word.empty() && word.back() == '*') {
      prefix = true;
      word.remove_suffix(1);
    }
    if (word.empty()) continue;
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : word) {
      if (c == '"') out += '"';  // FTS5 escapes a quote inside a phrase by doubling it
      out += c;
    }
    out += '"';
    if (prefix) out += '*';
  }
  if (out.empty()) {
    return make_error(ErrorKind::kInvalidInput, "the search text has no words to look for");
  }
  return out;
}

Result<std::optional<CachedTicket>> CacheStore::get_ticket(std::string_view tenant,
                                                           std::string_view id) {
  return guarded("get ticket", [&]() -> Result<std::optional<CachedTicket>> {
    SQLite::Statement st(db_->handle(),
        "SELECT " + detail::select_list(detail::ticket_columns()) +
        ", synced_at, deleted_at FROM psa_tickets WHERE tenant = ? AND id = ?");
    st.bind(1, std::string(tenant));
    st.bind(2, std::string(id));
    if (!st.executeStep()) return std::optional<CachedTicket>();
    CachedTicket t;
    t.row = detail::read_ticket(st);
    t.synced_at = detail::col_time_or_epoch(st.getColumn("synced_at"));
    t.deleted_at = detail::col_time(st.getColumn("deleted_at"));
    return std::optional<CachedTicket>(std::move(t));
  });
}

Result<std::int64_t> CacheStore::live_ticket_count(std::string_view tenant,
                                                   std::optional<TimePoint> closed_after) {
  return guarded("count tickets", [&]() -> Result<std::int64_t> {
    SQLite::Statement st(db_->handle(),
        "SELECT COUNT(*) FROM psa_tickets WHERE tenant = ? AND deleted_at IS NULL" +
            (closed_after ? detail::ticket_window_sql(*closed_after) : std::string()));
    st.bind(1, std::string(tenant));
    st.executeStep();
    return st.getColumn(0).getInt64();
  });
}

Result<std::vector<SearchHit>> CacheStore::search(std::string_view match,
                                                  const std::optional<std::string>& tenant,
                                                  const std::optional<std::string>& kind,
                                                  int limit) {
  auto hits = guarded("search", [&]() -> Result<std::vector<SearchHit>> {
    // bm25 scores every match before LIMIT applies; above kSearchRankLimit
    // matches the newest entries come first instead (a cheap reverse walk).
    const std::string query = without_frequent_words(db_->handle(), match);
    const bool ranked = matches_up_to(db_->handle(), query, kSearchRankLimit) <= kSearchRankLimit;
    SQLite::Statement st(db_->handle(),
        std::string("SELECT kind, id, tenant, number, title, body, "
                    "snippet(search, -1, '[', ']', '...', 12), rank FROM search "
                    "WHERE search MATCH :match AND (:tenant IS NULL OR tenant = :tenant) "
                    "AND (:kind IS NULL OR kind = :kind) ORDER BY ") +
            (ranked ? "rank" : "rowid DESC") + " LIMIT :limit");
    st.bind(":match", query);
    detail::bind(st, ":tenant", tenant);
    detail::bind(st, ":kind", kind);
    st.bind(":limit", limit > 0 ? limit : -1);
    std::vector<SearchHit> out;
    while (st.executeStep()) {
      SearchHit h;
      h.kind = st.getColumn(0).getString();
      h.id = st.getColumn(1).getString();
      h.tenant = st.getColumn(2).getString();
      h.number = detail::col_text(st.getColumn(3));
      h.title = detail::col_text(st.getColumn(4));
      h.body = detail::col_text(st.getColumn(5));
      h.snippet = st.getColumn(6).getString();
      h.rank = st.getColumn(7).getDouble();
      h.ranked = ranked;
      out.push_back(std::move(h));
    }
    return out;
  });
  if (!hits.ok()) return explain_match_error(hits.error(), match);
  return hits;
}

}  // namespace cwsync::storage
