#include "storage/row_codec.h"

#include "storage/sql_util.h"

namespace cwsync::storage::detail {
namespace {

std::optional<bool> col_bool(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt() != 0;
}

}  // namespace

const std::vector<const char*>& quote_columns() {
  static const std::vector<const char*> cols = {
      "id", "quote_number", "quote_version", "name", "quote_status", "quote_type",
      "account_name", "customer_id", "is_accepted", "is_sent", "is_archive", "is_lost",
      "lost_reason", "won_or_lost_date", "quote_total", "subtotal", "tax", "gross_margin",
      "probability", "create_date", "modify_date", "expiration_date", "expected_close_date",
      "crm_opportunity_id", "primary_rep", "inside_rep", "raw_json"};
  return cols;
}

const std::vector<const char*>& item_columns() {
  static const std::vector<const char*> cols = {
      "id", "quote_id", "tab_id", "item_number", "sort_order", "short_description",
      "long_description", "manufacturer_part_number", "product_type", "product_class",
      "quantity", "price", "cost", "extended_price", "extended_cost", "gross_margin",
      "recurring_amount", "is_optional", "is_selected", "is_printed", "is_taxable",
      "modify_date", "raw_json"};
  return cols;
}

const std::vector<const char*>& opportunity_columns() {
  static const std::vector<const char*> cols = {
      "id", "source", "name", "client_name", "status", "status_name", "stage_name",
      "probability", "value", "expected_close_date", "closed_date", "date_entered",
      "last_updated", "raw_json"};
  return cols;
}

namespace {

// The ticket's optional text columns, bound and read the same way.
using TicketText = std::optional<std::string> TicketRow::*;
const std::vector<std::pair<const char*, TicketText>>& ticket_texts() {
  static const std::vector<std::pair<const char*, TicketText>> cols = {
      {"summary", &TicketRow::summary}, {"record_type", &TicketRow::record_type},
      {"board_id", &TicketRow::board_id}, {"board", &TicketRow::board},
      {"status_id", &TicketRow::status_id}, {"status", &TicketRow::status},
      {"priority", &TicketRow::priority}, {"company_id", &TicketRow::company_id},
      {"company_identifier", &TicketRow::company_identifier}, {"company", &TicketRow::company},
      {"contact_id", &TicketRow::contact_id}, {"contact", &TicketRow::contact},
      {"owner_identifier", &TicketRow::owner_identifier}, {"owner", &TicketRow::owner},
      {"parent_id", &TicketRow::parent_id}};
  return cols;
}

}  // namespace

const std::vector<const char*>& ticket_columns() {
  static const std::vector<const char*> cols = [] {
    std::vector<const char*> c = {"id", "provider", "number"};
    for (const auto& [name, member] : ticket_texts()) c.push_back(name);
    for (const char* n : {"closed", "closed_at", "created_at", "updated_at", "raw_json"}) c.push_back(n);
    return c;
  }();
  return cols;
}

std::string upsert_sql(const char* table, const std::vector<const char*>& columns) {
  std::string names = "tenant", params = ":tenant", updates;
  for (const char* c : columns) {
    names += std::string(", ") + c;
    params += std::string(", :") + c;
    if (std::string_view(c) == "id") continue;
    updates += std::string(c) + " = excluded." + c + ", ";
  }
  return std::string("INSERT INTO ") + table + " (" + names + ", synced_at, deleted_at) VALUES (" +
         params + ", :synced_at, NULL) ON CONFLICT (tenant, id) DO UPDATE SET " + updates +
         "synced_at = excluded.synced_at, deleted_at = NULL";
}

std::string ticket_window_sql(TimePoint closed_after) {
  return " AND (closed = 0 OR closed_at > '" + iso(closed_after) + "')";
}

std::string select_list(const std::vector<const char*>& columns) {
  std::string out;
  for (const char* c : columns) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

void bind_row(SQLite::Statement& st, const QuoteRow& r) {
  st.bind(":id", r.id);
  st.bind(":quote_number", static_cast<int64_t>(r.quote_number));
  st.bind(":quote_version", r.quote_version);
  bind(st, ":name", r.name);
  bind(st, ":quote_status", r.quote_status);
  bind(st, ":quote_type", r.quote_type);
  bind(st, ":account_name", r.account_name);
  bind(st, ":customer_id", r.customer_id);
  st.bind(":is_accepted", r.is_accepted ? 1 : 0);
  st.bind(":is_sent", r.is_sent ? 1 : 0);
  st.bind(":is_archive", r.is_archive ? 1 : 0);
  st.bind(":is_lost", r.is_lost ? 1 : 0);
  bind(st, ":lost_reason", r.lost_reason);
  bind(st, ":won_or_lost_date", r.won_or_lost_date);
  bind(st, ":quote_total", r.quote_total);
  bind(st, ":subtotal", r.subtotal);
  bind(st, ":tax", r.tax);
  bind(st, ":gross_margin", r.gross_margin);
  bind(st, ":probability", r.probability);
  bind(st, ":create_date", r.create_date);
  bind(st, ":modify_date", r.modify_date);
  bind(st, ":expiration_date", r.expiration_date);
  bind(st, ":expected_close_date", r.expected_close_date);
  bind(st, ":crm_opportunity_id", r.crm_opportunity_id);
  bind(st, ":primary_rep", r.primary_rep);
  bind(st, ":inside_rep", r.inside_rep);
  st.bind(":raw_json", r.raw_json);
}

void bind_row(SQLite::Statement& st, const QuoteItemRow& r) {
  st.bind(":id", r.id);
  st.bind(":quote_id", r.quote_id);
  bind(st, ":tab_id", r.tab_id);
  bind(st, ":item_number", r.item_number);
  bind(st, ":sort_order", r.sort_order);
  bind(st, ":short_description", r.short_description);
  bind(st, ":long_description", r.long_description);
  bind(st, ":manufacturer_part_number", r.manufacturer_part_number);
  bind(st, ":product_type", r.product_type);
  bind(st, ":product_class", r.product_class);
  bind(st, ":quantity", r.quantity);
  bind(st, ":price", r.price);
  bind(st, ":cost", r.cost);
  bind(st, ":extended_price", r.extended_price);
  bind(st, ":extended_cost", r.extended_cost);
  bind(st, ":gross_margin", r.gross_margin);
  bind(st, ":recurring_amount", r.recurring_amount);
  bind(st, ":is_optional", r.is_optional);
  bind(st, ":is_selected", r.is_selected);
  bind(st, ":is_printed", r.is_printed);
  bind(st, ":is_taxable", r.is_taxable);
  bind(st, ":modify_date", r.modify_date);
  st.bind(":raw_json", r.raw_json);
}

void bind_row(SQLite::Statement& st, const OpportunityRow& r) {
  st.bind(":id", r.id);
  st.bind(":source", source_name(r.source));
  bind(st, ":name", r.name);
  bind(st, ":client_name", r.client_name);
  st.bind(":status", to_string(r.status));
  bind(st, ":status_name", r.status_name);
  bind(st, ":stage_name", r.stage_name);
  bind(st, ":probability", r.probability);
  bind(st, ":value", r.value);
  bind(st, ":expected_close_date", r.expected_close_date);
  bind(st, ":closed_date", r.closed_date);
  bind(st, ":date_entered", r.date_entered);
  bind(st, ":last_updated", r.last_updated);
  st.bind(":raw_json", r.raw_json);
}

void bind_row(SQLite::Statement& st, const TicketRow& r) {
  st.bind(":id", r.id);
  st.bind(":provider", r.provider);
  st.bind(":number", r.number);
  for (const auto& [name, member] : ticket_texts()) {
    bind(st, (std::string(":") + name).c_str(), r.*member);
  }
  st.bind(":closed", r.closed ? 1 : 0);
  bind(st, ":closed_at", r.closed_at);
  bind(st, ":created_at", r.created_at);
  bind(st, ":updated_at", r.updated_at);
  st.bind(":raw_json", r.raw_json);
}

TicketRow read_ticket(SQLite::Statement& st) {
  TicketRow r;
  r.id = st.getColumn("id").getString();
  r.provider = st.getColumn("provider").getString();
  r.number = st.getColumn("number").getString();
  for (const auto& [name, member] : ticket_texts()) r.*member = col_text(st.getColumn(name));
  r.closed = st.getColumn("closed").getInt() != 0;
  r.closed_at = col_time(st.getColumn("closed_at"));
  r.created_at = col_time(st.getColumn("created_at"));
  r.updated_at = col_time(st.getColumn("updated_at"));
  r.raw_json = st.getColumn("raw_json").getString();
  return r;
}

QuoteRow read_quote(SQLite::Statement& st) {
  QuoteRow r;
  r.id = st.getColumn("id").getString();
  r.quote_number = st.getColumn("quote_number").getInt64();
  r.quote_version = st.getColumn("quote_version").getInt();
  r.name = col_text(st.getColumn("name"));
  r.quote_status = col_text(st.getColumn("quote_status"));
  r.quote_type = col_text(st.getColumn("quote_type"));
  r.account_name = col_text(st.getColumn("account_name"));
  r.customer_id = col_text(st.getColumn("customer_id"));
  r.is_accepted = st.getColumn("is_accepted").getInt() != 0;
  r.is_sent = st.getColumn("is_sent").getInt() != 0;
  r.is_archive = st.getColumn("is_archive").getInt() != 0;
  r.is_lost = st.getColumn("is_lost").getInt() != 0;
  r.lost_reason = col_text(st.getColumn("lost_reason"));
  r.won_or_lost_date = col_time(st.getColumn("won_or_lost_date"));
  r.quote_total = col_real(st.getColumn("quote_total"));
  r.subtotal = col_real(st.getColumn("subtotal"));
  r.tax = col_real(st.getColumn("tax"));
  r.gross_margin = col_real(st.getColumn("gross_margin"));
  r.probability = col_real(st.getColumn("probability"));
  r.create_date = col_time(st.getColumn("create_date"));
  r.modify_date = col_time(st.getColumn("modify_date"));
  r.expiration_date = col_time(st.getColumn("expiration_date"));
  r.expected_close_date = col_time(st.getColumn("expected_close_date"));
  r.crm_opportunity_id = col_text(st.getColumn("crm_opportunity_id"));
  r.primary_rep = col_text(st.getColumn("primary_rep"));
  r.inside_rep = col_text(st.getColumn("inside_rep"));
  r.raw_json = st.getColumn("raw_json").getString();
  return r;
}

QuoteItemRow read_item(SQLite::Statement& st) {
  QuoteItemRow r;
  r.id = st.getColumn("id").getString();
  r.quote_id = st.getColumn("quote_id").getString();
  r.tab_id = col_text(st.getColumn("tab_id"));
  r.item_number = col_text(st.getColumn("item_number"));
  r.sort_order = col_int(st.getColumn("sort_order"));
  r.short_description = col_text(st.getColumn("short_description"));
  r.long_description = col_text(st.getColumn("long_description"));
  r.manufacturer_part_number = col_text(st.getColumn("manufacturer_part_number"));
  r.product_type = col_text(st.getColumn("product_type"));
  r.product_class = col_text(st.getColumn("product_class"));
  r.quantity = col_real(st.getColumn("quantity"));
  r.price = col_real(st.getColumn("price"));
  r.cost = col_real(st.getColumn("cost"));
  r.extended_price = col_real(st.getColumn("extended_price"));
  r.extended_cost = col_real(st.getColumn("extended_cost"));
  r.gross_margin = col_real(st.getColumn("gross_margin"));
  r.recurring_amount = col_real(st.getColumn("recurring_amount"));
  r.is_optional = col_bool(st.getColumn("is_optional"));
  r.is_selected = col_bool(st.getColumn("is_selected"));
  r.is_printed = col_bool(st.getColumn("is_printed"));
  r.is_taxable = col_bool(st.getColumn("is_taxable"));
  r.modify_date = col_time(st.getColumn("modify_date"));
  r.raw_json = st.getColumn("raw_json").getString();
  return r;
}

OpportunityRow read_opportunity(SQLite::Statement& st) {
  OpportunityRow r;
  r.id = st.getColumn("id").getString();
  r.source = st.getColumn("source").getString() == "psa" ? OpportunitySource::kPsa
                                                         : OpportunitySource::kQuotes;
  r.name = col_text(st.getColumn("name"));
  r.client_name = col_text(st.getColumn("client_name"));
  r.status = parse_opportunity_status(st.getColumn("status").getString())
                 .value_or(OpportunityStatus::kOpen);
  r.status_name = col_text(st.getColumn("status_name"));
  r.stage_name = col_text(st.getColumn("stage_name"));
  r.probability = col_real(st.getColumn("probability"));
  r.value = col_real(st.getColumn("value"));
  r.expected_close_date = col_time(st.getColumn("expected_close_date"));
  r.closed_date = col_time(st.getColumn("closed_date"));
  r.date_entered = col_time(st.getColumn("date_entered"));
  r.last_updated = col_time(st.getColumn("last_updated"));
  r.raw_json = st.getColumn("raw_json").getString();
  return r;
}

}  // namespace cwsync::storage::detail
