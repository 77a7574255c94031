#include "sync/connectwise/psa_codebase.h"

#include <cctype>

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "sync/http/http_classify.h"
#include "sync/http/http_url.h"

namespace cwsync {
namespace {

// Re-looking the codebase up on every 404 (a deleted ticket, say) would
// double the calls of a bad batch; once a minute is plenty to catch an upgrade.
constexpr Millis kRelookupInterval{60'000};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A codebase is one path segment like "v2025_1" or "v4_6_release"; anything
// else in a lookup response must not be spliced into our URLs.
std::optional<std::string> normalize_codebase(std::string_view raw) {
  while (!raw.empty() && raw.back() == '/') raw.remove_suffix(1);
  if (raw.empty() || raw == "." || raw == "..") return std::nullopt;
  for (char c : raw) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  return std::string(raw) + "/";
}

}  // namespace

std::string psa_api_host(std::string_view site_host) {
  std::string host = Poco::toLower(std::string(site_host));
  if (host.rfind("api-", 0) == 0) return host;
  const bool cloud = ends_with(host, ".myconnectwise.net") || ends_with(host, ".connectwisedev.com");
  return cloud ? "api-" + host : host;
}

std::string psa_api_origin(std::string_view site_url) {
  try {
    Poco::URI uri{std::string(site_url)};
    if (uri.getHost().empty()) return {};
    const std::string scheme = Poco::toLower(uri.getScheme());
    std::string out = scheme + "://" + psa_api_host(uri.getHost());
    const unsigned short def = scheme == "https" ? 443 : scheme == "http" ? 80 : 0;
    if (uri.getPort() != def) out += ":" + std::to_string(uri.getPort());
    return out;
  } catch (const Poco::Exception&) {
    return {};
  }
}

Result<std::string> parse_companyinfo(std::string_view body, std::string_view url) {
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return malformed_error("GET", url, "companyinfo is not JSON", 200);
  if (j.is_null()) {
    Error e = make_error(ErrorKind::kNotFound, "unknown company id (companyinfo returned null)",
                         request_context("GET", url));
    e.http_status = 200;
    return e;
  }
  if (j.is_object()) {
    auto it = j.find("Codebase");
    if (it != j.end() && it->is_string()) {
      if (auto cb = normalize_codebase(it->get<std::string>())) return *cb;
    }
  }
  return malformed_error("GET", url, "companyinfo has no usable Codebase", 200);
}

std::string psa_codebase_key(const PsaConnection& conn) {
  std::string site = Poco::toLower(conn.site);
  while (!site.empty() && site.back() == '/') site.pop_back();
  return site + " " + Poco::toLower(conn.company_id);
}

PsaEndpoint::PsaEndpoint(const PsaConnection& conn, ApiClient& api,
                         std::shared_ptr<PsaCodebaseState> state)
    : site_(conn.site),
      company_id_(conn.company_id),
      api_(api),
      api_origin_(psa_api_origin(conn.site)),
      state_(state ? std::move(state) : std::make_shared<PsaCodebaseState>()) {
  if (conn.codebase) pinned_ = normalize_codebase(*conn.codebase);
  while (!site_.empty() && site_.back() == '/') site_.pop_back();
}

std::optional<std::string> PsaEndpoint::codebase() const {
  if (pinned_) return pinned_;
  std::lock_guard lock(state_->mu);
  return state_->codebase;
}

Result<bool> PsaEndpoint::refresh(bool force) {
  if (pinned_) return false;
  PsaCodebaseState& st = *state_;
  std::lock_guard lock(st.mu);
  const TimePoint now = api_.clock().now();
  if (!force && st.codebase) {
    // A looked-up codebase serves for kLocationRefresh; the fallback guess
    // only until the lookup may have come back (kRelookupInterval).
    const Millis fresh_for = st.fallback ? kRelookupInterval : Millis(kLocationRefresh);
    if (st.looked_up_at && now - *st.looked_up_at < fresh_for) return false;
  }
  // Under the fallback the real codebase is unknown: every 404 may look again.
  if (force && !st.fallback) {
    if (st.last_relookup && now - *st.last_relookup < kRelookupInterval) return false;
    st.last_relookup = now;
  }
  st.looked_up_at = now;

  std::string segment;
  Poco::URI::encode(company_id_, "/?#", segment);
  const std::string url = site_ + "/login/companyinfo/" + segment;
  CallOptions opts;
  opts.authenticate = false;
  opts.max_attempts = 2;
  opts.label = "psa companyinfo";
  auto r = api_.execute(get_request(url), opts);

  std::optional<Error> unavailable;
  if (r) {
    auto parsed = parse_companyinfo(r->body, url);
    if (parsed) {
      const bool changed = st.codebase != *parsed;
      if (changed) {
        log::info("psa_codebase").tenant(api_.options().tenant).field("codebase", *parsed)
            .field("previous", st.codebase.value_or("")).msg("PSA codebase resolved");
      }
      st.codebase = *parsed;
      st.fallback = false;
      return changed;
    }
    if (parsed.error().kind == ErrorKind::kNotFound) {
      Error e = parsed.error();
      e.message = "unknown company id '" + company_id_ + "' at " + redact_url(site_) +
                  " (companyinfo returned null)";
      return e;
    }
    unavailable = parsed.error();
  } else {
    const ErrorKind k = r.error().kind;
    if (k == ErrorKind::kCancelled || k == ErrorKind::kConfig || k == ErrorKind::kInvalidInput) {
      return r.error();
    }
    unavailable = r.error();
  }
  if (st.codebase) return false;  // keep what worked before
  log::warn("psa_codebase_fallback").tenant(api_.options().tenant)
      .field("codebase", std::string(kFallbackCodebase))
      .msg("codebase lookup unavailable (" + unavailable->describe() + "); using the fallback");
  st.codebase = std::string(kFallbackCodebase);
  st.fallback = true;
  return true;
}

Result<std::string> PsaEndpoint::base_url() {
  if (api_origin_.empty()) {
    return make_error(ErrorKind::kConfig, "PSA site is not a valid URL", redact_url(site_));
  }
  auto r = refresh(/*force=*/false);
  if (!r) return r.error();
  return api_origin_ + "/" + *codebase() + "apis/3.0/";
}

std::optional<Error> PsaEndpoint::fallback_not_found(const Error& not_found) const {
  if (pinned_) return std::nullopt;
  std::lock_guard lock(state_->mu);
  if (!state_->fallback) return std::nullopt;
  Error e = not_found;
  e.kind = ErrorKind::kRetryable;
  e.failure = Failure::kOutage;
  e.message += "; the codebase is the fallback " + std::string(kFallbackCodebase) +
               " (companyinfo lookup unavailable), so this 404 is not trusted";
  return e;
}

Result<HttpResponse> PsaEndpoint::execute(HttpRequest request, const CallOptions& options) {
  const std::string relative = request.url;
  auto base = base_url();
  if (!base) return base.error();
  request.url = url_join(*base, relative);
  auto r = api_.execute(request, options);
  if (r || r.error().kind != ErrorKind::kNotFound) return r;

  auto changed = refresh(/*force=*/true);
  if (!changed || !*changed) {
    if (auto e = fallback_not_found(r.error())) return *e;
    return r;
  }
  base = base_url();
  if (!base) return base.error();
  log::warn("psa_codebase_retry").tenant(api_.options().tenant)
      .msg("404 after a codebase change; retrying once at the new base");
  request.url = url_join(*base, relative);
  return api_.execute(request, options);
}

Result<PagingStats> PsaEndpoint::for_each_page(HttpRequest first, const PageHandler& handler,
                                               const CallOptions& options) {
  const std::string relative = first.url;
  auto base = base_url();
  if (!base) return base.error();
  first.url = url_join(*base, relative);
  int pages_seen = 0;
  auto counting = [&](const Page& p) {
    ++pages_seen;
    return handler(p);
  };
  auto r = for_each_linked_page(api_, first, counting, options);
  if (r || r.error().kind != ErrorKind::kNotFound || pages_seen > 0) return r;

  auto changed = refresh(/*force=*/true);
  if (!changed || !*changed) {
    if (auto e = fallback_not_found(r.error())) return *e;
    return r;
  }
  base = base_url();
  if (!base) return base.error();
  first.url = url_join(*base, relative);
  return for_each_linked_page(api_, first, handler, options);
}

}  // namespace cwsync
