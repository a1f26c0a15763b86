#include "app/self_metrics.h"

#include "metrics/self_metrics.h"

namespace batchwatch::app {
namespace {

using batch::Resource;
using metrics::AppendHeader;
using metrics::AppendSample;

}  // namespace

void AppendSelfMetrics(const kube::ClusterWatcher& watcher, const InstanceInfo& instance,
                       const StateSaveStats& state, std::string* out) {
  const std::vector<Resource>& resources = watcher.Watched();
  // Rows and their order: metrics/self_metrics.h. Label values in the rows' label order.
  AppendHeader(out, metrics::kBuildInfo);
  AppendSample(out, metrics::kBuildInfo, {instance.revision, instance.version}, 1);
  AppendHeader(out, metrics::kShardOrdinal);
  AppendSample(out, metrics::kShardOrdinal, {}, instance.shard);
  AppendHeader(out, metrics::kTotalShards);
  AppendSample(out, metrics::kTotalShards, {}, instance.total_shards);
  if (!instance.external_url.empty()) {
    std::string url = instance.external_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    AppendHeader(out, metrics::kStatusPageInfo);
    AppendSample(out, metrics::kStatusPageInfo, {url}, 1);
  }
  if (state.enabled) {
    AppendHeader(out, metrics::kStateSaveErrors);
    AppendSample(out, metrics::kStateSaveErrors, {}, static_cast<double>(state.errors.load()));
    if (int64_t t = state.last_save.load(); t != 0) {
      AppendHeader(out, metrics::kStateLastSave);
      AppendSample(out, metrics::kStateLastSave, {}, static_cast<double>(t));
    }
  }

  AppendHeader(out, metrics::kSynced);
  for (Resource r : resources) {
    AppendSample(out, metrics::kSynced, {batch::ResourceName(r)}, watcher.Stats(r).synced ? 1 : 0);
  }

  AppendHeader(out, metrics::kWatchDegraded);
  for (Resource r : resources) {
    AppendSample(out, metrics::kWatchDegraded, {batch::ResourceName(r)},
                 watcher.Stats(r).degraded ? 1 : 0);
  }

  AppendHeader(out, metrics::kWatchEvents);
  for (Resource r : resources) {
    for (kube::WatchEventType t : kube::kWatchEventTypes) {
      AppendSample(out, metrics::kWatchEvents,
                   {batch::ResourceName(r), kube::WatchEventTypeName(t)},
                   static_cast<double>(watcher.Stats(r).events[static_cast<int>(t)].load()));
    }
  }

  AppendHeader(out, metrics::kWatchRestarts);
  for (Resource r : resources) {
    for (kube::RestartReason reason : kube::kRestartReasons) {
      AppendSample(out, metrics::kWatchRestarts,
                   {kube::RestartReasonName(reason), batch::ResourceName(r)},
                   static_cast<double>(watcher.Stats(r).restarts[static_cast<int>(reason)].load()));
    }
  }

  AppendHeader(out, metrics::kApiRequests);
  for (Resource r : resources) {
    for (const auto& [verb_code, n] : watcher.Stats(r).Requests()) {
      AppendSample(out, metrics::kApiRequests,
                   {verb_code.second, batch::ResourceName(r), verb_code.first},
                   static_cast<double>(n));
    }
  }

  AppendHeader(out, metrics::kLastEvent);
  for (Resource r : resources) {
    AppendSample(out, metrics::kLastEvent, {batch::ResourceName(r)},
                 watcher.Stats(r).last_event_seconds.load());
  }

  AppendHeader(out, metrics::kTrackedObjects);
  for (Resource r : resources) {
    AppendSample(out, metrics::kTrackedObjects, {batch::ResourceName(r)},
                 static_cast<double>(watcher.Stats(r).tracked_objects.load()));
  }

  AppendHeader(out, metrics::kDecodeErrors);
  for (Resource r : resources) {
    AppendSample(out, metrics::kDecodeErrors, {batch::ResourceName(r)},
                 static_cast<double>(watcher.Stats(r).decode_errors.load()));
  }
}

}  // namespace batchwatch::app
