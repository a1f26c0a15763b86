// Internal state of the Tracker: compact records for CronJobs (state gauges, slot accounting,
// history), standalone job groups and Jobs, each with its exposition text pre-rendered per
// metric family so a scrape is concatenation. Shared by tracker.cc, render.cc and
// state_file.cc; not part of the public contract.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
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
#include "tracker/decision_log.h"
#include "tracker/exposition_blocks.h"
#include "tracker/ledger.h"
#include "tracker/metric_table.h"
#include "tracker/options.h"
#include "tracker/slot_accountant.h"
#include "tracker/why.h"

namespace batchwatch::tracker {

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
  uint32_t reason;  // id in TrackerImpl::reasons
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

// One record's text split in contiguous per-family segments (one per row of metric_table.h):
// segment f is [offsets[f], offsets[f+1]). Rendered here, then stored in ExpositionBlocks.
template <size_t N>
struct RenderedText {
  std::string text;
  std::array<uint32_t, N + 1> offsets{};
  std::string_view Segment(size_t f) const {
    return std::string_view(text).substr(offsets[f], offsets[f + 1] - offsets[f]);
  }
};

// What the CronJob object says (while it exists).
struct CronJobSpec {
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
};

// Creation times of failed runs kept per CronJob (consecutive failures); more are only counted.
constexpr size_t kMaxFailureTimes = 1024;

// State gauges: derived from runs, and the time-dependent ones refreshed by Tick.
struct CronJobGauges {
  std::optional<UnixSeconds> last_success_observed, last_failure_observed;
  UnixSeconds last_success_creation = kDawn;
  std::vector<UnixSeconds> failures_since_success;  // creation times, bounded
  uint64_t failures_overflow = 0;
  int32_t active_jobs = 0;
  std::optional<UnixSeconds> next_schedule;
  std::optional<int64_t> interval;
  int64_t lag = 0;
};

// Counters and histograms (kept in the state file).
struct CronJobHistory {
  RunCounts runs;
  Histogram<kStartDelayBuckets.size()> start_delay;
  uint64_t missed[2] = {0, 0};  // by MissReason
  uint64_t forbid_skipped = 0;
  uint64_t replaced = 0;
};

// What a fleet row (ledger_view.h) is made of, besides the strings of the spec (compared with
// the row's own copies): a row whose key and strings still match is handed out again.
struct FleetRowKey {
  uint32_t ns = 0, name = 0;
  bool exists = false, suspend = false, failing = false, waiting_pods = false;
  batch::ConcurrencyPolicy policy = batch::ConcurrencyPolicy::kAllow;
  cron::ScheduleError error = cron::ScheduleError::kNone;
  std::optional<UnixSeconds> next_slot;
  int32_t active = 0;
  int64_t lag = 0;
  uint64_t ledger_version = 0, counts_generation = 0;

  bool operator==(const FleetRowKey& o) const {
    return ns == o.ns && name == o.name && exists == o.exists && suspend == o.suspend &&
           failing == o.failing && waiting_pods == o.waiting_pods && policy == o.policy &&
           error == o.error && next_slot == o.next_slot && active == o.active && lag == o.lag &&
           ledger_version == o.ledger_version && counts_generation == o.counts_generation;
  }
};

// The last fleet row made of a CronJob record (Tracker::Snapshot; written under the lock).
struct SharedFleetRow {
  FleetRowKey key;
  std::shared_ptr<const FleetRow> row;
};

// One per (namespace, CronJob name): survives Job deletion and CronJob recreation.
struct CronJobRecord {
  bool live = false;    // slot in TrackerImpl::cronjobs is used
  bool exists = false;  // the CronJob object exists now
  uint32_t ns = 0, name = 0;
  UnixSeconds deleted_at = 0;
  int32_t job_refs = 0;  // JobRecords pointing here (the record stays while > 0)

  CronJobSpec spec;  // when exists
  CronJobGauges gauges;
  // Slot accounting of the CronJob UID `slot_uid` (set by the object or its first Job).
  std::string slot_uid;
  SlotAccountant slots;
  CronJobHistory history;
  CronJobWhy why;
  Ledger ledger;  // the recent decisions behind `history` (tracker/ledger.h)
  mutable SharedFleetRow fleet_row;

  UnixSeconds wake_at = kNever;
  bool lagging = false;
};

// Standalone Jobs by (namespace, job group).
struct GroupRecord {
  uint32_t ns = 0, group = 0;
  RunCounts runs;
  GroupWhy why;
  Ledger ledger;  // runs only
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
  JobWhy why;
};

struct SavedSlots {
  std::string uid;
  UnixSeconds accounted_until;
};

// The Tracker's state and its operations (tracker.cc; rendering in render.cc, the state file in
// state_file.cc).
struct TrackerImpl {
  explicit TrackerImpl(TrackerOptions o);

