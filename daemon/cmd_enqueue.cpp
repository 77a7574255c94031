// `cwsync enqueue note|status|time ...`: adds one PSA post to the queue
// (docs/queue.md). The payload is built here and validated by the same parser
// the drainer uses (sync/post_payload.h), so what the CLI accepts is exactly
// what the drainer can deliver. Exit 0 when queued (or when the
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
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "daemon/command.h"
#include "storage/database.h"
#include "storage/queue_store.h"
#include "sync/post_payload.h"

namespace cwsync::daemon {
namespace {

using nlohmann::json;

struct EnqueueArgs {
  std::string tenant, key;
  std::int64_t ticket = 0;
  bool json = false;
  // note
  std::string type = "internal", text, text_file, member;
  bool customer_visible = false;
  // status
  std::string status;
  // time
  std::string start, end, rounding, billable, notes_file;
};

int bad_input(const std::string& what) {
  std::cerr << "cwsync enqueue: " << what << "\n";
  return kExitUsage;
}

// The file's text without its final newlines (a text file's last line ends
// with one; the note should not, or the marker would follow a blank line);
// "-" reads stdin. nullopt when it cannot be read.
std::optional<std::string> read_text(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
}

// A member given as digits is a member id; anything else is kept as text.
json member_value(const std::string& m) {
  if (all_digits(m)) return std::stoll(m);
  return m;
}

// The payload for `kind`, or a message for the user.
Result<json> build_payload(storage::PostKind kind, const EnqueueArgs& a) {
  auto invalid = [](std::string m) { return make_error(ErrorKind::kInvalidInput, std::move(m)); };
  json p = json::object();
  switch (kind) {
    case storage::PostKind::kNote: {
      if (a.text.empty() == a.text_file.empty()) return invalid("give exactly one of --text-file or --text");
      std::string text = a.text;
      if (!a.text_file.empty()) {
        auto t = read_text(a.text_file);
        if (!t) return invalid("cannot read --text-file " + a.text_file);
        text = *t;
      }
      p["text"] = text;
      p["type"] = a.type;
      if (!a.member.empty()) p["member"] = member_value(a.member);
      if (a.customer_visible) p["customer_visible"] = true;
      break;
    }
    case storage::PostKind::kStatus:
      p["status"] = all_digits(a.status) ? json(std::stoll(a.status)) : json(a.status);
      break;
    case storage::PostKind::kTimeEntry:
      p["start"] = a.start;
      p["end"] = a.end;
      if (!a.rounding.empty()) p["rounding"] = a.rounding;
      if (!a.billable.empty()) p["billable"] = a.billable;
      if (!a.member.empty()) p["member"] = member_value(a.member);
      if (!a.notes_file.empty()) {
        auto t = read_text(a.notes_file);
        if (!t) return invalid("cannot read --notes-file " + a.notes_file);
        p["notes"] = *t;
      }
      break;
  }
  return p;
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
  if (a.ticket <= 0) return bad_input("--ticket must be a positive ticket id");

  auto payload = build_payload(kind, a);
  if (!payload.ok()) return bad_input(payload.error().message);
  const std::string payload_text = payload->dump();
  if (auto parsed = parse_payload(kind, payload_text); !parsed.ok()) {
    return bad_input(parsed.error().message);
  }

  auto db = open_writer(cfg->database, "enqueue");
  if (!db) return kExitFailure;
  storage::QueueStore store(*db);
  storage::NewPost post;
  post.tenant = tenant;
  post.kind = kind;
  post.ticket_id = a.ticket;
  post.payload_json = payload_text;
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
                      {"tenant", tenant}, {"kind", storage::to_string(kind)}, {"ticket_id", a.ticket}}
                     .dump()
              << "\n";
  } else if (r->inserted) {
    std::cout << "queued post " << r->id << " (" << storage::to_string(kind) << " for ticket "
              << a.ticket << ", key " << key << ")\n";
  } else {
    std::cout << "already queued: post " << r->id << " has key " << key << " (nothing added)\n";
  }
  return kExitOk;
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
  note->add_option("--text-file", n->text_file, "file with the note text ('-': stdin)");
  note->add_option("--text", n->text, "the note text inline (instead of --text-file)");
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
  time->add_option("--notes-file", t->notes_file, "file with the entry's notes ('-': stdin)");
  time->add_option("--member", t->member, "PSA member: email, identifier or id");
  ctx.on_run(time, [&ctx, t] { return run_enqueue(ctx, storage::PostKind::kTimeEntry, *t); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(enqueue, register_enqueue);

}  // namespace cwsync::daemon
