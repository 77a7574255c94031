// sync_bench: the full pull end to end. Starts cwsim (a child process) with
// 100k quotes (+ items) and 20k PSA opportunities, runs
// `cwsync sync --once --full` into a new SQLite file and prints quotes/s,
// requests made (and the paging minimum), and the child's peak RSS
// (getrusage via wait4). Baseline, same run, same rows: the bytes cwsync
// stored (every column of cpq_quotes and cpq_quote_items) are upserted again
// with plain SQLite (prepared INSERT .. ON CONFLICT DO UPDATE, 1000 rows per
// transaction, WAL) into a fresh file; only the write transactions are timed.
// Prints numbers, never asserts.
//
//   sync_bench [--quotes 100000] [--opportunities 20000] [--items-per-quote 3]
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "cwsim_process.h"
#include "temp_dir.h"

extern char** environ;

namespace {

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

struct ChildResult {
  int code = -1;
  double wall_s = 0, user_s = 0, sys_s = 0;
  long max_rss_kb = 0;
};

// Runs `argv` with stdout/stderr to files; returns its exit code and rusage.
ChildResult run_child(const std::vector<std::string>& args, const std::string& out_path,
                      const std::string& err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ChildResult r;
  pid_t pid = -1;
  auto t0 = SteadyClock::now();
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    std::perror("posix_spawn");
    return r;
  }
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  struct rusage ru {};
  if (wait4(pid, &status, 0, &ru) != pid) return r;
  r.wall_s = seconds_since(t0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.user_s = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  r.sys_s = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  r.max_rss_kb = ru.ru_maxrss;  // kilobytes on Linux
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The `--json` report: the one stdout line that is a JSON array.
nlohmann::json report_of(const std::string& out) {
  nlohmann::json report = nlohmann::json::array();
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '[') report = nlohmann::json::parse(line, nullptr, false);
  }
  return report;
}

using Value = std::variant<std::monostate, long long, double, std::string>;

struct RawTiming {
  long long rows = 0;
  double write_s = 0;  // inside the write transactions only
};

