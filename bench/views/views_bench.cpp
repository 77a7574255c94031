// views_bench: how fast every documented view answers at dashboard scale.
// Fills a fresh cache file with --quotes quotes of tenant "q" (source quotes:
// about 1.2 versions per quote number, one pipeline item per number) plus a
// PSA tenant "p" (quotes/5 PSA opportunities, as many linked quotes) and
// --posts PSA posts with four activity rows each, all through the storage
// layer. Then times `SELECT * FROM <view>` (every row stepped) for each view,
// p50/p99 over up to 50 runs, first on a quiet file and then while a second
// connection re-writes pages of 1000 quotes + pipeline items in a loop (a full
// sync). Baseline, same run: `SELECT TOTAL(value) FROM cpq_opportunities` (one scan).
// Each query is also timed against the schema-v1 and schema-v5 definitions of
// the views, kept as TEMP views v1_<name> and v5_<name> on the same file (they
// profit from the current indexes too: for the figures before an index was
// added, run the bench built from the commit before it). cpq_at_risk_totals
// (version 8) has no older definition: its v1 and v5 columns time it as is.
// Prints numbers, never asserts.
//
//   views_bench [--quotes 100000] [--posts 10000] [--runs 50]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <unistd.h>

#include "base/log.h"
#include "storage/cache_store.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "storage/schema_sql.h"

using namespace cwsync;
using namespace cwsync::storage;

namespace {

using Steady = std::chrono::steady_clock;
const char* const kViews[] = {"cpq_quote_latest", "cpq_pipeline_items", "cpq_pipeline",
                              "cpq_backlog",      "cpq_at_risk",        "cpq_at_risk_totals",
                              "cpq_recent_wins",  "psa_post_history"};
// The example queries docs/schema.md gives for each view (what a dashboard runs).
const char* const kExamples[] = {
    "SELECT tenant, open_count, printf('%.2f', open_value) AS open_value, won_count, lost_count, "
    "round(win_rate * 100, 1) AS win_rate_pct FROM cpq_pipeline",
    "SELECT name, client_name, value, age_days FROM cpq_backlog WHERE tenant = 'q' "
    "ORDER BY age_days DESC LIMIT 20",
    "SELECT tenant, COUNT(*) AS at_risk, SUM(value) AS value_at_risk FROM cpq_at_risk GROUP BY tenant",
    "SELECT tenant, at_risk_count, at_risk_value FROM cpq_at_risk_totals",
    "SELECT tenant, COUNT(*), SUM(value) FROM cpq_pipeline_items "
    "WHERE status = 'open' AND age_days > COALESCE((SELECT CAST(value AS INTEGER) FROM settings "
    "WHERE key = 'at_risk_days'), 45) GROUP BY tenant",
    "SELECT name, client_name, value, closed_date FROM cpq_recent_wins WHERE tenant = 'q'",
    "SELECT stage_name, COUNT(*), SUM(value) FROM cpq_pipeline_items WHERE tenant = 'p' AND "
    "status = 'open' GROUP BY stage_name",
    "SELECT quote_number, name, quote_total FROM cpq_quote_latest WHERE tenant = 'p' AND "
    "crm_opportunity_id = '4711'",
    "SELECT post_id, kind, status, attempts, last_http_status, last_error, delivered_at "
    "FROM psa_post_history WHERE ticket_id = 1234 ORDER BY post_id"};

const char* const kViewNames =
    "\\b(cpq_quote_latest|cpq_pipeline_items|cpq_pipeline|cpq_backlog|cpq_at_risk|"
    "cpq_recent_wins|psa_post_history)\\b";

// `sql` with the views renamed <prefix>_<name>.
std::string renamed(const std::string& sql, const std::string& prefix) {
  return std::regex_replace(sql, std::regex(kViewNames), prefix + "_$1");
}

// The views of schema v1 and of schema v5 (v1's, then migration 5's
// redefinitions) as TEMP views v1_<name> and v5_<name>, to time them against
// the current ones on the same data in the same run.
void create_old_views(SQLite::Database& db) {
  const std::string v1 = cwsync::storage::detail::kSchemaV1Views;
  const std::string summary = cwsync::storage::detail::schema_pipeline_summary();
  const std::string v5 = v1 + summary.substr(summary.find("DROP VIEW cpq_quote_latest;"));
  for (const auto& [prefix, sql] : {std::pair<std::string, std::string>{"v1", v1}, {"v5", v5}}) {
    db.exec(renamed(std::regex_replace(sql, std::regex("CREATE VIEW"), "CREATE TEMP VIEW"), prefix));
  }
}

TimePoint days_ago(double d) {
  return std::chrono::floor<std::chrono::seconds>(
      std::chrono::system_clock::now() -
      std::chrono::seconds(static_cast<long long>(d * 86400.0)));
}

struct Gen {
  std::mt19937_64 rng{7};
  double uniform(double a, double b) { return std::uniform_real_distribution<>(a, b)(rng); }
};

QuoteRow make_quote(Gen& g, long long number, int version, const std::string& opp) {
  QuoteRow q;
  q.id = "q-" + std::to_string(number) + "-" + std::to_string(version);
  q.quote_number = number;
  q.quote_version = version;
  q.name = "Quote " + std::to_string(number);
  q.account_name = "Client " + std::to_string(number % 997);
  const double r = g.uniform(0, 1);
  q.is_lost = r < 0.25;
  q.is_accepted = r >= 0.25 && r < 0.6;
  q.create_date = days_ago(g.uniform(1, 720));
  if (q.is_lost || q.is_accepted) q.won_or_lost_date = days_ago(g.uniform(0, 365));
  q.modify_date = days_ago(g.uniform(0, 30));
  q.quote_total = g.uniform(100, 90000);
  q.quote_status = q.is_lost ? "Lost" : (q.is_accepted ? "Won" : "Open");
  if (!opp.empty()) q.crm_opportunity_id = opp;
  q.raw_json = R"({"id":")" + q.id + R"(","note":"a quote of about three hundred bytes of json text, )"
               R"(standing in for the object CPQ sent, with a few more fields to be realistic"})";
  return q;
}

