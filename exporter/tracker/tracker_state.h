// Internal state of the Tracker: compact records for CronJobs (state gauges, slot accounting,
// history), standalone job groups and Jobs, each with its exposition text pre-rendered per
// metric family so a scrape is concatenation. Shared by tracker.cc, render.cc and
// state_file.cc; not part of the public contract.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "batch/objects.h"
#include "cron/controller.h"
#include "tracker/metric_table.h"
#include "tracker/tracker.h"

namespace batchwatch::tracker {

inline constexpr UnixSeconds kNever = std::numeric_limits<UnixSeconds>::max();
inline constexpr UnixSeconds kDawn = std::numeric_limits<UnixSeconds>::min();

// Interned strings (namespaces, CronJob names, reasons, job groups): ids are stable.
class StringPool {
 public:
  uint32_t Intern(std::string_view s);
  std::optional<uint32_t> Find(std::string_view s) const;
  const std::string& Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;                       // stable addresses
  std::unordered_map<std::string_view, uint32_t> index_;  // views into strings_
};

enum class Trigger : uint8_t { kScheduled = 0, kManual = 1 };
enum class Result : uint8_t { kSucceeded = 0, kFailed = 1, kDeleted = 2 };
const char* TriggerLabel(Trigger t);
const char* ResultLabel(Result r);

struct RunKey {
  Trigger trigger;
  Result result;
  uint32_t reason;  // id in Impl::reasons
  bool operator==(const RunKey& o) const {
    return trigger == o.trigger && result == o.result && reason == o.reason;
  }
};

struct RunCounts {
  std::vector<std::pair<RunKey, uint64_t>> runs;   // few entries: linear search
  Histogram<kDurationBuckets.size()> duration[2];  // by Result::kSucceeded / kFailed
  bool duration_seen[2] = {false, false};
  void Add(const RunKey& key, uint64_t n = 1);
};

enum MissReason : uint8_t { kDeadlineExceeded = 0, kSuperseded = 1 };

// A scheduled (non-manual) run of the tracked CronJob UID, kept while it can still explain a
// Forbid block or a Replace.
struct RunSpan {
  size_t uid_hash;
  UnixSeconds creation;
  UnixSeconds end;   // kNever while unfinished
  UnixSeconds slot;  // kDawn when unknown
};

// A slot that ran: its Job was seen, or status.lastScheduleTime named it.
struct Evidence {
  UnixSeconds creation = kNever;  // the Job's creationTimestamp; kNever when no Job seen yet
  bool delay_recorded = false;
};

struct PendingReplace {
  UnixSeconds creation;
  UnixSeconds slot;
  UnixSeconds expires;
};

struct Interval {
  UnixSeconds begin, end;  // [begin, end)
};

// Text split in contiguous per-family segments (one per row of metric_table.h): segment f is
// [offsets[f], offsets[f+1]).
template <size_t N>
struct RenderedText {
  std::string text;
  std::array<uint32_t, N + 1> offsets{};
  std::string_view Segment(size_t f) const {
    return std::string_view(text).substr(offsets[f], offsets[f + 1] - offsets[f]);
  }
};

// Refresh's schedule walks, remembered: they depend only on the CronJob object (any change to
// it clears the memo), on now and on accounted_until. Every Job event refreshes its CronJob,
// often within the same second, and these walks were most of an event's cost.
struct ScheduleMemo {
  UnixSeconds now = kNever;              // next, after and due are for this instant
  std::optional<UnixSeconds> next;       // NextSlot(now)
  std::optional<UnixSeconds> after;      // NextSlot(next)
  std::optional<UnixSeconds> due;        // MostRecentUnmetSlot(now).due (not when suspended)
  UnixSeconds accounted_until = kNever;  // pending and final_at are for this value
  std::optional<UnixSeconds> pending;    // NextSlot(accounted_until)
  UnixSeconds final_at = kNever;         // FinalAt(pending)
};

// One per (namespace, CronJob name): survives Job deletion and CronJob recreation.
struct CronJobRecord {
  bool live = false;    // slot in Impl::cronjobs is used
  bool exists = false;  // the CronJob object exists now
  uint32_t ns = 0, name = 0;
  UnixSeconds deleted_at = 0;

  // Spec and status of the CronJob object (when exists).
  std::string uid;
  std::string schedule_spec;
  std::optional<std::string> time_zone;
  batch::ConcurrencyPolicy policy = batch::ConcurrencyPolicy::kAllow;
  bool suspend = false;
  std::optional<int64_t> sds;
  UnixSeconds creation = 0;
  std::optional<UnixSeconds> last_schedule;
  std::optional<UnixSeconds> last_successful_status;
  cron::ResolvedSchedule resolved;

  // State gauges derived from runs.
  std::optional<UnixSeconds> last_success_observed, last_failure_observed;
  UnixSeconds last_success_creation = kDawn;
  std::vector<UnixSeconds> failures_since_success;  // creation times, bounded
  uint64_t failures_overflow = 0;
  int32_t active_jobs = 0;
  int32_t job_refs = 0;  // JobRecords pointing here (the record stays while > 0)
  // Time-dependent gauges, refreshed by Tick.
  std::optional<UnixSeconds> next_schedule;
  std::optional<int64_t> interval;
  int64_t lag = 0;

