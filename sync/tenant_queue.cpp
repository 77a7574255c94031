#include "sync/tenant_queue.h"

namespace cwsync {

TenantQueue::TenantQueue(const Defaults& defaults, const Tenant& tenant, const SyncEnvironment& env,
                         storage::QueueStore& store, DrainOptions options)
    : clients_(std::make_unique<TenantClients>(defaults, tenant, env)) {
  // TenantClients always builds a PSA provider when tenant.psa is set; the
  // constructor's contract requires it.
  PsaProvider& psa = *clients_->psa_provider();
  // cwsync stops listening after read_timeout, PSA does not stop working: a
  // request it held that long may be held about as long again before it is
  // applied. queue.settle is the margin beyond that (docs/queue.md).
  options.settle = defaults.http.read + tenant.queue.settle;
  drainer_ = std::make_unique<QueueDrainer>(store, tenant.name, tenant.queue, psa, env.clock,
                                            Backoff(defaults.backoff, env.random),
                                            std::move(options));
}

}  // namespace cwsync
