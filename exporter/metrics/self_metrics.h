// The exporter's own metrics: they describe the watch machinery and the build, not the
// workloads. The app renders them (metrics::AppendHeader, metrics::AppendSample) from the
// watch loops' counters; the rows here are their only definition.
#pragma once

#include "metrics/metric_info.h"

namespace batchwatch::metrics {

// Label names in alphabetical order, as the 0.x releases (prometheus-cpp) printed them.
inline constexpr MetricInfo kBuildInfo = {"batchwatch_build_info", Type::kGauge,
                                          "batchwatch version and git revision; always 1.",
                                          "revision,version"};
inline constexpr MetricInfo kShardOrdinal = {
    "batchwatch_shard_ordinal", Type::kGauge,
    "The shard this instance counts (--shard; 0 when not sharded).", ""};
inline constexpr MetricInfo kTotalShards = {
    "batchwatch_total_shards", Type::kGauge,
    "How many shards the CronJobs and job groups are split into (--total-shards).", ""};
// Only with --external-url: alert annotations join on it to link to a CronJob's status page.
inline constexpr MetricInfo kStatusPageInfo = {
    "batchwatch_status_page_info", Type::kGauge,
    "Where the status pages are reached (--external-url); always 1, absent when not set.", "url"};
// Only with --state-file; the timestamp has no sample before the first successful save.
inline constexpr MetricInfo kStateSaveErrors = {
    "batchwatch_state_save_errors_total", Type::kCounter,
    "Failed writes of the --state-file since start.", ""};
inline constexpr MetricInfo kStateLastSave = {
    "batchwatch_state_last_save_timestamp_seconds", Type::kGauge,
    "Unix time of the last successful write of the --state-file.", ""};
inline constexpr MetricInfo kSynced = {"batchwatch_synced", Type::kGauge,
                                       "1 once the initial list of the resource is complete",
                                       "resource"};
inline constexpr MetricInfo kWatchDegraded = {
    "batchwatch_watch_degraded", Type::kGauge,
    "1 while the watch of an optional resource (pods, events) is refused for lack of RBAC "
    "permission (403) and its objects are not seen; 0 otherwise",
    "resource"};
inline constexpr MetricInfo kWatchEvents = {"batchwatch_watch_events_total", Type::kCounter,
                                            "Watch events handled", "resource,type"};
inline constexpr MetricInfo kWatchRestarts = {"batchwatch_watch_restarts_total", Type::kCounter,
                                              "Watches re-opened, by reason (timeout, gone, error)",
                                              "reason,resource"};
inline constexpr MetricInfo kApiRequests = {
    "batchwatch_api_requests_total", Type::kCounter,
    "API requests by HTTP status (\"error\" when no answer)", "code,resource,verb"};
inline constexpr MetricInfo kLastEvent = {"batchwatch_last_event_timestamp_seconds", Type::kGauge,
                                          "When the last watch event or bookmark arrived",
                                          "resource"};
inline constexpr MetricInfo kTrackedObjects = {"batchwatch_tracked_objects", Type::kGauge,
                                               "Objects held in memory", "resource"};
inline constexpr MetricInfo kDecodeErrors = {"batchwatch_decode_errors_total", Type::kCounter,
                                             "Objects or lines that could not be decoded (skipped)",
                                             "resource"};

// In the order /metrics shows them.
inline constexpr const MetricInfo* kSelfMetrics[] = {
    &kBuildInfo,     &kShardOrdinal, &kTotalShards,    &kStatusPageInfo, &kStateSaveErrors,
    &kStateLastSave, &kSynced,       &kWatchDegraded,  &kWatchEvents,    &kWatchRestarts,
    &kApiRequests,   &kLastEvent,    &kTrackedObjects, &kDecodeErrors};

}  // namespace batchwatch::metrics
