// ingest_floor: the raw floor of a quote sync, no HTTP. Reads the bodies a
// sync fetches (quote pages and their item batches, dumped by
// ingest_bench.py), and for each quote page: parses the page and its item
// batches (parse_fast_page, the simdjson path cwsync's CPQ pulls use: raw
// bytes sliced, no DOM), then in ONE
// transaction upserts every quote, item and quote-derived pipeline row with
// prepared statements (sqlite3 C API, positional binds, typed values straight
// from the JSON, dates as the upstream text) into a fresh cache file with the
// cache schema, indexes and triggers (storage::migrate), then indexes the
// page's rows for full-text search as every cache writer does. Prints its own CPU (getrusage)
// excluding reading the dump. The connection has the pragmas cwsync's
// writer has (storage/database.cpp); FLOOR_PRAGMAS runs extra SQL before the
// ingest, for experiments. Never asserts.
//
//   ingest_floor DUMP DB        (DUMP: lines "Q <bytes>" / "I <bytes>", each
//                                followed by that many bytes of body)
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

#include "base/log.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/search_index.h"
#include "bodies_dump.h"
#include "sync/http/fast_page.h"

namespace {


using cwsync::bench::cpu_seconds;

struct PageBodies {
  std::string quotes;
  std::vector<std::string> items;
};

// The dump grouped by quote page: its body, then its item batches.
std::vector<PageBodies> read_pages(const char* path) {
  std::vector<PageBodies> pages;
  for (auto& body : cwsync::bench::read_bodies_dump(path)) {
    if (body.quotes) pages.push_back({std::move(body.text), {}});
    else if (!pages.empty()) pages.back().items.push_back(std::move(body.text));
  }
  return pages;
}

// Binds obj[key] with its JSON type: an integer, a boolean, a string (as
// text, even when it holds a decimal), another number, or NULL.
void bind_field(sqlite3_stmt* st, int i, const cwsync::ElementFields& obj, const char* key) {
  if (auto n = obj.exact_integer(key)) return void(sqlite3_bind_int64(st, i, *n));
  if (auto b = obj.boolean(key)) return void(sqlite3_bind_int(st, i, *b ? 1 : 0));
  if (auto t = obj.text(key)) {
    return void(sqlite3_bind_text(st, i, t->data(), static_cast<int>(t->size()), SQLITE_TRANSIENT));
  }
  if (auto d = obj.number(key)) return void(sqlite3_bind_double(st, i, *d));
  sqlite3_bind_null(st, i);
}

sqlite3_stmt* prepare(sqlite3* db, const std::string& table, const std::vector<const char*>& cols) {
  std::string names = "tenant, synced_at", marks = "'t', ?1", sets = "synced_at = excluded.synced_at";
  int k = 2;
  for (const char* c : cols) {
    names += std::string(", ") + c;
    marks += ", ?" + std::to_string(k++);
    if (std::string(c) != "id") sets += std::string(", ") + c + " = excluded." + c;
  }
  std::string sql = "INSERT INTO " + table + " (" + names + ") VALUES (" + marks +
                    ") ON CONFLICT (tenant, id) DO UPDATE SET " + sets;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "prepare %s: %s\n", table.c_str(), sqlite3_errmsg(db));
    std::exit(1);
  }
  return st;
}

void step(sqlite3* db, sqlite3_stmt* st) {
  if (sqlite3_step(st) != SQLITE_DONE) {
    std::fprintf(stderr, "step: %s\n", sqlite3_errmsg(db));
    std::exit(1);
  }
  sqlite3_reset(st);
}

// The peer's two tables (peer_sync.py), with the cache's column names so the
// same binds serve both.
std::string lean_table(const std::string& name, const std::vector<const char*>& cols) {
  std::string sql = "CREATE TABLE " + name + " (tenant TEXT, synced_at TEXT";
  for (const char* c : cols) sql += std::string(", ") + c;
  return sql + ", PRIMARY KEY (tenant, id));";
}

}  // namespace

