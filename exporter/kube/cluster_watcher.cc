#include "kube/cluster_watcher.h"

#include <mutex>
#include <set>
#include <thread>

#include "kube/batch_kinds.h"
#include "kube/curl_transport.h"
#include "kube/decode.h"
#include "kube/http_client.h"
#include "kube/http_errors.h"
#include "kube/store.h"
#include "kube/watch_loop.h"
#include "log/log.h"

namespace batchwatch::kube {
namespace {

constexpr Resource kResources[] = {Resource::kJobs, Resource::kCronJobs};

std::string ScopeName(const std::string& ns) {
  return ns.empty() ? "all namespaces" : "namespace " + ns;
}

// Why a request failed, phrased for the user who has to fix it.
std::string DescribeFailure(const Connection& conn, const HttpResponse& resp, Resource r,
                            const std::string& verb, const std::string& ns) {
  std::string what = verb + " " + ResourceName(r) + ".batch in " + ScopeName(ns);
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
           ResourceName(r) + "\" in API group \"batch\" in " + ScopeName(ns) + detail;
  }
  return what + " answered HTTP " + std::to_string(resp.status) + detail;
}

int Index(Resource r) { return r == Resource::kJobs ? 0 : 1; }

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
    for (Resource r : kResources) {
      kinds_[Index(r)] = BatchKind(r, &store_, &decode_opts_, &excluded_);
    }
    loop_options_.backoff_initial_seconds = opts_.backoff_initial_seconds;
    loop_options_.backoff_max_seconds = opts_.backoff_max_seconds;
    loop_options_.watch_timeout_min_seconds = opts_.watch_timeout_min_seconds;
    loop_options_.watch_timeout_max_seconds = opts_.watch_timeout_max_seconds;
    loop_options_.page_size = opts_.page_size;
  }

  ~Impl() { Stop(); }

  bool CheckAccess(std::string* error) {
    HttpClient client(conn_, env_.stop_flag(), opts_.connect_timeout_seconds);
    for (const auto& ns : scopes_) {
      for (Resource r : kResources) {
        WatchTarget target{&kinds_[Index(r)], ns, "", ""};
        HttpResponse resp;
        for (int attempt = 0; attempt < 2; ++attempt) {
          resp = client.Get(target.ListPath(1, ""), 30, 30, [](std::string_view) { return true; });
          stats_[Index(r)].CountRequest("list", resp.status);
          // A rotated token may have been read just before the rotation: retry once.
          if (resp.status == 401 && conn_.token && attempt == 0) {
            conn_.token->Invalidate();
            continue;
          }
          break;
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
    for (Resource r : kResources) {
      for (const auto& ns : scopes_) {
        auto transport = std::make_unique<CurlTransport>(
            conn_, env_.stop_flag(), opts_.connect_timeout_seconds, opts_.max_line_bytes);
        CurlTransport* t = transport.get();
        transports_.push_back(std::move(transport));
        threads_.emplace_back([this, r, ns, t] {
          WatchLoop loop(
              WatchTarget{&kinds_[Index(r)], ns, "", ""}, loop_options_, t, &env_,
              &stats_[Index(r)], [this, r, ns] { MarkSynced(r, ns); },
              [this, r, ns](const HttpResponse& resp, const std::string& verb) {
                return DescribeFailure(conn_, resp, r, verb, ns);
              });
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
    for (Resource r : kResources) {
      if (!stats_[Index(r)].synced) out.push_back(ResourceName(r));
    }
    return out;
  }

  const WatchStats& Stats(Resource r) const { return stats_[Index(r)]; }

 private:
  // A scope's list completed; the resource is synced once every scope's first list is.
  void MarkSynced(Resource r, const std::string& ns) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& scopes = synced_scopes_[Index(r)];
      scopes.insert(ns);
      if (stats_[Index(r)].synced || scopes.size() != scopes_.size()) return;
      stats_[Index(r)].synced = true;
    }
    BW_LOG_INFO("initial list complete",
                {{"resource", ResourceName(r)}, {"objects", std::to_string(store_.Size(r))}});
    if (sink_) sink_->OnSynced(r);
  }

  Connection conn_;
  const WatchOptions opts_;
  EventSink* const sink_;
  WatchStats stats_[2];
  ObjectStore store_;
  DecodeOptions decode_opts_;
  std::set<std::string> excluded_;
  std::vector<std::string> scopes_;
  ResourceKind kinds_[2];
  WatchLoopOptions loop_options_;
  RealLoopEnv env_;

  mutable std::mutex mu_;
  bool started_ = false;
  std::set<std::string> synced_scopes_[2];
  std::vector<std::unique_ptr<CurlTransport>> transports_;
  std::vector<std::thread> threads_;
};

ClusterWatcher::ClusterWatcher(Connection conn, WatchOptions opts, EventSink* sink)
    : impl_(std::make_unique<Impl>(std::move(conn), std::move(opts), sink)) {}

ClusterWatcher::~ClusterWatcher() = default;

bool ClusterWatcher::CheckAccess(std::string* error) { return impl_->CheckAccess(error); }
void ClusterWatcher::Start() { impl_->Start(); }
void ClusterWatcher::Stop() { impl_->Stop(); }
std::vector<std::string> ClusterWatcher::Unsynced() const { return impl_->Unsynced(); }
const WatchStats& ClusterWatcher::Stats(Resource r) const { return impl_->Stats(r); }

}  // namespace batchwatch::kube
