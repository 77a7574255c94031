// Field-by-field equality of mapped CPQ rows, for checks that the two page
// paths (split_page + nlohmann, parse_fast_page + simdjson) map alike: the
// fast-page fuzzer and bench/sync/json_page_bench. storage/rows.h has no
// operator== (nothing in the daemon compares rows).
#pragma once

#include <tuple>

#include "storage/rows.h"

namespace cwsync_fuzz {

inline auto row_fields(const cwsync::storage::QuoteRow& q) {
  return std::tie(q.id, q.quote_number, q.quote_version, q.name, q.quote_status, q.quote_type,
                  q.account_name, q.customer_id, q.is_accepted, q.is_sent, q.is_archive, q.is_lost,
                  q.lost_reason, q.won_or_lost_date, q.quote_total, q.subtotal, q.tax,
                  q.gross_margin, q.probability, q.create_date, q.modify_date, q.expiration_date,
                  q.expected_close_date, q.crm_opportunity_id, q.primary_rep, q.inside_rep,
                  q.raw_json);
}

inline auto row_fields(const cwsync::storage::QuoteItemRow& r) {
  return std::tie(r.id, r.quote_id, r.tab_id, r.item_number, r.sort_order, r.short_description,
                  r.long_description, r.manufacturer_part_number, r.product_type, r.product_class,
                  r.quantity, r.price, r.cost, r.extended_price, r.extended_cost, r.gross_margin,
                  r.recurring_amount, r.is_optional, r.is_selected, r.is_printed, r.is_taxable,
                  r.modify_date, r.raw_json);
}

template <class Row>
bool same_row(const Row& a, const Row& b) {
  return row_fields(a) == row_fields(b);
}

}  // namespace cwsync_fuzz