OpportunityRow quote_item(const QuoteRow& q) {
  OpportunityRow o;
  o.source = OpportunitySource::kQuotes;
  o.id = std::to_string(q.quote_number);
  o.name = q.name;
  o.client_name = q.account_name;
  o.status = q.is_lost ? OpportunityStatus::kLost
                       : (q.is_accepted ? OpportunityStatus::kWon : OpportunityStatus::kOpen);
  o.value = q.quote_total;
  if (o.status != OpportunityStatus::kOpen) o.closed_date = q.won_or_lost_date;
  o.date_entered = q.create_date;
  o.last_updated = q.modify_date;
  o.raw_json = q.raw_json;
  return o;
}

// Writes quote numbers [from, to) of tenant q (and their pipeline items) in
// pages of 1000, `version` per number.
void write_quotes(CacheStore& cache, Gen& g, long long from, long long to, int version) {
  for (long long n = from; n < to;) {
    auto page = cache.begin_page("q", std::chrono::system_clock::now());
    if (!page) std::exit(1);
    for (long long end = std::min(to, n + 1000); n < end; ++n) {
      QuoteRow q = make_quote(g, n, version, "");
      if (!page->upsert_quote(q) || !page->upsert_opportunity(quote_item(q))) std::exit(1);
    }
    if (!page->commit()) std::exit(1);
  }
}

void fill(Database& db, long long quotes, int posts) {
  CacheStore cache(db);
  Gen g;
  write_quotes(cache, g, 0, quotes * 5 / 6, 1);
  write_quotes(cache, g, 0, quotes / 6, 2);  // second versions: quotes in total
  const long long psa = quotes / 5;
  for (long long n = 0; n < psa;) {
    auto page = cache.begin_page("p", std::chrono::system_clock::now());
    for (long long end = std::min(psa, n + 1000); n < end; ++n) {
      QuoteRow q = make_quote(g, 500000 + n, 1, std::to_string(1 + n % (psa / 2 + 1)));
      OpportunityRow o = quote_item(q);
      o.source = OpportunitySource::kPsa;
      o.id = std::to_string(1 + n);
      o.value.reset();
      if (!page->upsert_quote(q) || !page->upsert_opportunity(o)) std::exit(1);
    }
    if (!page->commit()) std::exit(1);
  }
  SQLite::Database& h = db.handle();
  SQLite::Transaction tx(h);
  SQLite::Statement post(h, "INSERT INTO psa_posts (tenant, kind, ticket_id, payload, status) "
                            "VALUES ('p', 'note', ?, '{\"text\":\"hello\"}', ?)");
  SQLite::Statement act(h, "INSERT INTO psa_activity_log (post_id, tenant, ticket_id, event, "
                           "attempt, at) VALUES (?, 'p', ?, ?, 1, '2026-11-30T10:00:00Z')");
  for (int k = 1; k <= posts; ++k) {
    post.bind(1, 1000 + k % 500);
    post.bind(2, k % 10 == 0 ? "dead" : "succeeded");
    post.exec();
    post.reset();
    for (const char* e : {"claimed", "attempt", k % 10 == 0 ? "dead_lettered" : "succeeded"}) {
      act.bind(1, k);
      act.bind(2, 1000 + k % 500);
      act.bind(3, e);
      act.exec();
      act.reset();
    }
  }
  tx.commit();
}

