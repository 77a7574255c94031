// Shared fixture: an in-process cwsim on an ephemeral port plus helpers that
// send correctly authenticated CPQ, PSA and Autotask requests.
#pragma once

#include "http_client.h"
#include "simulator.h"

#include <Poco/URI.h>

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <memory>
#include <string>

namespace cwsim::testing {

using cwsync::test::HttpReply;

inline Options small_options() {
  Options o;
  o.seed = 42;
  o.quotes = 120;
  o.opportunities = 60;
  o.tickets = 6;
  o.now = "2026-11-01T00:00:00Z";
  return o;
}

class SimTest : public ::testing::Test {
 protected:
  void SetUp() override { start(small_options()); }

  void start(const Options& o) {
    sim_ = std::make_unique<Simulator>(o);
    port_ = sim_->start();
  }

  std::map<std::string, std::string> cpq_headers() const {
    const Options& o = sim_->options();
    return {{"Authorization", cwsync::test::basic_auth(o.access_key + "+" + o.public_key, o.private_key)}};
  }
  std::map<std::string, std::string> psa_headers() const {
    const Options& o = sim_->options();
    return {{"Authorization", cwsync::test::basic_auth(o.company + "+" + o.public_key, o.private_key)},
            {"clientId", o.client_id}};
  }
  std::string psa_base() const { return "/" + sim_->options().codebase + "apis/3.0"; }
  std::map<std::string, std::string> at_headers() const {
    const Options& o = sim_->options();
    return {{"ApiIntegrationCode", o.at_integration_code},
            {"UserName", o.at_username},
            {"Secret", o.at_secret},
            {"Content-Type", "application/json"}};
  }
  // An Autotask call under /ATServicesRest/V1.0 (`target` starts with '/');
  // a null body sends none.
  HttpReply at(const std::string& method, const std::string& target, const Json& body = Json()) {
    return cwsync::test::http_request(port_, method, "/ATServicesRest/V1.0" + target, at_headers(),
                                      body.is_null() ? std::string() : body.dump());
  }

  HttpReply cpq(const std::string& target) { return cwsync::test::http_request(port_, "GET", target, cpq_headers()); }
  HttpReply psa(const std::string& method, const std::string& target, const std::string& body = "",
                std::map<std::string, std::string> extra = {}) {
    auto h = psa_headers();
    for (auto& [k, v] : extra) h[k] = v;
    return cwsync::test::http_request(port_, method, psa_base() + target, h, body);
  }
  Json json(const HttpReply& r) { return Json::parse(r.body); }
  Json control(const std::string& method, const std::string& target, const Json& body = Json()) {
    ControlResult r = sim_->control(method, target, body);
    EXPECT_EQ(r.status, 200) << method << " " << target << " " << r.body.dump();
    return r.body;
  }

  std::unique_ptr<Simulator> sim_;
  int port_ = 0;
};

// The URL of rel="next" in a Link header, or "".
inline std::string next_link(const HttpReply& r) {
  static const std::regex kNext(R"re(<([^>]*)>;\s*rel="next")re");
  std::smatch m;
  std::string h = r.header("Link");
  return std::regex_search(h, m, kNext) ? m[1].str() : "";
}

// The first of Autotask's {"errors":[...]}, or "" when the body has none.
inline std::string at_error_text(const HttpReply& r) {
  Json j = Json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("errors") && !j["errors"].empty() ? j["errors"][0].get<std::string>() : "";
}

// Percent-encodes a query value.
inline std::string enc(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "&=+?#/,[]\"' ", out);
  return out;
}

}  // namespace cwsim::testing
