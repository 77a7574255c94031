// Transport-neutral request/response types and the helpers every handler
// shares: parameters, Basic auth, the two APIs' error bodies, paging.
#pragma once

#include "store.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cwsim {

struct NoCaseLess {
  bool operator()(const std::string& a, const std::string& b) const { return compare_nocase(a, b) < 0; }
};

struct Request {
  std::string method;
  std::string path;    // decoded path, no query
  std::string query;   // raw query string (without '?')
  std::string body;
  std::string host;    // Host header, for absolute links
  std::map<std::string, std::string, NoCaseLess> headers;
  std::map<std::string, std::string, NoCaseLess> params;  // decoded; names case-insensitive
  TimeMs arrived = 0;

  // The decoded query parameter, or nullopt.
  std::optional<std::string> param(const std::string& name) const;
  // The header value, or "" when absent.
  std::string header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Parses "a=1&b=x%20y" into `out` (later duplicates win).
void parse_query(const std::string& query, std::map<std::string, std::string, NoCaseLess>& out);
// Decodes "Basic base64(user:pass)"; nullopt when absent or malformed.
std::optional<std::pair<std::string, std::string>> basic_auth(const Request& req);

Response json_response(int status, const Json& body);
Response raw_json_response(int status, std::string body);
// Manage's error body: {"code","message","errors":[...]} (errors omitted when empty).
Response psa_error(int status, const std::string& code, const std::string& message, Json errors = Json());
// Sell's error body: ASP.NET style {"message": "..."}.
Response cpq_error(int status, const std::string& message);

struct Paging {
  int page = 1;
  int page_size = 0;
};
// Reads page/pageSize. Errors (non-numeric, page < 1, pageSize < 1 or > 1000)
// come back as the API's 400 response.
std::variant<Paging, Response> parse_paging(const Request& req, int default_size, bool psa);

// A non-negative decimal id ("1001"); nullopt for anything else.
std::optional<int64_t> parse_id(const std::string& s);

// Splits "a, b ,c" on commas, trimming blanks; empty parts dropped.
std::vector<std::string> split_list(const std::string& text, char sep = ',');

}  // namespace cwsim
