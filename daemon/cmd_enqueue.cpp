// `cwsync enqueue note|status|time ...`: adds one PSA post to the queue
// (docs/queue.md). The options are checked and the payload built by
// daemon/enqueue_args.h, with the parser the drainer uses, so what the CLI
// accepts is exactly what the drainer can deliver. Exit 0 when queued (or when the
// --idempotency-key was already queued: a no-op), 2 on invalid input, 78 on a
// config error, 1 when the database fails.
//
//   note   --ticket N --type internal|resolution|description
//          (--text-file F | --text S) [--member EMAIL|ID] [--customer-visible]
//   status --ticket N --status NAME|ID
//   time   --ticket N --start ISO --end ISO [--rounding 15m|30m|exact|none]
//          [--billable Billable|DoNotBill|NoCharge|NoDefault] [--notes-file F]
//          [--member EMAIL|ID]
// All take [--tenant T] (required when several tenants have psa),
// [--idempotency-key K] and [--json].
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "daemon/command.h"
#include "daemon/enqueue_args.h"
#include "storage/database.h"
#include "storage/queue_store.h"

namespace cwsync::daemon {
namespace {

using nlohmann::json;

int bad_input(const std::string& what) {
  std::cerr << "cwsync enqueue: " << what << "\n";
  return kExitUsage;
}

int run_enqueue(const Context& ctx, storage::PostKind kind, const EnqueueArgs& a) {
  auto loaded = ctx.load_config();
  auto* cfg = std::get_if<Config>(&loaded);
  ctx.init_cli_logging(cfg);
  if (cfg == nullptr) return kExitConfig;

  std::string tenant = a.tenant;
  if (tenant.empty()) {
    std::vector<std::string> psa;
    for (const Tenant& t : cfg->tenants) {
      if (t.psa) psa.push_back(t.name);
    }
    if (psa.size() != 1) return bad_input("--tenant is required (" + std::to_string(psa.size()) +
                                          " tenants have a psa connection)");
    tenant = psa.front();
  }
  const Tenant* t = cfg->find_tenant(tenant);
  if (t == nullptr) return bad_input("unknown tenant '" + tenant + "'");
  if (!t->psa) return bad_input("tenant '" + tenant + "' has no psa connection");
  auto checked = build_enqueue_row(kind, a);
  if (!checked.ok()) return bad_input(checked.error().message);

  auto db = open_writer(cfg->database, "enqueue");
  if (!db) return kExitFailure;
  storage::QueueStore store(*db);
  storage::NewPost post;
  post.tenant = tenant;
  post.provider = to_string(t->psa->provider);
  post.kind = kind;
  post.ticket_id = checked->ticket_id;
  post.payload_json = checked->payload_json;
  if (!a.key.empty()) post.idempotency_key = a.key;
  auto r = store.enqueue(post, SystemClock::instance().now());
  if (!r.ok()) {
    if (r.error().kind == ErrorKind::kInvalidInput) return bad_input(r.error().message);
    std::cerr << "cwsync enqueue: " << r.error().describe() << "\n";
    return kExitFailure;
  }
  auto row = store.get(r->id);
  std::string key = (row.ok() && row->has_value()) ? (*row)->post.idempotency_key : a.key;
  if (a.json) {
    std::cout << json{{"id", r->id}, {"idempotency_key", key}, {"inserted", r->inserted},
                      {"tenant", tenant}, {"kind", storage::to_string(kind)},
                      {"ticket_id", checked->ticket_id}}
                     .dump()
              << "\n";
  } else if (r->inserted) {
    std::cout << "queued post " << r->id << " (" << storage::to_string(kind) << " for ticket "
              << checked->ticket_id << ", key " << key << ")\n";
  } else {
    std::cout << "already queued: post " << r->id << " has key " << key << " (nothing added)\n";
  }
  return kExitOk;
}

// An option whose presence matters even when its value is empty.
void optional_text(CLI::App* cmd, const char* name, std::optional<std::string>& out,
                   const char* help) {
  cmd->add_option_function<std::string>(name, [&out](const std::string& v) { out = v; }, help);
}

void common(CLI::App* cmd, EnqueueArgs& a) {
  cmd->add_option("--tenant", a.tenant, "tenant (required when several have psa)");
  cmd->add_option("--ticket", a.ticket, "PSA service ticket id")->required();
  cmd->add_option("--idempotency-key", a.key, "caller's key; a repeat is a no-op (default: new UUID)");
  cmd->add_flag("--json", a.json, "machine-readable output");
}

void register_enqueue(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("enqueue", "add a PSA post (note, status, time entry) to the queue");
  cmd->require_subcommand(1);

  auto n = std::make_shared<EnqueueArgs>();
  auto* note = cmd->add_subcommand("note", "a ticket note");
  common(note, *n);
  note->add_option("--type", n->type, "internal | resolution | description")
      ->check(CLI::IsMember({"internal", "resolution", "description"}, CLI::ignore_case));
  optional_text(note, "--text-file", n->text_file, "file with the note text ('-': stdin)");
  optional_text(note, "--text", n->text, "the note text inline (instead of --text-file)");
  note->add_option("--member", n->member, "PSA member: email, identifier or id");
  note->add_flag("--customer-visible", n->customer_visible, "notify the customer (processNotifications)");
  ctx.on_run(note, [&ctx, n] { return run_enqueue(ctx, storage::PostKind::kNote, *n); });

  auto s = std::make_shared<EnqueueArgs>();
  auto* status = cmd->add_subcommand("status", "a ticket status change");
  common(status, *s);
  status->add_option("--status", s->status, "status name (on the ticket's board) or id")->required();
  ctx.on_run(status, [&ctx, s] { return run_enqueue(ctx, storage::PostKind::kStatus, *s); });

  auto t = std::make_shared<EnqueueArgs>();
  auto* time = cmd->add_subcommand("time", "a time entry on a ticket");
  common(time, *t);
  time->add_option("--start", t->start, "start, ISO-8601 (2026-11-23T09:00:00Z)")->required();
  time->add_option("--end", t->end, "end, ISO-8601, after --start")->required();
  time->add_option("--rounding", t->rounding, "15m | 30m | exact | none (default none)");
  time->add_option("--billable", t->billable, "Billable | DoNotBill | NoCharge | NoDefault");
  optional_text(time, "--notes-file", t->notes_file, "file with the entry's notes ('-': stdin)");
  time->add_option("--member", t->member, "PSA member: email, identifier or id");
  ctx.on_run(time, [&ctx, t] { return run_enqueue(ctx, storage::PostKind::kTimeEntry, *t); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(enqueue, register_enqueue);

}  // namespace cwsync::daemon
