#include "sync/ticket_adapter.h"

#include "sync/http/json_page.h"

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

PageHandler collect_tickets(std::vector<storage::TicketRow>& rows, PullStats& stats,
                            std::string what, TicketAdapter::Mapper map) {
  return [&rows, &stats, what = std::move(what),
          map = std::move(map)](const Page& page) -> Result<PageVerdict> {
    stats.pages += 1;
    auto split = split_page(page.response.body, what);
    if (!split.ok()) return split.error();
    for (const PageElement& e : split->elements) {
      auto row = map(e.value, e.raw);
      if (!row.ok()) return row.error();
      rows.push_back(std::move(*row));
    }
    return PageVerdict{split->elements.size(), false};
  };
}

}  // namespace cwsync
