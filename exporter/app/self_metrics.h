// The exporter's own series (docs/metrics.md, "The exporter itself"): build info and the watch
// loops' counters, rendered from kube::WatchStats. One row per family: name, type, help.
#pragma once

#include <string>

#include "kube/cluster_watcher.h"

namespace batchwatch::app {

// What this instance is: build and shard.
struct InstanceInfo {
  std::string version, revision;
  int shard = 0, total_shards = 1;
};

// Appends every self-metric family, HELP and TYPE lines included, in text format 0.0.4.
void AppendSelfMetrics(const kube::ClusterWatcher& watcher, const InstanceInfo& instance,
                       std::string* out);

}  // namespace batchwatch::app