  UnixSeconds Now() const { return options.clock(); }

  // Records.
  uint32_t CronJobIndex(uint32_t ns, uint32_t name);
  uint32_t GroupIndex(uint32_t ns, std::string_view group);
  uint32_t ReasonId(std::string_view reason);

  // Events (mutex held).
  void UpsertJob(const batch::Job& job, UnixSeconds now);
  // `last`: the DELETED event's final state, or nullptr for a Job that vanished in a relist.
  void DeleteJob(const std::string& uid, const std::string& owner_cronjob_uid,
                 const batch::Job* last, UnixSeconds now);
  void UpsertCronJob(const batch::CronJob& cj, UnixSeconds now);
  void DeleteCronJob(const batch::CronJob& cj, UnixSeconds now);
  void CountRun(JobRecord& jr, const batch::Job& job, Result result, bool counters);
  // The ledger's entry for a run CountRun accounts (`counted`: the counters moved).
  void RecordRun(const JobRecord& jr, const batch::Job& job, const RunKey& key, bool counted);
  void AddEvidence(CronJobRecord& r, UnixSeconds slot, UnixSeconds creation);
  void StartAccounting(CronJobRecord& r);

  // Slots.
  bool Schedulable(const CronJobRecord& r) const;
  SlotRules Rules(const CronJobRecord& r) const;
  void ResolveSlots(CronJobRecord& r, UnixSeconds now);
  // Recomputes time-dependent gauges, re-renders and schedules the next wake-up.
  void Refresh(uint32_t index, UnixSeconds now);
  void Purge(UnixSeconds now);

  // Pods and events (why.cc; mutex held).
  void UpsertPod(const batch::Pod& pod, UnixSeconds now);
  // `last`: the DELETED event's final state, or nullptr for a pod that vanished in a relist.
  void DeletePod(const std::string& uid, const std::string& owner_job_uid, const batch::Pod* last,
                 UnixSeconds now);
  void UpsertEvent(const batch::Event& e);
  void ForgetEvent(const std::string& uid);
  void WhySynced(batch::Resource r);
  void WhyDegraded(batch::Resource r, bool degraded);
  // Hooks of the run accounting: a Job or CronJob appeared (applies what waited for it), a run
  // ended, a Job is gone.
  void WhyJobAppeared(const std::string& uid, uint32_t job_index);
  void WhyCronJobAppeared(const std::string& uid, uint32_t cronjob_index);
  void WhyRunEnded(const JobRecord& jr, Result result, uint32_t reason);
  void WhyJobGone(const std::string& uid, const JobRecord& jr, UnixSeconds now);
  void WhyPurge(UnixSeconds now);
  uint32_t WhyReasonId(std::vector<uint32_t>& admitted, std::string_view reason);

  // Rendering (render.cc) into the exposition blocks below; a record reset to its default
  // (deleted, purged) is cleared there by its owner.
  void RenderCronJob(CronJobRecord& r);
  void RenderGroup(GroupRecord& g);
  void RenderJob(JobRecord& j, const batch::Job& job);
  void RenderWaiting(JobRecord& j) const;  // batchwatch_job_waiting_pods
  void Append(metrics::Exposition* out) const;

  TrackerOptions options;
  // The operator's log of problem decisions (failed runs, missed and skipped slots, Replace).
  std::unique_ptr<DecisionLog> decisions;
  mutable std::mutex mu;

  UnixSeconds watch_start = 0;
  UnixSeconds counting_since = 0;  // counting began (persisted across restarts)
  bool state_loaded = false;
  bool jobs_synced = false;
  bool cronjobs_synced = false;
  UnixSeconds last_purge = 0;

  StringPool strings;      // namespaces, names, groups
  StringPool reasons;      // label values: terminal, pod failure and event reasons
  size_t run_reasons = 1;  // distinct terminal reasons interned by ReasonId ("" included)

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

  WhyState why;

  // The rendered series by record index (exposition_blocks.h). Block sizes: about 64 KiB of
  // text per CronJob block and 14 KiB per Job block and family at 100k Jobs.
  ExpositionBlocks<kCjFamilyCount, 64> cronjob_text;
  ExpositionBlocks<kGroupFamilyCount, 64> group_text;
  ExpositionBlocks<kJobFamilyCount, 128> job_text;
  RenderedText<kCjFamilyCount> cronjob_scratch;
  RenderedText<kGroupFamilyCount> group_scratch;
  RenderedText<kJobFamilyCount> job_scratch;
};

}  // namespace batchwatch::tracker
