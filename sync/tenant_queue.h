// One tenant's PSA delivery stack, wired the way the daemon, `cwsync drain
// --once`, the benchmark and the tests all need it: TenantClients → the
// tenant's PsaProvider (whichever vendor; its caches live there) →
// QueueDrainer on a QueueStore. Keep one per tenant for as long as its config
// is unchanged, so the caches and an auth pause survive between drain passes.
#pragma once

#include <memory>

#include "config/config.h"
#include "storage/queue_store.h"
#include "sync/psa_provider.h"
#include "sync/queue_drainer.h"
#include "sync/tenant_clients.h"

namespace cwsync {

class TenantQueue {
 public:
  // `tenant.psa` must be set (callers skip tenants without one). `env`'s
  // referents and `store` must outlive this object; defaults and tenant are
  // copied. Never fails: connection problems surface from drain_once().
  TenantQueue(const Defaults& defaults, const Tenant& tenant, const SyncEnvironment& env,
              storage::QueueStore& store, DrainOptions options = {});
  TenantQueue(const TenantQueue&) = delete;
  TenantQueue& operator=(const TenantQueue&) = delete;

  QueueDrainer& drainer() { return *drainer_; }
  PsaProvider& provider() { return *clients_->psa_provider(); }
  TenantClients& clients() { return *clients_; }

 private:
  std::unique_ptr<TenantClients> clients_;
  std::unique_ptr<QueueDrainer> drainer_;
};

}  // namespace cwsync
