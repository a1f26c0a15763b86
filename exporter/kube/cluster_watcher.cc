#include "kube/cluster_watcher.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "kube/batch_kinds.h"
#include "kube/core_kinds.h"
#include "kube/curl_transport.h"
#include "kube/decode.h"
#include "kube/http_client.h"
#include "kube/http_errors.h"
#include "kube/store.h"
#include "kube/watch_loop.h"
#include "log/log.h"

namespace batchwatch::kube {
namespace {

constexpr int kResourceCount = 4;
// Startup probe: answers 429/5xx are asked again this many times (about 15 s in all).
constexpr int kStartupRetries = 4;
int Index(Resource r) { return static_cast<int>(r); }

std::string ScopeName(const std::string& ns) {
  return ns.empty() ? "all namespaces" : "namespace " + ns;
}

// The API group as RBAC names it ("" is the core group).
const char* GroupOf(Resource r) {
  return r == Resource::kJobs || r == Resource::kCronJobs ? "batch" : "";
}

bool Optional(Resource r) { return r == Resource::kPods || r == Resource::kEvents; }

// A missing permission in the words of the API server's own 403 message.
std::string MissingPermission(const std::string& verb, Resource r, const std::string& ns) {
  return "cannot " + verb + " resource \"" + ResourceName(r) + "\" in API group \"" + GroupOf(r) +
         "\" " + (ns.empty() ? "at the cluster scope" : "in the namespace \"" + ns + "\"");
}

// Why a request failed, phrased for the user who has to fix it.
std::string DescribeFailure(const Connection& conn, const HttpResponse& resp, Resource r,
                            const std::string& verb, const std::string& ns) {
  const std::string group = GroupOf(r);
  std::string what =
      verb + " " + ResourceName(r) + (group.empty() ? "" : "." + group) + " in " + ScopeName(ns);
  if (resp.status == 0) return DescribeTransportFailure(conn.server, resp);
  ApiStatus st = DecodeStatus(resp.body);
  std::string detail = st.message.empty() ? "" : ": " + st.message;
  if (resp.status == 401) {
    std::string cred = conn.token ? conn.token->Describe() : "no credentials";
    return "the API server " + conn.server + " rejected the credentials (401 Unauthorized, " +
           cred + ")" + detail;
  }
  if (resp.status == 403) {
    return "forbidden (403): RBAC must allow verb \"" + verb + "\" on resource \"" +
           ResourceName(r) + "\" in API group \"" + group + "\" in " + ScopeName(ns) + detail;
  }
  return what + " answered HTTP " + std::to_string(resp.status) + detail;
}

// One list+watch of a resource with its selectors (in every scope).
struct TargetSpec {
  Resource resource;
  ResourceKind kind;
  std::string label_selector, field_selector;
};

}  // namespace

class ClusterWatcher::Impl {
 public:
  Impl(Connection conn, WatchOptions opts, EventSink* sink)
      : conn_(std::move(conn)),
        opts_(std::move(opts)),
        sink_(sink),
        store_(sink, [this](Resource r, size_t n) { stats_[Index(r)].tracked_objects = n; }) {
    decode_opts_.job_group_label = opts_.job_group_label;
    excluded_.insert(opts_.exclude_namespaces.begin(), opts_.exclude_namespaces.end());
    std::set<std::string> seen;
    for (const auto& ns : opts_.namespaces) {
      if (ns.empty() || excluded_.count(ns) || !seen.insert(ns).second) continue;
      scopes_.push_back(ns);
    }
    if (opts_.namespaces.empty()) scopes_.push_back("");
    for (Resource r : {Resource::kJobs, Resource::kCronJobs}) {
      targets_.push_back({r, BatchKind(r, &store_, &decode_opts_, &excluded_), "", ""});
    }
    if (opts_.watch_pods) {
      targets_.push_back({Resource::kPods, PodKind(&store_, &excluded_), kPodLabelSelector, ""});
    }
    if (opts_.watch_events) {
      for (const char* involved : kEventInvolvedKinds) {
        targets_.push_back({Resource::kEvents, EventKind(involved, &store_, &excluded_), "",
                            EventFieldSelector(involved)});
      }
    }
    for (const auto& t : targets_) {
      if (watched_.empty() || watched_.back() != t.resource) watched_.push_back(t.resource);
      loops_per_resource_[Index(t.resource)] += scopes_.size();
    }
    loop_options_.backoff_initial_seconds = opts_.backoff_initial_seconds;
    loop_options_.backoff_max_seconds = opts_.backoff_max_seconds;
    loop_options_.watch_timeout_min_seconds = opts_.watch_timeout_min_seconds;
    loop_options_.watch_timeout_max_seconds = opts_.watch_timeout_max_seconds;
    loop_options_.page_size = opts_.page_size;
    loop_options_.forbidden_retry_seconds = opts_.forbidden_retry_seconds;
  }

