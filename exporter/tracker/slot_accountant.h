// The slot accounting of one CronJob UID (docs/metrics.md, "How slots are resolved"): every slot in
// the period batchwatch watched it is decided exactly once, as ran, missed (deadline_exceeded or
// superseded), Forbid-skipped, suspended, or unobserved (passed while batchwatch was down and no
// evidence is left). Until a slot is final (the controller can no longer start it, plus the
// grace period) it is pending. A value type over literal inputs: the rules of the CronJob
// object, evidence of runs, run spans, suspension windows and `now`; decisions go to a callback.
// It knows nothing of rendering, strings or counters.
#pragma once

#include <cctz/time_zone.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "batch/objects.h"
#include "cron/schedule.h"

namespace batchwatch::tracker {

using UnixSeconds = batch::UnixSeconds;

inline constexpr UnixSeconds kNever = std::numeric_limits<UnixSeconds>::max();
inline constexpr UnixSeconds kDawn = std::numeric_limits<UnixSeconds>::min();

enum MissReason : uint8_t { kDeadlineExceeded = 0, kSuperseded = 1 };

// What the CronJob object says about its slots, as of the call.
struct SlotRules {
  const cron::Schedule* schedule = nullptr;  // nullptr: the CronJob cannot run, so no slots
  cctz::time_zone zone;
  batch::ConcurrencyPolicy policy = batch::ConcurrencyPolicy::kAllow;
  std::optional<int64_t> starting_deadline_seconds;
  UnixSeconds creation = 0;
  std::optional<UnixSeconds> last_schedule;  // status.lastScheduleTime (anchors `@every`)
  bool suspend = false;                      // spec.suspend now
  // A slot is decided missed or Forbid-skipped only this long after it became final, so a Job
  // created in time whose watch event arrives late is not a false miss.
  int64_t grace_seconds = 5;
};

// A scheduled (non-manual) run, kept while it can still explain a Forbid block or a Replace.
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

struct Interval {
  UnixSeconds begin, end;  // [begin, end)
};

enum class SlotOutcome : uint8_t {
  kRan,            // a Job ran it (late starts included)
  kMissed,         // will never run; `reason` says why
  kForbidSkipped,  // will never run: concurrencyPolicy Forbid held it behind `blocked_by`
  kSuspended,      // the CronJob was suspended at that slot: nothing counted
  kUnobserved,     // passed while batchwatch was not watching and no evidence is left
};

// One decided slot, with its evidence (what a ledger records).
struct SlotDecision {
  UnixSeconds slot = 0;
  SlotOutcome outcome = SlotOutcome::kRan;
  MissReason reason = kSuperseded;  // kMissed only
  // When the controller could no longer start the slot: the deadline or the next slot.
  UnixSeconds final_at = kNever;
  // kRan: the creationTimestamp of its Job; kNever when only lastScheduleTime named the slot.
  UnixSeconds job_created = kNever;
  std::optional<RunSpan> blocked_by;   // kForbidSkipped: the run still active at final_at
  std::optional<Interval> suspension;  // kSuspended: the suspension window covering the slot

  std::optional<int64_t> late_by() const {
    if (outcome != SlotOutcome::kRan || job_created == kNever) return std::nullopt;
    return std::max<int64_t>(0, job_created - slot);
  }
};
using DecisionSink = std::function<void(const SlotDecision&)>;

// The time-dependent gauges of the CronJob's slots and when to look again.
struct SlotTimes {
  std::optional<UnixSeconds> next;  // next slot strictly after now (absent when suspended)
  std::optional<int64_t> interval;  // gap between the next two slots
  int64_t lag = 0;                  // now - the most recent due slot with no Job yet
  UnixSeconds wake = kNever;        // next instant Resolve can decide something
};

// Evidence added for a slot.
struct EvidenceEffect {
  bool already_decided = false;        // the slot was decided before (nothing changed)
  std::optional<int64_t> start_delay;  // a start delay to record now (once per slot)
};

class SlotAccountant {
 public:
  // Accounting starts: every slot <= accounted_until is decided already; slots in
  // (accounted_until, fully_counted_after] passed while batchwatch was not watching and are
  // decided ran with evidence, unobserved without. `on_delay` receives the start delay of every
  // evidence gathered before the start and newer than accounted_until.
  void Start(UnixSeconds accounted_until, UnixSeconds fully_counted_after,
             const std::function<void(int64_t)>& on_delay);
  bool accounting() const { return accounting_; }
  UnixSeconds accounted_until() const { return accounted_until_; }
  UnixSeconds fully_counted_after() const { return fully_counted_after_; }

