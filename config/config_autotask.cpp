#include "config/config_autotask.h"

#include <charconv>

#include "config/config_checks.h"

namespace cwsync::config_detail {

const Keys kAutotaskKeys = {"provider",         "username",          "secret",
                            "secret_file",      "secret_env",        "integration_code",
                            "zone_url",         "zone_lookup_url",   "impersonation_resource_id",
                            "time_entry_role",  "note_types",        "opportunity_statuses",
                            "rate_limit",       "budget",            "allow_insecure"};

namespace {

const Keys kNoteTypeKeys = {"internal", "resolution", "description"};
const Keys kNoteKeys = {"note_type", "publish"};
const Keys kOppStatusKeys = {"won", "lost"};
const Keys kAutotaskRateKeys = {"requests", "per"};

std::optional<std::int64_t> parse_id(const std::string& text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n <= 0) return std::nullopt;
  return n;
}

// A positive whole-number id under `key`, or nullopt (with a problem when
// present but not one).
std::optional<std::int64_t> read_id(LoadContext& ctx, const MapReader& m, std::string_view key,
                                    std::string_view what) {
  std::string text;
  if (!m.read_string(key, text, what)) return std::nullopt;
  if (auto id = parse_id(text)) return id;
  ctx.problems.add(m.find(key)->line, m.child(key),
                   "'" + text + "' is not a positive whole number; expected " + std::string(what));
  return std::nullopt;
}

// A URL key: checked, normalised to end in exactly one '/'.
bool read_zone(LoadContext& ctx, const MapReader& m, std::string_view key, std::string& out,
               bool allow_insecure) {
  std::string url;
  if (!m.read_string(key, url, "a URL like https://webservices5.autotask.net/ATServicesRest/")) {
    return false;
  }
  const std::string error = check_url(url, allow_insecure, UrlPath::kAllowed);
  if (!error.empty()) {
    ctx.problems.add(m.find(key)->line, m.child(key), error);
    return false;
  }
  out = strip_trailing_slashes(url) + "/";
  return true;
}

void read_note_types(const MapReader& m, AutotaskSettings& at) {
  auto types = m.read_map("note_types", kNoteTypeKeys);
  if (!types) return;
  auto one = [&](std::string_view key, AutotaskNoteType& out) {
    auto n = types->read_map(key, kNoteKeys);
    if (!n) return;
    n->read_int("note_type", out.note_type, 0, 1000000);
    n->read_int("publish", out.publish, 0, 1000000);
  };
  one("internal", at.internal);
  one("resolution", at.resolution);
  one("description", at.description);
}

// `won: [3, 4]`: a list of picklist values.
void read_values(LoadContext& ctx, const MapReader& m, std::string_view key, std::vector<int>& out) {
  auto f = m.find(key);
  if (!f) return;
  const std::string expected = "a list of picklist values like [3, 4]";
  if (!f->node.IsSequence()) {
    ctx.problems.add(f->line, f->path, "got " + kind_of(f->node) + "; expected " + expected);
    return;
  }
  std::vector<int> values;
  for (const YAML::Node& item : f->node) {
    int v = 0;
    const std::string text = item.IsScalar() ? item.Scalar() : std::string();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < 0) {
      ctx.problems.add(line_of(item), f->path, "'" + text + "' is not a picklist value; expected " +
                                                   expected);
      return;
    }
    values.push_back(v);
  }
  out = std::move(values);
}

}  // namespace

std::optional<PsaProviderKind> peek_psa_provider(LoadContext& ctx, const MapReader& tenant) {
  auto psa = tenant.find("psa");
  if (!psa || !psa->node.IsMap()) return PsaProviderKind::kConnectWise;
  for (const auto& kv : psa->node) {
    if (!kv.first.IsScalar() || kv.first.Scalar() != "provider") continue;
    const std::string value = kv.second.IsScalar() ? kv.second.Scalar() : std::string();
    if (value == "connectwise") return PsaProviderKind::kConnectWise;
    if (value == "autotask") return PsaProviderKind::kAutotask;
    ctx.problems.add(line_of(kv.first), psa->path + ".provider",
                     "'" + value + "' is not a PSA provider; expected connectwise or autotask");
    return std::nullopt;
  }
  return PsaProviderKind::kConnectWise;
}

PsaConnection read_autotask(LoadContext& ctx, const MapReader& m) {
  PsaConnection p;
  p.provider = PsaProviderKind::kAutotask;
  p.rate_limit = RateLimit{10000, std::chrono::hours(1)};  // Autotask's hourly database limit
  AutotaskSettings at;
  m.read_bool("allow_insecure", p.allow_insecure);
  auto required = [&](std::string_view key, std::string& out, std::string_view what) {
    if (!m.has(key)) {
      ctx.problems.add(m.line(), m.child(key), "missing; expected " + std::string(what));
      return;
    }
    if (m.read_string(key, out, what) && out.empty()) {
      ctx.problems.add(m.find(key)->line, m.child(key), "is empty; expected " + std::string(what));
    }
  };
  required("username", at.username, "the API user's user name, e.g. api-user@contoso.example");
  required("integration_code", at.integration_code,
           "the API tracking identifier (Admin > Resources > API user > Tracking Identifier)");
  std::string zone;
  if (read_zone(ctx, m, "zone_url", zone, p.allow_insecure)) at.zone_url = zone;
  read_zone(ctx, m, "zone_lookup_url", at.zone_lookup_url, p.allow_insecure);
  at.impersonation_resource_id =
      read_id(ctx, m, "impersonation_resource_id", "a resource id like 29682885");
  if (m.has("time_entry_role")) {
    std::string role;
    if (m.read_string("time_entry_role", role, "default or a role id") && role != "default") {
      at.time_entry_role = parse_id(role);
      if (!at.time_entry_role) {
        ctx.problems.add(m.find("time_entry_role")->line, m.child("time_entry_role"),
                         "'" + role + "' is not a role; expected default or a role id like 29683");
      }
    }
  }
  read_note_types(m, at);
  if (auto s = m.read_map("opportunity_statuses", kOppStatusKeys)) {
    read_values(ctx, *s, "won", at.won_statuses);
    read_values(ctx, *s, "lost", at.lost_statuses);
  }
  if (auto r = m.read_map("rate_limit", kAutotaskRateKeys)) {
    r->read_int("requests", p.rate_limit.requests, 1, 100000);
    r->read_duration("per", p.rate_limit.per, std::chrono::milliseconds(1));
  }
  if (m.read_string("budget", p.budget, "a budget name like contoso_db") &&
      !is_tenant_name(p.budget)) {
    ctx.problems.add(m.find("budget")->line, m.child("budget"),
                     "'" + p.budget + "' is not a valid budget name; expected 1 to 64 of a-z, "
                     "0-9, _ and - (lower case)");
    p.budget.clear();
  }
  if (!ctx.inline_secret) {
    if (auto f = m.find("secret")) ctx.inline_secret = f;
  }
  if (auto s = resolve_secret(m, "secret", ctx.env, ctx.dir, {})) {
    p.private_key = std::move(s->value);
    p.private_key_source = std::move(s->source);
  }
  // The site is where the zone lives: the pin, or the lookup's host until
  // the lookup answers (host keys and budgets are derived from it).
  p.site = at.zone_url.value_or(at.zone_lookup_url);
  p.autotask = std::move(at);
  return p;
}

}  // namespace cwsync::config_detail
