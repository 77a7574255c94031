// The printable side of Config: problems, the check-config summary, lookups.
#include <sstream>

#include "config/config.h"
#include "config/duration.h"

namespace cwsync {
namespace {

std::string intervals_text(const Intervals& i) {
  return "quotes=" + format_duration(i.quotes) +
         " opportunities=" + format_duration(i.opportunities) +
         " reconcile=" + format_duration(i.reconcile) + " queue=" + format_duration(i.queue) +
         " tickets=" + format_duration(i.tickets);
}

std::string rate_text(const RateLimit& r) {
  return std::to_string(r.requests) + " per " + format_duration(r.per);
}

std::string keep_text(const std::optional<milliseconds>& d) {
  return d ? format_duration(*d) : "keep";
}

std::string secret_text(const Secret& s, const std::string& source) {
  return s.masked() + (source.empty() ? "" : " (" + source + ")");
}

void describe_cpq(std::ostringstream& out, const CpqConnection& c) {
  out << "    cpq:\n"
      << "      base_url:    " << c.base_url << (c.allow_insecure ? " (allow_insecure)" : "")
      << "\n"
      << "      access_key:  " << c.access_key << "\n"
      << "      public_key:  " << c.public_key << "\n"
      << "      private_key: " << secret_text(c.private_key, c.private_key_source) << "\n"
      << "      rate_limit:  " << rate_text(c.rate_limit) << "\n";
  if (!c.budget.empty()) out << "      budget:      " << c.budget << "\n";
}

std::string note_text(const AutotaskNoteType& n) {
  return "note_type=" + std::to_string(n.note_type) + " publish=" + std::to_string(n.publish);
}

std::string values_text(const std::vector<int>& v) {
  std::string out;
  for (int x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return "[" + out + "]";
}

void describe_autotask(std::ostringstream& out, const PsaConnection& p) {
  const AutotaskSettings& a = *p.autotask;
  out << "    psa:         provider=autotask\n"
      << "      username:    " << a.username << "\n"
      << "      secret:      " << secret_text(p.private_key, p.private_key_source) << "\n"
      << "      integration_code: " << Secret(a.integration_code).masked() << "\n"
      << "      zone_url:    " << a.zone_url.value_or("(looked up at " + a.zone_lookup_url + ")")
      << (p.allow_insecure ? " (allow_insecure)" : "") << "\n";
  if (a.impersonation_resource_id) {
    out << "      impersonation_resource_id: " << *a.impersonation_resource_id << "\n";
  }
  out << "      time_entry_role: "
      << (a.time_entry_role ? std::to_string(*a.time_entry_role) : std::string("default")) << "\n"
      << "      note_types:  internal(" << note_text(a.internal) << ") resolution("
      << note_text(a.resolution) << ") description(" << note_text(a.description) << ")\n"
      << "      opportunity_statuses: won=" << values_text(a.won_statuses)
      << " lost=" << values_text(a.lost_statuses) << "\n"
      << "      rate_limit:  " << rate_text(p.rate_limit) << "\n";
  if (!p.budget.empty()) out << "      budget:      " << p.budget << "\n";
}

void describe_psa(std::ostringstream& out, const PsaConnection& p) {
  if (p.autotask) return describe_autotask(out, p);
  out << "    psa:\n"
      << "      site:        " << p.site << (p.allow_insecure ? " (allow_insecure)" : "") << "\n"
      << "      company_id:  " << p.company_id << "\n"
      << "      public_key:  " << p.public_key << "\n"
      << "      private_key: " << secret_text(p.private_key, p.private_key_source) << "\n"
      << "      client_id:   " << p.client_id << "\n"
      << "      api_version: " << p.api_version << "\n"
      << "      codebase:    " << (p.codebase ? *p.codebase : "(looked up at start)") << "\n"
      << "      rate_limit:  " << rate_text(p.rate_limit) << "\n";
  if (!p.budget.empty()) out << "      budget:      " << p.budget << "\n";
}

}  // namespace

const char* to_string(PsaProviderKind k) {
  return k == PsaProviderKind::kAutotask ? "autotask" : "connectwise";
}

const char* to_string(OpportunitySource s) {
  return s == OpportunitySource::kPsa ? "psa" : "quotes";
}

const Tenant* Config::find_tenant(std::string_view name) const {
  for (const Tenant& t : tenants) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string ConfigProblem::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

std::string ConfigError::to_string() const {
  std::string out;
  for (const ConfigProblem& p : problems) out += p.to_string() + "\n";
  return out;
}

std::string describe_config(const Config& c) {
  const Defaults& d = c.defaults;
  std::ostringstream out;
  out << "config:      " << (c.source_path.empty() ? "(built in)" : c.source_path) << "\n"
      << "database:    " << c.database << "\n"
      << "log:         level=" << c.log.level
      << " format=" << (c.log.format == LogFormat::kJson ? "json" : "text")
      << " runs=" << (c.log.runs == RunLogging::kAll ? "all" : "changes") << "\n"
      << "http_listen: " << c.http_listen.value_or("(off)") << "\n"
      << "defaults:\n"
      << "  intervals: " << intervals_text(d.intervals) << "\n"
      << "  backoff:   base=" << format_duration(d.backoff.base)
      << " cap=" << format_duration(d.backoff.cap) << " max_attempts=" << d.backoff.max_attempts
      << "\n"
      << "  retry_after_cap: " << format_duration(d.retry_after_cap) << "\n"
      << "  http:      connect_timeout=" << format_duration(d.http.connect)
      << " read_timeout=" << format_duration(d.http.read) << "\n"
      << "  breaker:   failures=" << d.breaker.failures
      << " cool_down=" << format_duration(d.breaker.cool_down) << "\n"
      << "  reconcile_max_delete_ratio: " << d.reconcile_max_delete_ratio << "\n"
      << "  page_size: " << d.page_size << "\n";
  if (!c.hosts.empty()) out << "hosts:\n";
  for (const HostCeiling& h : c.hosts) {
    out << "  - " << h.host << ": " << rate_text(h.rate_limit) << "\n";
  }
  out << "retention:   sync_runs=" << keep_text(c.retention.sync_runs)
      << " activity_log=" << keep_text(c.retention.activity_log) << "\n";
  if (c.tenants_dir) out << "tenants_dir: " << *c.tenants_dir << "\n";
  out << "tenants (" << c.tenants.size() << "):\n";
  for (const Tenant& t : c.tenants) {
    out << "  - " << t.name << "\n";
    if (!t.source_file.empty()) out << "    file: " << t.source_file << "\n";
    out << "    opportunities: " << to_string(t.opportunities) << "\n"
        << "    intervals: " << intervals_text(t.intervals) << "\n";
    if (t.cpq) describe_cpq(out, *t.cpq);
    if (t.psa) describe_psa(out, *t.psa);
    out << "    queue:     max_attempts=" << t.queue.max_attempts
        << " max_age=" << format_duration(t.queue.max_age)
        << " lease=" << format_duration(t.queue.lease)
        << " settle=" << format_duration(t.queue.settle)
        << " marker_format=" << t.queue.marker_format << "\n";
    if (t.tickets.enabled) {
      out << "    tickets:   enabled closed_for_days=" << t.tickets.closed_for_days << "\n";
    }
  }
  if (!c.disabled_tenants.empty()) {
    out << "disabled tenants (" << c.disabled_tenants.size() << "): not run until fixed\n";
  }
  for (const DisabledTenant& off : c.disabled_tenants) {
    out << "  - " << off.name << " (" << off.file << ")\n";
    for (const ConfigProblem& p : off.problems) out << "      " << p.to_string() << "\n";
  }
  return out.str();
}

}  // namespace cwsync
