#include "quote_fields.h"

namespace cwsim {
namespace {

template <typename T>
Value opt_str(const std::optional<T>& v) {
  return v ? Value::string(*v) : Value::null();
}
Value opt_time(const std::optional<TimeMs>& v) { return v ? Value::timestamp(*v) : Value::null(); }

void put_value(const Value& v, std::string_view name, nlohmann::ordered_json& out) {
  auto& slot = out[std::string(name)];
  switch (v.kind) {
    case Value::Kind::kNull: slot = nullptr; break;
    case Value::Kind::kBool: slot = v.b; break;
    case Value::Kind::kInt: slot = v.i; break;
    case Value::Kind::kReal: slot = v.d; break;
    case Value::Kind::kStr: slot = std::string(v.str); break;
    case Value::Kind::kTime: slot = format_time_ms(v.time); break;
  }
}

#define FIELD(NAME, EXPR)                                                              \
  QuoteField {                                                                         \
    NAME, [](const Store& s, const Quote& q) -> Value { (void)s; return EXPR; },       \
        [](const Store& s, const Quote& q, std::string_view n, nlohmann::ordered_json& out) {            \
          (void)s;                                                                     \
          put_value(EXPR, n, out);                                                     \
        }                                                                              \
  }

// zCustom fields are absent from rows created before the custom field existed.
#define CUSTOM_FIELD(NAME, EXPR)                                                       \
  QuoteField {                                                                         \
    NAME, [](const Store& s, const Quote& q) -> Value { (void)s; return EXPR; },       \
        [](const Store& s, const Quote& q, std::string_view n, nlohmann::ordered_json& out) {            \
          (void)s;                                                                     \
          if (q.has_custom) put_value(EXPR, n, out);                                   \
        }                                                                              \
  }

Value account_name(const Store& s, const Quote& q) {
  return q.account < 0 ? Value::null() : Value::string(s.accounts[static_cast<size_t>(q.account)].name);
}
Value rep(const Store& s, int idx) {
  return idx < 0 ? Value::null() : Value::string(s.reps[static_cast<size_t>(idx)]);
}

std::vector<QuoteField> build() {
  std::vector<QuoteField> f = {
      FIELD("id", Value::string(q.id)),
      FIELD("quoteNumber", Value::integer(q.quote_number)),
      FIELD("quoteVersion", Value::integer(q.quote_version)),
      FIELD("name", Value::string(q.name)),
      FIELD("quoteStatus", Value::string(q.quote_status)),
      FIELD("quoteType", Value::string(q.quote_type)),
      FIELD("accountName", account_name(s, q)),
      QuoteField{"customer",
                 [](const Store& s, const Quote& q) -> Value {
                   return q.account < 0 ? Value::null()
                                        : Value::string(s.accounts[static_cast<size_t>(q.account)].customer_id);
                 },
                 [](const Store& s, const Quote& q, std::string_view n, nlohmann::ordered_json& out) {
                   if (q.account < 0) {
                     out[std::string(n)] = nullptr;
                     return;
                   }
                   const Account& a = s.accounts[static_cast<size_t>(q.account)];
                   out[std::string(n)] = nlohmann::ordered_json{{"id", a.customer_id}, {"accountName", a.name}};
                 }},
      FIELD("isAccepted", Value::boolean(q.is_accepted)),
      FIELD("isSent", Value::boolean(q.is_sent)),
      FIELD("isArchive", Value::boolean(q.is_archive)),
      FIELD("isLost", Value::boolean(q.is_lost)),
      FIELD("lostReason", opt_str(q.lost_reason)),
      FIELD("wonOrLostDate", opt_time(q.won_or_lost_date)),
      FIELD("quoteTotal", Value::real(q.quote_total)),
      FIELD("subtotal", Value::real(q.subtotal)),
      FIELD("tax", Value::real(q.tax)),
      FIELD("grossMargin", Value::real(q.gross_margin)),
      FIELD("recurringTotal", Value::real(q.recurring_total)),
      FIELD("probability", Value::integer(q.probability)),
      FIELD("createDate", Value::timestamp(q.create_date)),
      FIELD("modifyDate", Value::timestamp(q.modify_date)),
      FIELD("expirationDate", opt_time(q.expiration_date)),
      FIELD("expectedCloseDate", opt_time(q.expected_close_date)),
      FIELD("crmOpportunityId", opt_str(q.crm_opportunity_id)),
      FIELD("primaryRep", rep(s, q.primary_rep)),
      FIELD("insideRep", rep(s, q.inside_rep)),
      FIELD("shortDescription", opt_str(q.short_description)),
      CUSTOM_FIELD("zCustomText1", opt_str(q.z_custom_text1)),
      CUSTOM_FIELD("zCustomDecimal1", q.z_custom_decimal1 ? Value::real(*q.z_custom_decimal1) : Value::null()),
      CUSTOM_FIELD("zCustomDate1", opt_time(q.z_custom_date1)),
  };
  return f;
}

#undef FIELD
#undef CUSTOM_FIELD

}  // namespace

const std::vector<QuoteField>& quote_fields() {
  static const std::vector<QuoteField> kFields = build();
  return kFields;
}

const QuoteField* find_quote_field(std::string_view name) {
  for (const QuoteField& f : quote_fields()) {
    if (compare_nocase(f.name, name) == 0) return &f;
  }
  return nullptr;
}

std::string serialize_quote(const Store& store, const Quote& q, const std::vector<const QuoteField*>& fields) {
  // Hot path of every listing: the object is assembled here, and nlohmann
  // encodes each member (ordered_json keeps table order, so bytes are stable).
  nlohmann::ordered_json one = nlohmann::ordered_json::object();
  std::string out;
  out.reserve(1024);
  out += '{';
  bool first = true;
  auto emit = [&](const QuoteField& f) {
    one.clear();
    f.put(store, q, f.name, one);
    for (auto it = one.begin(); it != one.end(); ++it) {
      if (!first) out += ',';
      first = false;
      out += '"';
      out += it.key();
      out += "\":";
      out += it.value().dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    }
  };
  if (fields.empty()) {
    for (const QuoteField& f : quote_fields()) emit(f);
  } else {
    for (const QuoteField* f : fields) emit(*f);
  }
  out += '}';
  out.shrink_to_fit();
  return out;
}

Json Store::quote_json(const Quote& q) const {
  return Json::parse(serialize_quote(*this, q, {}));
}

}  // namespace cwsim
