#include "sync/http/json_page.h"

#include <cmath>
#include <cstdlib>

namespace cwsync {
namespace {

using nlohmann::json;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Byte ranges of the top-level elements of an array that nlohmann has already
// validated, so this only tracks string state and nesting; it is a locator,
// not a parser. Returns false when the shape is not what was validated (then
// the caller falls back to dump()).
bool locate_elements(std::string_view body, std::vector<std::string_view>& out) {
  std::size_t i = 0;
  while (i < body.size() && is_space(body[i])) ++i;
  if (i == body.size() || body[i] != '[') return false;
  ++i;
  for (;;) {
    while (i < body.size() && (is_space(body[i]) || body[i] == ',')) ++i;
    if (i >= body.size()) return false;
    if (body[i] == ']') return true;
    std::size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < body.size(); ++i) {
      char c = body[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      else if (c == '{' || c == '[') ++depth;
      else if (c == '}' || c == ']') {
        if (depth == 0) break;  // the closing ']' of the list after a scalar
        if (--depth == 0) { ++i; break; }
      } else if (c == ',' && depth == 0) break;
    }
    std::size_t end = i;
    while (end > start && is_space(body[end - 1])) --end;
    if (end == start) return false;
    out.push_back(body.substr(start, end - start));
  }
}

Error malformed(std::string_view what, std::string message) {
  return make_error(ErrorKind::kMalformed, std::move(message), std::string(what));
}

// Poco's DateTimeParser is lenient (it accepts "not a date"), so check the
// "YYYY-MM-DD" prefix before handing the text to it.
bool looks_like_date(std::string_view s) {
  if (s.size() < 10) return false;
  for (std::size_t k : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[k] < '0' || s[k] > '9') return false;
  }
  return s[4] == '-' && s[7] == '-' && (s.size() == 10 || s[10] == 'T' || s[10] == ' ');
}

std::optional<TimePoint> to_seconds(std::optional<TimePoint> t) {
  if (!t) return t;
  return std::chrono::floor<std::chrono::seconds>(*t);
}

}  // namespace

