// Plain copies of the slot ledger (tracker/ledger.h) and of the few state fields the JSON API
// and the status pages show (exporter/web). The Tracker fills them under its lock and returns;
// rendering happens outside the lock, so pages never hold up a /metrics scrape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch/objects.h"

namespace batchwatch::tracker {

// Decided and counted within a window (by decision time: the same instants the counters moved,
// so these are the counters' increase over the window).
struct LedgerCounts {
  uint64_t succeeded = 0, failed = 0, deleted = 0, replaced = 0;
  uint64_t ran = 0, late = 0;  // slots decided ran (late: part of ran)
  uint64_t missed_deadline_exceeded = 0, missed_superseded = 0, forbid_skipped = 0;
  uint64_t suspended = 0, unobserved = 0;
};

struct RunView {
  std::string job, uid;
  std::string trigger;                     // scheduled | manual
  std::string result;                      // succeeded | failed | deleted | running
  std::string reason;                      // the terminal condition's reason ("" when none)
  std::optional<batch::UnixSeconds> slot;  // the slot it ran (scheduled runs)
  batch::UnixSeconds created = 0;
  std::optional<batch::UnixSeconds> started, ended, counted_at;
  std::optional<int64_t> duration, start_delay;
  bool counted = true;    // false: finished before counting began (not in the counters)
  bool replaced = false;  // deleted by concurrencyPolicy Replace
  // The run's last failed pod (reason, exit code), when one failed.
  std::string pod_reason;
  std::optional<int32_t> exit_code;
};

struct SlotView {
  batch::UnixSeconds slot = 0;
  // ran | late | missed | forbid_skipped | suspended | unobserved | pending
  std::string outcome;
  std::optional<batch::UnixSeconds> decided_at;  // absent while pending
  std::string job;                               // ran, late: the Job the controller names
  std::optional<int64_t> late_by;                // ran, late (absent: no Job seen)
  std::string reason;                            // missed: deadline_exceeded | superseded
  std::optional<batch::UnixSeconds> final_at;    // missed, pending
  std::string blocked_by;                        // forbid_skipped: the blocking run's Job
  std::optional<batch::UnixSeconds> suspended_since, suspended_until;  // suspended (open: absent)
};

struct FleetRow {
  std::string ns, name;
  std::string schedule;        // spec.schedule as written
  std::string zone;            // the zone its slots are evaluated in
  std::string policy;          // Allow | Forbid | Replace
  std::string schedule_error;  // unparseable_schedule | never_fires | unknown_timezone | ""
  std::string schedule_error_detail;
  bool exists = true;  // false: deleted, history kept for the retention
  bool suspended = false;
  std::optional<batch::UnixSeconds> next_slot;
  int32_t active = 0;
  int64_t lag = 0;  // schedule lag (seconds)
  std::optional<RunView> last_run;
  LedgerCounts day, week;               // the last 24 h and 7 d
  std::optional<double> success_ratio;  // week: succeeded / (succeeded + failed)
  // In display order: failing, missed, skipped, overdue, replaced, schedule_error, waiting_pods.
  std::vector<std::string> problems;
};

struct CronJobDetail {
  batch::UnixSeconds now = 0;
  FleetRow summary;
  std::vector<SlotView> slots;               // newest first; a pending slot first of all
  std::vector<RunView> runs;                 // newest first; running Jobs first of all
  size_t ledger_slots = 0, ledger_runs = 0;  // entries held (before the query's range)
};

struct JobGroupRow {
  std::string ns, group;
  std::optional<RunView> last_run;
  LedgerCounts day, week;
  std::optional<double> success_ratio;
  std::vector<std::string> problems;  // failing
};

struct JobGroupDetail {
  batch::UnixSeconds now = 0;
  JobGroupRow summary;
  std::vector<RunView> runs;  // newest first
  size_t ledger_runs = 0;
};

struct LedgerQuery {
  batch::UnixSeconds from = INT64_MIN, to = INT64_MAX;  // slot time / run creation, inclusive
  size_t limit = 200;                                   // per list
};

struct LedgerSnapshot {
  batch::UnixSeconds now = 0;
  // Problems first, then namespace/name. A row is immutable and shared: the Tracker hands out
  // the same object again until something the row shows changes (then it makes a new one), so
  // a renderer may keep its text keyed by the object (web/row_texts.h).
  std::vector<std::shared_ptr<const FleetRow>> cronjobs;
  std::vector<JobGroupRow> groups;  // problems first, then namespace/group
};

struct LedgerMemory {
  size_t slots = 0, slot_bytes = 0, runs = 0, run_bytes = 0;
};

// The problems a row can show, in display order (docs/api.md).
inline constexpr const char* kProblems[] = {"failing",  "missed",         "skipped",     "overdue",
                                            "replaced", "schedule_error", "waiting_pods"};

}  // namespace batchwatch::tracker