int main(int argc, char** argv) {
  const bool lean = argc == 4 && std::string(argv[3]) == "--lean";
  if (argc != 3 && !lean) {
    std::fprintf(stderr, "usage: ingest_floor DUMP DB [--lean]\n");
    return 2;
  }
  cwsync::log::set_level(cwsync::log::Level::kWarn);
  const std::vector<PageBodies> pages = read_pages(argv[1]);
  if (!lean) {
    auto opened = cwsync::storage::Database::open(argv[2]);
    if (!opened || !cwsync::storage::migrate(*opened)) {
      std::fprintf(stderr, "cannot create %s\n", argv[2]);
      return 1;
    }
  }
  const double cpu0 = cpu_seconds();
  sqlite3* db = nullptr;
  sqlite3_open(argv[2], &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; "
               "PRAGMA wal_autocheckpoint=8192", nullptr, nullptr, nullptr);
  if (const char* extra = std::getenv("FLOOR_PRAGMAS")) sqlite3_exec(db, extra, nullptr, nullptr, nullptr);
  // (column, JSON key) pairs in bind order after synced_at.
  const std::vector<std::pair<const char*, const char*>> qcols = {
      {"id", "id"}, {"quote_number", "quoteNumber"}, {"quote_version", "quoteVersion"},
      {"name", "name"}, {"quote_status", "quoteStatus"}, {"quote_type", "quoteType"},
      {"account_name", "accountName"}, {"is_accepted", "isAccepted"}, {"is_sent", "isSent"},
      {"is_archive", "isArchive"}, {"is_lost", "isLost"}, {"lost_reason", "lostReason"},
      {"won_or_lost_date", "wonOrLostDate"}, {"quote_total", "quoteTotal"},
      {"subtotal", "subtotal"}, {"tax", "tax"}, {"gross_margin", "grossMargin"},
      {"probability", "probability"}, {"create_date", "createDate"},
      {"modify_date", "modifyDate"}, {"expiration_date", "expirationDate"},
      {"expected_close_date", "expectedCloseDate"}, {"crm_opportunity_id", "crmOpportunityId"},
      {"primary_rep", "primaryRep"}, {"inside_rep", "insideRep"}};
  const std::vector<std::pair<const char*, const char*>> icols = {
      {"id", "id"}, {"quote_id", "idQuote"}, {"tab_id", "idQuoteTabs"},
      {"item_number", "itemNumber"}, {"sort_order", "sortOrder"},
      {"short_description", "shortDescription"}, {"long_description", "longDescription"},
      {"manufacturer_part_number", "manufacturerPartNumber"}, {"product_type", "productType"},
      {"product_class", "productClass"}, {"quantity", "quantity"}, {"price", "quoteItemPrice"},
      {"cost", "cost"}, {"extended_price", "extendedPrice"}, {"extended_cost", "extendedCost"},
      {"gross_margin", "grossMargin"}, {"recurring_amount", "recurringAmount"},
      {"is_optional", "isOptional"}, {"is_selected", "isSelected"}, {"is_printed", "isPrinted"},
      {"is_taxable", "isTaxable"}, {"modify_date", "modifyDate"}};
  auto names = [](const auto& pairs) {
    std::vector<const char*> v;
    for (const auto& p : pairs) v.push_back(p.first);
    v.push_back("raw_json");
    return v;
  };
  if (lean) {
    const std::string ddl = lean_table("cpq_quotes", names(qcols)) +
                            lean_table("cpq_quote_items", names(icols)) +
                            "CREATE INDEX items_by_quote ON cpq_quote_items (tenant, quote_id);";
    sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, nullptr);
  }
  sqlite3_stmt* qst = prepare(db, "cpq_quotes", names(qcols));
  sqlite3_stmt* ist = prepare(db, "cpq_quote_items", names(icols));
  sqlite3_stmt* ost = lean ? nullptr
                           : prepare(db, "cpq_opportunities",
                                     {"id", "source", "name", "client_name", "status", "value",
                                      "date_entered", "last_updated", "raw_json"});
  sqlite3_stmt* del = nullptr;
  if (lean) {
    sqlite3_prepare_v3(db, "DELETE FROM cpq_quote_items WHERE tenant = 't' AND quote_id = ?1", -1,
                       SQLITE_PREPARE_PERSISTENT, &del, nullptr);
  }
  long long quotes = 0, items = 0;
  double flush_cpu = 0;
  for (const PageBodies& p : pages) {
    auto qpage = cwsync::parse_fast_page(p.quotes, "quotes");
    std::vector<cwsync::FastPage> ipages;
    for (const std::string& body : p.items) {
      auto parsed = cwsync::parse_fast_page(body, "items");
      if (!parsed) return 1;
      ipages.push_back(std::move(parsed).value());
    }
    if (!qpage) return 1;
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (std::size_t e = 0; e < qpage->size(); ++e) {
      const cwsync::ElementFields f = qpage->fields(e);
      const std::string_view raw = qpage->raw(e);
      sqlite3_bind_text(qst, 1, "2026-11-30T00:00:00Z", -1, SQLITE_STATIC);
      int k = 2;
      for (const auto& [col, key] : qcols) bind_field(qst, k++, f, key);
      sqlite3_bind_text(qst, k, raw.data(), static_cast<int>(raw.size()), SQLITE_STATIC);
      step(db, qst);
      ++quotes;
      if (lean) {
        const auto id = f.text("id");
        sqlite3_bind_text(del, 1, id ? id->data() : "", id ? static_cast<int>(id->size()) : 0,
                          SQLITE_STATIC);
        step(db, del);
        continue;
      }
      const std::string number = std::to_string(f.exact_integer("quoteNumber").value_or(0));
      sqlite3_bind_text(ost, 1, "2026-11-30T00:00:00Z", -1, SQLITE_STATIC);
      sqlite3_bind_text(ost, 2, number.data(), static_cast<int>(number.size()), SQLITE_STATIC);
      sqlite3_bind_text(ost, 3, "quotes", -1, SQLITE_STATIC);
      bind_field(ost, 4, f, "name");
      bind_field(ost, 5, f, "accountName");
      sqlite3_bind_text(ost, 6, f.boolean("isLost").value_or(false) ? "lost" : "open", -1,
                        SQLITE_STATIC);
      bind_field(ost, 7, f, "quoteTotal");
      bind_field(ost, 8, f, "createDate");
      bind_field(ost, 9, f, "modifyDate");
      sqlite3_bind_text(ost, 10, raw.data(), static_cast<int>(raw.size()), SQLITE_STATIC);
      step(db, ost);
    }
    for (const cwsync::FastPage& ip : ipages) {
      for (std::size_t e = 0; e < ip.size(); ++e) {
        const cwsync::ElementFields f = ip.fields(e);
        const std::string_view raw = ip.raw(e);
        sqlite3_bind_text(ist, 1, "2026-11-30T00:00:00Z", -1, SQLITE_STATIC);
        int k = 2;
        for (const auto& [col, key] : icols) bind_field(ist, k++, f, key);
        sqlite3_bind_text(ist, k, raw.data(), static_cast<int>(raw.size()), SQLITE_STATIC);
        step(db, ist);
        ++items;
      }
    }
    // The full-text index of the page's rows, as every cache writer does.
    const double f0 = cpu_seconds();
    if (!lean) {
      sqlite3_exec(db, cwsync::storage::detail::reindex_pending_sql(), nullptr, nullptr, nullptr);
    }
    flush_cpu += cpu_seconds() - f0;
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  for (sqlite3_stmt* st : {qst, ist, ost, del}) sqlite3_finalize(st);  // null is a no-op
  sqlite3_close(db);
  const double cpu = cpu_seconds() - cpu0;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"quotes\": %lld, \"items\": %lld, \"cpu_s\": %.3f, \"search_index_cpu_s\": %.3f, "
              "\"max_rss_kb\": %ld}\n", quotes, items, cpu, flush_cpu, ru.ru_maxrss);
  return 0;
}
