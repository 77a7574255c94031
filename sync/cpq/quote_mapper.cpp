#include "sync/cpq/quote_mapper.h"

#include <utility>

namespace cwsync {

using nlohmann::json;

Result<storage::QuoteRow> map_quote(const json& obj, std::string_view raw) {
  using namespace json_read;
  storage::QuoteRow q;
  auto id = text(obj, "id");
  const json* qn = child(obj, "quoteNumber");
  if (!id || id->empty()) return malformed_element("quote", "a quote without an id");
  if (qn == nullptr || !qn->is_number_integer()) {
    return malformed_element("quote " + *id, "quoteNumber is missing or not an integer");
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
    return malformed_element("quote item", "an item without id or idQuote");
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
