#include "tracker/ledger.h"

#include <algorithm>
#include <limits>

#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kWeek = 7 * kDay;
constexpr uint64_t kAdd = 1;
constexpr uint64_t kRemove = ~uint64_t{0};  // adding it subtracts 1 (unsigned wrap-around)

// Adds `delta` (kAdd or kRemove) to the counts the slot is part of.
void TallySlot(const SlotEntry& e, const LedgerLimits& limits, uint64_t delta, LedgerCounts* c) {
  switch (e.outcome) {
    case SlotOutcome::kRan:
      c->ran += delta;
      if (IsLate(e, limits)) c->late += delta;
      break;
    case SlotOutcome::kMissed:
      (e.reason == kDeadlineExceeded ? c->missed_deadline_exceeded : c->missed_superseded) += delta;
      break;
    case SlotOutcome::kForbidSkipped:
      c->forbid_skipped += delta;
      break;
    case SlotOutcome::kSuspended:
      c->suspended += delta;
      break;
    case SlotOutcome::kUnobserved:
      c->unobserved += delta;
      break;
  }
}

void TallyRun(const RunEntry& e, uint64_t delta, LedgerCounts* c) {
  if (!e.counted) return;
  switch (Result(e.result)) {
    case Result::kSucceeded:
      c->succeeded += delta;
      break;
    case Result::kFailed:
      c->failed += delta;
      break;
    case Result::kDeleted:
      c->deleted += delta;
      break;
  }
  // Replace is counted once per deleted run; the ledger marks that run.
  if (e.replaced) c->replaced += delta;
}

// Applies `tally` to the windows ending at c->computed_at that an entry at `at` is in. An entry
// at `at` is in the 7 d window while the end is before at + 7 d, in the 24 h one while before
// at + 1 d: the counts hold until the first of those instants of the entries added.
template <typename Tally>
void InWindows(LedgerWindowCounts* c, UnixSeconds at, uint64_t delta, Tally&& tally) {
  if (at <= c->computed_at - kWeek) return;
  tally(&c->week);
  if (delta == kAdd) c->valid_until = std::min(c->valid_until, at + kWeek);
  if (at > c->computed_at - kDay) {
    tally(&c->day);
    if (delta == kAdd) c->valid_until = std::min(c->valid_until, at + kDay);
  }
}

}  // namespace

bool IsLate(const SlotEntry& e, const LedgerLimits& limits) {
  return e.outcome == SlotOutcome::kRan && e.evidence != kNever &&
         e.evidence - e.slot > limits.late_after_seconds;
}

std::string_view RunEntry::job() const {
  std::string_view s(job_and_uid);
  return s.substr(0, s.find('\n'));
}

std::string_view RunEntry::uid() const {
  std::string_view s(job_and_uid);
  auto nl = s.find('\n');
  return nl == std::string_view::npos ? std::string_view() : s.substr(nl + 1);
}

void Ledger::AddSlot(const SlotDecision& d, UnixSeconds now, const LedgerLimits& limits) {
  SlotEntry e;
  e.slot = d.slot;
  e.outcome = d.outcome;
  e.reason = d.reason;
  int64_t after = now > d.slot ? now - d.slot : 0;
  e.decided_after =
      static_cast<uint32_t>(std::min<int64_t>(after, std::numeric_limits<uint32_t>::max()));
  switch (d.outcome) {
    case SlotOutcome::kRan:
      e.evidence = d.job_created;
      break;
    case SlotOutcome::kMissed:
      e.evidence = d.final_at;
      break;
    case SlotOutcome::kForbidSkipped:
      if (d.blocked_by) {
        e.evidence = d.blocked_by->creation;
        e.evidence_end = d.blocked_by->slot;
      }
      break;
    case SlotOutcome::kSuspended:
      if (d.suspension) {
        e.evidence = d.suspension->begin;
        e.evidence_end = d.suspension->end;
      }
      break;
    case SlotOutcome::kUnobserved:
      break;
  }
  AddSlotEntry(e, limits);
}

void Ledger::AddSlotEntry(const SlotEntry& e, const LedgerLimits& limits) {
  const bool counts_kept = CountsKept();
  ++version_;
  // Decisions come in slot order per accountant; a restored or rescheduled record may not.
  if (!slots_.empty() && slots_.back().slot > e.slot) {
    auto at = std::upper_bound(slots_.begin(), slots_.end(), e.slot,
                               [](UnixSeconds s, const SlotEntry& x) { return s < x.slot; });
    slots_.insert(at, e);
  } else {
    slots_.push_back(e);
  }
  if (counts_kept) CountSlot(e, kAdd, limits);
  DropOldSlots(limits.max_slots, counts_kept, limits);
  if (counts_kept) window_counts_.version = version_;
}

RunEntry& Ledger::AddRun(RunEntry run, const LedgerLimits& limits) {
  const bool counts_kept = CountsKept();
  ++version_;
  runs_.push_back(std::move(run));
  if (counts_kept) CountRunAdded(runs_.size() - 1);
  DropOldRuns(limits.max_runs, counts_kept);
  // DropOldRuns may have left the counts stale (the shown last run dropped).
  if (counts_kept && window_counts_.version != 0) window_counts_.version = version_;
  return runs_.back();
}

void Ledger::CountSlot(const SlotEntry& e, uint64_t delta, const LedgerLimits& limits) {
  if (!window_counts_.with_slots) return;
  InWindows(&window_counts_, e.decided_at(), delta,
            [&](LedgerCounts* c) { TallySlot(e, limits, delta, c); });
}