  // Forgets everything (the CronJob was deleted).
  void Reset() { *this = SlotAccountant(); }
  // A new incarnation of the CronJob object: accounting and suspensions restart; with
  // `keep_runs` false the evidence, spans and pending replaces (of another UID) go too.
  void Restart(bool keep_runs);
  // The schedule or zone was edited (after Resolve under the old rules): open slots of the old
  // schedule are dropped, never counted; the new schedule is accounted from `now` on.
  void Reschedule(UnixSeconds now);
  // The rules changed (any change to the CronJob object): remembered schedule walks are void.
  void ForgetWalks() { memo_ = Memo(); }

  // Evidence: a Job for `slot` created at `creation` (kNever: lastScheduleTime named it).
  EvidenceEffect AddEvidence(UnixSeconds slot, UnixSeconds creation);
  bool HasEvidence(UnixSeconds slot) const { return evidence_.count(slot) > 0; }

  // A scheduled run was seen; `end` is set once it finished.
  void UpsertSpan(size_t uid_hash, UnixSeconds creation, UnixSeconds slot,
                  std::optional<UnixSeconds> end);
  // The run's Job is gone: an unfinished span ends now.
  void EndSpan(size_t uid_hash, UnixSeconds now);

  // Suspension windows (spec.suspend). Suspended(kDawn) when the object is first seen suspended.
  void Suspend(UnixSeconds since);
  void Resume(UnixSeconds at);

  // concurrencyPolicy Replace deletes the active runs first and creates the new one right
  // after, and the watch may show either first. An unfinished run was deleted: true when a newer
  // run is already known (it counts as replaced now); otherwise it waits until `expires`.
  bool RunDeleted(size_t uid_hash, UnixSeconds creation, UnixSeconds slot, UnixSeconds expires);
  // A new run appeared at `now`: the number of waiting deleted runs it replaced.
  uint32_t RunAppeared(UnixSeconds creation, UnixSeconds slot, UnixSeconds now);
  void ExpireReplaces(UnixSeconds now);
  size_t pending_replaces() const { return pending_replace_.size(); }

  // Decides, in slot order, every slot that became final by `now` (at most `max_slots`; the
  // rest wait for the next call). Stops at the first pending slot.
  void Resolve(const SlotRules& rules, UnixSeconds now, const DecisionSink& on_decision,
               int max_slots = 200000);
  // The first slot that is due at `now` but not decided yet (it shows in schedule_lag until it
  // runs or becomes final).
  std::optional<UnixSeconds> Pending(const SlotRules& rules, UnixSeconds now) const;
  // The time-dependent gauges at `now`, and the next wake-up.
  SlotTimes Times(const SlotRules& rules, UnixSeconds now);

  // Slot math, exposed for tests.
  static std::optional<UnixSeconds> NextSlot(const SlotRules& rules, UnixSeconds t);
  // When `slot` can no longer start (kNever: never), and why.
  static UnixSeconds FinalAt(const SlotRules& rules, UnixSeconds slot, MissReason* reason);

 private:
  // Schedule walks, remembered: they depend only on the rules (ForgetWalks clears them), on now
  // and on accounted_until. Every Job event refreshes its CronJob, often within the same second,
  // and these walks were most of an event's cost.
  struct Memo {
    UnixSeconds now = kNever;              // next, after and due are for this instant
    std::optional<UnixSeconds> next;       // NextSlot(now)
    std::optional<UnixSeconds> after;      // NextSlot(next)
    std::optional<UnixSeconds> due;        // MostRecentUnmetSlot(now).due (not when suspended)
    UnixSeconds accounted_until = kNever;  // pending and final_at are for this value
    std::optional<UnixSeconds> pending;    // NextSlot(accounted_until)
    UnixSeconds final_at = kNever;         // FinalAt(pending)
  };
  struct PendingReplace {
    UnixSeconds creation;
    UnixSeconds slot;
    UnixSeconds expires;
  };

  const Interval* SuspendedDuring(UnixSeconds from, UnixSeconds to) const;
  const RunSpan* ForbidBlocker(UnixSeconds final_at, int64_t grace) const;

  bool accounting_ = false;          // accounted_until_ is meaningful
  UnixSeconds accounted_until_ = 0;  // every slot <= this is decided
  UnixSeconds fully_counted_after_ = 0;
  std::map<UnixSeconds, Evidence> evidence_;  // slots known to have run, not yet decided
  std::vector<RunSpan> spans_;
  std::vector<Interval> suspended_;
  std::vector<PendingReplace> pending_replace_;
  Memo memo_;
};

}  // namespace batchwatch::tracker
