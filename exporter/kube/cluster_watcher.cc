#include "kube/cluster_watcher.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "kube/decode.h"
#include "kube/http_client.h"
#include "kube/http_errors.h"
#include "kube/line_splitter.h"
#include "kube/store.h"
#include "log/log.h"

namespace batchwatch::kube {
namespace {

using Clock = std::chrono::steady_clock;

double WallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string CollectionPath(Resource r, const std::string& ns) {
  std::string path = "/apis/batch/v1/";
  if (!ns.empty()) path += "namespaces/" + ns + "/";
  return path + ResourceName(r);
}

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

// Exponential backoff with jitter; reset after a long healthy period.
class Backoff {
 public:
  Backoff(double initial, double max)
      : initial_(initial), max_(max), rng_(std::random_device{}()) {}
  double Next() {
    auto now = Clock::now();
    if (now - last_failure_ > std::chrono::minutes(2)) current_ = 0;
    last_failure_ = now;
    current_ = current_ == 0 ? initial_ : std::min(current_ * 2, max_);
    std::uniform_real_distribution<double> jitter(1.0, 1.5);
    return std::min(current_ * jitter(rng_), max_);
  }

 private:
  const double initial_, max_;
  double current_ = 0;
  Clock::time_point last_failure_{};
  std::mt19937 rng_;
};

}  // namespace

class ClusterWatcher::Impl {
 public:
  Impl(Connection conn, WatchOptions opts, EventSink* sink, prometheus::Registry* registry)
      : conn_(std::move(conn)),
        opts_(std::move(opts)),
        owned_registry_(registry ? nullptr : std::make_shared<prometheus::Registry>()),
        registry_(registry ? registry : owned_registry_.get()),
        synced_family_(prometheus::BuildGauge()
                           .Name("batchwatch_synced")
                           .Help("1 once the initial list of the resource is complete")
                           .Register(*registry_)),
        events_family_(prometheus::BuildCounter()
                           .Name("batchwatch_watch_events_total")
                           .Help("Watch events handled")
                           .Register(*registry_)),
        restarts_family_(prometheus::BuildCounter()
                             .Name("batchwatch_watch_restarts_total")
                             .Help("Watches re-opened, by reason (timeout, gone, error)")
                             .Register(*registry_)),
        requests_family_(prometheus::BuildCounter()
                             .Name("batchwatch_api_requests_total")
                             .Help("API requests by HTTP status (\"error\" when no answer)")
                             .Register(*registry_)),
        last_event_family_(prometheus::BuildGauge()
                               .Name("batchwatch_last_event_timestamp_seconds")
                               .Help("When the last watch event or bookmark arrived")
                               .Register(*registry_)),
        tracked_family_(prometheus::BuildGauge()
                            .Name("batchwatch_tracked_objects")
                            .Help("Objects held in memory")
                            .Register(*registry_)),
        decode_errors_family_(prometheus::BuildCounter()
                                  .Name("batchwatch_decode_errors_total")
                                  .Help("Objects or lines that could not be decoded (skipped)")
                                  .Register(*registry_)),
        store_(sink, [this](Resource r, size_t n) { tracked(r).Set(static_cast<double>(n)); }) {
    decode_opts_.job_group_label = opts_.job_group_label;
    std::set<std::string> excluded(opts_.exclude_namespaces.begin(),
                                   opts_.exclude_namespaces.end());
    excluded_ = excluded;
    std::set<std::string> seen;
    for (const auto& ns : opts_.namespaces) {
      if (ns.empty() || excluded.count(ns) || !seen.insert(ns).second) continue;
      scopes_.push_back(ns);
    }
    if (opts_.namespaces.empty()) scopes_.push_back("");
    for (Resource r : {Resource::kJobs, Resource::kCronJobs}) {
      const std::string name = ResourceName(r);
      per_[Index(r)].synced = &synced_family_.Add({{"resource", name}});
      per_[Index(r)].last_event = &last_event_family_.Add({{"resource", name}});
      per_[Index(r)].tracked = &tracked_family_.Add({{"resource", name}});
      per_[Index(r)].decode_errors = &decode_errors_family_.Add({{"resource", name}});
      for (const char* reason : {"timeout", "gone", "error"}) {
        per_[Index(r)].restarts[reason] =
            &restarts_family_.Add({{"resource", name}, {"reason", reason}});
      }
      for (WatchEventType t :
           {WatchEventType::kAdded, WatchEventType::kModified, WatchEventType::kDeleted,
            WatchEventType::kBookmark, WatchEventType::kError}) {
        per_[Index(r)].events[static_cast<int>(t)] =
            &events_family_.Add({{"resource", name}, {"type", WatchEventTypeName(t)}});
      }
    }
  }