void Ledger::CountRunAdded(size_t index) {
  LedgerWindowCounts& c = window_counts_;
  const RunEntry& e = runs_[index];
  InWindows(&c, e.counted_at, kAdd, [&](LedgerCounts* n) { TallyRun(e, kAdd, n); });
  // The rule of CountWindows, one run at a time.
  const bool no_shown_run = c.last_run < 0 || c.last_run_is_newest;
  if (Result(e.result) != Result::kDeleted &&
      (no_shown_run || e.counted_at >= runs_[static_cast<size_t>(c.last_run)].counted_at)) {
    c.last_run = static_cast<int64_t>(index);
    c.last_run_is_newest = false;
  } else if (no_shown_run) {
    c.last_run = static_cast<int64_t>(index);
    c.last_run_is_newest = true;
  }
}

void Ledger::DropOldSlots(size_t keep, bool counts_kept, const LedgerLimits& limits) {
  if (slots_.size() <= keep) return;
  const auto end = slots_.begin() + static_cast<std::ptrdiff_t>(slots_.size() - keep);
  if (counts_kept) {
    for (auto it = slots_.begin(); it != end; ++it) CountSlot(*it, kRemove, limits);
  }
  slots_.erase(slots_.begin(), end);
}

void Ledger::DropOldRuns(size_t keep, bool counts_kept) {
  if (runs_.size() <= keep) return;
  const size_t n = runs_.size() - keep;
  if (counts_kept) {
    LedgerWindowCounts& c = window_counts_;
    for (size_t i = 0; i < n; ++i) {
      const RunEntry& e = runs_[i];
      InWindows(&c, e.counted_at, kRemove, [&](LedgerCounts* m) { TallyRun(e, kRemove, m); });
    }
    if (c.last_run >= 0 && static_cast<size_t>(c.last_run) < n) {
      c.version = 0;  // the shown run goes: which one is next needs a recount
    } else if (c.last_run >= 0) {
      c.last_run -= static_cast<int64_t>(n);
    }
  }
  runs_.erase(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(n));
}

void Ledger::MarkReplaced(UnixSeconds creation, uint32_t n) {
  ++version_;
  for (auto it = runs_.rbegin(); it != runs_.rend() && n > 0; ++it) {
    if (it->result == static_cast<uint8_t>(Result::kDeleted) && !it->replaced &&
        it->created <= creation) {
      it->replaced = true;
      --n;
    }
  }
}

void Ledger::Trim(UnixSeconds now, const LedgerLimits& limits) {
  UnixSeconds oldest = now - limits.max_age_seconds;
  auto s = std::find_if(slots_.begin(), slots_.end(),
                        [&](const SlotEntry& e) { return e.decided_at() >= oldest; });
  auto r = std::find_if(runs_.begin(), runs_.end(),
                        [&](const RunEntry& e) { return e.counted_at >= oldest; });
  // Purge trims every ledger each minute: the version (and what is kept by it, the window
  // counts and the fleet rows) changes only when an entry goes.
  if (s == slots_.begin() && r == runs_.begin()) return;
  const bool counts_kept = CountsKept();
  ++version_;
  DropOldSlots(static_cast<size_t>(slots_.end() - s), counts_kept, limits);
  DropOldRuns(static_cast<size_t>(runs_.end() - r), counts_kept);
  if (counts_kept && window_counts_.version != 0) window_counts_.version = version_;
}

const LedgerWindowCounts& Ledger::WindowCounts(UnixSeconds now, bool with_slots,
                                               const LedgerLimits& limits) const {
  LedgerWindowCounts& c = window_counts_;
  if (c.version != version_ || c.with_slots != with_slots || now < c.computed_at ||
      now >= c.valid_until) {
    const uint64_t generation = c.generation;
    c = CountWindows(now, with_slots, limits);
    c.generation = generation + 1;
  }
  return c;
}

LedgerWindowCounts Ledger::CountWindows(UnixSeconds now, bool with_slots,
                                        const LedgerLimits& limits) const {
  LedgerWindowCounts c;
  c.version = version_;
  c.with_slots = with_slots;
  c.computed_at = now;
  c.valid_until = kNever;
  if (with_slots) {
    for (const SlotEntry& e : slots_) {
      // Ordered by slot, not by decision: no early exit.
      InWindows(&c, e.decided_at(), kAdd, [&](LedgerCounts* n) { TallySlot(e, limits, kAdd, n); });
    }
  }
  for (size_t i = 0; i < runs_.size(); ++i) {
    const RunEntry& e = runs_[i];
    InWindows(&c, e.counted_at, kAdd, [&](LedgerCounts* n) { TallyRun(e, kAdd, n); });
    if (Result(e.result) != Result::kDeleted &&
        (c.last_run < 0 || e.counted_at >= runs_[static_cast<size_t>(c.last_run)].counted_at)) {
      c.last_run = static_cast<int64_t>(i);
    }
  }
  if (c.last_run < 0 && !runs_.empty()) {
    c.last_run = static_cast<int64_t>(runs_.size() - 1);
    c.last_run_is_newest = true;
  }
  return c;
}

size_t Ledger::SlotBytes() const { return slots_.capacity() * sizeof(SlotEntry); }

size_t Ledger::RunBytes() const {
  size_t n = runs_.capacity() * sizeof(RunEntry);
  for (const auto& r : runs_) {
    if (r.job_and_uid.capacity() > 15) n += r.job_and_uid.capacity() + 1;
  }
  return n;
}

}  // namespace batchwatch::tracker