  // Slot accounting for the CronJob UID `slot_uid` (set by the object or its first Job).
  std::string slot_uid;
  bool accounting = false;          // accounted_until is meaningful
  UnixSeconds accounted_until = 0;  // every slot <= this is resolved
  // Slots in (accounted_until, fully_counted_after] passed while batchwatch was not watching:
  // they count as ran when evidence exists, otherwise nothing is counted.
  UnixSeconds fully_counted_after = 0;
  std::map<UnixSeconds, Evidence> evidence;  // slots known to have run, not yet resolved
  std::vector<RunSpan> spans;
  std::vector<Interval> suspended;
  std::vector<PendingReplace> pending_replace;

  // History.
  RunCounts runs;
  Histogram<kStartDelayBuckets.size()> start_delay;
  uint64_t missed[2] = {0, 0};
  uint64_t forbid_skipped = 0;
  uint64_t replaced = 0;

  UnixSeconds wake_at = kNever;
  bool lagging = false;
  ScheduleMemo memo;
  RenderedText<kCjFamilyCount> rendered;
};

// Standalone Jobs by (namespace, job group).
struct GroupRecord {
  uint32_t ns = 0, group = 0;
  RunCounts runs;
  RenderedText<kGroupFamilyCount> rendered;
};

struct JobRecord {
  bool live = false;
  bool counted = false;         // its run is accounted (or it was initial state)
  bool active_counted = false;  // included in its CronJob's active_jobs
  bool manual = false;
  bool finished = false;
  bool has_cronjob = false;
  uint32_t ns = 0;
  uint32_t owner = 0;  // CronJob record index or group record index (uid: key of job_index)
  std::string name;
  UnixSeconds creation = 0;
  UnixSeconds slot = kDawn;
  RenderedText<kJobFamilyCount> rendered;
};

struct SavedSlots {
  std::string uid;
  UnixSeconds accounted_until;
};

struct Tracker::Impl {
  explicit Impl(TrackerOptions o);

  UnixSeconds Now() const { return options.clock(); }

  // Records.
  uint32_t CronJobIndex(uint32_t ns, uint32_t name);
  uint32_t GroupIndex(uint32_t ns, std::string_view group);
  uint32_t ReasonId(std::string_view reason);

  // Events (mutex held).
  void UpsertJob(const batch::Job& job, UnixSeconds now);
  void DeleteJob(const batch::Job& job, UnixSeconds now);
  void UpsertCronJob(const batch::CronJob& cj, UnixSeconds now);
  void DeleteCronJob(const batch::CronJob& cj, UnixSeconds now);
  void CountRun(JobRecord& jr, const batch::Job& job, Result result, bool counters);
  void AddEvidence(CronJobRecord& r, UnixSeconds slot, UnixSeconds creation);
  void StartAccounting(CronJobRecord& r, UnixSeconds now);
  void UpsertSpan(CronJobRecord& r, const JobRecord& jr, const batch::Job& job, UnixSeconds now);

  // Slot math.
  bool Schedulable(const CronJobRecord& r) const;
  std::optional<UnixSeconds> NextSlot(const CronJobRecord& r, UnixSeconds t) const;
  UnixSeconds FinalAt(const CronJobRecord& r, UnixSeconds slot, MissReason* reason) const;
  void ResolveSlots(CronJobRecord& r, UnixSeconds now);
  bool SuspendedDuring(const CronJobRecord& r, UnixSeconds from, UnixSeconds to) const;
  bool ForbidBlocked(const CronJobRecord& r, UnixSeconds final_at) const;
  // Recomputes time-dependent gauges, re-renders and schedules the next wake-up.
  void Refresh(uint32_t index, UnixSeconds now);
  void Purge(UnixSeconds now);

  // Rendering (render.cc).
  void RenderCronJob(CronJobRecord& r) const;
  void RenderGroup(GroupRecord& g) const;
  void RenderJob(JobRecord& j, const batch::Job& job) const;
  void Append(std::string* out) const;

  TrackerOptions options;
  mutable std::mutex mu;

  UnixSeconds watch_start = 0;
  UnixSeconds counting_since = 0;  // counting began (persisted across restarts)
  bool state_loaded = false;
  bool jobs_synced = false;
  bool cronjobs_synced = false;
  UnixSeconds last_purge = 0;

  StringPool strings;  // namespaces, names, groups
  StringPool reasons;

  std::vector<CronJobRecord> cronjobs;
  std::vector<uint32_t> free_cronjobs;
  std::unordered_map<uint64_t, uint32_t> cronjob_index;  // (ns << 32 | name) -> index
  std::vector<GroupRecord> groups;
  std::unordered_map<uint64_t, uint32_t> group_index;
  std::vector<JobRecord> jobs;
  std::vector<uint32_t> free_jobs;
  std::unordered_map<std::string, uint32_t> job_index;  // uid -> index
  // Counted Jobs that are gone: uid -> deletion time (0: present when the state was saved).
  std::unordered_map<std::string, UnixSeconds> counted_gone;
  // From the state file: (namespace/name) -> slot accounting of that CronJob UID.
  std::unordered_map<std::string, SavedSlots> saved_slots;

  using Wake = std::pair<UnixSeconds, uint32_t>;
  std::priority_queue<Wake, std::vector<Wake>, std::greater<Wake>> wakes;
  std::vector<uint32_t> lagging;
};

}  // namespace batchwatch::tracker
