#include "faults.h"

#include <fnmatch.h>

#include <charconv>
#include <stdexcept>

namespace cwsim {

const char* to_string(FaultKind k) {
  switch (k) {
    case FaultKind::kStatus: return "status";
    case FaultKind::kDelay: return "delay";
    case FaultKind::kReset: return "reset";
    case FaultKind::kTruncate: return "truncate";
    case FaultKind::kWrongType: return "wrong_type";
    case FaultKind::kHtml: return "html";
    case FaultKind::kAppliedThenLost: return "applied_then_lost";
    case FaultKind::kMutate: return "mutate";
  }
  return "?";
}

namespace {

FaultKind kind_from(const std::string& s) {
  for (FaultKind k : {FaultKind::kStatus, FaultKind::kDelay, FaultKind::kReset, FaultKind::kTruncate,
                      FaultKind::kWrongType, FaultKind::kHtml, FaultKind::kAppliedThenLost, FaultKind::kMutate}) {
    if (s == to_string(k)) return k;
  }
  throw std::invalid_argument("unknown fault kind '" + s +
                              "' (status, delay, reset, truncate, wrong_type, html, applied_then_lost, mutate)");
}

template <typename T>
T field(const Json& spec, const char* name, T fallback) {
  if (!spec.contains(name) || spec[name].is_null()) return fallback;
  try {
    return spec[name].get<T>();
  } catch (const Json::exception&) {
    throw std::invalid_argument(std::string("fault field '") + name + "' has the wrong type");
  }
}

}  // namespace

Json FaultRule::to_json() const {
  Json j = {{"id", id},       {"kind", to_string(kind)}, {"api", api},         {"method", method},
            {"path", path},   {"regex", use_regex},      {"status", status},   {"delay_ms", delay_ms},
            {"after", after}, {"count", count},          {"probability", probability},
            {"matched", matched}, {"fired", fired},      {"retry_after_http_date", retry_after_http_date}};
  j["retry_after"] = retry_after_s ? Json(*retry_after_s) : Json(nullptr);
  if (kind == FaultKind::kMutate) j["mutation"] = mutation;
  j["duration_ms"] = duration_ms;
  j["other_writers"] = other_writers;
  return j;
}

int FaultEngine::add(const Json& spec) {
  if (!spec.is_object()) throw std::invalid_argument("a fault rule is a JSON object");
  FaultRule r;
  r.kind = kind_from(field<std::string>(spec, "kind", "status"));
  r.api = field<std::string>(spec, "api", "*");
  r.method = field<std::string>(spec, "method", "*");
  r.path = field<std::string>(spec, "path", "*");
  r.use_regex = field<bool>(spec, "regex", false);
  r.status = field<int>(spec, "status", r.kind == FaultKind::kHtml ? 200 : 503);
  if (spec.contains("retry_after") && !spec["retry_after"].is_null()) r.retry_after_s = field<int>(spec, "retry_after", 0);
  r.retry_after_http_date = field<bool>(spec, "retry_after_http_date", false);
  r.delay_ms = field<int>(spec, "delay_ms", 0);
  r.after = field<int>(spec, "after", 0);
  r.count = field<int>(spec, "count", 1);
  r.probability = field<double>(spec, "probability", 1.0);
  r.duration_ms = field<int>(spec, "duration_ms", 0);
  r.other_writers = field<int>(spec, "other_writers", 0);
  r.added_ms = now_ms();
  if (r.duration_ms < 0) throw std::invalid_argument("duration_ms must be >= 0");
  if (r.other_writers < 0 || r.other_writers > 100000) {
    throw std::invalid_argument("other_writers must be 0..100000");
  }
  if (r.kind == FaultKind::kMutate) {
    if (!spec.contains("mutation") || !spec["mutation"].is_object()) {
      throw std::invalid_argument("a mutate rule needs a 'mutation' object");
    }
    r.mutation = spec["mutation"];
  }
  if (r.kind == FaultKind::kDelay && r.delay_ms <= 0) throw std::invalid_argument("a delay rule needs delay_ms > 0");
  if (r.status < 100 || r.status > 599) throw std::invalid_argument("status must be 100..599");
  if (r.probability < 0 || r.probability > 1) throw std::invalid_argument("probability must be in [0, 1]");
  if (r.api != "*" && r.api != "cpq" && r.api != "psa" && r.api != "autotask") {
    throw std::invalid_argument("api must be cpq, psa, autotask or *");
  }
  std::regex re;
  if (r.use_regex) {
    try {
      re = std::regex(r.path);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument(std::string("bad path regex: ") + e.what());
    }
  }
  std::lock_guard lk(mu_);
  r.id = next_id_++;
  rules_.push_back(r);
  regexes_.push_back(std::move(re));
  return r.id;
}

bool FaultEngine::remove(int id) {
  std::lock_guard lk(mu_);
  for (size_t k = 0; k < rules_.size(); ++k) {
    if (rules_[k].id == id) {
      rules_.erase(rules_.begin() + static_cast<std::ptrdiff_t>(k));
      regexes_.erase(regexes_.begin() + static_cast<std::ptrdiff_t>(k));
      return true;
    }
  }
  return false;
}

void FaultEngine::clear() {
  std::lock_guard lk(mu_);
  rules_.clear();
  regexes_.clear();
}

Json FaultEngine::list() const {
  std::lock_guard lk(mu_);
  Json out = Json::array();
  for (const FaultRule& r : rules_) out.push_back(r.to_json());
  return out;
}

std::vector<FaultRule> FaultEngine::pick(const std::string& api, const std::string& method, const std::string& path) {
  std::lock_guard lk(mu_);
  std::vector<FaultRule> fired;
  bool have_main = false;
  for (size_t k = 0; k < rules_.size(); ++k) {
    FaultRule& r = rules_[k];
    if (r.api != "*" && r.api != api) continue;
    if (r.method != "*" && compare_nocase(r.method, method) != 0) continue;
    bool hit = r.use_regex ? std::regex_search(path, regexes_[k]) : fnmatch(r.path.c_str(), path.c_str(), 0) == 0;
    if (!hit) continue;
    if (r.duration_ms > 0 && now_ms() >= r.added_ms + r.duration_ms) continue;  // over
    bool is_mutate = r.kind == FaultKind::kMutate;
    if (!is_mutate && have_main) continue;  // a later rule does not even count this request
    ++r.matched;
    if (r.matched <= r.after) continue;
    if (r.count >= 0 && r.fired >= r.count) continue;
    if (r.probability < 1.0) {
      Rng rng(rng_state_);
      rng_state_ = rng.next();
      if (Rng(rng_state_).unit() >= r.probability) continue;
    }
    ++r.fired;
    if (is_mutate) {
      fired.insert(fired.begin(), r);
    } else {
      fired.push_back(r);
      have_main = true;
    }
  }
  return fired;
}

void RateLimiter::configure(const std::string& api, int requests, int window_ms) {
  std::lock_guard lk(mu_);
  Bucket b;
  b.requests = requests;
  b.window_ms = window_ms;
  b.tokens = requests;
  buckets_[api] = b;
  std::erase_if(tenant_buckets_, [&](const auto& e) { return e.first.first == api; });
}

void RateLimiter::disable(const std::string& api) {
  std::lock_guard lk(mu_);
  if (api == "*") buckets_.clear();
  else buckets_.erase(api);
  std::erase_if(tenant_buckets_, [&](const auto& e) { return api == "*" || e.first.first == api; });
}

bool RateLimiter::allow(const std::string& api, TimeMs now, TimeMs& retry_after_ms) {
  std::lock_guard lk(mu_);
  auto it = buckets_.find(api);
  if (it == buckets_.end()) return true;
  return take(it->second, now, retry_after_ms);
}

bool RateLimiter::allow(const std::string& api, const std::string& tenant, TimeMs now,
                        TimeMs& retry_after_ms) {
  if (tenant.empty()) return allow(api, now, retry_after_ms);
  std::lock_guard lk(mu_);
  auto it = buckets_.find(api);
  if (it == buckets_.end()) return true;
  auto [t, fresh] = tenant_buckets_.try_emplace({api, tenant}, it->second);
  if (fresh) {
    t->second.tokens = t->second.requests;
    t->second.last = 0;
    t->second.rejected = 0;
  }
  const bool ok = take(t->second, now, retry_after_ms);
  if (!ok) ++it->second.rejected;  // the api's count covers every tenant
  return ok;
}

bool RateLimiter::take(Bucket& b, TimeMs now, TimeMs& retry_after_ms) {
  double rate = static_cast<double>(b.requests) / b.window_ms;  // tokens per ms
  if (b.last != 0) b.tokens = std::min<double>(b.requests, b.tokens + static_cast<double>(now - b.last) * rate);
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  ++b.rejected;
  retry_after_ms = static_cast<TimeMs>((1.0 - b.tokens) / rate) + 1;
  return false;
}

Json RateLimiter::to_json() const {
  std::lock_guard lk(mu_);
  Json out = Json::object();
  for (const auto& [api, b] : buckets_) {
    out[api] = {{"requests", b.requests}, {"window_ms", b.window_ms}, {"rejected", b.rejected}};
  }
  for (const auto& [key, b] : tenant_buckets_) {
    if (out.contains(key.first)) out[key.first]["tenants"][key.second] = {{"rejected", b.rejected}};
  }
  return out;
}

std::optional<std::pair<int, int>> parse_rate(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  int n = 0;
  std::string a = text.substr(0, slash), w = text.substr(slash + 1);
  auto [p, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
  if (ec != std::errc() || p != a.data() + a.size() || n <= 0) return std::nullopt;
  long long amount = 0;
  auto [q, ec2] = std::from_chars(w.data(), w.data() + w.size(), amount);
  if (ec2 != std::errc() || amount <= 0) return std::nullopt;
  std::string unit(q, static_cast<size_t>(w.data() + w.size() - q));
  long long ms = unit == "ms" ? amount : unit == "s" || unit.empty() ? amount * 1000 : unit == "m" ? amount * 60000 : -1;
  if (ms <= 0 || ms > 86'400'000) return std::nullopt;
  return std::make_pair(n, static_cast<int>(ms));
}

}  // namespace cwsim
