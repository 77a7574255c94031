// `cwsync check-config`: validate the config; print every problem (exit 78)
// or the summary with secrets masked (exit 0).
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "config/duration.h"
#include "daemon/command.h"

namespace cwsync::daemon {
namespace {

using nlohmann::json;

json intervals_json(const Intervals& i) {
  return {{"quotes", format_duration(i.quotes)},
          {"opportunities", format_duration(i.opportunities)},
          {"reconcile", format_duration(i.reconcile)},
          {"queue", format_duration(i.queue)},
          {"tickets", format_duration(i.tickets)}};
}

json rate_json(const RateLimit& r) {
  return {{"requests", r.requests}, {"per", format_duration(r.per)}};
}

json keep_json(const std::optional<std::chrono::milliseconds>& d) {
  return d ? format_duration(*d) : "keep";
}

json problems_json(const std::vector<ConfigProblem>& problems) {
  json out = json::array();
  for (const auto& p : problems) {
    out.push_back({{"file", p.file}, {"line", p.line}, {"key", p.key}, {"message", p.message}});
  }
  return out;
}

// The masked JSON view. Secrets appear only as Secret::masked().
json config_json(const Config& c) {
  json tenants = json::array();
  for (const auto& t : c.tenants) {
    json jt = {{"name", t.name},
               {"opportunities", to_string(t.opportunities)},
               {"intervals", intervals_json(t.intervals)},
               {"queue", {{"max_attempts", t.queue.max_attempts},
                          {"max_age", format_duration(t.queue.max_age)}}},
               {"tickets", {{"enabled", t.tickets.enabled},
                            {"closed_for_days", t.tickets.closed_for_days}}}};
    if (t.cpq) {
      jt["cpq"] = {{"base_url", t.cpq->base_url},
                   {"access_key", t.cpq->access_key},
                   {"public_key", t.cpq->public_key},
                   {"private_key", t.cpq->private_key.masked()},
                   {"private_key_source", t.cpq->private_key_source},
                   {"rate_limit", rate_json(t.cpq->rate_limit)},
                   {"budget", t.cpq->budget},
                   {"allow_insecure", t.cpq->allow_insecure}};
    }
    if (t.psa && t.psa->autotask) {
      const AutotaskSettings& a = *t.psa->autotask;
      auto note = [](const AutotaskNoteType& n) {
        return json{{"note_type", n.note_type}, {"publish", n.publish}};
      };
      jt["psa"] = {{"provider", "autotask"},
                   {"username", a.username},
                   {"secret", t.psa->private_key.masked()},
                   {"secret_source", t.psa->private_key_source},
                   {"integration_code", Secret(a.integration_code).masked()},
                   {"zone_url", a.zone_url ? json(*a.zone_url) : json()},
                   {"zone_lookup_url", a.zone_lookup_url},
                   {"time_entry_role", a.time_entry_role ? json(*a.time_entry_role)
                                                         : json("default")},
                   {"note_types", {{"internal", note(a.internal)},
                                   {"resolution", note(a.resolution)},
                                   {"description", note(a.description)}}},
                   {"opportunity_statuses", {{"won", a.won_statuses}, {"lost", a.lost_statuses}}},
                   {"rate_limit", rate_json(t.psa->rate_limit)},
                   {"budget", t.psa->budget},
                   {"allow_insecure", t.psa->allow_insecure}};
      if (a.impersonation_resource_id) {
        jt["psa"]["impersonation_resource_id"] = *a.impersonation_resource_id;
      }
    } else if (t.psa) {
      jt["psa"] = {{"provider", "connectwise"},
                   {"site", t.psa->site},
                   {"company_id", t.psa->company_id},
                   {"public_key", t.psa->public_key},
                   {"private_key", t.psa->private_key.masked()},
                   {"private_key_source", t.psa->private_key_source},
                   {"client_id", t.psa->client_id},
                   {"api_version", t.psa->api_version},
                   {"rate_limit", rate_json(t.psa->rate_limit)},
                   {"budget", t.psa->budget},
                   {"allow_insecure", t.psa->allow_insecure}};
      if (t.psa->codebase) jt["psa"]["codebase"] = *t.psa->codebase;
    }
    if (!t.source_file.empty()) jt["file"] = t.source_file;
    tenants.push_back(std::move(jt));
  }
  json hosts = json::array();
  for (const auto& h : c.hosts) hosts.push_back({{"host", h.host}, {"rate_limit", rate_json(h.rate_limit)}});
  json disabled = json::array();
  for (const auto& d : c.disabled_tenants) {
    disabled.push_back({{"name", d.name}, {"file", d.file}, {"problems", problems_json(d.problems)}});
  }
  return {{"config", c.source_path},
          {"database", c.database},
          {"log", {{"level", c.log.level},
                   {"format", c.log.format == LogFormat::kJson ? "json" : "text"}}},
          {"http_listen", c.http_listen ? json(*c.http_listen) : json(nullptr)},
          {"hosts", hosts},
          {"retention", {{"sync_runs", keep_json(c.retention.sync_runs)},
                         {"activity_log", keep_json(c.retention.activity_log)}}},
          {"tenants_dir", c.tenants_dir ? json(*c.tenants_dir) : json(nullptr)},
          {"tenants", tenants},
          {"disabled_tenants", disabled}};
}

int run_check_config(const Context& ctx, bool as_json) {
  auto loaded = ctx.load_config();  // problems already on stderr
  if (auto* err = std::get_if<ConfigError>(&loaded)) {
    if (as_json) {
      std::cout << json{{"ok", false}, {"problems", problems_json(err->problems)}}.dump(2) << "\n";
    }
    return kExitConfig;
  }
  const Config& cfg = std::get<Config>(loaded);
  // A broken tenant file disables that tenant only: reported, not fatal.
  for (const auto& d : cfg.disabled_tenants) {
    for (const auto& p : d.problems) std::cerr << p.to_string() << "\n";
  }
  Context::print_warnings(cfg);
  if (as_json) {
    json out = config_json(cfg);
    out["ok"] = true;
    out["warnings"] = json::array();
    for (const auto& w : cfg.warnings) {
      out["warnings"].push_back({{"file", w.file}, {"line", w.line}, {"key", w.key},
                                 {"message", w.message}});
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << describe_config(cfg);
    if (cfg.disabled_tenants.empty()) std::cout << "config OK\n";
    else std::cout << "config OK, " << cfg.disabled_tenants.size() << " tenant(s) disabled\n";
  }
  return kExitOk;
}

void register_check_config(CLI::App& app, Context& ctx) {
  auto json_flag = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("check-config",
                                 "validate the config and print it with secrets masked");
  cmd->add_flag("--json", *json_flag, "machine-readable output");
  ctx.on_run(cmd, [&ctx, json_flag] { return run_check_config(ctx, *json_flag); });
}

}  // namespace

CWSYNC_REGISTER_COMMAND(check_config, register_check_config);

}  // namespace cwsync::daemon