  ~Impl() { Stop(); }

  bool CheckAccess(std::string* error) {
    HttpClient client(conn_, &stop_, opts_.connect_timeout_seconds);
    for (const auto& ns : scopes_) {
      for (Resource r : {Resource::kJobs, Resource::kCronJobs}) {
        HttpResponse resp;
        for (int attempt = 0; attempt < 2; ++attempt) {
          std::string body;
          resp =
              client.Get(CollectionPath(r, ns) + "?limit=1", 30, 30, [&body](std::string_view d) {
                body.append(d);
                return true;
              });
          CountRequest(r, "list", resp);
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
    if (started_) return;
    started_ = true;
    for (Resource r : {Resource::kJobs, Resource::kCronJobs}) {
      for (const auto& ns : scopes_) {
        threads_.emplace_back([this, r, ns] { Run(r, ns); });
      }
    }
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      for (HttpClient* c : clients_) c->Wakeup();
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  std::vector<std::string> Unsynced() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (Resource r : {Resource::kJobs, Resource::kCronJobs}) {
      if (!per_[Index(r)].all_synced) out.push_back(ResourceName(r));
    }
    return out;
  }

  const ObjectStore& store() const { return store_; }

 private:
  struct PerResource {
    prometheus::Gauge* synced = nullptr;
    prometheus::Gauge* last_event = nullptr;
    prometheus::Gauge* tracked = nullptr;
    prometheus::Counter* decode_errors = nullptr;
    std::map<std::string, prometheus::Counter*> restarts;
    prometheus::Counter* events[5] = {};
    std::set<std::string> synced_scopes;
    bool all_synced = false;
  };

  enum class WatchEnd { kTimeout, kGone, kError, kStopped };

  static int Index(Resource r) { return r == Resource::kJobs ? 0 : 1; }
  prometheus::Gauge& tracked(Resource r) { return *per_[Index(r)].tracked; }

  void CountRequest(Resource r, const char* verb, const HttpResponse& resp) {
    std::string code = resp.status == 0 ? "error" : std::to_string(resp.status);
    requests_family_.Add({{"resource", ResourceName(r)}, {"verb", verb}, {"code", code}})
        .Increment();
  }

  // Sleeps unless stopped; true when stopped.
  bool SleepFor(double seconds) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                        [this] { return stop_.load(); });
  }

  void MarkSynced(Resource r, const std::string& ns) {
    bool now_synced = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& p = per_[Index(r)];
      p.synced_scopes.insert(ns);
      if (!p.all_synced && p.synced_scopes.size() == scopes_.size()) {
        p.all_synced = true;
        now_synced = true;
      }
    }
    if (now_synced) {
      per_[Index(r)].synced->Set(1);
      BW_LOG_INFO("initial list complete",
                  {{"resource", ResourceName(r)}, {"objects", std::to_string(store_.Size(r))}});
      if (sink_) sink_->OnSynced(r);
    }
  }

  void DecodeError(Resource r, const std::string& ns, const std::string& what,
                   const std::string& error) {
    per_[Index(r)].decode_errors->Increment();
    BW_LOG_WARN("cannot decode " + what + ", skipped",
                {{"resource", ResourceName(r)}, {"scope", ScopeName(ns)}, {"error", error}});
  }

  bool Excluded(const std::string& ns) const { return excluded_.count(ns) > 0; }

  // Retry delay for a failed request: Retry-After on 429/5xx, else backoff.
  double FailureDelay(Backoff* backoff, const HttpResponse& resp) {
    double delay = backoff->Next();
    if ((resp.status == 429 || resp.status >= 500) && resp.retry_after >= 0) {
      delay = std::min(resp.retry_after, 600.0);
    }
    return delay;
  }

  void HandleAuthFailure(const HttpResponse& resp) {
    if (resp.status == 401 && conn_.token) conn_.token->Invalidate();
  }

