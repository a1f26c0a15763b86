// Sharding: which instance of `--total-shards M` exporters counts an object. A CronJob goes
// to one shard together with every Job of it (by a stable hash of namespace and CronJob name),
// a standalone Job with its job group (namespace and group), so that every series of the
// contract is produced by exactly one shard and the shards' series add up to one instance's.
// Every shard still receives every object from the watch (the API server cannot filter by a
// hash): sharding divides tracking, rendering and scrape size, not watch traffic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "batch/objects.h"

namespace batchwatch::batch {

struct ShardSpec {
  uint32_t index = 0;  // --shard
  uint32_t total = 1;  // --total-shards

  bool sharded() const { return total > 1; }
  // FNV-1a (64 bit) of "namespace/key", modulo total: stable across versions and platforms.
  bool Owns(std::string_view namespace_, std::string_view key) const;
  bool Owns(const CronJob& cj) const { return Owns(cj.namespace_, cj.name); }
  // A CronJob's Job by the owner's name (also after the CronJob is gone); else its job group.
  bool Owns(const Job& job) const;
};

// The StatefulSet ordinal at the end of a pod name ("batchwatch-2" -> 2). false when the name
// does not end in "-<digits>".
bool ParsePodOrdinal(std::string_view pod_name, uint32_t* ordinal);

// Forwards to `next` only the objects this shard owns (OnSynced always).
class ShardFilter : public EventSink {
 public:
  ShardFilter(ShardSpec spec, EventSink* next) : spec_(spec), next_(next) {}

  void OnJobUpsert(const Job& now) override;
  void OnJobDelete(const Job& last) override;
  // A vanished Job carries no owner name or group: it is forwarded, and a sink that never saw
  // its UID (another shard's Job) ignores it.
  void OnJobVanished(const VanishedObject& gone) override { next_->OnJobVanished(gone); }
  void OnCronJobUpsert(const CronJob& now) override;
  void OnCronJobDelete(const CronJob& last) override;
  void OnCronJobVanished(const VanishedObject& gone) override;
  void OnSynced(Resource r) override { next_->OnSynced(r); }

 private:
  const ShardSpec spec_;
  EventSink* const next_;
};

}  // namespace batchwatch::batch
