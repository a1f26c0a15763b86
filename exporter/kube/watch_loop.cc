#include "kube/watch_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "batch/wall_clock.h"
#include "log/log.h"

namespace batchwatch::kube {

std::string WatchTarget::CollectionPath() const {
  std::string path = kind->api_prefix + "/";
  if (!namespace_.empty()) path += "namespaces/" + namespace_ + "/";
  return path + kind->name;
}

namespace {
void AppendSelectors(const WatchTarget& t, std::string* query) {
  if (!t.label_selector.empty()) *query += "&labelSelector=" + UrlEncode(t.label_selector);
  if (!t.field_selector.empty()) *query += "&fieldSelector=" + UrlEncode(t.field_selector);
}
}  // namespace

std::string WatchTarget::ListPath(int limit, const std::string& continue_token) const {
  std::string query = "?limit=" + std::to_string(limit);
  if (!continue_token.empty()) query += "&continue=" + UrlEncode(continue_token);
  AppendSelectors(*this, &query);
  return CollectionPath() + query;
}

std::string WatchTarget::WatchPath(int timeout_seconds, const std::string& resource_version) const {
  std::string query =
      "?watch=1&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(timeout_seconds) +
      "&resourceVersion=" + UrlEncode(resource_version);
  AppendSelectors(*this, &query);
  return CollectionPath() + query;
}

std::string WatchTarget::ScopeName() const {
  return namespace_.empty() ? "all namespaces" : "namespace " + namespace_;
}

double RealLoopEnv::MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double RealLoopEnv::WallSeconds() { return batch::WallClockSecondsFractional(); }

bool RealLoopEnv::SleepFor(double seconds) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                      [this] { return stop_.load(); });
}

double RealLoopEnv::Uniform01() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_real_distribution<double>(0, 1)(rng_);
}

void RealLoopEnv::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

WatchLoop::WatchLoop(
    WatchTarget target, WatchLoopOptions options, Transport* transport, LoopEnv* env,
    WatchStats* stats, std::function<void()> on_listed,
    std::function<std::string(const HttpResponse&, const std::string&)> describe_failure,
    std::function<void(bool, const std::string&, const std::string&)> on_forbidden)
    : target_(std::move(target)),
      options_(options),
      transport_(transport),
      env_(env),
      stats_(stats),
      on_listed_(std::move(on_listed)),
      describe_failure_(std::move(describe_failure)),
      on_forbidden_(std::move(on_forbidden)),
      handler_(target_.kind->make_handler(target_.namespace_)) {}

// Exponential backoff with jitter in [1, 1.5), capped; a failure after a long healthy period
// starts again from the initial delay.
double WatchLoop::NextBackoff() {
  double now = env_->MonotonicSeconds();
  if (now - last_failure_ > options_.backoff_reset_after_seconds) backoff_current_ = 0;
  last_failure_ = now;
  backoff_current_ = backoff_current_ == 0
                         ? options_.backoff_initial_seconds
                         : std::min(backoff_current_ * 2, options_.backoff_max_seconds);
  return std::min(backoff_current_ * (1.0 + 0.5 * env_->Uniform01()), options_.backoff_max_seconds);
}

double WatchLoop::FailureDelay(const HttpResponse& failed) {
  double delay = NextBackoff();
  if ((failed.status == 429 || failed.status >= 500) && failed.retry_after >= 0) {
    delay = std::min(failed.retry_after, options_.max_retry_after_seconds);
  }
  return delay;
}

void WatchLoop::DecodeError(const std::string& what, const std::string& error) {
  ++stats_->decode_errors;
  BW_LOG_WARN("cannot decode " + what + ", skipped",
              {{"resource", target_.kind->name}, {"scope", target_.ScopeName()}, {"error", error}});
}

std::string WatchLoop::Describe(const HttpResponse& failed, const std::string& verb) const {
  if (failed.status == 200) return failed.error;  // the loop's own verdict on a 200 answer
  if (describe_failure_) return describe_failure_(failed, verb);
  if (failed.status == 0) return failed.error;
  return verb + " " + target_.kind->name + " answered HTTP " + std::to_string(failed.status);
}

bool WatchLoop::WaitForbidden(const HttpResponse& failed, const std::string& verb) {
  if (!forbidden_) {
    forbidden_ = true;
    on_forbidden_(true, verb, Describe(failed, verb));
  }
  return env_->SleepFor(options_.forbidden_retry_seconds);
}

bool WatchLoop::List(HttpResponse* failed) {
  handler_->StartList();
  std::string continue_token, body, error;
  int restarts = 0;
  for (;;) {
    HttpResponse resp =
        transport_->ListPage(target_.ListPath(options_.page_size, continue_token), &body);
    stats_->CountRequest("list", resp.status);
    if (resp.aborted || env_->Stopped()) {
      *failed = std::move(resp);
      return false;
    }
    if (resp.status == 410 && !continue_token.empty() && restarts < options_.max_list_restarts) {
      // The continue token expired (compaction): start the list over.
      ++restarts;
      BW_LOG_INFO("list continue token expired, restarting the list",
                  {{"resource", target_.kind->name}, {"scope", target_.ScopeName()}});
      handler_->StartList();
      continue_token.clear();
      continue;
    }
    if (resp.status != 200 || !resp.error.empty()) {
      *failed = std::move(resp);
      return false;
    }
    ListPageMeta meta;
    if (!handler_->AddListPage(body, &meta, &error)) {
      DecodeError("list page", error);
      failed->status = 200;
      failed->error = error;
      return false;
    }
    if (meta.bad_items > 0) {
      stats_->decode_errors += static_cast<uint64_t>(meta.bad_items);
      BW_LOG_WARN("cannot decode list items, skipped", {{"resource", target_.kind->name},
                                                        {"count", std::to_string(meta.bad_items)},
                                                        {"error", meta.first_item_error}});
    }
    if (meta.continue_token.empty()) {
      resource_version_ = meta.resource_version;
      break;
    }
    continue_token = meta.continue_token;
  }
  handler_->CommitList();
  return true;
}

