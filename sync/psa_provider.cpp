#include "sync/psa_provider.h"

#include "sync/http/json_page.h"
#include "sync/sync_pass.h"

namespace cwsync {

CallOptions queue_attempt(std::string label) {
  CallOptions o = single_attempt(std::move(label));
  o.resend = Resend::kIfNotApplied;
  return o;
}

CallOptions single_attempt(std::string label) {
  CallOptions o;
  o.max_attempts = 1;
  o.label = std::move(label);
  return o;
}

Delivery applied_upstream(std::optional<std::string> remote_id, std::string evidence) {
  Delivery d;
  d.deduplicated = true;
  d.http_status = 200;
  d.remote_id = std::move(remote_id);
  d.evidence = std::move(evidence);
  return d;
}

Error no_created_object(const HttpResponse& response, const std::string& label) {
  const std::string type = response.headers.get("Content-Type").value_or("no Content-Type");
  Error e = make_error(ErrorKind::kMalformed,
                       "the response has no object with an id (" + type + ")", label);
  e.http_status = response.status;
  e.ambiguous = true;
  e.failure = Failure::kOutage;  // a proxy in the way, not this post's fault
  return e;
}

PageHandler id_page_handler(PullStats& stats, std::string what, const IdPageSink& sink) {
  return [&stats, what = std::move(what), &sink](const Page& page) -> Result<PageVerdict> {
    stats.pages += 1;
    const std::string where = what + " page " + std::to_string(page.number);
    auto items = parse_page_items(page);
    if (!items.ok()) return make_error(ErrorKind::kMalformed, items.error().message, where);
    std::vector<std::string> ids;
    ids.reserve(items->size());
    for (const auto& e : *items) {
      auto id = json_read::id_text(e, "id");
      if (!id || id->empty()) return make_error(ErrorKind::kMalformed, "a row without an id", where);
      ids.push_back(std::move(*id));
    }
    if (auto s = sink(ids); !s.ok()) return s.error();
    return PageVerdict{items->size(), false};
  };
}

}  // namespace cwsync
