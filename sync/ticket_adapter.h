// The pull-engine adapter (sync/pull_engine.h) for PSA service tickets,
// whatever the provider: the provider hands in its mapper (ConnectWise:
// sync/connectwise/ticket_mapper.h) and its own paging loop; the rows, the
// cursor stamp (updated_at, zero-padded id) and the page write are shared.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "storage/rows.h"
#include "sync/pull_engine.h"

namespace cwsync {

class TicketAdapter final : public PullAdapter {
 public:
  // Maps one upstream ticket object (and its bytes) to a row.
  using Mapper = Result<storage::TicketRow> (*)(const nlohmann::json& obj, std::string_view raw);
  explicit TicketAdapter(Mapper map) : map_(map) {}

  Result<RowStamp> add(const PageElement& element) override;
  void drop_last() override { rows_.pop_back(); }
  std::size_t held() const override { return rows_.size(); }
  Status write(storage::PageWriter& writer) override;
  void clear() override { rows_.clear(); }

 private:
  Mapper map_;
  std::vector<storage::TicketRow> rows_;
};

}  // namespace cwsync