  // Paginated list into the store; false on failure (resp holds the failing response).
  bool List(HttpClient* client, Resource r, const std::string& ns, std::string* rv,
            HttpResponse* failed) {
    std::vector<Job> jobs;
    std::vector<CronJob> cronjobs;
    std::string continue_token;
    int restarts = 0;
    for (;;) {
      std::string query = "?limit=" + std::to_string(opts_.page_size);
      if (!continue_token.empty()) query += "&continue=" + UrlEncode(continue_token);
      std::string body;
      HttpResponse resp =
          client->Get(CollectionPath(r, ns) + query, 120, 60, [&body](std::string_view d) {
            body.append(d);
            return true;
          });
      CountRequest(r, "list", resp);
      if (resp.aborted) return false;
      if (resp.status == 410 && !continue_token.empty() && restarts < 3) {
        // The continue token expired (compaction): start the list over.
        ++restarts;
        BW_LOG_INFO("list continue token expired, restarting the list",
                    {{"resource", ResourceName(r)}, {"scope", ScopeName(ns)}});
        jobs.clear();
        cronjobs.clear();
        continue_token.clear();
        continue;
      }
      if (resp.status != 200 || !resp.error.empty()) {
        *failed = std::move(resp);
        return false;
      }
      ListPage page;
      std::string error;
      if (!DecodeListPage(body, r, decode_opts_, &page, &error)) {
        DecodeError(r, ns, "list page", error);
        failed->status = 200;
        failed->error = error;
        return false;
      }
      if (page.bad_items > 0) {
        for (int i = 0; i < page.bad_items; ++i) per_[Index(r)].decode_errors->Increment();
        BW_LOG_WARN("cannot decode list items, skipped", {{"resource", ResourceName(r)},
                                                          {"count", std::to_string(page.bad_items)},
                                                          {"error", page.first_item_error}});
      }
      for (auto& j : page.jobs) {
        if (!Excluded(j.namespace_)) jobs.push_back(std::move(j));
      }
      for (auto& c : page.cronjobs) {
        if (!Excluded(c.namespace_)) cronjobs.push_back(std::move(c));
      }
      if (page.continue_token.empty()) {
        *rv = page.resource_version;
        break;
      }
      continue_token = page.continue_token;
    }
    if (r == Resource::kJobs)
      store_.Replace(ns, std::move(jobs));
    else
      store_.Replace(ns, std::move(cronjobs));
    return true;
  }

  WatchEnd Watch(HttpClient* client, Resource r, const std::string& ns, std::string* rv,
                 HttpResponse* failed) {
    std::uniform_int_distribution<int> pick(
        opts_.watch_timeout_min_seconds,
        std::max(opts_.watch_timeout_min_seconds, opts_.watch_timeout_max_seconds));
    int timeout;
    {
      std::lock_guard<std::mutex> lock(mu_);
      timeout = pick(rng_);
    }
    std::string query =
        "?watch=1&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(timeout) +
        "&resourceVersion=" + UrlEncode(*rv);
    LineSplitter splitter(opts_.max_line_bytes);
    WatchEvent ev;
    bool gone = false, bad_line = false, got_event = false;
    std::string error_event;
    auto on_line = [&](std::string_view line) {
      std::string error;
      if (!DecodeWatchEvent(line, r, decode_opts_, &ev, &error)) {
        DecodeError(r, ns, "watch event", error);
        bad_line = true;
        return false;  // restart the stream from the last good resourceVersion
      }
      got_event = true;
      per_[Index(r)].events[static_cast<int>(ev.type)]->Increment();
      per_[Index(r)].last_event->Set(WallNow());
      switch (ev.type) {
        case WatchEventType::kError:
          if (ev.error_code == 410)
            gone = true;
          else
            error_event = std::to_string(ev.error_code) + " " + ev.error_message;
          return false;
        case WatchEventType::kBookmark:
          break;
        case WatchEventType::kAdded:
        case WatchEventType::kModified:
          if (r == Resource::kJobs) {
            if (!Excluded(ev.job.namespace_)) store_.Upsert(std::move(ev.job));
          } else if (!Excluded(ev.cronjob.namespace_)) {
            store_.Upsert(std::move(ev.cronjob));
          }
          break;
        case WatchEventType::kDeleted:
          if (r == Resource::kJobs)
            store_.Delete(ev.job);
          else
            store_.Delete(ev.cronjob);
          break;
      }
      if (!ev.resource_version.empty()) *rv = ev.resource_version;
      return true;
    };
    auto started = Clock::now();
    HttpResponse resp =
        client->Get(CollectionPath(r, ns) + query, timeout + 60, 0,
                    [&](std::string_view data) { return splitter.Feed(data, on_line); });
    CountRequest(r, "watch", resp);
    if (stop_) return WatchEnd::kStopped;
    if (resp.status == 410 || gone) return WatchEnd::kGone;
    if (splitter.overflowed()) {
      DecodeError(r, ns, "watch line",
                  "line longer than " + std::to_string(opts_.max_line_bytes) + " bytes");
      bad_line = true;
    }
    if (resp.status == 200 && resp.error.empty() && splitter.pending() > 0) {
      DecodeError(r, ns, "watch line", "stream ended inside a line (truncated)");
      bad_line = true;
    }
    if (bad_line || !error_event.empty()) {
      failed->status = 200;
      failed->error = bad_line ? "undecodable watch line" : "watch ERROR event " + error_event;
      return WatchEnd::kError;
    }
    if (resp.status != 200 || !resp.error.empty()) {
      *failed = std::move(resp);
      return WatchEnd::kError;
    }
    // A watch that closes at once with nothing in it is a failure, not a timeout.
    if (!got_event && Clock::now() - started < std::chrono::seconds(1)) {
      failed->status = 200;
      failed->error = "watch closed immediately";
      return WatchEnd::kError;
    }
    return WatchEnd::kTimeout;
  }

