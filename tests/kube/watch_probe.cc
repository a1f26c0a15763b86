// watch_probe: runs ClusterWatcher against an API server with a sink that mirrors the store and
// checks the EventSink contract (no duplicate or no-op upserts, no delete of unknown objects, a
// vanished object carries the identity it was stored with). Commands on stdin, one per line:
//   dump  -> one JSON line: {"unsynced", "jobs", "cronjobs", "pods", "events", "degraded",
//            "violations", "counts", "metrics"}
//   quit  -> Stop() and exit (also on EOF)
// With --check-access it only runs CheckAccess and prints "ok" or the error (exit 0 / 1).
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "app/self_metrics.h"
#include "kube/cluster_watcher.h"
#include "kube/connection.h"

namespace bk = batchwatch::kube;
using nlohmann::json;

namespace {

class MirrorSink : public bk::EventSink {
 public:
  void OnJobUpsert(const bk::Job& now) override {
    std::lock_guard<std::mutex> lock(mu_);
    Check(now, jobs_, "job");
    jobs_[now.uid] = ToJson(now);
    ++counts_["job_upserts"];
  }
  void OnJobDelete(const bk::Job& last) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!jobs_.erase(last.uid)) violations_.push_back("delete of unknown job " + last.name);
    ++counts_["job_deletes"];
  }
  void OnJobVanished(const bk::VanishedObject& gone) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(gone.uid);
    if (it == jobs_.end()) {
      violations_.push_back("vanish of unknown job " + gone.uid);
    } else {
      if (it->second["namespace"] != gone.namespace_ ||
          it->second["ownerUid"] != gone.owner_cronjob_uid) {
        violations_.push_back("vanished job " + gone.uid + " with wrong identity");
      }
      jobs_.erase(it);
    }
    ++counts_["job_deletes"];
  }
  void OnCronJobUpsert(const bk::CronJob& now) override {
    std::lock_guard<std::mutex> lock(mu_);
    Check(now, cronjobs_, "cronjob");
    cronjobs_[now.uid] = ToJson(now);
    ++counts_["cronjob_upserts"];
  }
  void OnCronJobDelete(const bk::CronJob& last) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cronjobs_.erase(last.uid)) {
      violations_.push_back("delete of unknown cronjob " + last.name);
    }
    ++counts_["cronjob_deletes"];
  }
  void OnCronJobVanished(const bk::VanishedObject& gone) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cronjobs_.find(gone.uid);
    if (it == cronjobs_.end()) {
      violations_.push_back("vanish of unknown cronjob " + gone.name);
    } else {
      if (it->second["namespace"] != gone.namespace_ || it->second["name"] != gone.name) {
        violations_.push_back("vanished cronjob " + gone.name + " with wrong identity");
      }
      cronjobs_.erase(it);
    }
    ++counts_["cronjob_deletes"];
  }
  void OnPodUpsert(const bk::Pod& now) override {
    std::lock_guard<std::mutex> lock(mu_);
    Check(now, pods_, "pod");
    pods_[now.uid] = {{"namespace", now.namespace_},
                      {"name", now.name},
                      {"resourceVersion", now.resource_version},
                      {"ownerUid", now.owner_job_uid},
                      {"containers", now.containers.size()}};
    ++counts_["pod_upserts"];
  }
  void OnPodDelete(const bk::Pod& last) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pods_.erase(last.uid)) violations_.push_back("delete of unknown pod " + last.name);
    ++counts_["pod_deletes"];
  }
  void OnPodVanished(const bk::VanishedObject& gone) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(gone.uid);
    if (it == pods_.end()) {
      violations_.push_back("vanish of unknown pod " + gone.uid);
    } else {
      if (it->second["namespace"] != gone.namespace_ ||
          it->second["ownerUid"] != gone.owner_job_uid) {
        violations_.push_back("vanished pod " + gone.uid + " with wrong identity");
      }
      pods_.erase(it);
    }
    ++counts_["pod_deletes"];
  }
  void OnEventUpsert(const bk::Event& now) override {
    std::lock_guard<std::mutex> lock(mu_);
    Check(now, events_, "event");
    events_[now.uid] = {{"namespace", now.namespace_},
                        {"name", now.name},
                        {"resourceVersion", now.resource_version},
                        {"involvedKind", now.involved_kind},
                        {"count", now.count}};
    ++counts_["event_upserts"];
  }
  void OnEventDelete(const bk::Event& last) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!events_.erase(last.uid)) violations_.push_back("delete of unknown event " + last.name);
    ++counts_["event_deletes"];
  }
  void OnEventVanished(const bk::VanishedObject& gone) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = events_.find(gone.uid);
    if (it == events_.end()) {
      violations_.push_back("vanish of unknown event " + gone.uid);
    } else {
      if (it->second["namespace"] != gone.namespace_) {
        violations_.push_back("vanished event " + gone.uid + " with wrong identity");
      }
      events_.erase(it);
    }
    ++counts_["event_deletes"];
  }
  void OnSynced(bk::Resource r) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[std::string("synced_") + bk::ResourceName(r)];
  }
  void OnDegraded(bk::Resource r, bool degraded) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string name = bk::ResourceName(r);
    if (degraded_[name] == degraded) violations_.push_back("OnDegraded without a change: " + name);
    degraded_[name] = degraded;
    ++counts_[std::string(degraded ? "degraded_" : "recovered_") + name];
  }

  json Dump() {
    std::lock_guard<std::mutex> lock(mu_);
    return {{"jobs", jobs_},     {"cronjobs", cronjobs_}, {"pods", pods_},
            {"events", events_}, {"degraded", degraded_}, {"violations", violations_},
            {"counts", counts_}};
  }

 private:
  // The store passes an object on only when it is new or its resourceVersion changed.
  template <typename T>
  void Check(const T& now, const std::map<std::string, json>& table, const char* kind) {
    auto it = table.find(now.uid);
    if (it != table.end() && it->second["resourceVersion"] == now.resource_version) {
      violations_.push_back(std::string("duplicate or no-op upsert of ") + kind + " " + now.name);
    }
  }

  static json ToJson(const bk::Job& j) {
    json o = {{"namespace", j.namespace_},
              {"name", j.name},
              {"resourceVersion", j.resource_version},
              {"owner", j.owner_cronjob_name},
              {"ownerUid", j.owner_cronjob_uid},
              {"group", j.group_label},
              {"manual", j.manual},
              {"outcome", j.outcome == bk::JobOutcome::kUnfinished  ? "unfinished"
                          : j.outcome == bk::JobOutcome::kSucceeded ? "succeeded"
                                                                    : "failed"},
              {"reason", j.terminal_reason}};
    if (j.scheduled_timestamp) o["scheduled"] = *j.scheduled_timestamp;
    if (j.end_time) o["end"] = *j.end_time;
    return o;
  }
  static json ToJson(const bk::CronJob& c) {
    return {{"namespace", c.namespace_},
            {"name", c.name},
            {"resourceVersion", c.resource_version},
            {"schedule", c.schedule},
            {"suspend", c.suspend},
            {"active", c.active.size()}};
  }

  std::mutex mu_;
  std::map<std::string, json> jobs_, cronjobs_, pods_, events_;
  std::map<std::string, bool> degraded_;
  std::vector<std::string> violations_;
  std::map<std::string, int> counts_;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bk::ConnectionFlags flags;
  bk::WatchOptions opts;
  bool check_access = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      *out = argv[++i];
    };
    std::string v;
    if (arg == "--apiserver")
      value(&flags.apiserver);
    else if (arg == "--kubeconfig")
      value(&flags.kubeconfig);
    else if (arg == "--context")
      value(&flags.context);
    else if (arg == "--token-file")
      value(&flags.token_file);
    else if (arg == "--ca-file")
      value(&flags.ca_file);
    else if (arg == "--service-account-dir")
      value(&flags.service_account_dir);
    else if (arg == "--insecure-skip-tls-verify")
      flags.insecure_skip_tls_verify = true;
    else if (arg == "--namespaces")
      value(&v), opts.namespaces = SplitComma(v);
    else if (arg == "--exclude-namespaces")
      value(&v), opts.exclude_namespaces = SplitComma(v);
    else if (arg == "--job-group-label")
      value(&opts.job_group_label);
    else if (arg == "--watch-pods=false")
      opts.watch_pods = false;
    else if (arg == "--watch-events=false")
      opts.watch_events = false;
    else if (arg == "--forbidden-retry-seconds")
      value(&v), opts.forbidden_retry_seconds = std::stod(v);
    else if (arg == "--check-access")
      check_access = true;
    else if (arg == "--fast") {
      opts.backoff_initial_seconds = 0.05;
      opts.backoff_max_seconds = 0.5;
      opts.watch_timeout_min_seconds = 2;
      opts.watch_timeout_max_seconds = 4;
      opts.page_size = 3;
      opts.max_line_bytes = 64 * 1024;
    } else {
      std::cerr << "unknown flag " << arg << "\n";
      return 2;
    }
  }
  bk::Connection conn;
  std::string error;
  if (!bk::ResolveConnection(flags, &conn, &error)) {
    std::cout << "error: " << error << std::endl;
    return 1;
  }
  MirrorSink sink;
  bk::ClusterWatcher watcher(conn, opts, &sink);
  if (check_access) {
    if (!watcher.CheckAccess(&error)) {
      std::cout << "error: " << error << std::endl;
      return 1;
    }
    std::cout << "ok" << std::endl;
    return 0;
  }
  watcher.Start();
  std::cout << "started" << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "quit") break;
    if (line == "dump") {
      json out = sink.Dump();
      out["unsynced"] = watcher.Unsynced();
      std::string metrics;
      batchwatch::app::AppendSelfMetrics(watcher, {"probe", "probe", 0, 1, ""},
                                         batchwatch::app::StateSaveStats{}, &metrics);
      out["metrics"] = metrics;
      std::cout << out.dump() << std::endl;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  watcher.Stop();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::cout << json{{"stopped_ms", ms}}.dump() << std::endl;
  return 0;
}
