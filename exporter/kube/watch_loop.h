// One list/watch state machine (the client-go reflector's loop) for one WatchTarget: a kind,
// a namespace and selectors.
//
//   list pages (limit + continue) --> handler.CommitList --> watch from the list's
//   resourceVersion (allowWatchBookmarks, random timeoutSeconds) --> each line to the handler
//     timeout / server close          -> watch again from the last resourceVersion seen
//     410 (status or ERROR event)     -> list again from scratch, no wait
//     expired continue token (410)    -> the list starts over (at most 3 times in a row)
//     line that is no watch event     -> counted, logged, stream reopened from the last version
//     (not JSON, cut short, no object or type)
//     well-formed event, undecodable  -> counted, logged, skipped; the stream goes on past its
//     object (meta.skipped)              resourceVersion (a reopened stream would replay it)
//     other failures (5xx, 429, ...)  -> wait: Retry-After on 429/5xx, else exponential backoff
//                                        with jitter (initial -> max), reset after a healthy
//                                        period; then retry the same step
//
// The loop does no I/O of its own: HTTP goes through a Transport, time, sleep and chance through
// a LoopEnv, so every path above has an in-process table test (tests/kube/watch_loop_test.cc).
//
// The per-kind part is small. A ResourceKind says where the collection lives and makes the
// KindHandler that decodes its pages and lines into the store; a WatchTarget adds the scope.
// Jobs and CronJobs are batch_kinds.h. A new kind is a descriptor and a handler, e.g.:
//
//   // Pods of Jobs (the Job controller labels them job-name=<job>):
//   const ResourceKind kPods{"pods", "/api/v1", MakePodHandler};
//   WatchTarget{&kPods, ns, /*label_selector=*/"job-name", /*field_selector=*/""};
//   // Events about Jobs:
//   const ResourceKind kEvents{"events", "/api/v1", MakeEventHandler};
//   WatchTarget{&kEvents, ns, "", "involvedObject.kind=Job"};
//
// and one WatchStats per kind for its self metrics.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "kube/decode.h"
#include "kube/transport.h"
#include "kube/watch_stats.h"

namespace batchwatch::kube {

// What the loop needs to know of a decoded list page.
struct ListPageMeta {
  std::string resource_version;
  std::string continue_token;
  int bad_items = 0;  // items skipped as undecodable (each one is a decode error)
  std::string first_item_error;
};

// What the loop needs to know of a decoded watch line.
struct WatchLineMeta {
  WatchEventType type = WatchEventType::kAdded;
  std::string resource_version;  // of the object or bookmark ("" for ERROR)
  int error_code = 0;            // ERROR: the Status code (410 = Gone)
  std::string error_message;
  // Why a decodable object cannot be used ("" = it was applied): counted as a decode error
  // and logged, but the stream goes on (reopening it would only bring the object back).
  std::string skipped;
};

// Decodes one kind's pages and lines and applies them to its store. One per WatchLoop.
class KindHandler {
 public:
  virtual ~KindHandler() = default;
  // A list begins, or starts over (an expired continue token): what earlier pages of the
  // unfinished list held or marked counts no more.
  virtual void StartList() = 0;
  // Decodes a page and either holds its items until CommitList (Jobs, CronJobs) or applies them
  // at once (Pods, Events: the store marks them as listed); false + *error: the page is
  // unusable.
  virtual bool AddListPage(std::string_view body, ListPageMeta* meta, std::string* error) = 0;
  // The list is complete: it replaces the scope's objects in the store (held pages are stored,
  // objects no page showed vanish).
  virtual void CommitList() = 0;
  // Decodes one watch line and applies ADDED/MODIFIED/DELETED; false + *error: undecodable.
  virtual bool ApplyWatchLine(std::string_view line, WatchLineMeta* meta, std::string* error) = 0;
};

// The per-kind descriptor.
struct ResourceKind {
  std::string name;        // plural resource name: "jobs"; the `resource` label, logs
  std::string api_prefix;  // "/apis/batch/v1" ("/api/v1" for the core group)
  // The handler for one namespace ("" = all).
  std::function<std::unique_ptr<KindHandler>(const std::string& scope_namespace)> make_handler;
};

// What one WatchLoop lists and watches.
struct WatchTarget {
  const ResourceKind* kind = nullptr;
  std::string namespace_;  // "" = every namespace
  std::string label_selector;
  std::string field_selector;