struct Timing {
  double p50 = 0, p99 = 0;
  long long rows = 0;
};

Timing time_query(SQLite::Database& db, const std::string& sql, int runs) {
  std::vector<double> ms;
  Timing t;
  const auto budget = Steady::now() + std::chrono::seconds(10);
  for (int k = 0; k < runs && Steady::now() < budget; ++k) {
    const auto t0 = Steady::now();
    SQLite::Statement st(db, sql);
    long long rows = 0;
    while (st.executeStep()) ++rows;
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    t.rows = rows;
  }
  std::sort(ms.begin(), ms.end());
  t.p50 = ms[ms.size() / 2];
  t.p99 = ms[std::min(ms.size() - 1, static_cast<std::size_t>(ms.size() * 0.99))];
  return t;
}

void report(SQLite::Database& db, int runs, const char* label) {
  const Timing base = time_query(db, "SELECT TOTAL(value) FROM cpq_opportunities", runs);
  std::printf("%s (baseline, one scan of cpq_opportunities: p50 %.2f ms)\n", label, base.p50);
  std::printf("  %-58s %7s %7s %7s %7s %7s %7s %6s\n", "query", "rows", "v1 p50", "v5 p50",
              "v5 p99", "now p50", "now p99", "v5/now");
  auto line = [&](const std::string& name, const std::string& sql) {
    const Timing v1 = time_query(db, renamed(sql, "v1"), runs);
    const Timing v5 = time_query(db, renamed(sql, "v5"), runs);
    const Timing now = time_query(db, sql, runs);
    std::printf("  %-58.58s %7lld %7.2f %7.2f %7.2f %7.2f %7.2f %6.1f\n", name.c_str(), now.rows,
                v1.p50, v5.p50, v5.p99, now.p50, now.p99, v5.p50 / now.p50);
  };
  for (const char* v : kViews) line(std::string("SELECT * FROM ") + v, std::string("SELECT * FROM ") + v);
  for (const char* e : kExamples) line(e, e);
}

}  // namespace

int main(int argc, char** argv) {
  long long quotes = 100000;
  int posts = 10000, runs = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--quotes") quotes = std::atoll(argv[i + 1]);
    else if (a == "--posts") posts = std::atoi(argv[i + 1]);
    else if (a == "--runs") runs = std::atoi(argv[i + 1]);
  }
  log::set_level(log::Level::kWarn);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cwsync-views-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "cache.db").string();
  auto db = Database::open(path);
  if (!db || !migrate(*db)) return 1;
  const auto t0 = Steady::now();
  fill(*db, quotes, posts);
  std::printf("views_bench: %lld quotes of tenant q + %lld PSA opportunities of tenant p, %d posts "
              "(filled in %.1f s)\n",
              quotes, quotes / 5, posts,
              std::chrono::duration<double>(Steady::now() - t0).count());
  auto reader = Database::open(path, {.read_only = true});
  if (!reader) return 1;
  create_old_views(reader->handle());
  report(reader->handle(), runs, "quiet");

  std::atomic<bool> stop{false};
  std::atomic<long long> pages{0};
  std::thread writer([&] {
    auto wdb = Database::open(path);
    if (!wdb) return;
    CacheStore cache(*wdb);
    Gen g;
    for (long long n = 0; !stop.load(); n = (n + 1000) % (quotes * 5 / 6)) {
      write_quotes(cache, g, n, n + 1000, 1);
      pages.fetch_add(1);
    }
  });
  report(reader->handle(), runs, "while a full sync writes");
  stop.store(true);
  writer.join();
  std::printf("writer committed %lld pages of 1000 quotes + items meanwhile\n", pages.load());
  std::filesystem::remove_all(dir);
  return 0;
}
