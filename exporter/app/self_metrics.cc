#include "app/self_metrics.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "tracker/text_format.h"

namespace batchwatch::app {
namespace {

using batch::Resource;
using kube::WatchStats;

struct SelfFamily {
  std::string_view name, type, help;
};

// The names, types and HELP texts of the 0.x releases: dashboards and alerts depend on them.
constexpr SelfFamily kBuildInfo{"batchwatch_build_info", "gauge",
                                "batchwatch version and git revision; always 1."};
constexpr SelfFamily kShardOrdinal{"batchwatch_shard_ordinal", "gauge",
                                   "The shard this instance counts (--shard; 0 when not sharded)."};
constexpr SelfFamily kTotalShards{
    "batchwatch_total_shards", "gauge",
    "How many shards the CronJobs and job groups are split into (--total-shards)."};
constexpr SelfFamily kStateSaveErrors{"batchwatch_state_save_errors_total", "counter",
                                      "Failed writes of the --state-file since start."};
constexpr SelfFamily kStateLastSave{"batchwatch_state_last_save_timestamp_seconds", "gauge",
                                    "Unix time of the last successful write of the --state-file."};
constexpr SelfFamily kSynced{"batchwatch_synced", "gauge",
                             "1 once the initial list of the resource is complete"};
constexpr SelfFamily kEvents{"batchwatch_watch_events_total", "counter", "Watch events handled"};
constexpr SelfFamily kRestarts{"batchwatch_watch_restarts_total", "counter",
                               "Watches re-opened, by reason (timeout, gone, error)"};
constexpr SelfFamily kRequests{"batchwatch_api_requests_total", "counter",
                               "API requests by HTTP status (\"error\" when no answer)"};
constexpr SelfFamily kLastEvent{"batchwatch_last_event_timestamp_seconds", "gauge",
                                "When the last watch event or bookmark arrived"};
constexpr SelfFamily kTracked{"batchwatch_tracked_objects", "gauge", "Objects held in memory"};
constexpr SelfFamily kDecodeErrors{"batchwatch_decode_errors_total", "counter",
                                   "Objects or lines that could not be decoded (skipped)"};

constexpr Resource kResources[] = {Resource::kJobs, Resource::kCronJobs};

void Header(std::string* out, const SelfFamily& f) {
  tracker::AppendHeader(out, f.name, f.help, f.type);
}

// `name{k="v",...} value`, labels in name order as prometheus-cpp printed them (0.x releases).
void Sample(std::string* out, const SelfFamily& f,
            std::vector<std::pair<std::string_view, std::string_view>> labels, double value) {
  std::sort(labels.begin(), labels.end());
  out->append(f.name);
  for (size_t i = 0; i < labels.size(); ++i) {
    out->push_back(i == 0 ? '{' : ',');
    out->append(labels[i].first);
    out->append("=\"");
    tracker::AppendLabelValue(out, labels[i].second);
    out->push_back('"');
  }
  if (!labels.empty()) out->push_back('}');
  out->push_back(' ');
  tracker::AppendNumber(out, value);
  out->push_back('\n');
}

}  // namespace

void AppendSelfMetrics(const kube::ClusterWatcher& watcher, const InstanceInfo& instance,
                       const StateSaveStats& state, std::string* out) {
  Header(out, kBuildInfo);
  Sample(out, kBuildInfo, {{"version", instance.version}, {"revision", instance.revision}}, 1);
  Header(out, kShardOrdinal);
  Sample(out, kShardOrdinal, {}, instance.shard);
  Header(out, kTotalShards);
  Sample(out, kTotalShards, {}, instance.total_shards);

  if (state.enabled) {
    Header(out, kStateSaveErrors);
    Sample(out, kStateSaveErrors, {}, static_cast<double>(state.errors.load()));
    // No sample before the first success: better than a fake "saved at 1970".
    if (int64_t t = state.last_save.load(); t != 0) {
      Header(out, kStateLastSave);
      Sample(out, kStateLastSave, {}, static_cast<double>(t));
    }
  }

  Header(out, kSynced);
  for (Resource r : kResources) {
    Sample(out, kSynced, {{"resource", batch::ResourceName(r)}}, watcher.Stats(r).synced ? 1 : 0);
  }

  Header(out, kEvents);
  for (Resource r : kResources) {
    for (kube::WatchEventType t : kube::kWatchEventTypes) {
      Sample(out, kEvents,
             {{"resource", batch::ResourceName(r)}, {"type", kube::WatchEventTypeName(t)}},
             static_cast<double>(watcher.Stats(r).events[static_cast<int>(t)].load()));
    }
  }

  Header(out, kRestarts);
  for (Resource r : kResources) {
    for (kube::RestartReason reason : kube::kRestartReasons) {
      Sample(out, kRestarts,
             {{"resource", batch::ResourceName(r)}, {"reason", kube::RestartReasonName(reason)}},
             static_cast<double>(watcher.Stats(r).restarts[static_cast<int>(reason)].load()));
    }
  }

  Header(out, kRequests);
  for (Resource r : kResources) {
    for (const auto& [verb_code, n] : watcher.Stats(r).Requests()) {
      Sample(out, kRequests,
             {{"resource", batch::ResourceName(r)},
              {"verb", verb_code.first},
              {"code", verb_code.second}},
             static_cast<double>(n));
    }
  }

  Header(out, kLastEvent);
  for (Resource r : kResources) {
    Sample(out, kLastEvent, {{"resource", batch::ResourceName(r)}},
           watcher.Stats(r).last_event_seconds.load());
  }

  Header(out, kTracked);
  for (Resource r : kResources) {
    Sample(out, kTracked, {{"resource", batch::ResourceName(r)}},
           static_cast<double>(watcher.Stats(r).tracked_objects.load()));
  }

  Header(out, kDecodeErrors);
  for (Resource r : kResources) {
    Sample(out, kDecodeErrors, {{"resource", batch::ResourceName(r)}},
           static_cast<double>(watcher.Stats(r).decode_errors.load()));
  }
}

}  // namespace batchwatch::app
