#include "http_util.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <charconv>
#include <sstream>

namespace cwsim {

std::optional<std::string> Request::param(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

std::string Request::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

void parse_query(const std::string& query, std::map<std::string, std::string, NoCaseLess>& out) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string part = query.substr(start, amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string key = part.substr(0, eq), value = eq == std::string::npos ? "" : part.substr(eq + 1);
      for (char& c : value) if (c == '+') c = ' ';
      std::string dk, dv;
      Poco::URI::decode(key, dk);
      Poco::URI::decode(value, dv);
      out[dk] = dv;
    }
    start = amp + 1;
  }
}

std::optional<std::pair<std::string, std::string>> basic_auth(const Request& req) {
  std::string h = req.header("Authorization");
  if (h.size() < 6 || compare_nocase(h.substr(0, 6), "basic ") != 0) return std::nullopt;
  std::string decoded;
  try {
    std::istringstream in(h.substr(6));
    Poco::Base64Decoder dec(in);
    std::ostringstream out;
    out << dec.rdbuf();
    decoded = out.str();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

Response json_response(int status, const Json& body) {
  return raw_json_response(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Response raw_json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response psa_error(int status, const std::string& code, const std::string& message, Json errors) {
  nlohmann::ordered_json body = {{"code", code}, {"message", message}};
  if (!errors.is_null()) body["errors"] = errors;
  return raw_json_response(status, body.dump());
}

Response cpq_error(int status, const std::string& message) {
  return raw_json_response(status, nlohmann::ordered_json{{"message", message}}.dump());
}

namespace {
std::optional<int> to_int(const std::string& s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}
}  // namespace

std::variant<Paging, Response> parse_paging(const Request& req, int default_size, bool psa) {
  auto bad = [&](const std::string& field, const std::string& msg) -> Response {
    if (psa) {
      return psa_error(400, "InvalidObject", msg,
                       Json::array({{{"code", "InvalidField"}, {"message", msg}, {"resource", "pagination"}, {"field", field}}}));
    }
    return cpq_error(400, msg);
  };
  Paging p;
  p.page_size = default_size;
  if (auto v = req.param("page")) {
    auto n = to_int(*v);
    if (!n || *n < 1) return bad("page", "The page parameter must be a positive integer.");
    p.page = *n;
  }
  if (auto v = req.param("pageSize")) {
    auto n = to_int(*v);
    if (!n || *n < 1) return bad("pageSize", "The pageSize parameter must be a positive integer.");
    if (*n > 1000) return bad("pageSize", "The pageSize parameter cannot be greater than 1000.");
    p.page_size = *n;
  }
  return p;
}

std::optional<int64_t> parse_id(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s) if (c < '0' || c > '9') return std::nullopt;
  return std::stoll(s);
}

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    size_t a = part.find_first_not_of(" \t");
    size_t b = part.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(part.substr(a, b - a + 1));
    start = end + 1;
  }
  return out;
}

}  // namespace cwsim