  ~Impl() { Stop(); }

  bool CheckAccess(std::string* error) {
    HttpClient client(conn_, env_.stop_flag(), opts_.connect_timeout_seconds);
    for (const auto& ns : scopes_) {
      for (const TargetSpec& spec : targets_) {
        const Resource r = spec.resource;
        if (Optional(r)) continue;
        WatchTarget target{&spec.kind, ns, spec.label_selector, spec.field_selector};
        HttpResponse resp;
        bool token_retried = false;
        for (int attempt = 0;; ++attempt) {
          resp = client.Get(target.ListPath(1, ""), 30, 30, [](std::string_view) { return true; });
          stats_[Index(r)].CountRequest("list", resp.status);
          // A rotated token may have been read just before the rotation: retry once.
          if (resp.status == 401 && conn_.token && !token_retried) {
            token_retried = true;
            conn_.token->Invalidate();
            continue;
          }
          // An API server that is overloaded or restarting (429, 5xx) is not a reason to give
          // up: wait (its Retry-After, else 1, 2, 4, 8 s) and ask again, a few times.
          const bool transient = resp.status == 429 || (resp.status >= 500 && resp.status < 600);
          if (!transient || attempt >= kStartupRetries) break;
          const double wait = resp.retry_after >= 0 ? std::min(resp.retry_after, 10.0)
                                                    : static_cast<double>(1 << attempt);
          BW_LOG_WARN("startup probe: the API server asks to wait",
                      {{"resource", ResourceName(r)},
                       {"code", std::to_string(resp.status)},
                       {"retry_in_seconds", std::to_string(wait)}});
          if (env_.SleepFor(wait)) break;
        }
        if (resp.status < 200 || resp.status >= 300 || !resp.error.empty()) {
          *error = DescribeFailure(conn_, resp, r, "list", ns);
          return false;
        }
      }
    }
    return true;
  }

  void Start() {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_ || env_.Stopped()) return;
    started_ = true;
    int loop_id = 0;
    for (const TargetSpec& spec : targets_) {
      for (const auto& ns : scopes_) {
        auto transport = std::make_unique<CurlTransport>(
            conn_, env_.stop_flag(), opts_.connect_timeout_seconds, opts_.max_line_bytes);
        CurlTransport* t = transport.get();
        transports_.push_back(std::move(transport));
        const Resource r = spec.resource;
        const int id = loop_id++;
        std::function<void(bool, const std::string&, const std::string&)> on_forbidden;
        if (Optional(r)) {
          on_forbidden = [this, r, ns, id](bool forbidden, const std::string& verb,
                                           const std::string& why) {
            SetForbidden(r, ns, id, forbidden, verb, why);
          };
        }
        threads_.emplace_back([this, &spec, r, ns, t, id, on_forbidden] {
          WatchLoop loop(
              WatchTarget{&spec.kind, ns, spec.label_selector, spec.field_selector}, loop_options_,
              t, &env_, &stats_[Index(r)], [this, r, id] { MarkSynced(r, id); },
              [this, r, ns](const HttpResponse& resp, const std::string& verb) {
                return DescribeFailure(conn_, resp, r, verb, ns);
              },
              on_forbidden);
          loop.Run();
        });
      }
    }
  }

