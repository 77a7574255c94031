#include "sim_control.h"

#include "http_client.h"

#include <stdexcept>

namespace cwsync::test {

SimControl::Reply SimControl::call(const std::string& method, const std::string& target,
                                   const nlohmann::json& body) const {
  HttpReply r = http_request(port_, method, target, {}, body.is_null() ? "" : body.dump(), 30000);
  if (r.status == 0) throw std::runtime_error("cwsim control " + method + " " + target + ": " + r.error);
  Reply out;
  out.status = r.status;
  out.body = nlohmann::json::parse(r.body, nullptr, false);
  return out;
}

namespace {
nlohmann::json checked(const SimControl::Reply& r, const std::string& what) {
  if (r.status < 200 || r.status > 299) {
    throw std::runtime_error("cwsim control " + what + " -> " + std::to_string(r.status) + " " + r.body.dump());
  }
  return r.body;
}
}  // namespace

nlohmann::json SimControl::get(const std::string& target) const { return checked(call("GET", target), target); }
nlohmann::json SimControl::post(const std::string& target, const nlohmann::json& body) const {
  return checked(call("POST", target, body), target);
}
nlohmann::json SimControl::del(const std::string& target) const { return checked(call("DELETE", target), target); }

int SimControl::add_fault(const nlohmann::json& rule) const { return post("/_sim/faults", rule)["id"].get<int>(); }
nlohmann::json SimControl::faults() const { return get("/_sim/faults")["faults"]; }
void SimControl::clear_faults() const { del("/_sim/faults"); }
nlohmann::json SimControl::mutate(const nlohmann::json& spec) const { return post("/_sim/mutate", spec); }
nlohmann::json SimControl::requests(uint64_t since) const {
  return get("/_sim/requests?since=" + std::to_string(since))["requests"];
}
void SimControl::clear_requests() const { del("/_sim/requests"); }
void SimControl::set_rate_limit(const std::string& api, int requests, int window_ms) const {
  if (requests <= 0) {
    del("/_sim/rate-limit?api=" + api);
    return;
  }
  post("/_sim/rate-limit", {{"api", api}, {"requests", requests}, {"window_ms", window_ms}});
}
nlohmann::json SimControl::store(const std::string& view) const { return get("/_sim/store/" + view); }
void SimControl::reset() const { post("/_sim/reset", nlohmann::json::object()); }
nlohmann::json SimControl::config() const { return get("/_sim/config"); }

}  // namespace cwsync::test
