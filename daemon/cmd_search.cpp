// `cwsync search TEXT... [--tenant T] [--kind quote|opportunity|ticket]
// [--limit N] [--fts] [--json]`: ranked full-text search of the cache (the
// `search` index, docs/schema.md). The words are quoted before they reach
// FTS5, so `network upgrade` and `T-100` work as typed; `--fts` passes TEXT
// as an FTS5 query instead. Exit 0 (also with no hits); 2 bad input (an
// unknown tenant, an invalid --fts query explained in words); 78 config;
// 1 database failure.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "daemon/command.h"
#include "daemon/ticket_report.h"
#include "storage/cache_store.h"

namespace cwsync::daemon {
namespace {

struct SearchArgs {
  std::vector<std::string> words;
  std::string tenant;
  std::string kind;
  int limit = 20;
  bool fts = false;
  bool json = false;
};

int search_fail(const Error& e, int code) {
  std::cerr << "cwsync search: " << e.describe() << "\n";
  return code;
}

int run_search(const Context& ctx, const SearchArgs& a) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;
  if (!a.tenant.empty() && cfg->find_tenant(a.tenant) == nullptr) {
    std::cerr << "cwsync search: unknown tenant '" << a.tenant << "'\n";
    return kExitUsage;
  }
  std::string text;
  for (const auto& w : a.words) text += (text.empty() ? "" : " ") + w;
  auto match = a.fts ? Result<std::string>(text) : storage::fts_query_from_text(text);
  if (!match.ok()) return search_fail(match.error(), kExitUsage);
  auto db = open_reader(cfg->database);
  if (!db.ok()) return search_fail(db.error(), kExitFailure);
  if (auto s = require_ticket_schema(*db); !s.ok()) return search_fail(s.error(), kExitFailure);
  storage::CacheStore cache(*db);
  std::optional<std::string> tenant, kind;
  if (!a.tenant.empty()) tenant = a.tenant;
  if (!a.kind.empty()) kind = a.kind;
  auto hits = cache.search(*match, tenant, kind, a.limit);
  if (!hits.ok()) {
    return search_fail(hits.error(),
                       hits.error().kind == ErrorKind::kInvalidInput ? kExitUsage : kExitFailure);
  }
  if (a.json) {
    std::cout << search_json(text, *match, *hits).dump(2) << "\n";
  } else {
    std::cout << search_text(*hits);
  }
  return kExitOk;
}

void register_search(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SearchArgs>();
  auto* cmd = app.add_subcommand("search", "ranked full-text search of cached quotes, "
                                           "opportunities and tickets");
  cmd->add_option("text", a->words, "words to look for; end a word with * for a prefix")
      ->required();
  cmd->add_option("--tenant", a->tenant, "only this tenant");
  cmd->add_option("--kind", a->kind, "only this kind of record")
      ->check(CLI::IsMember({"quote", "opportunity", "ticket"}));
  cmd->add_option("--limit", a->limit, "hits shown")->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--fts", a->fts, "TEXT is an FTS5 query (phrases, OR, NOT, column:)");
  cmd->add_flag("--json", a->json, "machine-readable output");
  ctx.on_run(cmd, [&ctx, a] { return run_search(ctx, *a); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(search, register_search);

}  // namespace cwsync::daemon
