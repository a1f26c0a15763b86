// The slot ledger (issue 13): the recent decisions behind the counters, kept per CronJob record
// (slots and runs) and per standalone job group (runs). Entries are appended by the same calls
// that increment the counters (the SlotAccountant's DecisionSink and TrackerImpl::CountRun), so
// the entries decided or counted within a window are exactly the counters' increase over that
// window. Bounded by count and age (--ledger-slots, --ledger-runs, --ledger-max-age).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/ledger_view.h"
#include "tracker/options.h"
#include "tracker/slot_accountant.h"

namespace batchwatch::tracker {

// One decided slot, 32 bytes. What `evidence` and `evidence_end` hold depends on the outcome:
//   kRan:           evidence = the Job's creationTimestamp (kNever: only lastScheduleTime named it)
//   kMissed:        evidence = final_at (the deadline, or the later slot that superseded it)
//   kForbidSkipped: evidence = the blocking run's creation, evidence_end = its slot (kDawn:
//   unknown) kSuspended:     [evidence, evidence_end) = the suspension window (kDawn / kNever:
//   open) kUnobserved:    nothing
struct SlotEntry {
  UnixSeconds slot = 0;
  UnixSeconds evidence = kNever;
  UnixSeconds evidence_end = kNever;
  uint32_t decided_after = 0;  // decided at slot + decided_after (clamped to 2^32-1 s)
  SlotOutcome outcome = SlotOutcome::kRan;
  MissReason reason = kSuperseded;

  UnixSeconds decided_at() const { return slot + decided_after; }
};

// A slot that ran counts as late when its Job was created more than late_after_seconds after it.
bool IsLate(const SlotEntry& e, const LedgerLimits& limits);

// One finished (or deleted) run. Times are kNever when unknown.
struct RunEntry {
  std::string job_and_uid;   // "<job name>\n<uid>": one allocation for both
  UnixSeconds slot = kDawn;  // the slot it ran (scheduled runs of a CronJob); kDawn: none known
  UnixSeconds created = 0;
  UnixSeconds started = kNever;
  UnixSeconds ended = kNever;
  UnixSeconds counted_at = 0;  // when the run was accounted (the counters moved then)
  uint32_t reason = 0;         // id in TrackerImpl::reasons
  uint8_t trigger = 0;         // Trigger
  uint8_t result = 0;          // Result
  bool counted = true;         // false: finished before counting began (state, not a new run)
  bool replaced = false;       // deleted by concurrencyPolicy Replace
  // The run's last failed pod as its Job knew it when the run ended (tracker/why.h).
  uint32_t pod_reason = 0;  // id in TrackerImpl::reasons; 0 = none
  int32_t exit_code = kNoExitCode;
  static constexpr int32_t kNoExitCode = INT32_MIN;

  std::string_view job() const;
  std::string_view uid() const;
};

// The fleet's counts of one ledger over 24 h and 7 d (Ledger::WindowCounts), kept until an entry
// leaves a window: a fleet request would otherwise recount every entry of every CronJob (4
// million at 10k CronJobs x 400 entries). The ledger keeps them in step with its appends and
// drops, so a ledger that decided one more slot (every CronJob, every minute, with one-minute
// schedules) costs a few additions, not a recount.
struct LedgerWindowCounts {
  uint64_t version = 0;             // the ledger's version they describe (0: never counted)
  bool with_slots = false;          // slots were counted too
  UnixSeconds computed_at = 0;      // the windows end here; a clock that goes back recounts
  UnixSeconds valid_until = kDawn;  // the first instant a counted entry leaves a window
  LedgerCounts day, week;
  int64_t last_run = -1;            // index in runs() of the run the fleet shows as the last one
  bool last_run_is_newest = false;  // no run that was not deleted: last_run is the newest run
  uint64_t generation = 0;  // bumped by every recount (a fleet row made from older counts is stale)
};

// Slots and runs of one CronJob record, or runs of one job group, oldest first.
class Ledger {
 public:
  void AddSlot(const SlotDecision& d, UnixSeconds now, const LedgerLimits& limits);
  void AddSlotEntry(const SlotEntry& e, const LedgerLimits& limits);  // state file
  RunEntry& AddRun(RunEntry run, const LedgerLimits& limits);
  // Marks up to `n` of the newest deleted, not yet replaced runs created before `creation` as
  // replaced (concurrencyPolicy Replace, when the new run was seen after the deletion).
  void MarkReplaced(UnixSeconds creation, uint32_t n);
  // Drops entries older than the age bound.
  void Trim(UnixSeconds now, const LedgerLimits& limits);

  const std::vector<SlotEntry>& slots() const { return slots_; }
  const std::vector<RunEntry>& runs() const { return runs_; }
  std::vector<RunEntry>& mutable_runs() {
    ++version_;
    return runs_;
  }
  // Changes with every change of the entries.
  uint64_t version() const { return version_; }
  // The entries decided (slots, when `with_slots`) and counted (runs) in the 24 h and 7 d before
  // `now`: the kept counts when they still hold, else a recount (CountWindows). `limits` must be
  // the ones the entries were added with.
  const LedgerWindowCounts& WindowCounts(UnixSeconds now, bool with_slots,
                                         const LedgerLimits& limits) const;
  // The same counted from scratch (what the kept counts must always equal).
  LedgerWindowCounts CountWindows(UnixSeconds now, bool with_slots,
                                  const LedgerLimits& limits) const;
  // Bytes held: entries (capacity included) and the runs' heap strings.
  size_t SlotBytes() const;
  size_t RunBytes() const;

 private:
  // Whether the kept counts describe the entries as they are before a change (then the change
  // is applied to them instead of making them stale).
  bool CountsKept() const { return window_counts_.version == version_; }
  void CountSlot(const SlotEntry& e, uint64_t delta, const LedgerLimits& limits);
  void CountRunAdded(size_t index);
  // Drops the oldest entries beyond the count bounds, taking them out of kept counts.
  void DropOldSlots(size_t keep, bool counts_kept, const LedgerLimits& limits);
  void DropOldRuns(size_t keep, bool counts_kept);

  std::vector<SlotEntry> slots_;
  std::vector<RunEntry> runs_;
  uint64_t version_ = 1;
  mutable LedgerWindowCounts window_counts_;  // read and written under the tracker's lock
};

}  // namespace batchwatch::tracker
