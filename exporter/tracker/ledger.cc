#include "tracker/ledger.h"

#include <algorithm>
#include <limits>

#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

template <typename T>
void DropFront(std::vector<T>* v, size_t max) {
  if (v->size() <= max) return;
  v->erase(v->begin(), v->begin() + static_cast<std::ptrdiff_t>(v->size() - max));
}

}  // namespace

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
  ++version_;
  // Decisions come in slot order per accountant; a restored or rescheduled record may not.
  if (!slots_.empty() && slots_.back().slot > e.slot) {
    auto at = std::upper_bound(slots_.begin(), slots_.end(), e.slot,
                               [](UnixSeconds s, const SlotEntry& x) { return s < x.slot; });
    slots_.insert(at, e);
  } else {
    slots_.push_back(e);
  }
  DropFront(&slots_, limits.max_slots);
}

RunEntry& Ledger::AddRun(RunEntry run, const LedgerLimits& limits) {
  ++version_;
  runs_.push_back(std::move(run));
  DropFront(&runs_, limits.max_runs);
  return runs_.back();
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
  ++version_;
  slots_.erase(slots_.begin(), s);
  runs_.erase(runs_.begin(), r);
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