  void Stop() {
    env_.Stop();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& t : transports_) t->Wakeup();
    }
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  std::vector<std::string> Unsynced() const {
    std::vector<std::string> out;
    for (Resource r : watched_) {
      const WatchStats& s = stats_[Index(r)];
      if (!s.synced && !s.degraded) out.push_back(ResourceName(r));
    }
    return out;
  }

  const std::vector<Resource>& Watched() const { return watched_; }
  const WatchStats& Stats(Resource r) const { return stats_[Index(r)]; }

 private:
  // A loop's list completed; the resource is synced once every loop of it has listed.
  void MarkSynced(Resource r, int loop_id) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& listed = synced_loops_[Index(r)];
      listed.insert(loop_id);
      if (stats_[Index(r)].synced || listed.size() != loops_per_resource_[Index(r)]) return;
      stats_[Index(r)].synced = true;
    }
    BW_LOG_INFO("initial list complete",
                {{"resource", ResourceName(r)}, {"objects", std::to_string(store_.Size(r))}});
    if (sink_) sink_->OnSynced(r);
  }

  // A loop of an optional resource is refused (403) or admitted again. The resource is
  // degraded while any of its loops is refused; each change is logged and sent once.
  void SetForbidden(Resource r, const std::string& ns, int loop_id, bool forbidden,
                    const std::string& verb, const std::string& why) {
    std::lock_guard<std::mutex> lock(degraded_mu_);
    auto& refused = forbidden_loops_[Index(r)];
    const bool was = !refused.empty();
    if (forbidden) {
      refused.insert(loop_id);
    } else {
      refused.erase(loop_id);
    }
    const bool now = !refused.empty();
    if (was == now) return;
    stats_[Index(r)].degraded = now;
    const std::string flag = r == Resource::kPods ? "--watch-pods=false" : "--watch-events=false";
    if (now) {
      BW_LOG_WARN("no RBAC permission, running without " + std::string(ResourceName(r)),
                  {{"resource", ResourceName(r)},
                   {"missing", MissingPermission(verb, r, ns)},
                   {"error", why},
                   {"retry_in_seconds", std::to_string(opts_.forbidden_retry_seconds)},
                   {"hint", "grant list and watch on " + std::string(ResourceName(r)) +
                                " (deploy/clusterrole.yaml) or run with " + flag}});
    } else {
      BW_LOG_INFO("RBAC permission granted again, watching", {{"resource", ResourceName(r)}});
    }
    if (sink_) sink_->OnDegraded(r, now);
  }

  Connection conn_;
  const WatchOptions opts_;
  EventSink* const sink_;
  WatchStats stats_[kResourceCount];
  ObjectStore store_;
  DecodeOptions decode_opts_;
  std::set<std::string> excluded_;
  std::vector<std::string> scopes_;
  std::vector<TargetSpec> targets_;  // fixed after construction: loops point into it
  std::vector<Resource> watched_;
  size_t loops_per_resource_[kResourceCount] = {};
  WatchLoopOptions loop_options_;
  RealLoopEnv env_;

  mutable std::mutex mu_;
  bool started_ = false;
  std::set<int> synced_loops_[kResourceCount];
  std::vector<std::unique_ptr<CurlTransport>> transports_;
  std::vector<std::thread> threads_;

  std::mutex degraded_mu_;  // orders OnDegraded calls; never held with mu_
  std::set<int> forbidden_loops_[kResourceCount];
};

ClusterWatcher::ClusterWatcher(Connection conn, WatchOptions opts, EventSink* sink)
    : impl_(std::make_unique<Impl>(std::move(conn), std::move(opts), sink)) {}

ClusterWatcher::~ClusterWatcher() = default;

bool ClusterWatcher::CheckAccess(std::string* error) { return impl_->CheckAccess(error); }
void ClusterWatcher::Start() { impl_->Start(); }
void ClusterWatcher::Stop() { impl_->Stop(); }
std::vector<std::string> ClusterWatcher::Unsynced() const { return impl_->Unsynced(); }
const std::vector<Resource>& ClusterWatcher::Watched() const { return impl_->Watched(); }
const WatchStats& ClusterWatcher::Stats(Resource r) const { return impl_->Stats(r); }

}  // namespace batchwatch::kube
