#include "sync/ticket_adapter.h"

namespace cwsync {

Result<RowStamp> TicketAdapter::add(const PageElement& element) {
  auto row = map_(element.value, element.raw);
  if (!row.ok()) return row.error();
  RowStamp stamp{row->updated_at, padded_cursor_id(row->id)};
  rows_.push_back(std::move(*row));
  return stamp;
}

Status TicketAdapter::write(storage::PageWriter& writer) {
  for (const storage::TicketRow& t : rows_) {
    if (auto s = writer.upsert_ticket(t); !s.ok()) return s;
  }
  return {};
}

}  // namespace cwsync
