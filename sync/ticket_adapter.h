// The pull-engine adapter (sync/pull_engine.h) for PSA service tickets,
// whatever the provider: the provider hands in its mapper (ConnectWise:
// sync/connectwise/ticket_mapper.h, sync/autotask/at_tickets.h) and its own
// paging loop, and optionally a prepare step that fills in what the page's
// rows need from other reads (Autotask: company and contact names); the
// rows, the cursor stamp (updated_at, zero-padded id) and the page write are
// shared.
#pragma once

#include <functional>
#include <string>
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
  using Mapper =
      std::function<Result<storage::TicketRow>(const nlohmann::json& obj, std::string_view raw)>;
  // Completes the page's rows before they are written; errors end the run.
  using Prepare = std::function<Status(std::vector<storage::TicketRow>& rows)>;
  explicit TicketAdapter(Mapper map, Prepare prepare = {})
      : map_(std::move(map)), prepare_(std::move(prepare)) {}

  Result<RowStamp> add(const PageElement& element) override;
  Status prepare() override { return prepare_ ? prepare_(rows_) : Status{}; }
  void drop_last() override { rows_.pop_back(); }
  std::size_t held() const override { return rows_.size(); }
  Status write(storage::PageWriter& writer) override;
  void clear() override { rows_.clear(); }

 private:
  Mapper map_;
  Prepare prepare_;
  std::vector<storage::TicketRow> rows_;
};

// A page handler for ticket reads outside the pull (the reconcile's
// confirming listing by id): splits each page (errors name `what`), maps
// every ticket with `map` into `rows` and counts the page in `stats`.
PageHandler collect_tickets(std::vector<storage::TicketRow>& rows, PullStats& stats,
                            std::string what, TicketAdapter::Mapper map);

}  // namespace cwsync
