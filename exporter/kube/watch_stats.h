// The watch loops' self metrics as plain counters, one WatchStats per resource (shared by the
// loops of every namespace). kube only counts; the app renders them (app/self_metrics.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "kube/decode.h"  // WatchEventType

namespace batchwatch::kube {

inline constexpr WatchEventType kWatchEventTypes[] = {
    WatchEventType::kAdded, WatchEventType::kModified, WatchEventType::kDeleted,
    WatchEventType::kBookmark, WatchEventType::kError};

// Why a watch was opened again.
enum class RestartReason { kTimeout, kGone, kError };
inline constexpr RestartReason kRestartReasons[] = {RestartReason::kTimeout, RestartReason::kGone,
                                                    RestartReason::kError};
inline const char* RestartReasonName(RestartReason r) {
  return r == RestartReason::kTimeout ? "timeout" : r == RestartReason::kGone ? "gone" : "error";
}

class WatchStats {
 public:
  std::atomic<bool> synced{false};            // every scope's initial list completed
  std::atomic<bool> degraded{false};          // some list or watch is refused (403)
  std::atomic<uint64_t> events[5] = {};       // by WatchEventType
  std::atomic<uint64_t> restarts[3] = {};     // by RestartReason
  std::atomic<uint64_t> decode_errors{0};     // lines, pages or list items skipped
  std::atomic<double> last_event_seconds{0};  // wall clock, Unix seconds
  std::atomic<uint64_t> tracked_objects{0};   // held by the store

  void CountEvent(WatchEventType t) { ++events[static_cast<int>(t)]; }
  void CountRestart(RestartReason r) { ++restarts[static_cast<int>(r)]; }
  // status 0 (no HTTP answer) counts as code "error".
  void CountRequest(const std::string& verb, long status) {
    std::string code = status == 0 ? "error" : std::to_string(status);
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_[{verb, code}];
  }
  // (verb, code) -> requests so far.
  std::map<std::pair<std::string, std::string>, uint64_t> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;
};

}  // namespace batchwatch::kube
