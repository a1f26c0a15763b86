// Sharding: which instance of `--total-shards M` exporters counts an object. A CronJob goes
// to one shard together with every Job of it (by a stable hash of namespace and CronJob name),
// a standalone Job with its job group (namespace and group), so that every series of the
// contract is produced by exactly one shard and the shards' series add up to one instance's.
// Every shard still receives every object from the watch (the API server cannot filter by a
// hash): sharding divides tracking, rendering and scrape size, not watch traffic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

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

// Forwards to `next` only the objects this shard owns (OnSynced and OnDegraded always).
//
// A Job's shard is decided once, at its first upsert, and kept for its UID until it is deleted
// or vanishes: a later change of its key (group label edited, owner reference removed when
// its CronJob is deleted with --cascade=orphan) does not move it. That is what one unsharded
// tracker does, which fixes a Job's owner at first sight, so the shards keep adding up: moving
// the Job would count a deleted run in the old shard that never happened and count its end
// under another owner in the new one. Every shard sees the same watch stream, so every shard
// decides the same. Only a shard restarted after the change decides from the new key (as an
// unsharded instance restarted then does for the owner).
//
// Pods follow their Job (owner_job_uid) and events their involved object: a CronJob's events
// by namespace and name, a Job's by the Job's decision. A pod or event whose Job this shard has
// not seen (it can arrive before the Job, or after the Job was deleted) is forwarded: the
// tracker keeps such orphans pending and drops them when no Job comes. Those of a Job known to
// be another shard's are dropped. Events about other kinds go by namespace and name, so that
// exactly one shard has them.
class ShardFilter : public EventSink {
 public:
  ShardFilter(ShardSpec spec, EventSink* next) : spec_(spec), next_(next) {}

  void OnJobUpsert(const Job& now) override;
  void OnJobDelete(const Job& last) override;
  void OnJobVanished(const VanishedObject& gone) override;
  void OnCronJobUpsert(const CronJob& now) override;
  void OnCronJobDelete(const CronJob& last) override;
  void OnCronJobVanished(const VanishedObject& gone) override;
  void OnPodUpsert(const Pod& now) override;
  void OnPodDelete(const Pod& last) override;
  void OnPodVanished(const VanishedObject& gone) override;
  void OnEventUpsert(const Event& now) override;
  void OnEventDelete(const Event& last) override;
  // A vanished event carries no involved object: it is forwarded, and a sink that never held
  // its UID ignores it.
  void OnEventVanished(const VanishedObject& gone) override { next_->OnEventVanished(gone); }
  void OnSynced(Resource r) override { next_->OnSynced(r); }
  void OnDegraded(Resource r, bool degraded) override { next_->OnDegraded(r, degraded); }

  // Jobs whose decision is held (tests, memory accounting).
  size_t jobs_decided() const;

 private:
  enum class JobShard { kUnknown, kThis, kOther };
  // Decides at the first sight of the UID, then keeps the decision.
  bool DecideJob(const Job& job);
  // Returns the decision and forgets it (the Job is gone).
  JobShard ForgetJob(std::string_view uid);
  JobShard Lookup(std::string_view uid) const;
  // Pods and events of a Job: this shard's, or not known (yet) to be another's.
  bool ForJob(std::string_view job_uid) const { return Lookup(job_uid) != JobShard::kOther; }
  bool OwnsEvent(const Event& e) const;

  const ShardSpec spec_;
  EventSink* const next_;
  mutable std::mutex mu_;
  // Job UID (FNV-1a 64; a collision among 10^6 UIDs has odds of about 10^-8) -> owned by this
  // shard. Sharded instances only: 100k Jobs cost about 4 MB here.
  std::unordered_map<uint64_t, bool> jobs_;
};

}  // namespace batchwatch::batch
