// Slot decisions of one CronJob UID as the CronJob controller makes them: the earliest slot,
// startingDeadlineSeconds, Forbid holding a slot back until the active run ends, Replace.
#include "tracker/slot_accountant.h"

#include <algorithm>

#include "cron/controller.h"

namespace batchwatch::tracker {

namespace {

constexpr size_t kMaxSpans = 512;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

void SlotAccountant::Start(UnixSeconds accounted_until, UnixSeconds fully_counted_after,
                           const std::function<void(int64_t)>& on_delay) {
  accounted_until_ = accounted_until;
  fully_counted_after_ = fully_counted_after;
  accounting_ = true;
  evidence_.erase(evidence_.begin(), evidence_.upper_bound(accounted_until_));
  for (auto& [slot, e] : evidence_) {
    if (!e.delay_recorded && e.creation != kNever) {
      on_delay(std::max<UnixSeconds>(0, e.creation - slot));
      e.delay_recorded = true;
    }
  }
}

void SlotAccountant::Restart(bool keep_runs) {
  if (!keep_runs) {
    evidence_.clear();
    spans_.clear();
    pending_replace_.clear();
  }
  suspended_.clear();
  accounting_ = false;
}

void SlotAccountant::Reschedule(UnixSeconds now) {
  accounted_until_ = std::max(accounted_until_, now);
  fully_counted_after_ = std::max(fully_counted_after_, accounted_until_);
  evidence_.erase(evidence_.begin(), evidence_.upper_bound(accounted_until_));
}

EvidenceEffect SlotAccountant::AddEvidence(UnixSeconds slot, UnixSeconds creation) {
  EvidenceEffect effect;
  if (accounting_ && slot <= accounted_until_) {
    effect.already_decided = true;
    return effect;
  }
  Evidence& e = evidence_[slot];
  if (creation != kNever && e.creation == kNever) e.creation = creation;
  if (accounting_ && !e.delay_recorded && e.creation != kNever) {
    effect.start_delay = std::max<UnixSeconds>(0, e.creation - slot);
    e.delay_recorded = true;
  }
  return effect;
}

void SlotAccountant::UpsertSpan(size_t uid_hash, UnixSeconds creation, UnixSeconds slot,
                                std::optional<UnixSeconds> end) {
  RunSpan* span = nullptr;
  for (auto& s : spans_) {
    if (s.uid_hash == uid_hash) span = &s;
  }
  if (span == nullptr) {
    if (spans_.size() >= kMaxSpans) {
      auto oldest = std::min_element(spans_.begin(), spans_.end(),
                                     [](auto& a, auto& b) { return a.end < b.end; });
      spans_.erase(oldest);
    }
    spans_.push_back(RunSpan{uid_hash, creation, kNever, slot});
    span = &spans_.back();
  }
  if (end && span->end == kNever) span->end = *end;
}

void SlotAccountant::EndSpan(size_t uid_hash, UnixSeconds now) {
  for (auto& s : spans_) {
    if (s.uid_hash == uid_hash && s.end == kNever) s.end = now;
  }
}

void SlotAccountant::Suspend(UnixSeconds since) { suspended_.push_back({since, kNever}); }

void SlotAccountant::Resume(UnixSeconds at) {
  if (!suspended_.empty() && suspended_.back().end == kNever) suspended_.back().end = at;
}

bool SlotAccountant::RunDeleted(size_t uid_hash, UnixSeconds creation, UnixSeconds slot,
                                UnixSeconds expires) {
  bool newer = std::any_of(spans_.begin(), spans_.end(), [&](const RunSpan& s) {
    return s.uid_hash != uid_hash && s.creation >= creation &&
           (s.slot == kDawn || slot == kDawn || s.slot > slot);
  });
  if (!newer) pending_replace_.push_back({creation, slot, expires});
  return newer;
}

uint32_t SlotAccountant::RunAppeared(UnixSeconds creation, UnixSeconds slot, UnixSeconds now) {
  uint32_t replaced = 0;
  for (auto p = pending_replace_.begin(); p != pending_replace_.end();) {
    bool newer = creation >= p->creation && (slot == kDawn || p->slot == kDawn || slot > p->slot);
    if (newer && p->expires >= now) {
      ++replaced;
      p = pending_replace_.erase(p);
    } else {
      ++p;
    }
  }
  return replaced;
}

void SlotAccountant::ExpireReplaces(UnixSeconds now) {
  pending_replace_.erase(std::remove_if(pending_replace_.begin(), pending_replace_.end(),
                                        [&](const PendingReplace& p) { return p.expires < now; }),
                         pending_replace_.end());
}

std::optional<UnixSeconds> SlotAccountant::NextSlot(const SlotRules& rules, UnixSeconds t) {
  const cron::Schedule& s = *rules.schedule;
  if (s.is_every()) {
    // The controller walks `@every` from lastScheduleTime (else creation): slots form a grid
    // anchored there, not on the clock.
    int64_t d = s.every_seconds();
    UnixSeconds anchor = rules.last_schedule.value_or(rules.creation);
    return anchor + (FloorDiv(t - anchor, d) + 1) * d;
  }
  return s.Next(t, rules.zone);
}

UnixSeconds SlotAccountant::FinalAt(const SlotRules& rules, UnixSeconds slot, MissReason* reason) {
  auto next = NextSlot(rules, slot);
  UnixSeconds f = next ? *next : kNever;
  *reason = kSuperseded;
  if (rules.starting_deadline_seconds) {
    // The controller starts a slot only while now < slot + startingDeadlineSeconds.
    // Saturating: startingDeadlineSeconds has no upper bound in the API (fuzz-found overflow).
    UnixSeconds d;
    if (__builtin_add_overflow(slot, std::max<int64_t>(0, *rules.starting_deadline_seconds), &d)) {
      d = kNever;
    }
    if (d <= f) {
      f = d;
      *reason = kDeadlineExceeded;
    }
  }
  return f;
}

const Interval* SlotAccountant::SuspendedDuring(UnixSeconds from, UnixSeconds to) const {
  auto it = std::find_if(suspended_.begin(), suspended_.end(),
                         [&](const Interval& i) { return i.begin <= to && i.end > from; });
  return it == suspended_.end() ? nullptr : &*it;
}

const RunSpan* SlotAccountant::ForbidBlocker(UnixSeconds final_at, int64_t grace) const {
  // The controller starts a held-back slot as soon as the active run ends; the slot is skipped
  // only when a scheduled run was still active when the slot became final (minus the grace,
  // since the controller needs a moment to notice the end).
  UnixSeconds horizon = final_at - grace;
  auto it = std::find_if(spans_.begin(), spans_.end(), [&](const RunSpan& s) {
    return s.creation < final_at && s.end > horizon;
  });
  return it == spans_.end() ? nullptr : &*it;
}

void SlotAccountant::Resolve(const SlotRules& rules, UnixSeconds now,
                             const DecisionSink& on_decision, int max_slots) {
  if (!accounting_ || rules.schedule == nullptr) return;
  for (int n = 0; n < max_slots; ++n) {
    auto slot = NextSlot(rules, accounted_until_);
    if (!slot || *slot > now) break;
    SlotDecision d;
    d.slot = *slot;
    d.final_at = FinalAt(rules, *slot, &d.reason);
    auto ev = evidence_.find(*slot);
    bool ran = ev != evidence_.end();
    if (!ran && (d.final_at == kNever || d.final_at > now - rules.grace_seconds)) break;
    if (ran) {
      d.outcome = SlotOutcome::kRan;
      d.job_created = ev->second.creation;
    } else if (*slot <= fully_counted_after_) {
      d.outcome = SlotOutcome::kUnobserved;
    } else if (const Interval* i = SuspendedDuring(*slot, d.final_at)) {
      d.outcome = SlotOutcome::kSuspended;
      d.suspension = *i;
    } else if (const RunSpan* b = rules.policy == batch::ConcurrencyPolicy::kForbid
                                      ? ForbidBlocker(d.final_at, rules.grace_seconds)
                                      : nullptr) {
      d.outcome = SlotOutcome::kForbidSkipped;
      d.blocked_by = *b;
    } else {
      d.outcome = SlotOutcome::kMissed;
    }
    if (on_decision) on_decision(d);
    accounted_until_ = *slot;
  }
  evidence_.erase(evidence_.begin(), evidence_.upper_bound(accounted_until_));
  UnixSeconds keep = accounted_until_ - rules.grace_seconds - 3600;
  spans_.erase(
      std::remove_if(spans_.begin(), spans_.end(), [&](const RunSpan& s) { return s.end < keep; }),
      spans_.end());
  suspended_.erase(std::remove_if(suspended_.begin(), suspended_.end(),
                                  [&](const Interval& i) { return i.end < keep; }),
                   suspended_.end());
}

std::optional<UnixSeconds> SlotAccountant::Pending(const SlotRules& rules, UnixSeconds now) const {
  if (!accounting_ || rules.schedule == nullptr) return std::nullopt;
  auto slot = NextSlot(rules, accounted_until_);
  if (!slot || *slot > now) return std::nullopt;
  return slot;
}

SlotTimes SlotAccountant::Times(const SlotRules& rules, UnixSeconds now) {
  SlotTimes t;
  if (rules.schedule == nullptr) return t;
  Memo& m = memo_;
  if (m.now != now) {
    m.now = now;
    m.next = NextSlot(rules, now);
    m.after = m.next && !rules.suspend ? NextSlot(rules, *m.next) : std::nullopt;
    m.due = rules.suspend ? std::nullopt
                          : cron::MostRecentUnmetSlot(*rules.schedule, rules.zone, rules.creation,
                                                      rules.last_schedule,
                                                      rules.starting_deadline_seconds, now)
                                .due;
  }
  if (m.next) {
    t.wake = *m.next;
    if (!rules.suspend) {
      t.next = m.next;
      if (m.after) t.interval = *m.after - *m.next;
    }
  }
  if (!rules.suspend && m.due && *m.due <= now && evidence_.count(*m.due) == 0 &&
      (!accounting_ || *m.due > accounted_until_)) {
    t.lag = now - *m.due;
  }
  if (accounting_) {
    if (m.accounted_until != accounted_until_) {
      m.accounted_until = accounted_until_;
      m.pending = NextSlot(rules, accounted_until_);
      MissReason reason;
      m.final_at = m.pending ? FinalAt(rules, *m.pending, &reason) : kNever;
    }
    if (m.pending && *m.pending <= now) {
      if (evidence_.count(*m.pending) > 0) {
        t.wake = now;
      } else if (m.final_at != kNever) {
        t.wake = std::min(t.wake, m.final_at + rules.grace_seconds);
      }
    }
  }
  return t;
}

}  // namespace batchwatch::tracker
