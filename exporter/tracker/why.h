// State of the "why" metrics (pods and events; docs/metrics.md, "Why a run failed and why it has
// not started"), kept beside the run records of tracker_state.h: what a Job remembers of its
// failed pods and waiting pods, what a CronJob or job group counted, and the little kept per pod
// and per event so that nothing counts twice. The accounting is in why.cc.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "batch/objects.h"
#include "tracker/options.h"
#include "tracker/pod_causes.h"

namespace batchwatch::tracker {

// Pod and event UIDs are kept as 64-bit FNV-1a hashes (stable across builds, so the state file
// can hold them): at 100k pods a collision has a probability of about 3e-10.
uint64_t UidKey(std::string_view uid);

inline constexpr int32_t kNoExitCode = std::numeric_limits<int32_t>::min();
// Distinct pod failure reasons and controller event reasons (each, over all CronJobs and
// groups); further ones are counted as "_other".
inline constexpr size_t kMaxWhyReasons = 64;

// (reason id in TrackerImpl::reasons, count): few entries, linear search.
struct ReasonCounts {
  std::vector<std::pair<uint32_t, uint64_t>> counts;
  void Add(uint32_t reason, uint64_t n);
};

// What a Job remembers of its pods: survives the pods' deletion, and is copied to its
// CronJob's last run when the run ends.
struct JobWhy {
  uint64_t key = 0;              // UidKey of the Job's UID
  uint32_t last_pod_reason = 0;  // 0 (""): no failed pod seen
  int32_t last_exit_code = kNoExitCode;
  UnixSeconds last_failure_pod_created = std::numeric_limits<UnixSeconds>::min();
  // Pods waiting now, by WaitingReason, and their rendered series; only while one waits.
  struct Waiting {
    std::array<uint32_t, kWaitingReasonCount> pods{};
    std::string text;
  };
  std::unique_ptr<Waiting> waiting;
};

// The CronJob's most recent finished run (run order = Job creation, then UidKey of the Job).
struct LastRun {
  bool set = false;
  uint64_t job_key = 0;
  UnixSeconds creation = 0;
  uint8_t result = 0;  // tracker::Result
  uint32_t reason = 0;
  uint32_t pod_reason = 0;
  int32_t exit_code = kNoExitCode;
  UnixSeconds pod_created = std::numeric_limits<UnixSeconds>::min();
};

struct CronJobWhy {
  ReasonCounts pod_failures;
  uint64_t create_failures[2][kCreateCauseCount] = {};  // [kCreateJob / kCreatePod][cause]
  ReasonCounts controller_events;
  LastRun last_run;
  bool Counted() const;  // anything to keep after the CronJob's deletion
};
inline constexpr int kCreateJob = 0, kCreatePod = 1;

struct GroupWhy {
  ReasonCounts pod_failures;
  uint64_t create_failures[kCreateCauseCount] = {};
};

// Per pod: the whole of what the tracker keeps (the bytes per pod of docs/performance.md).
struct PodRecord {
  // restartCount of the first kRestartSlots containers (init containers first); the rest share
  // the last slot.
  static constexpr size_t kRestartSlots = 4;
  std::array<int32_t, kRestartSlots> restarts{};
  bool failed_counted = false;  // phase Failed seen (counted, or state of the initial list)
  bool attached = false;        // its waiting reason is in its Job's counts
  bool pending_listed = false;  // listed in the pending entry of its Job
  WaitingReason waiting = WaitingReason::kNone;
};

// A Job that is gone, kept a while for pods and events that arrive after its deletion (TTL 0
// Jobs: the pods' last states may come after the Job's DELETED).
struct GoneJob {
  bool has_cronjob = false;
  uint32_t ns = 0, owner = 0;  // CronJob name id (looked up again) or group record index
  uint64_t job_key = 0;
  UnixSeconds gone_at = 0;
};

// What arrived before its Job or CronJob (different watches, any order): kept by the owner's UID
// for a while and applied when the owner appears.
struct PendingItem {
  enum Kind : uint8_t { kPodFailure, kWaitingPod, kCreateFailure, kControllerEvent };
  Kind kind;
  bool count = true;  // false: state of an initial list (remembered, not counted)
  uint8_t cause = 0;
  uint32_t reason = 0;
  int32_t exit_code = kNoExitCode;
  uint64_t n = 0;  // occurrences; the pod key for kWaitingPod
  UnixSeconds pod_created = 0;
};
struct Pending {
  UnixSeconds since = 0;
  std::vector<PendingItem> items;
};
// Bounds of what waits: at startup the whole pods list may come before the Jobs list, so room
// for twice the 100k-pod scale goal (about 32 bytes an item).
inline constexpr size_t kMaxPendingOwners = 200000;
inline constexpr size_t kMaxPendingItems = 400000;  // over all owners
inline constexpr int64_t kPendingSeconds = 600;
inline constexpr int64_t kGoneJobSeconds = 3600;
inline constexpr int64_t kPodTombstoneSeconds = 3600;

struct WhyState {
  bool pods_synced = false;
  bool events_synced = false;
  std::unordered_map<uint64_t, PodRecord> pods;         // UidKey(pod uid)
  std::unordered_map<uint64_t, UnixSeconds> pods_gone;  // deleted pods: not new when replayed
  // Per event UID: the highest occurrence count seen (high-water mark). `listed`: seen since
  // this start (marks from the state file that the initial list did not show are dropped).
  struct EventMark {
    int64_t count = 0;
    bool listed = true;
  };
  std::unordered_map<std::string, EventMark> event_marks;
  std::unordered_map<std::string, GoneJob> gone_jobs;  // Job uid
  std::unordered_map<std::string, Pending> pending;    // owner (Job or CronJob) uid
  size_t pending_items = 0;
  // The reason ids admitted as pod failure reasons and as controller event reasons (at most
  // kMaxWhyReasons each).
  std::vector<uint32_t> pod_reasons, event_reasons;
};

}  // namespace batchwatch::tracker
