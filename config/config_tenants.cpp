#include "config/config_tenants.h"

#include <cctype>
#include <map>

#include "config/config_autotask.h"
#include "config/config_checks.h"

namespace cwsync::config_detail {

const Keys kIntervalKeys = {"quotes", "opportunities", "reconcile", "queue", "tickets"};
const Keys kTenantKeys = {"name", "opportunities", "cpq", "psa", "queue", "intervals", "tickets"};

namespace {

using std::chrono::milliseconds;

const Keys kCpqKeys = {"base_url",    "access_key",       "public_key",
                       "private_key", "private_key_file", "private_key_env",
                       "rate_limit",  "budget",           "allow_insecure"};
const Keys kPsaKeys = {"provider", "site",           "company_id",  "public_key", "private_key",
                       "private_key_file", "private_key_env", "client_id", "api_version",
                       "codebase",       "rate_limit",  "budget",     "allow_insecure"};
const Keys kQueueKeys = {"max_attempts", "max_age", "lease", "settle", "marker_format"};
const Keys kTicketsKeys = {"enabled", "closed_for_days"};
const Keys kRateKeys = {"requests", "per"};
const Keys kHostKeys = {"host", "rate_limit"};

// The CONNECTWISE_* variable for `key` when there is exactly one tenant.
std::string single_var(bool single, std::string_view api, std::string_view key) {
  if (!single) return {};
  std::string name = "CONNECTWISE_" + std::string(api) + "_";
  for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// A required string that the single-tenant environment may set or override.
// Returns where the value came from ("" when from the file or missing).
std::string required_string(LoadContext& ctx, const MapReader& m, std::string_view key,
                            std::string& out, const std::string& var, std::string_view what) {
  m.read_string(key, out, what);
  if (!var.empty()) {
    if (auto v = ctx.env.get_nonempty(var)) {
      out = v->value;
      return var;
    }
  }
  if (!m.has(key)) {
    std::string msg = "missing; expected " + std::string(what);
    if (!var.empty()) msg += " (or set " + var + ")";
    ctx.problems.add(m.line(), m.child(key), msg);
  }
  return {};
}

void read_rate_limit(const MapReader& parent, RateLimit& out) {
  auto m = parent.read_map("rate_limit", kRateKeys);
  if (!m) return;
  m->read_int("requests", out.requests, 1, 100000);
  m->read_duration("per", out.per, milliseconds(1));
}

// `budget: NAME`: connections naming the same budget share one rate limiter.
void read_budget(const MapReader& m, std::string& out) {
  if (!m.read_string("budget", out, "a budget name like contoso_at")) return;
  if (!is_tenant_name(out)) {
    m.problems().add(m.find("budget")->line, m.child("budget"),
                     "'" + out + "' is not a valid budget name; expected 1 to 64 of a-z, 0-9, "
                     "_ and - (lower case)");
    out.clear();
  }
}

// base_url/site: present or defaulted, checked against allow_insecure.
void check_url_field(LoadContext& ctx, const MapReader& m, std::string_view key, std::string& url,
                     bool allow_insecure, UrlPath path) {
  if (url.empty()) return;  // missing; reported by the caller when required
  const auto field = m.find(key);
  const std::string error = check_url(url, allow_insecure, path);
  if (!error.empty()) {
    ctx.problems.add(field ? field->line : m.line(), m.child(key), error);
    return;
  }
  url = strip_trailing_slashes(url);
}

void note_inline_secret(LoadContext& ctx, const MapReader& m) {
  if (ctx.inline_secret) return;
  if (auto f = m.find("private_key")) ctx.inline_secret = f;
}

CpqConnection read_cpq(LoadContext& ctx, const MapReader& m, bool single) {
  CpqConnection c;
  m.read_bool("allow_insecure", c.allow_insecure);
  m.read_string("base_url", c.base_url, "a URL like https://sellapi.quosalsell.com");
  check_url_field(ctx, m, "base_url", c.base_url, c.allow_insecure, UrlPath::kAllowed);
  required_string(ctx, m, "access_key", c.access_key, single_var(single, "CPQ", "access_key"),
                  "the Sell access key (the accesskey= part of the Sell URL)");
  required_string(ctx, m, "public_key", c.public_key, single_var(single, "CPQ", "public_key"),
                  "the API public key");
  read_rate_limit(m, c.rate_limit);
  read_budget(m, c.budget);
  note_inline_secret(ctx, m);
  if (auto s = resolve_secret(m, "private_key", ctx.env, ctx.dir,
                              single_var(single, "CPQ", "private_key"))) {
    c.private_key = std::move(s->value);
    c.private_key_source = std::move(s->source);
  }
  return c;
}

PsaConnection read_psa(LoadContext& ctx, const MapReader& m, bool single) {
  PsaConnection p;
  m.read_bool("allow_insecure", p.allow_insecure);
  if (!m.has("site")) {
    ctx.problems.add(m.line(), m.child("site"),
                     "missing; expected the API host URL, e.g. https://api-na.myconnectwise.net");
  }
  m.read_string("site", p.site, "a URL like https://api-na.myconnectwise.net");
  check_url_field(ctx, m, "site", p.site, p.allow_insecure, UrlPath::kForbidden);
  required_string(ctx, m, "company_id", p.company_id, single_var(single, "PSA", "company_id"),
                  "the company id you log in with");
  required_string(ctx, m, "public_key", p.public_key, single_var(single, "PSA", "public_key"),
                  "the API member's public key");
  const std::string guid_var = single_var(single, "PSA", "client_id");
  const std::string from = required_string(ctx, m, "client_id", p.client_id, guid_var,
                                           "the clientId GUID from developer.connectwise.com");
  if (!p.client_id.empty() && !is_guid(p.client_id)) {
    const auto f = m.find("client_id");
    ctx.problems.add(f && from.empty() ? f->line : m.line(), m.child("client_id"),
                     (from.empty() ? "" : "(from " + from + ") ") + std::string("'") +
                         p.client_id +
                         "' is not a GUID; expected 8-4-4-4-12 hex digits, e.g. "
                         "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b");
  }
  m.read_string("api_version", p.api_version, "a version string like \"2022.1\"");
  std::string codebase;
  if (m.read_string("codebase", codebase, "a codebase like v2025_1/")) {
    if (!codebase.ends_with('/')) codebase += '/';
    p.codebase = codebase;
  }
  read_rate_limit(m, p.rate_limit);
  read_budget(m, p.budget);
  note_inline_secret(ctx, m);
  if (auto s = resolve_secret(m, "private_key", ctx.env, ctx.dir,
                              single_var(single, "PSA", "private_key"))) {
    p.private_key = std::move(s->value);
    p.private_key_source = std::move(s->source);
  }
  return p;
}

void read_queue(const MapReader& t, QueuePolicy& q) {
  auto m = t.read_map("queue", kQueueKeys);
  if (!m) return;
  m->read_int("max_attempts", q.max_attempts, 1, 1000);
  m->read_duration("max_age", q.max_age, milliseconds(1));
  m->read_duration("lease", q.lease, milliseconds(1000));
  m->read_duration("settle", q.settle, milliseconds(0));
  if (m->read_string("marker_format", q.marker_format, "a text containing {marker}") &&
      q.marker_format.find("{marker}") == std::string::npos) {
    m->problems().add(m->find("marker_format")->line, m->child("marker_format"),
                      "does not contain {marker}; expected a text like [cwsync:{marker}]");
    q.marker_format = QueuePolicy{}.marker_format;
  }
}

void read_tickets(LoadContext& ctx, const MapReader& t, TicketsPolicy& out) {
  auto m = t.read_map("tickets", kTicketsKeys);
  if (!m) return;
  m->read_bool("enabled", out.enabled);
  m->read_int("closed_for_days", out.closed_for_days, 0, 3650);
  if (!out.enabled) return;
  const int line = m->has("enabled") ? m->find("enabled")->line : m->line();
  if (!t.has("psa")) {
    ctx.problems.add(line, m->child("enabled"),
                     "is true but the tenant has no psa section; tickets come from PSA");
  }
}

}  // namespace

Tenant read_tenant(LoadContext& ctx, const MapReader& t, const Defaults& defaults, bool single,
                   const std::string& default_name) {
  Tenant tenant;
  tenant.intervals = defaults.intervals;
  if (!t.has("name") && !default_name.empty()) {
    tenant.name = default_name;
  } else if (!t.has("name")) {
    ctx.problems.add(t.line(), t.child("name"), "missing; expected a name like acme");
  } else if (t.read_string("name", tenant.name, "a name like acme") &&
             !is_tenant_name(tenant.name)) {
    ctx.problems.add(t.find("name")->line, t.child("name"),
                     "'" + tenant.name + "' is not a valid tenant name; expected 1 to 64 of "
                     "a-z, 0-9, _ and - (lower case)");
  }

  if (auto m = t.read_map("cpq", kCpqKeys)) tenant.cpq = read_cpq(ctx, *m, single);
  // An unknown provider is the one problem reported for the section: its
  // other keys depend on which provider was meant.
  const auto kind = peek_psa_provider(ctx, t);
  if (kind == PsaProviderKind::kAutotask) {
    if (auto m = t.read_map("psa", kAutotaskKeys)) tenant.psa = read_autotask(ctx, *m);
  } else if (kind) {
    if (auto m = t.read_map("psa", kPsaKeys)) tenant.psa = read_psa(ctx, *m, single);
  }
  if (!t.has("cpq") && !t.has("psa")) {
    ctx.problems.add(t.line(), t.path(), "has neither a cpq nor a psa section; expected at least one");
  }

  tenant.opportunities = t.has("psa") ? OpportunitySource::kPsa : OpportunitySource::kQuotes;
  std::string source;
  if (t.read_string("opportunities", source, "psa or quotes")) {
    const int line = t.find("opportunities")->line;
    if (source == "psa") {
      tenant.opportunities = OpportunitySource::kPsa;
      if (!t.has("psa")) {
        ctx.problems.add(line, t.child("opportunities"),
                         "is psa but the tenant has no psa section; add one or use quotes");
      }
    } else if (source == "quotes") {
      tenant.opportunities = OpportunitySource::kQuotes;
      if (!t.has("cpq")) {
        ctx.problems.add(line, t.child("opportunities"),
                         "is quotes but the tenant has no cpq section; add one or use psa");
      }
    } else {
      ctx.problems.add(line, t.child("opportunities"),
                       "'" + source + "' is not a source; expected psa or quotes");
    }
  }

  read_queue(t, tenant.queue);
  read_tickets(ctx, t, tenant.tickets);
  if (auto m = t.read_map("intervals", kIntervalKeys)) read_intervals(*m, tenant.intervals);
  return tenant;
}

void read_intervals(const MapReader& m, Intervals& out) {
  m.read_duration("quotes", out.quotes, milliseconds(1));
  m.read_duration("opportunities", out.opportunities, milliseconds(1));
  m.read_duration("reconcile", out.reconcile, milliseconds(1));
  m.read_duration("queue", out.queue, milliseconds(1));
  m.read_duration("tickets", out.tickets, milliseconds(1));
}

std::vector<Tenant> read_tenants(LoadContext& ctx, const MapReader& root,
                                 const Defaults& defaults, bool optional) {
  std::vector<Tenant> tenants;
  const auto field = root.find("tenants");
  const std::string expected = "a list of tenants, each with a name and a cpq and/or psa section";
  if (!field) {
    if (!optional) {
      ctx.problems.add(0, "tenants", "missing; expected " + expected + " (or tenants_dir)");
    }
    return tenants;
  }
  if (optional && field->node.IsSequence() && field->node.size() == 0) return tenants;
  if (!field->node.IsSequence() || field->node.size() == 0) {
    ctx.problems.add(field->line, field->path,
                     (field->node.IsSequence() ? std::string("is empty") : "got " + kind_of(field->node)) +
                         "; expected " + expected);
    return tenants;
  }

  const bool single = field->node.size() == 1 && !optional;
  std::map<std::string, int> name_lines;
  std::size_t i = 0;
  for (const YAML::Node& item : field->node) {
    const Field entry{item, "tenants[" + std::to_string(i++) + "]", line_of(item)};
    auto t = as_map(ctx.problems, entry, kTenantKeys);
    if (!t) continue;
    Tenant tenant = read_tenant(ctx, *t, defaults, single);
    if (!tenant.name.empty()) {
      const int line = t->find("name")->line;
      auto [it, inserted] = name_lines.emplace(tenant.name, line);
      if (!inserted) {
        ctx.problems.add(line, t->child("name"),
                         "duplicate tenant name '" + tenant.name + "'; it is already used on line " +
                             std::to_string(it->second));
      }
    }
    tenants.push_back(std::move(tenant));
  }
  return tenants;
}

}  // namespace cwsync::config_detail

namespace cwsync::config_detail {

std::vector<HostCeiling> read_hosts(const MapReader& root) {
  std::vector<HostCeiling> out;
  const auto field = root.find("hosts");
  if (!field) return out;
  const std::string expected = "a list of {host, rate_limit} entries";
  if (!field->node.IsSequence()) {
    root.problems().add(field->line, field->path, "got " + kind_of(field->node) + "; expected " +
                                                      expected);
    return out;
  }
  std::map<std::string, int> seen;
  std::size_t i = 0;
  for (const YAML::Node& item : field->node) {
    const Field entry{item, "hosts[" + std::to_string(i++) + "]", line_of(item)};
    auto m = as_map(root.problems(), entry, kHostKeys);
    if (!m) continue;
    HostCeiling h;
    if (!m->has("host")) {
      m->problems().add(m->line(), m->child("host"),
                        "missing; expected a host name like sellapi.quosalsell.com");
    } else if (m->read_string("host", h.host, "a host name like sellapi.quosalsell.com")) {
      for (auto& c : h.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const int line = m->find("host")->line;
      if (h.host.empty() || h.host.find_first_of("/?#@ ") != std::string::npos) {
        m->problems().add(line, m->child("host"),
                          "'" + h.host + "' is not a host name; expected a host like "
                          "sellapi.quosalsell.com or host:port, without scheme or path");
      } else if (auto [it, fresh] = seen.emplace(h.host, line); !fresh) {
        m->problems().add(line, m->child("host"),
                          "host '" + h.host + "' is listed twice; it is already on line " +
                              std::to_string(it->second));
      }
    }
    if (!m->has("rate_limit")) {
      m->problems().add(m->line(), m->child("rate_limit"),
                        "missing; expected a rate limit like { requests: 200, per: 5s }");
    }
    read_rate_limit(*m, h.rate_limit);
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace cwsync::config_detail