  void Run(Resource r, std::string ns) {
    HttpClient client(conn_, &stop_, opts_.connect_timeout_seconds);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      clients_.push_back(&client);
    }
    Backoff backoff(opts_.backoff_initial_seconds, opts_.backoff_max_seconds);
    std::string rv;
    bool need_list = true;
    const std::string res = ResourceName(r);
    std::string last_failure;
    while (!stop_) {
      if (need_list) {
        HttpResponse failed;
        if (!List(&client, r, ns, &rv, &failed)) {
          if (stop_) break;
          HandleAuthFailure(failed);
          std::string msg =
              failed.status == 200 ? failed.error : DescribeFailure(conn_, failed, r, "list", ns);
          double delay = FailureDelay(&backoff, failed);
          BW_LOG_WARN("list failed, retrying", {{"resource", res},
                                                {"scope", ScopeName(ns)},
                                                {"error", msg},
                                                {"retry_in_seconds", std::to_string(delay)}});
          if (SleepFor(delay)) break;
          continue;
        }
        need_list = false;
        MarkSynced(r, ns);
      }
      HttpResponse failed;
      WatchEnd end = Watch(&client, r, ns, &rv, &failed);
      if (end == WatchEnd::kStopped) break;
      const char* reason = end == WatchEnd::kTimeout ? "timeout"
                           : end == WatchEnd::kGone  ? "gone"
                                                     : "error";
      per_[Index(r)].restarts[reason]->Increment();
      if (end == WatchEnd::kGone) {
        BW_LOG_INFO("watch expired (410 Gone), listing again",
                    {{"resource", res}, {"scope", ScopeName(ns)}});
        need_list = true;
        continue;
      }
      if (end == WatchEnd::kError) {
        HandleAuthFailure(failed);
        std::string msg =
            failed.status == 200 ? failed.error : DescribeFailure(conn_, failed, r, "watch", ns);
        double delay = FailureDelay(&backoff, failed);
        BW_LOG_WARN("watch failed, retrying", {{"resource", res},
                                               {"scope", ScopeName(ns)},
                                               {"error", msg},
                                               {"retry_in_seconds", std::to_string(delay)}});
        if (SleepFor(delay)) break;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    clients_.erase(std::remove(clients_.begin(), clients_.end(), &client), clients_.end());
  }

  Connection conn_;
  const WatchOptions opts_;
  std::shared_ptr<prometheus::Registry> owned_registry_;
  prometheus::Registry* registry_;
  prometheus::Family<prometheus::Gauge>& synced_family_;
  prometheus::Family<prometheus::Counter>& events_family_;
  prometheus::Family<prometheus::Counter>& restarts_family_;
  prometheus::Family<prometheus::Counter>& requests_family_;
  prometheus::Family<prometheus::Gauge>& last_event_family_;
  prometheus::Family<prometheus::Gauge>& tracked_family_;
  prometheus::Family<prometheus::Counter>& decode_errors_family_;
  PerResource per_[2];
  ObjectStore store_;
  EventSink* sink_ = nullptr;
  DecodeOptions decode_opts_;
  std::set<std::string> excluded_;
  std::vector<std::string> scopes_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  bool started_ = false;
  std::vector<std::thread> threads_;
  std::vector<HttpClient*> clients_;
  std::mt19937 rng_{std::random_device{}()};

  friend class ClusterWatcher;
};

ClusterWatcher::ClusterWatcher(Connection conn, WatchOptions opts, EventSink* sink,
                               prometheus::Registry* registry)
    : impl_(std::make_unique<Impl>(std::move(conn), std::move(opts), sink, registry)) {
  impl_->sink_ = sink;
}

ClusterWatcher::~ClusterWatcher() = default;

bool ClusterWatcher::CheckAccess(std::string* error) { return impl_->CheckAccess(error); }
void ClusterWatcher::Start() { impl_->Start(); }
void ClusterWatcher::Stop() { impl_->Stop(); }
std::vector<std::string> ClusterWatcher::Unsynced() const { return impl_->Unsynced(); }

}  // namespace batchwatch::kube
