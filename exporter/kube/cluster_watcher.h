// Lists and watches batch/v1 Jobs and CronJobs, and (unless turned off) the Pods of Jobs and the
// Events about Jobs and CronJobs (core_kinds.h), and feeds the store, which feeds the EventSink.
// One worker thread per watch target and namespace runs a WatchLoop (watch_loop.h) over
// libcurl; this class wires them, answers the startup probe and keeps the self-metric counters
// (WatchStats, rendered by the app).
//
// Pods and Events are optional: a 403 on their list or watch (RBAC not granted, at the start or
// revoked later) degrades that resource instead of failing: logged once with the missing
// permission, WatchStats::degraded and EventSink::OnDegraded(r, true), retried every
// forbidden_retry_seconds, and OnDegraded(r, false) when a list succeeds again. A degraded
// resource does not hold back readiness. Jobs and CronJobs are required: a 403 there fails the
// startup probe, and later it is retried with backoff like any failure.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "kube/batch_names.h"
#include "kube/connection.h"
#include "kube/watch_stats.h"

namespace batchwatch::kube {

struct WatchOptions {
  std::vector<std::string> namespaces, exclude_namespaces;
  std::string job_group_label = "app.kubernetes.io/name";
  bool watch_pods = true;                // --watch-pods
  bool watch_events = true;              // --watch-events
  double forbidden_retry_seconds = 300;  // pods/events refused with 403: the next try
  // Tuning; the defaults follow client-go. Tests shorten them.
  double backoff_initial_seconds = 0.8;
  double backoff_max_seconds = 30;
  int watch_timeout_min_seconds = 300;  // each watch asks for a random timeout in [min, max]
  int watch_timeout_max_seconds = 600;
  int page_size = 500;
  size_t max_line_bytes = 16 << 20;  // a longer watch line is a decode error
  double connect_timeout_seconds = 10;
};

class ClusterWatcher {
 public:
  ClusterWatcher(Connection conn, WatchOptions opts, EventSink* sink);
  ~ClusterWatcher();
  ClusterWatcher(const ClusterWatcher&) = delete;
  ClusterWatcher& operator=(const ClusterWatcher&) = delete;

  // Startup probe: list limit=1 of jobs and cronjobs in every watched scope. false + a clear
  // error for an unreachable server, TLS failure, 401, or 403 (naming verb and resource); 429
  // and 5xx are asked again a few times first (Retry-After honoured, at most 10 s a wait).
  // Pods and Events are not probed: their loops report a 403 as degradation.
  bool CheckAccess(std::string* error);
  // Background threads: list+watch per resource per namespace.
  void Start();
  // Prompt (well under 1 s): wakes sleeping workers and aborts in-flight transfers.
  void Stop();
  // Watched resources whose initial list is not complete yet, e.g. {"jobs"}; drives /readyz.
  // A degraded resource is not listed.
  std::vector<std::string> Unsynced() const;
  // The resources watched: jobs, cronjobs, then pods and events unless turned off.
  const std::vector<Resource>& Watched() const;
  // Self-metric counters of `r` (batchwatch_synced, _watch_*, _api_requests_total, ...); all
  // zero for a resource that is not watched.
  const WatchStats& Stats(Resource r) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace batchwatch::kube
