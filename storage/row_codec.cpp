#include "storage/row_codec.h"

#include <cassert>
#include <cstdint>
#include <optional>
#include <string_view>

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

namespace {

// Binds the parameters of an upsert_sql() statement by position, in the
// order it lists them: :tenant, the columns, :synced_at. Looking a
// parameter up by name scans the statement's names with strcmp, about 30
// times per row; at 100k rows a sync that was measurable (bench/ingest).
// Strings owned by the row are bound without a copy: the row outlives the
// statement's exec(). Debug builds (the ASan preset CI runs) check each
// position against its name, so a column list and its binder cannot drift.
class RowBinder {
 public:
  explicit RowBinder(SQLite::Statement& st) : st_(st) {}

  void operator()(const char* column, const std::string& v) { st_.bindNoCopy(at(column), v); }
  // A temporary (a formatted or converted value) is copied: it dies before exec().
  void operator()(const char* column, std::string&& v) { st_.bind(at(column), v); }
  void operator()(const char* column, const char* v) { st_.bindNoCopy(at(column), v); }
  void operator()(const char* column, std::int64_t v) { st_.bind(at(column), static_cast<int64_t>(v)); }
  void operator()(const char* column, int v) { st_.bind(at(column), v); }
  void operator()(const char* column, bool v) { st_.bind(at(column), v ? 1 : 0); }
  void operator()(const char* column, const std::optional<std::string>& v) {
    const int i = at(column);
    if (v) st_.bindNoCopy(i, *v); else st_.bind(i);
  }
  void operator()(const char* column, const std::optional<TimePoint>& v) {
    const int i = at(column);
    if (v) st_.bind(i, iso(*v)); else st_.bind(i);
  }
  template <typename T>
  void operator()(const char* column, const std::optional<T>& v) {
    const int i = at(column);
    if (v) (*this)(i, *v); else st_.bind(i);
  }

 private:
  void operator()(int i, double v) { st_.bind(i, v); }
  void operator()(int i, std::int64_t v) { st_.bind(i, static_cast<int64_t>(v)); }
  void operator()(int i, int v) { st_.bind(i, v); }
  void operator()(int i, bool v) { st_.bind(i, v ? 1 : 0); }

  int at([[maybe_unused]] const char* column) {
    assert(st_.getIndex((std::string(":") + column).c_str()) == next_);
    return next_++;
  }

  SQLite::Statement& st_;
  int next_ = 1;
};

void bind_columns(RowBinder& b, const QuoteRow& r) {
  b("id", r.id);
  b("quote_number", static_cast<int64_t>(r.quote_number));
  b("quote_version", r.quote_version);
  b("name", r.name);
  b("quote_status", r.quote_status);
  b("quote_type", r.quote_type);
  b("account_name", r.account_name);
  b("customer_id", r.customer_id);
  b("is_accepted", r.is_accepted ? 1 : 0);
  b("is_sent", r.is_sent ? 1 : 0);
  b("is_archive", r.is_archive ? 1 : 0);
  b("is_lost", r.is_lost ? 1 : 0);
  b("lost_reason", r.lost_reason);
  b("won_or_lost_date", r.won_or_lost_date);
  b("quote_total", r.quote_total);
  b("subtotal", r.subtotal);
  b("tax", r.tax);
  b("gross_margin", r.gross_margin);
  b("probability", r.probability);
  b("create_date", r.create_date);
  b("modify_date", r.modify_date);
  b("expiration_date", r.expiration_date);
  b("expected_close_date", r.expected_close_date);
  b("crm_opportunity_id", r.crm_opportunity_id);
  b("primary_rep", r.primary_rep);
  b("inside_rep", r.inside_rep);
  b("raw_json", r.raw_json);
}

void bind_columns(RowBinder& b, const QuoteItemRow& r) {
  b("id", r.id);
  b("quote_id", r.quote_id);
  b("tab_id", r.tab_id);
  b("item_number", r.item_number);
  b("sort_order", r.sort_order);
  b("short_description", r.short_description);
  b("long_description", r.long_description);
  b("manufacturer_part_number", r.manufacturer_part_number);
  b("product_type", r.product_type);
  b("product_class", r.product_class);
  b("quantity", r.quantity);
  b("price", r.price);
  b("cost", r.cost);
  b("extended_price", r.extended_price);
  b("extended_cost", r.extended_cost);
  b("gross_margin", r.gross_margin);
  b("recurring_amount", r.recurring_amount);
  b("is_optional", r.is_optional);
  b("is_selected", r.is_selected);
  b("is_printed", r.is_printed);
  b("is_taxable", r.is_taxable);
  b("modify_date", r.modify_date);
  b("raw_json", r.raw_json);
}

void bind_columns(RowBinder& b, const OpportunityRow& r) {
  b("id", r.id);
  b("source", source_name(r.source));
  b("name", r.name);
  b("client_name", r.client_name);
  b("status", to_string(r.status));
  b("status_name", r.status_name);
  b("stage_name", r.stage_name);
  b("probability", r.probability);
  b("value", r.value);
  b("expected_close_date", r.expected_close_date);
  b("closed_date", r.closed_date);
  b("date_entered", r.date_entered);
  b("last_updated", r.last_updated);
  b("raw_json", r.raw_json);
}

void bind_columns(RowBinder& b, const TicketRow& r) {
  b("id", r.id);
  b("provider", r.provider);
  b("number", r.number);
  for (const auto& [name, member] : ticket_texts()) {
    b(name, r.*member);
  }
  b("closed", r.closed ? 1 : 0);
  b("closed_at", r.closed_at);
  b("created_at", r.created_at);
  b("updated_at", r.updated_at);
  b("raw_json", r.raw_json);
}

template <typename Row>
void bind_all(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
              const Row& row) {
  RowBinder b(st);
  b("tenant", tenant);
  bind_columns(b, row);
  b("synced_at", synced_at);
}

}  // namespace

void bind_upsert(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
                 const QuoteRow& row) {
  bind_all(st, tenant, synced_at, row);
}
void bind_upsert(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
                 const QuoteItemRow& row) {
  bind_all(st, tenant, synced_at, row);
}
void bind_upsert(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
                 const OpportunityRow& row) {
  bind_all(st, tenant, synced_at, row);
}
void bind_upsert(SQLite::Statement& st, const std::string& tenant, const std::string& synced_at,
                 const TicketRow& row) {
  bind_all(st, tenant, synced_at, row);
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