WatchLoop::WatchEnd WatchLoop::Watch(HttpResponse* failed) {
  const int lo = options_.watch_timeout_min_seconds;
  const int hi = std::max(lo, options_.watch_timeout_max_seconds);
  const int timeout =
      std::min(hi, lo + static_cast<int>(std::floor(env_->Uniform01() * (hi - lo + 1))));
  bool gone = false, bad_line = false, got_event = false;
  std::string error_event, error;
  WatchLineMeta meta;
  auto on_line = [&](std::string_view line) {
    if (!handler_->ApplyWatchLine(line, &meta, &error)) {
      DecodeError("watch event", error);
      bad_line = true;
      return false;  // reopen the stream from the last good resourceVersion
    }
    got_event = true;
    if (!meta.skipped.empty()) DecodeError("watch event", meta.skipped);
    stats_->CountEvent(meta.type);
    stats_->last_event_seconds = env_->WallSeconds();
    if (meta.type == WatchEventType::kError) {
      if (meta.error_code == 410) {
        gone = true;
      } else {
        error_event = std::to_string(meta.error_code) + " " + meta.error_message;
      }
      return false;
    }
    if (!meta.resource_version.empty()) resource_version_ = meta.resource_version;
    return true;
  };
  const double started = env_->MonotonicSeconds();
  // The server ends the watch after `timeout`; the extra minute only catches a dead peer.
  WatchResponse resp =
      transport_->Watch(target_.WatchPath(timeout, resource_version_), timeout + 60, on_line);
  stats_->CountRequest("watch", resp.status);
  if (env_->Stopped()) return WatchEnd::kStopped;
  if (resp.status == 410 || gone) return WatchEnd::kGone;
  if (resp.line_cap_exceeded > 0) {
    DecodeError("watch line",
                "line longer than " + std::to_string(resp.line_cap_exceeded) + " bytes");
    bad_line = true;
  } else if (resp.status == 200 && resp.error.empty() && resp.ended_inside_line && !bad_line &&
             error_event.empty()) {
    DecodeError("watch line", "stream ended inside a line (truncated)");
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
  if (!got_event && env_->MonotonicSeconds() - started < 1) {
    failed->status = 200;
    failed->error = "watch closed immediately";
    return WatchEnd::kError;
  }
  return WatchEnd::kTimeout;
}

void WatchLoop::Run() {
  const std::string& res = target_.kind->name;
  bool need_list = true;
  while (!env_->Stopped()) {
    if (need_list) {
      HttpResponse failed;
      if (!List(&failed)) {
        if (env_->Stopped()) break;
        if (failed.status == 403 && on_forbidden_) {
          if (WaitForbidden(failed, "list")) break;
          continue;
        }
        double delay = FailureDelay(failed);
        BW_LOG_WARN("list failed, retrying", {{"resource", res},
                                              {"scope", target_.ScopeName()},
                                              {"error", Describe(failed, "list")},
                                              {"retry_in_seconds", std::to_string(delay)}});
        if (env_->SleepFor(delay)) break;
        continue;
      }
      need_list = false;
      if (forbidden_) {
        forbidden_ = false;
        on_forbidden_(false, "", "");
      }
      if (on_listed_) on_listed_();
    }
    HttpResponse failed;
    WatchEnd end = Watch(&failed);
    if (end == WatchEnd::kStopped) break;
    stats_->CountRestart(end == WatchEnd::kTimeout ? RestartReason::kTimeout
                         : end == WatchEnd::kGone  ? RestartReason::kGone
                                                   : RestartReason::kError);
    if (end == WatchEnd::kGone) {
      BW_LOG_INFO("watch expired (410 Gone), listing again",
                  {{"resource", res}, {"scope", target_.ScopeName()}});
      need_list = true;
      continue;
    }
    if (end == WatchEnd::kError && failed.status == 403 && on_forbidden_) {
      // Access was revoked: the view is stale from now on, and only a list shows it back.
      need_list = true;
      if (WaitForbidden(failed, "watch")) break;
      continue;
    }
    if (end == WatchEnd::kError) {
      double delay = FailureDelay(failed);
      BW_LOG_WARN("watch failed, retrying", {{"resource", res},
                                             {"scope", target_.ScopeName()},
                                             {"error", Describe(failed, "watch")},
                                             {"retry_in_seconds", std::to_string(delay)}});
      if (env_->SleepFor(delay)) break;
    }
  }
}

}  // namespace batchwatch::kube
