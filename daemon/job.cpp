#include "daemon/job.h"

#include <algorithm>


namespace cwsync::daemon {
namespace {

// Function-local so registrations from other translation units can run
// during static initialisation in any order.
std::vector<RegisteredProvider>& provider_registry() {
  static std::vector<RegisteredProvider> r;
  return r;
}

}  // namespace

JobContext::JobContext(std::shared_ptr<const Config> config, std::string tenant,
                       const Clock& clock, Metrics& metrics, Waiter& waiter,
                       std::function<void()> on_progress)
    : config_(std::move(config)), clock_(clock), metrics_(metrics), waiter_(waiter),
      on_progress_(std::move(on_progress)) {
  if (!tenant.empty() && config_) tenant_ = config_->find_tenant(tenant);
}

bool JobContext::stop_requested() const { return waiter_.stop_requested(); }

bool JobContext::wait_for(std::chrono::milliseconds d) const { return waiter_.wait_for(d); }

void JobContext::progress() const {
  if (on_progress_) on_progress_();
}

JobProviderRegistration::JobProviderRegistration(const char* name, JobProviderFactory factory) {
  provider_registry().push_back({name, std::move(factory)});
}

std::vector<RegisteredProvider> registered_job_providers() {
  auto out = provider_registry();
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace cwsync::daemon