  std::string CollectionPath() const;  // /apis/batch/v1/namespaces/<ns>/jobs
  std::string ListPath(int limit, const std::string& continue_token) const;
  std::string WatchPath(int timeout_seconds, const std::string& resource_version) const;
  std::string ScopeName() const;  // "all namespaces", "namespace x", for messages
};

// Time, sleep and chance for the loop. RealLoopEnv is the production one; tests use a fake
// clock whose sleeps advance it.
class LoopEnv {
 public:
  virtual ~LoopEnv() = default;
  virtual double MonotonicSeconds() = 0;
  virtual double WallSeconds() = 0;  // Unix time, for batchwatch_last_event_timestamp_seconds
  // Sleeps; true when stopped before or during the sleep.
  virtual bool SleepFor(double seconds) = 0;
  virtual bool Stopped() const = 0;
  virtual double Uniform01() = 0;  // jitter and watch timeouts: uniform in [0, 1)
};

class RealLoopEnv : public LoopEnv {
 public:
  double MonotonicSeconds() override;
  double WallSeconds() override;
  bool SleepFor(double seconds) override;
  bool Stopped() const override { return stop_.load(); }
  double Uniform01() override;
  // Wakes every sleeper at once; Stopped() stays true.
  void Stop();
  const std::atomic<bool>* stop_flag() const { return &stop_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::mt19937_64 rng_{std::random_device{}()};
};

struct WatchLoopOptions {
  // The defaults follow client-go. Tests shorten them.
  double backoff_initial_seconds = 0.8;
  double backoff_max_seconds = 30;
  double backoff_reset_after_seconds = 120;  // a failure after this long healthy starts over
  double max_retry_after_seconds = 600;
  int watch_timeout_min_seconds = 300;  // each watch asks for a random timeout in [min, max]
  int watch_timeout_max_seconds = 600;
  int page_size = 500;
  int max_list_restarts = 3;  // expired continue tokens in a row before it counts as a failure
  // With an on_forbidden callback: the wait after a 403 (RBAC may be granted later; asking
  // often only fills the API server's audit log).
  double forbidden_retry_seconds = 300;
};

class WatchLoop {
 public:
  // on_listed runs after every complete list (the first one marks the target synced).
  // describe_failure phrases a failed response for the log (verb "list" or "watch"); when
  // unset, "HTTP <status>" or the transport error.
  // on_forbidden, when set, makes a 403 on list or watch a state rather than a failure: it is
  // called with true, the verb and the failure's description at the first 403 (the loop itself does
  // not log it again), the loop retries the list every forbidden_retry_seconds, and it is called
  // with false when a list succeeds again. Unset: a 403 is retried with backoff like a 5xx.
  WatchLoop(
      WatchTarget target, WatchLoopOptions options, Transport* transport, LoopEnv* env,
      WatchStats* stats, std::function<void()> on_listed = nullptr,
      std::function<std::string(const HttpResponse&, const std::string& verb)> describe_failure =
          nullptr,
      std::function<void(bool forbidden, const std::string& verb, const std::string& description)>
          on_forbidden = nullptr);

  // Runs until env->Stopped().
  void Run();

  const std::string& resource_version() const { return resource_version_; }

 private:
  enum class WatchEnd { kTimeout, kGone, kError, kStopped };
  bool List(HttpResponse* failed);
  WatchEnd Watch(HttpResponse* failed);
  double NextBackoff();
  double FailureDelay(const HttpResponse& failed);
  void DecodeError(const std::string& what, const std::string& error);
  std::string Describe(const HttpResponse& failed, const std::string& verb) const;
  // A 403 with on_forbidden set: reports it (once) and sleeps; true when stopped.
  bool WaitForbidden(const HttpResponse& failed, const std::string& verb);

  const WatchTarget target_;
  const WatchLoopOptions options_;
  Transport* const transport_;
  LoopEnv* const env_;
  WatchStats* const stats_;
  const std::function<void()> on_listed_;
  const std::function<std::string(const HttpResponse&, const std::string&)> describe_failure_;
  const std::function<void(bool, const std::string&, const std::string&)> on_forbidden_;
  bool forbidden_ = false;
  std::unique_ptr<KindHandler> handler_;
  std::string resource_version_;
  double backoff_current_ = 0;
  double last_failure_ = -1e300;
};

}  // namespace batchwatch::kube