// Copies every row of `table` from `src` into the same-shaped table of `dst`
// with bound parameters, 1000 rows per transaction; times only the writes.
// with_schema: the cache's own CREATE TABLE and indexes (same write
// amplification as cwsync); otherwise the same columns with only the key.
RawTiming raw_upsert(SQLite::Database& src, SQLite::Database& dst, const std::string& table,
                     bool with_schema) {
  RawTiming t;
  std::vector<std::string> cols;
  {
    SQLite::Statement info(src, "SELECT name FROM pragma_table_info('" + table + "')");
    while (info.executeStep()) cols.push_back(info.getColumn(0).getString());
  }
  std::string col_list, params, updates;
  for (std::size_t k = 0; k < cols.size(); ++k) {
    col_list += (k ? "," : "") + cols[k];
    params += k ? ",?" : "?";
    if (cols[k] != "tenant" && cols[k] != "id") {
      updates += (updates.empty() ? "" : ",") + cols[k] + "=excluded." + cols[k];
    }
  }
  if (with_schema) {
    SQLite::Statement ddl(src, "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
                               "ORDER BY type = 'index'");
    ddl.bind(1, table);
    while (ddl.executeStep()) dst.exec(ddl.getColumn(0).getString());
  } else {
    dst.exec("CREATE TABLE " + table + " (" + col_list + ", PRIMARY KEY (tenant, id))");
  }
  SQLite::Statement insert(dst, "INSERT INTO " + table + " (" + col_list + ") VALUES (" + params +
                                    ") ON CONFLICT (tenant, id) DO UPDATE SET " + updates);
  SQLite::Statement read(src, "SELECT " + col_list + " FROM " + table + " ORDER BY rowid");
  std::vector<std::vector<Value>> page;
  auto flush = [&] {
    auto t0 = SteadyClock::now();
    SQLite::Transaction tx(dst);
    for (const auto& row : page) {
      for (std::size_t k = 0; k < row.size(); ++k) {
        const int i = static_cast<int>(k) + 1;
        if (auto* v = std::get_if<long long>(&row[k])) insert.bind(i, static_cast<int64_t>(*v));
        else if (auto* d = std::get_if<double>(&row[k])) insert.bind(i, *d);
        else if (auto* s = std::get_if<std::string>(&row[k])) insert.bind(i, *s);
        else insert.bind(i);
      }
      insert.exec();
      insert.reset();
    }
    tx.commit();
    t.write_s += seconds_since(t0);
    t.rows += static_cast<long long>(page.size());
    page.clear();
  };
  while (read.executeStep()) {
    std::vector<Value> row;
    row.reserve(cols.size());
    for (int k = 0; k < static_cast<int>(cols.size()); ++k) {
      SQLite::Column c = read.getColumn(k);
      if (c.isNull()) row.emplace_back(std::monostate{});
      else if (c.isInteger()) row.emplace_back(static_cast<long long>(c.getInt64()));
      else if (c.isFloat()) row.emplace_back(c.getDouble());
      else row.emplace_back(c.getString());
    }
    page.push_back(std::move(row));
    if (page.size() == 1000) flush();
  }
  if (!page.empty()) flush();
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int quotes = 100000, opportunities = 20000, items_per_quote = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (a == "--quotes") quotes = v;
    else if (a == "--opportunities") opportunities = v;
    else if (a == "--items-per-quote") items_per_quote = v;
    else {
      std::fprintf(stderr, "usage: sync_bench [--quotes N] [--opportunities N] [--items-per-quote N]\n");
      return 2;
    }
  }
  cwsync::test::TempDir dir("cwsync-sync-bench-");
  std::printf("sync_bench: %d quotes (~%d items each), %d opportunities; cwsim with 2 threads\n",
              quotes, items_per_quote, opportunities);
  cwsync::test::CwsimProcess sim({"--quotes", std::to_string(quotes), "--opportunities",
                                  std::to_string(opportunities), "--items-per-quote",
                                  std::to_string(items_per_quote), "--threads", "2"},
                                 std::chrono::seconds(120));
  const std::string db = dir.file("cache.db").string();
  const std::string config = dir.file("cwsync.yaml").string();
  {
    // The bench measures cwsync, not the 25-per-5s limiter: limits are lifted.
    std::ofstream out(config);
    out << "database: " << db << "\n"
        << "log: { level: warn, format: json }\n"
        << "defaults:\n  page_size: 1000\n"
        << "tenants:\n  - name: bench\n"
        << "    cpq:\n      base_url: " << sim.base_url() << "\n"
        << "      access_key: cwsim\n      public_key: cwsim-public\n"
        << "      private_key: cwsim-private\n"
        << "      rate_limit: { requests: 100000, per: 1s }\n"
        << "    psa:\n      site: " << sim.base_url() << "\n"
        << "      company_id: cwsim\n      public_key: cwsim-public\n"
        << "      private_key: cwsim-private\n"
        << "      client_id: 00000000-0000-0000-0000-000000000000\n"
        << "      rate_limit: { requests: 100000, per: 1s }\n";
  }
  ::chmod(config.c_str(), 0600);

  ChildResult run = run_child({CWSYNC_BINARY, "--config", config, "sync", "--once", "--full", "--json"},
                              dir.file("out.txt").string(), dir.file("err.txt").string());
  nlohmann::json report = report_of(read_file(dir.file("out.txt").string()));
  if (run.code != 0 || !report.is_array()) {
    std::printf("cwsync sync failed (exit %d)\n%s\n%s\n", run.code,
                read_file(dir.file("out.txt").string()).c_str(),
                read_file(dir.file("err.txt").string()).c_str());
    return 1;
  }
  long long quote_calls = 0, opp_calls = 0, quote_pages = 0;
  for (const auto& e : report) {
    if (e["entity"] == "quotes") {
      quote_calls = e["api_calls"];
      quote_pages = e["pages"];
    } else {
      opp_calls = e["api_calls"];
    }
  }

  SQLite::Database src(db, SQLite::OPEN_READONLY);
  const long long stored_quotes = src.execAndGet("SELECT count(*) FROM cpq_quotes").getInt64();
  const long long stored_items = src.execAndGet("SELECT count(*) FROM cpq_quote_items").getInt64();
  const long long stored_opps = src.execAndGet("SELECT count(*) FROM cpq_opportunities").getInt64();
  const long long item_requests = quote_calls - quote_pages;
  // The paging minimum: pages of 1000 (+1 when the last page is full), and
  // item batches limited by the 2000-character URL rule (~40 GUIDs each).
  const long long min_quote_pages = stored_quotes / 1000 + 1;
  const long long min_opp_pages = stored_opps / 1000 + 1;

  auto raw_run = [&](const std::string& file, bool with_schema) {
    SQLite::Database dst(dir.file(file).string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    dst.exec("PRAGMA journal_mode=WAL");
    dst.exec("PRAGMA synchronous=NORMAL");  // as storage/database.cpp
    RawTiming q = raw_upsert(src, dst, "cpq_quotes", with_schema);
    RawTiming i = raw_upsert(src, dst, "cpq_quote_items", with_schema);
    return std::pair{q, i};
  };
  auto [rq, ri] = raw_run("raw_schema.db", true);
  auto [bq, bi] = raw_run("raw_bare.db", false);
  const double raw_s = rq.write_s + ri.write_s;
  const double bare_s = bq.write_s + bi.write_s;

  const double sync_qps = stored_quotes / run.wall_s;
  const double raw_qps = stored_quotes / raw_s;
  const double bare_qps = stored_quotes / bare_s;
  std::printf("stored:        %lld quotes, %lld items, %lld opportunities\n", stored_quotes,
              stored_items, stored_opps);
  std::printf("cwsync sync:   %.2f s wall (%.2f s user, %.2f s sys), exit %d\n", run.wall_s,
              run.user_s, run.sys_s, run.code);
  std::printf("quotes/s:      %.0f (quotes with their items, whole run incl. opportunities)\n",
              sync_qps);
  std::printf("requests:      %lld total = %lld quote pages + %lld item batches + %lld PSA "
              "(paging minimum without item batches: %lld + %lld)\n",
              quote_calls + opp_calls, quote_pages, item_requests, opp_calls, min_quote_pages,
              min_opp_pages);
  std::printf("peak RSS:      %.1f MB (child, getrusage)\n", run.max_rss_kb / 1024.0);
  std::printf("raw SQLite:    %lld quote rows + %lld item rows upserted in %.2f s = %.0f quotes/s "
              "(cache schema: same table + indexes)\n",
              rq.rows, ri.rows, raw_s, raw_qps);
  std::printf("raw bare:      same rows in %.2f s = %.0f quotes/s (key only, no indexes)\n", bare_s,
              bare_qps);
  std::printf("ratio:         sync/raw = %.1f%% (target >= 50%%), sync/bare = %.1f%%; RSS target "
              "<= 64 MB\n",
              100.0 * sync_qps / raw_qps, 100.0 * sync_qps / bare_qps);
  return 0;
}
