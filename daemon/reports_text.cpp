// Human-readable renderings of the reports (the CLI's default output). The
// layout follows the CPQ setup guide's example output: totals, open/won/lost
// with values, win rate, recent opportunities; the backlog oldest first with
// its age in days.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "daemon/command.h"
#include "daemon/reports.h"

namespace cwsync::daemon {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string lpad(std::string s, size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

std::string when(const std::optional<TimePoint>& t, TimePoint now) {
  if (!t) return "never";
  return format_iso8601(*t) + " (" + format_age(duration_cast<milliseconds>(now - *t)) + ")";
}

std::string date_or_dash(const std::optional<TimePoint>& t) {
  return t ? format_date(*t) : std::string("-");
}

// "Firewall refresh (Acme Corp)"
std::string title(const storage::PipelineItem& i) {
  std::string out = i.name.value_or("(no name) #" + i.id);
  if (i.client_name && !i.client_name->empty()) out += " (" + *i.client_name + ")";
  return out;
}

}  // namespace

std::string format_money(double value) {
  if (!std::isfinite(value)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", std::fabs(value));
  std::string digits(buf);
  auto dot = digits.find('.');
  std::string whole = digits.substr(0, dot);
  std::string out;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  out += digits.substr(dot);
  // -0.00 prints as 0.00.
  return (value < 0 && out != "0.00") ? "-" + out : out;
}

std::string status_text(const std::vector<TenantStatus>& status, TimePoint now) {
  std::ostringstream out;
  if (status.empty()) out << "no tenants configured or cached\n";
  for (size_t n = 0; n < status.size(); ++n) {
    const auto& t = status[n];
    if (n > 0) out << "\n";
    out << t.tenant << (t.configured ? "" : "  (not in the config)") << "\n";
    if (t.entities.empty()) out << "  no sync yet\n";
    for (const auto& s : t.entities) {
      out << "  " << pad(storage::to_string(s.entity), 15) << "last sync "
          << when(s.last_incremental_at, now);
      if (s.last_full_at) out << ", full " << format_age(duration_cast<milliseconds>(now - *s.last_full_at));
      if (s.last_reconcile_at) {
        out << ", reconcile " << format_age(duration_cast<milliseconds>(now - *s.last_reconcile_at));
      }
      out << "\n";
      if (s.last_error) {
        out << "  " << pad("", 15) << "last error: " << *s.last_error;
        if (s.last_error_at) out << " (" << format_age(duration_cast<milliseconds>(now - *s.last_error_at)) << ")";
        out << "\n";
      }
    }
    out << "  " << pad("queue", 15) << t.queue.pending << " pending, " << t.queue.in_flight
        << " in flight, " << t.queue.succeeded << " succeeded, " << t.queue.dead << " dead";
    if (t.oldest_pending_age) {
      out << " (oldest pending " << format_age(*t.oldest_pending_age) << ")";
    }
    out << "\n";
    auto hold = [&](const char* what, const std::optional<storage::TenantStateRow>& r) {
      if (!r) return;
      out << "  " << pad(what, 15) << r->reason << "; "
          << (r->until ? "until " + format_iso8601(*r->until) : std::string("until a reload"))
          << "\n";
    };
    if (t.usage) {
      out << "  " << pad("upstream usage", 15) << t.usage->used << " of " << t.usage->limit
          << " requests this hour (the database's, all integrations; read "
          << format_age(duration_cast<milliseconds>(now - t.usage->at)) << ")\n";
    }
    hold("queue PAUSED", t.queue_paused);
    hold("pulls STOPPED", t.pulls_stopped);
    for (const auto& f : t.job_failures) {
      out << "  " << pad("last failure", 15) << f.job << " "
          << format_age(duration_cast<milliseconds>(now - f.at)) << ": " << f.reason << "\n";
    }
  }
  return out.str();
}

std::string pipeline_text(const PipelineReport& r) {
  const auto& s = r.summary;
  std::ostringstream out;
  out << "Pro Services pipeline: " << s.tenant << " (last " << s.window_days << " days)\n";
  auto line = [&](const char* label, std::int64_t count, double value) {
    out << "  " << pad(label, 7) << lpad(std::to_string(count), 6) << " opportunities  "
        << lpad(format_money(value), 16) << "\n";
  };
  line("Total:", s.total_count, s.total_value);
  line("Open:", s.open_count, s.open_value);
  line("Won:", s.won_count, s.won_value);
  line("Lost:", s.lost_count, s.lost_value);
  if (s.win_rate) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", *s.win_rate * 100.0);
    out << "  Win rate: " << buf << "\n";
  } else {
    out << "  Win rate: n/a (nothing won or lost in the window)\n";
  }
  out << "\nRecent opportunities:\n";
  if (r.recent.empty()) out << "  (none cached)\n";
  for (const auto& i : r.recent) {
    out << "  " << pad(date_or_dash(i.last_updated), 11) << pad(storage::to_string(i.status), 5)
        << lpad(format_money(i.value), 14) << "  " << title(i) << "\n";
  }
  return out.str();
}

std::string backlog_text(const BacklogReport& r) {
  std::ostringstream out;
  out << "Pro Services backlog: " << r.tenant << " (open, oldest first)\n";
  if (r.items.empty()) {
    out << "  no open opportunities\n";
    return out.str();
  }
  out << "  " << lpad("AGE", 8) << lpad("VALUE", 14) << "  " << pad("STAGE", 16) << "NAME\n";
  for (const auto& i : r.items) {
    std::string age = i.age_days ? std::to_string(*i.age_days) + " days" : "-";
    std::string stage = i.stage_name.value_or(i.status_name.value_or("-"));
    out << "  " << lpad(age, 8) << lpad(format_money(i.value), 14) << "  " << pad(stage, 16)
        << title(i) << (i.at_risk ? "  [at risk]" : "") << "\n";
  }
  return out.str();
}

}  // namespace cwsync::daemon
