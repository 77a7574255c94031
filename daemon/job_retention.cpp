// Registers the retention job (daemon/retention_job.h) with `cwsync run`.
#include "daemon/retention_job.h"

namespace cwsync::daemon {
namespace {

class RetentionProvider final : public JobProvider {
 public:
  std::vector<std::unique_ptr<Job>> jobs(const Config& config) override {
    return retention_jobs(config);
  }
};

}  // namespace

CWSYNC_REGISTER_JOB_PROVIDER(retention,
                             [](JobEnv&) { return std::make_unique<RetentionProvider>(); });

}  // namespace cwsync::daemon
