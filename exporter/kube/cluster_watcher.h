// Lists and watches batch/v1 Jobs and CronJobs and feeds the store, which feeds the EventSink.
// One worker thread per resource and namespace runs a WatchLoop (watch_loop.h) over libcurl;
// this class wires them, answers the startup probe and keeps the self-metric counters
// (WatchStats, rendered by the app).
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
  // error for an unreachable server, TLS failure, 401, or 403 (naming verb and resource).
  bool CheckAccess(std::string* error);
  // Background threads: list+watch per resource per namespace.
  void Start();
  // Prompt (well under 1 s): wakes sleeping workers and aborts in-flight transfers.
  void Stop();
  // Resources whose initial list is not complete yet, e.g. {"jobs"}; drives /readyz.
  std::vector<std::string> Unsynced() const;
  // Self-metric counters of `r` (batchwatch_synced, _watch_*, _api_requests_total, ...).
  const WatchStats& Stats(Resource r) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace batchwatch::kube
