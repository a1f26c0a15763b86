// The exporter's own metrics: they describe the watch machinery and the build, not the
// workloads. The app renders them (metrics::AppendHeader, metrics::AppendSample) from the
// watch loops' counters; the rows here are their only definition.
#pragma once

#include "metrics/metric_info.h"

namespace batchwatch::metrics {

inline constexpr MetricInfo kBuildInfo = {"batchwatch_build_info", Type::kGauge,
                                          "batchwatch version and git revision; always 1.",
                                          "version,revision"};
inline constexpr MetricInfo kSynced = {"batchwatch_synced", Type::kGauge,
                                       "1 once the initial list of the resource is complete",
                                       "resource"};
inline constexpr MetricInfo kWatchEvents = {"batchwatch_watch_events_total", Type::kCounter,
                                            "Watch events handled", "resource,type"};
inline constexpr MetricInfo kWatchRestarts = {"batchwatch_watch_restarts_total", Type::kCounter,
                                              "Watches re-opened, by reason (timeout, gone, error)",
                                              "resource,reason"};
inline constexpr MetricInfo kApiRequests = {
    "batchwatch_api_requests_total", Type::kCounter,
    "API requests by HTTP status (\"error\" when no answer)", "resource,verb,code"};
inline constexpr MetricInfo kLastEvent = {"batchwatch_last_event_timestamp_seconds", Type::kGauge,
                                          "When the last watch event or bookmark arrived",
                                          "resource"};
inline constexpr MetricInfo kTrackedObjects = {"batchwatch_tracked_objects", Type::kGauge,
                                               "Objects held in memory", "resource"};
inline constexpr MetricInfo kDecodeErrors = {"batchwatch_decode_errors_total", Type::kCounter,
                                             "Objects or lines that could not be decoded (skipped)",
                                             "resource"};

// In the order /metrics shows them.
inline constexpr const MetricInfo* kSelfMetrics[] = {&kBuildInfo,      &kSynced,      &kWatchEvents,
                                                     &kWatchRestarts,  &kApiRequests, &kLastEvent,
                                                     &kTrackedObjects, &kDecodeErrors};

}  // namespace batchwatch::metrics