namespace json_read {

const json* child(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> text(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<double> number(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {  // some CPQ instances send decimals as strings
    const std::string& s = v->get_ref<const std::string&>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

std::optional<std::int64_t> integer(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v != nullptr && v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      return std::nullopt;
    }
    return v->get<std::int64_t>();
  }
  auto d = number(obj, key);
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  constexpr double kLimit = 9223372036854775808.0;
  if (!d || std::trunc(*d) != *d || *d >= kLimit || *d < -kLimit) return std::nullopt;
  return static_cast<std::int64_t>(*d);
}

std::optional<bool> boolean(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

std::optional<TimePoint> time(const json& obj, std::string_view key) {
  auto s = text(obj, key);
  if (!s || !looks_like_date(*s)) return std::nullopt;
  return to_seconds(parse_iso8601(*s));
}

std::optional<std::string> id_text(const json& obj, std::string_view key) {
  const json* v = child(obj, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return std::to_string(v->get<long long>());
  return std::nullopt;
}

}  // namespace json_read

Result<SplitPage> split_page(const std::string& body, std::string_view what) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return malformed(what, "the response is not valid JSON (truncated or not JSON: " +
                               std::to_string(body.size()) + " bytes)");
  }
  bool envelope = false;
  if (doc.is_object()) {
    auto it = doc.find("data");
    if (it == doc.end() || !it->is_array()) {
      return malformed(what, "expected a JSON array of objects, got an object without a data array");
    }
    json data = std::move(*it);
    doc = std::move(data);
    envelope = true;
  }
  if (!doc.is_array()) {
    return malformed(what, std::string("expected a JSON array, got ") + doc.type_name());
  }
  SplitPage page;
  page.elements.reserve(doc.size());
  for (std::size_t k = 0; k < doc.size(); ++k) {
    if (!doc[k].is_object()) {
      return malformed(what, "element " + std::to_string(k) + " is " + doc[k].type_name() +
                                 ", expected an object");
    }
  }
  std::vector<std::string_view> raws;
  raws.reserve(doc.size());
  if (envelope || !locate_elements(body, raws) || raws.size() != doc.size()) {
    // Envelopes are a defensive case only (CPQ sends bare arrays): pay for dump().
    page.sliced = false;
    page.fallback.reserve(doc.size());
    for (const json& e : doc) page.fallback.push_back(e.dump());
    raws.clear();
    for (const std::string& s : page.fallback) raws.emplace_back(s);
  }
  for (std::size_t k = 0; k < doc.size(); ++k) {
    page.elements.push_back(PageElement{std::move(doc[k]), raws[k]});
  }
  return page;
}

Result<storage::QuoteRow> map_quote(const json& obj, std::string_view raw) {
  using namespace json_read;
  storage::QuoteRow q;
  auto id = text(obj, "id");
  const json* qn = child(obj, "quoteNumber");
  if (!id || id->empty()) return malformed("quote", "a quote without an id");
  if (qn == nullptr || !qn->is_number_integer()) {
    return malformed("quote " + *id, "quoteNumber is missing or not an integer");
  }
  q.id = std::move(*id);
  q.quote_number = qn->get<std::int64_t>();
  if (const json* v = child(obj, "quoteVersion"); v != nullptr && v->is_number_integer()) {
    q.quote_version = v->get<int>();
  }
  q.name = text(obj, "name");
  q.quote_status = text(obj, "quoteStatus");
  q.quote_type = text(obj, "quoteType");
  q.account_name = text(obj, "accountName");
  if (const json* c = child(obj, "customer")) {
    q.customer_id = c->is_object() ? id_text(*c, "id") : (c->is_string() ? std::optional(c->get<std::string>()) : std::nullopt);
  }
  q.is_accepted = boolean(obj, "isAccepted").value_or(false);
  q.is_sent = boolean(obj, "isSent").value_or(false);
  q.is_archive = boolean(obj, "isArchive").value_or(false);
  q.is_lost = boolean(obj, "isLost").value_or(false);
  q.lost_reason = text(obj, "lostReason");
  q.won_or_lost_date = time(obj, "wonOrLostDate");
  q.quote_total = number(obj, "quoteTotal");
  q.subtotal = number(obj, "subtotal");
  q.tax = number(obj, "tax");
  q.gross_margin = number(obj, "grossMargin");
  q.probability = number(obj, "probability");
  q.create_date = time(obj, "createDate");
  q.modify_date = time(obj, "modifyDate");
  q.expiration_date = time(obj, "expirationDate");
  q.expected_close_date = time(obj, "expectedCloseDate");
  q.crm_opportunity_id = id_text(obj, "crmOpportunityId");
  if (q.crm_opportunity_id && q.crm_opportunity_id->empty()) q.crm_opportunity_id.reset();
  q.primary_rep = text(obj, "primaryRep");
  q.inside_rep = text(obj, "insideRep");
  q.raw_json.assign(raw);
  return q;
}

Result<storage::QuoteItemRow> map_quote_item(const json& obj, std::string_view raw) {
  using namespace json_read;
  storage::QuoteItemRow r;
  auto id = text(obj, "id");
  auto quote = text(obj, "idQuote");
  if (!id || id->empty() || !quote || quote->empty()) {
    return malformed("quote item", "an item without id or idQuote");
  }
  r.id = std::move(*id);
  r.quote_id = std::move(*quote);
  r.tab_id = text(obj, "idQuoteTabs");
  r.item_number = text(obj, "itemNumber");
  r.sort_order = integer(obj, "sortOrder");
  r.short_description = text(obj, "shortDescription");
  r.long_description = text(obj, "longDescription");
  r.manufacturer_part_number = text(obj, "manufacturerPartNumber");
  r.product_type = text(obj, "productType");
  r.product_class = text(obj, "productClass");
  r.quantity = number(obj, "quantity");
  r.price = number(obj, "quoteItemPrice");
  r.cost = number(obj, "cost");
  r.extended_price = number(obj, "extendedPrice");
  r.extended_cost = number(obj, "extendedCost");
  r.gross_margin = number(obj, "grossMargin");
  r.recurring_amount = number(obj, "recurringAmount");
  r.is_optional = boolean(obj, "isOptional");
  r.is_selected = boolean(obj, "isSelected");
  r.is_printed = boolean(obj, "isPrinted");
  r.is_taxable = boolean(obj, "isTaxable");
  r.modify_date = time(obj, "modifyDate");
  r.raw_json.assign(raw);
  return r;
}

storage::OpportunityRow quote_opportunity(const storage::QuoteRow& q) {
  storage::OpportunityRow o;
  o.source = OpportunitySource::kQuotes;
  o.id = std::to_string(q.quote_number);
  o.name = q.name;
  o.client_name = q.account_name;
  if (q.is_lost) o.status = storage::OpportunityStatus::kLost;
  else if (q.is_accepted || q.won_or_lost_date) o.status = storage::OpportunityStatus::kWon;
  else o.status = storage::OpportunityStatus::kOpen;
  o.status_name = q.quote_status;
  o.probability = q.probability;
  o.value = q.quote_total;
  o.expected_close_date = q.expected_close_date;
  if (o.status != storage::OpportunityStatus::kOpen) {
    o.closed_date = q.won_or_lost_date ? q.won_or_lost_date : q.modify_date;
  }
  o.date_entered = q.create_date;
  o.last_updated = q.modify_date;
  o.raw_json = q.raw_json;
  return o;
}

}  // namespace cwsync
