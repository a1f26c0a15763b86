// The exporter's own series (docs/metrics.md, "The exporter itself"): build info and the watch
// loops' counters, rendered from kube::WatchStats. One row per family: name, type, help.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "kube/cluster_watcher.h"

namespace batchwatch::app {

// What this instance is: build and shard.
struct InstanceInfo {
  std::string version, revision;
  int shard = 0, total_shards = 1;
  std::string external_url;  // --external-url ("" = none)
};

// Saving the --state-file: written by the main loop, read by scrapes.
struct StateSaveStats {
  bool enabled = false;               // --state-file given (else both families are absent)
  std::atomic<uint64_t> errors{0};    // failed saves
  std::atomic<int64_t> last_save{0};  // Unix time of the last success; 0: none yet (no sample)
};

// Appends every self-metric family, HELP and TYPE lines included, in text format 0.0.4.
void AppendSelfMetrics(const kube::ClusterWatcher& watcher, const InstanceInfo& instance,
                       const StateSaveStats& state, std::string* out);

}  // namespace batchwatch::app
