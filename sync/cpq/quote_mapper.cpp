#include "sync/cpq/quote_mapper.h"

#include <utility>

namespace cwsync {

using nlohmann::json;

Result<storage::QuoteRow> map_quote(const json& obj, std::string_view raw) {
  return map_quote(ElementFields(&obj), raw);
}

Result<storage::QuoteItemRow> map_quote_item(const json& obj, std::string_view raw) {
  return map_quote_item(ElementFields(&obj), raw);
}

Result<storage::QuoteRow> map_quote(const ElementFields& obj, std::string_view raw) {
  storage::QuoteRow q;
  auto id = obj.text("id");
  auto qn = obj.exact_integer("quoteNumber");
  if (!id || id->empty()) return malformed_element("quote", "a quote without an id");
  if (!qn) return malformed_element("quote " + *id, "quoteNumber is missing or not an integer");
  q.id = std::move(*id);
  q.quote_number = *qn;
  // nlohmann's get<int>() narrowed the same way.
  if (auto v = obj.exact_integer("quoteVersion")) q.quote_version = static_cast<int>(*v);
  q.name = obj.text("name");
  q.quote_status = obj.text("quoteStatus");
  q.quote_type = obj.text("quoteType");
  q.account_name = obj.text("accountName");
  q.customer_id =
      obj.is_object("customer") ? obj.child_id_text("customer", "id") : obj.text("customer");
  q.is_accepted = obj.boolean("isAccepted").value_or(false);
  q.is_sent = obj.boolean("isSent").value_or(false);
  q.is_archive = obj.boolean("isArchive").value_or(false);
  q.is_lost = obj.boolean("isLost").value_or(false);
  q.lost_reason = obj.text("lostReason");
  q.won_or_lost_date = obj.time("wonOrLostDate");
  q.quote_total = obj.number("quoteTotal");
  q.subtotal = obj.number("subtotal");
  q.tax = obj.number("tax");
  q.gross_margin = obj.number("grossMargin");
  q.probability = obj.number("probability");
  q.create_date = obj.time("createDate");
  q.modify_date = obj.time("modifyDate");
  q.expiration_date = obj.time("expirationDate");
  q.expected_close_date = obj.time("expectedCloseDate");
  q.crm_opportunity_id = obj.id_text("crmOpportunityId");
  if (q.crm_opportunity_id && q.crm_opportunity_id->empty()) q.crm_opportunity_id.reset();
  q.primary_rep = obj.text("primaryRep");
  q.inside_rep = obj.text("insideRep");
  q.raw_json.assign(raw);
  return q;
}

Result<storage::QuoteItemRow> map_quote_item(const ElementFields& obj, std::string_view raw) {
  storage::QuoteItemRow r;
  auto id = obj.text("id");
  auto quote = obj.text("idQuote");
  if (!id || id->empty() || !quote || quote->empty()) {
    return malformed_element("quote item", "an item without id or idQuote");
  }
  r.id = std::move(*id);
  r.quote_id = std::move(*quote);
  r.tab_id = obj.text("idQuoteTabs");
  r.item_number = obj.text("itemNumber");
  r.sort_order = obj.integer("sortOrder");
  r.short_description = obj.text("shortDescription");
  r.long_description = obj.text("longDescription");
  r.manufacturer_part_number = obj.text("manufacturerPartNumber");
  r.product_type = obj.text("productType");
  r.product_class = obj.text("productClass");
  r.quantity = obj.number("quantity");
  r.price = obj.number("quoteItemPrice");
  r.cost = obj.number("cost");
  r.extended_price = obj.number("extendedPrice");
  r.extended_cost = obj.number("extendedCost");
  r.gross_margin = obj.number("grossMargin");
  r.recurring_amount = obj.number("recurringAmount");
  r.is_optional = obj.boolean("isOptional");
  r.is_selected = obj.boolean("isSelected");
  r.is_printed = obj.boolean("isPrinted");
  r.is_taxable = obj.boolean("isTaxable");
  r.modify_date = obj.time("modifyDate");
  r.raw_json.assign(raw);
  return r;
}

storage::OpportunityRow quote_opportunity(const storage::QuoteRow& q) {
  storage::OpportunityRow o;
  o.source = OpportunitySource::kQuotes;
  o.id = std::to_string(q.quote_number);
  o.name = q.name;
  o.client_name = q.account_name;
  // Accepted wins over lost, as docs/schema.md and cpq_clients have it: a
  // quote can carry both flags, and accepted is the customer's signature.
  if (q.is_accepted) o.status = storage::OpportunityStatus::kWon;
  else if (q.is_lost) o.status = storage::OpportunityStatus::kLost;
  else if (q.won_or_lost_date) o.status = storage::OpportunityStatus::kWon;
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
