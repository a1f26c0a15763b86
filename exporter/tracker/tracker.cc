// Run accounting (each Job counted once by UID), slot accounting (each slot of a CronJob
// resolved once as ran, missed, Forbid-skipped or suspended) and the state gauges.
#include "tracker/tracker.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "log/log.h"
#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

uint64_t PairKey(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// The group a standalone Job is counted under: its group label, else generateName without the
// trailing '-', else its name.
std::string_view JobGroup(const batch::Job& job) {
  if (!job.group_label.empty()) return job.group_label;
  std::string_view g = job.generate_name;
  while (!g.empty() && g.back() == '-') g.remove_suffix(1);
  if (!g.empty()) return g;
  return job.name;
}

constexpr size_t kMaxFailureTimes = 1024;
constexpr size_t kMaxSpans = 512;
// Slots resolved per CronJob and Tick at most; the rest wait for the next Tick.
constexpr int kMaxSlotsPerTick = 200000;
constexpr int64_t kMaxResumedDowntimeSeconds = 400 * 86400;

}  // namespace

uint32_t StringPool::Intern(std::string_view s) {
  auto it = index_.find(s);
  if (it != index_.end()) return it->second;
  strings_.emplace_back(s);
  auto id = static_cast<uint32_t>(strings_.size() - 1);
  index_.emplace(strings_.back(), id);
  return id;
}

std::optional<uint32_t> StringPool::Find(std::string_view s) const {
  auto it = index_.find(s);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

const char* TriggerLabel(Trigger t) { return t == Trigger::kManual ? "manual" : "scheduled"; }

const char* ResultLabel(Result r) {
  switch (r) {
    case Result::kSucceeded:
      return "succeeded";
    case Result::kFailed:
      return "failed";
    case Result::kDeleted:
      return "deleted";
  }
  return "";
}

void RunCounts::Add(const RunKey& key, uint64_t n) {
  for (auto& [k, v] : runs) {
    if (k == key) {
      v += n;
      return;
    }
  }
  runs.emplace_back(key, n);
}

Tracker::Impl::Impl(TrackerOptions o) : options(std::move(o)) {
  if (!options.clock) {
    options.clock = [] {
      return static_cast<UnixSeconds>(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    };
  }
  watch_start = counting_since = last_purge = Now();
  reasons.Intern("");
}

uint32_t Tracker::Impl::CronJobIndex(uint32_t ns, uint32_t name) {
  uint64_t key = PairKey(ns, name);
  auto it = cronjob_index.find(key);
  if (it != cronjob_index.end()) return it->second;
  uint32_t idx;
  if (!free_cronjobs.empty()) {
    idx = free_cronjobs.back();
    free_cronjobs.pop_back();
  } else {
    idx = static_cast<uint32_t>(cronjobs.size());
    cronjobs.emplace_back();
  }
  CronJobRecord& r = cronjobs[idx];
  r = CronJobRecord{};
  r.live = true;
  r.ns = ns;
  r.name = name;
  cronjob_index.emplace(key, idx);
  RenderCronJob(r);
  return idx;
}

uint32_t Tracker::Impl::GroupIndex(uint32_t ns, std::string_view group) {
  uint32_t gid = strings.Intern(group);
  auto it = group_index.find(PairKey(ns, gid));
  if (it != group_index.end()) return it->second;
  if (groups.size() >= options.max_job_groups) {
    gid = strings.Intern("_other");
    it = group_index.find(PairKey(ns, gid));
    if (it != group_index.end()) return it->second;
  }
  auto idx = static_cast<uint32_t>(groups.size());
  groups.emplace_back();
  groups.back().ns = ns;
  groups.back().group = gid;
  group_index.emplace(PairKey(ns, gid), idx);
  RenderGroup(groups.back());
  return idx;
}

uint32_t Tracker::Impl::ReasonId(std::string_view reason) {
  if (auto id = reasons.Find(reason)) return *id;
  if (reasons.size() >= options.max_reasons) return reasons.Intern("_other");
  return reasons.Intern(reason);
}

// ---------------------------------------------------------------------------------------------
// Jobs

void Tracker::Impl::UpsertSpan(CronJobRecord& r, const JobRecord& jr, const batch::Job& job,
                               UnixSeconds now) {
  size_t h = std::hash<std::string>{}(job.uid);
  RunSpan* span = nullptr;
  for (auto& s : r.spans) {
    if (s.uid_hash == h) span = &s;
  }
  if (span == nullptr) {
    if (r.spans.size() >= kMaxSpans) {
      auto oldest = std::min_element(r.spans.begin(), r.spans.end(),
                                     [](auto& a, auto& b) { return a.end < b.end; });
      r.spans.erase(oldest);
    }
    r.spans.push_back(RunSpan{h, jr.creation, kNever, jr.slot});
    span = &r.spans.back();
  }
  if (job.finished() && span->end == kNever) span->end = job.end_time.value_or(now);
}

void Tracker::Impl::AddEvidence(CronJobRecord& r, UnixSeconds slot, UnixSeconds creation) {
  if (r.accounting && slot <= r.accounted_until) {
    if (creation != kNever) {
      BW_LOG_DEBUG("job for an already resolved slot", {{"namespace", strings.Get(r.ns)},
                                                        {"cronjob", strings.Get(r.name)},
                                                        {"slot", std::to_string(slot)}});
    }
    return;
  }
  Evidence& e = r.evidence[slot];
  if (creation != kNever && e.creation == kNever) e.creation = creation;
  if (r.accounting && !e.delay_recorded && e.creation != kNever) {
    r.start_delay.Observe(static_cast<double>(std::max<UnixSeconds>(0, e.creation - slot)),
                          kStartDelayBuckets);
    e.delay_recorded = true;
  }
}

void Tracker::Impl::CountRun(JobRecord& jr, const batch::Job& job, Result result, bool counters) {
  jr.counted = true;
  RunKey key{jr.manual ? Trigger::kManual : Trigger::kScheduled, result,
             result == Result::kDeleted ? 0u : ReasonId(job.terminal_reason)};
  RunCounts* rc;
  if (jr.has_cronjob) {
    rc = &cronjobs[jr.owner].runs;
  } else {
    key.trigger = Trigger::kScheduled;  // job_runs_total has no trigger label
    rc = &groups[jr.owner].runs;
  }
  if (counters) {
    rc->Add(key);
    if (result != Result::kDeleted && job.start_time && job.end_time) {
      auto i = static_cast<size_t>(result);
      rc->duration[i].Observe(
          static_cast<double>(std::max<UnixSeconds>(0, *job.end_time - *job.start_time)),
          kDurationBuckets);
      rc->duration_seen[i] = true;
    }
  }
  if (!jr.has_cronjob || result == Result::kDeleted) return;
  CronJobRecord& r = cronjobs[jr.owner];
  UnixSeconds end = job.end_time.value_or(jr.creation);
  if (result == Result::kSucceeded) {
    r.last_success_observed = std::max(r.last_success_observed.value_or(kDawn), end);
    if (jr.creation >= r.last_success_creation) {
      r.last_success_creation = jr.creation;
      auto& f = r.failures_since_success;
      f.erase(std::remove_if(f.begin(), f.end(), [&](UnixSeconds c) { return c <= jr.creation; }),
              f.end());
      r.failures_overflow = 0;
    }
  } else {
    r.last_failure_observed = std::max(r.last_failure_observed.value_or(kDawn), end);
    if (jr.creation > r.last_success_creation) {
      if (r.failures_since_success.size() < kMaxFailureTimes) {
        r.failures_since_success.push_back(jr.creation);
      } else {
        ++r.failures_overflow;
      }
    }
  }
}

void Tracker::Impl::UpsertJob(const batch::Job& job, UnixSeconds now) {
  uint32_t ji;
  bool is_new = false;
  if (auto it = job_index.find(job.uid); it != job_index.end()) {
    ji = it->second;
  } else {
    is_new = true;
    if (!free_jobs.empty()) {
      ji = free_jobs.back();
      free_jobs.pop_back();
    } else {
      ji = static_cast<uint32_t>(jobs.size());
      jobs.emplace_back();
    }
    job_index.emplace(job.uid, ji);
    JobRecord& jr = jobs[ji];
    jr = JobRecord{};
    jr.live = true;
    jr.name = job.name;
    jr.ns = strings.Intern(job.namespace_);
    jr.creation = job.creation_time;
    jr.manual = job.manual;
    if (job.owned_by_cronjob()) {
      jr.has_cronjob = true;
      jr.owner = CronJobIndex(jr.ns, strings.Intern(job.owner_cronjob_name));
      ++cronjobs[jr.owner].job_refs;
      if (!jr.manual) {
        if (job.scheduled_timestamp) {
          jr.slot = *job.scheduled_timestamp;
        } else if (auto s = cron::SlotFromJobName(job.owner_cronjob_name, job.name)) {
          jr.slot = *s;
        }
      }
    } else {
      jr.owner = GroupIndex(jr.ns, JobGroup(job));
    }
    if (auto g = counted_gone.find(job.uid); g != counted_gone.end()) {
      jr.counted = true;
      counted_gone.erase(g);
    }
  }
  JobRecord& jr = jobs[ji];
  jr.finished = job.finished();

  if (jr.has_cronjob) {
    CronJobRecord& r = cronjobs[jr.owner];
    if (r.slot_uid.empty() && !r.exists) r.slot_uid = job.owner_cronjob_uid;
    bool tracked = job.owner_cronjob_uid == r.slot_uid;
    if (tracked && !jr.manual) {
      UpsertSpan(r, jr, job, now);
      if (jr.slot != kDawn) AddEvidence(r, jr.slot, jr.creation);
      if (is_new) {
        // Replace deletes the active runs first and creates the new one right after.
        auto& pending = r.pending_replace;
        for (auto p = pending.begin(); p != pending.end();) {
          bool newer = jr.creation >= p->creation &&
                       (jr.slot == kDawn || p->slot == kDawn || jr.slot > p->slot);
          if (newer && p->expires >= now) {
            ++r.replaced;
            p = pending.erase(p);
          } else {
            ++p;
          }
        }
      }
    }
    if (!jr.finished && !jr.active_counted) {
      ++r.active_jobs;
      jr.active_counted = true;
    } else if (jr.finished && jr.active_counted) {
      --r.active_jobs;
      jr.active_counted = false;
    }
  }

  if (jr.finished && !jr.counted) {
    // Before the initial list is complete a finished Job is state, not a new run, unless the
    // state file shows it ended after counting began and was not counted yet.
    bool counters =
        jobs_synced || (state_loaded && job.end_time.value_or(job.creation_time) >= counting_since);
    CountRun(jr, job,
             job.outcome == batch::JobOutcome::kSucceeded ? Result::kSucceeded : Result::kFailed,
             counters);
  }
  RenderJob(jobs[ji], job);
  if (jobs[ji].has_cronjob) {
    Refresh(jobs[ji].owner, now);
  } else {
    RenderGroup(groups[jobs[ji].owner]);
  }
}

void Tracker::Impl::DeleteJob(const std::string& uid, const std::string& owner_cronjob_uid,
                              const batch::Job* last, UnixSeconds now) {
  // The final state of a DELETED event may carry the terminal condition (TTL 0); a Job that
  // vanished in a relist ends in the state of its last upsert.
  if (last) UpsertJob(*last, now);
  auto found = job_index.find(uid);
  if (found == job_index.end()) return;
  uint32_t ji = found->second;
  JobRecord& jr = jobs[ji];
  if (!jr.counted) {
    CountRun(jr, last ? *last : batch::Job{}, Result::kDeleted, true);
    if (jr.has_cronjob && !jr.manual) {
      CronJobRecord& r = cronjobs[jr.owner];
      if (r.exists && owner_cronjob_uid == r.slot_uid &&
          r.policy == batch::ConcurrencyPolicy::kReplace) {
        size_t h = std::hash<std::string>{}(uid);
        bool newer = std::any_of(r.spans.begin(), r.spans.end(), [&](const RunSpan& s) {
          return s.uid_hash != h && s.creation >= jr.creation &&
                 (s.slot == kDawn || jr.slot == kDawn || s.slot > jr.slot);
        });
        if (newer) {
          ++r.replaced;
        } else {
          r.pending_replace.push_back({jr.creation, jr.slot, now + options.replace_window_seconds});
        }
      }
    }
  }
  if (jr.has_cronjob) {
    CronJobRecord& r = cronjobs[jr.owner];
    size_t h = std::hash<std::string>{}(uid);
    for (auto& s : r.spans) {
      if (s.uid_hash == h && s.end == kNever) s.end = now;
    }
    if (jr.active_counted) --r.active_jobs;
    if (--r.job_refs == 0 && !r.exists && r.deleted_at == 0) r.deleted_at = now;
  }
  counted_gone[uid] = now;
  bool has_cronjob = jr.has_cronjob;
  uint32_t owner = jr.owner;
  job_index.erase(uid);
  jr = JobRecord{};
  free_jobs.push_back(ji);
  if (has_cronjob) {
    Refresh(owner, now);
  } else {
    RenderGroup(groups[owner]);
  }
}

// ---------------------------------------------------------------------------------------------
// CronJobs

void Tracker::Impl::StartAccounting(CronJobRecord& r, UnixSeconds /*now*/) {
  std::string key = strings.Get(r.ns) + "/" + strings.Get(r.name);
  auto saved = saved_slots.find(key);
  if (saved != saved_slots.end() && saved->second.uid == r.uid) {
    // No slot precedes the CronJob's creation; slots over 400 days before this start could only
    // add start delays of Jobs that old. A corrupt or ancient file (accounted_until in the year
    // 1 or INT64_MIN, fuzz-found) must not make every tick walk centuries of slots.
    r.accounted_until = std::max(
        {saved->second.accounted_until, r.creation, watch_start - kMaxResumedDowntimeSeconds});
    r.fully_counted_after = std::max(r.accounted_until, watch_start);
  } else if (state_loaded) {
    // Created while batchwatch was down: its slots until now are resolved from evidence only.
    r.accounted_until =
        std::max({r.creation, counting_since, watch_start - kMaxResumedDowntimeSeconds});
    r.fully_counted_after = std::max(r.accounted_until, watch_start);
  } else {
    r.accounted_until = r.fully_counted_after = std::max(r.creation, watch_start);
  }
  if (saved != saved_slots.end()) saved_slots.erase(saved);
  r.accounting = true;
  r.evidence.erase(r.evidence.begin(), r.evidence.upper_bound(r.accounted_until));
  for (auto& [slot, e] : r.evidence) {
    if (!e.delay_recorded && e.creation != kNever) {
      r.start_delay.Observe(static_cast<double>(std::max<UnixSeconds>(0, e.creation - slot)),
                            kStartDelayBuckets);
      e.delay_recorded = true;
    }
  }
}

void Tracker::Impl::UpsertCronJob(const batch::CronJob& cj, UnixSeconds now) {
  uint32_t idx = CronJobIndex(strings.Intern(cj.namespace_), strings.Intern(cj.name));
  CronJobRecord& r = cronjobs[idx];
  r.memo = ScheduleMemo();  // the schedule walks depend on the object
  bool first = !r.exists || r.uid != cj.uid;
  if (first) {
    if (r.slot_uid != cj.uid) {
      // Slot evidence gathered for another UID (a deleted CronJob of the same name) is void.
      r.evidence.clear();
      r.spans.clear();
      r.pending_replace.clear();
    }
    r.suspended.clear();
    r.accounting = false;
    r.slot_uid = cj.uid;
    r.uid = cj.uid;
    r.exists = true;
    r.deleted_at = 0;
    r.last_schedule.reset();
  }
  bool spec_changed = first || r.schedule_spec != cj.schedule || r.time_zone != cj.time_zone;
  if (!first && spec_changed) ResolveSlots(r, now);  // under the old schedule

  if (first) {
    if (cj.suspend) r.suspended.push_back({kDawn, kNever});
  } else if (cj.suspend != r.suspend) {
    if (cj.suspend) {
      r.suspended.push_back({now, kNever});
    } else if (!r.suspended.empty() && r.suspended.back().end == kNever) {
      r.suspended.back().end = now;
    }
  }

  r.schedule_spec = cj.schedule;
  r.time_zone = cj.time_zone;
  r.policy = cj.concurrency_policy;
  r.suspend = cj.suspend;
  r.sds = cj.starting_deadline_seconds;
  r.creation = cj.creation_time;
  r.last_successful_status = cj.last_successful_time;
  if (spec_changed) {
    r.resolved =
        cron::ResolveSchedule(cj.schedule, cj.time_zone, options.controller_time_zone, now);
    if (r.resolved.error != cron::ScheduleError::kNone) {
      BW_LOG_WARN("cronjob schedule cannot run",
                  {{"namespace", cj.namespace_},
                   {"cronjob", cj.name},
                   {"schedule", cj.schedule},
                   {"error", cron::ScheduleErrorLabel(r.resolved.error)},
                   {"detail", r.resolved.message}});
    }
  }
  std::optional<UnixSeconds> old_last_schedule = r.last_schedule;
  r.last_schedule = cj.last_schedule_time;

  if (first) {
    StartAccounting(r, now);
  } else if (spec_changed) {
    // Slots of the old schedule that are still open are dropped (never counted as missed); the
    // new schedule is accounted from the edit on.
    r.accounted_until = std::max(r.accounted_until, now);
    r.fully_counted_after = std::max(r.fully_counted_after, r.accounted_until);
    r.evidence.erase(r.evidence.begin(), r.evidence.upper_bound(r.accounted_until));
  }
  // lastScheduleTime only ever names a slot the controller created a Job for.
  if (cj.last_schedule_time && cj.last_schedule_time != old_last_schedule) {
    AddEvidence(r, *cj.last_schedule_time, kNever);
  }
  Refresh(idx, now);
}

void Tracker::Impl::DeleteCronJob(const batch::CronJob& cj, UnixSeconds now) {
  auto ns = strings.Find(cj.namespace_);
  auto name = strings.Find(cj.name);
  if (!ns || !name) return;
  auto it = cronjob_index.find(PairKey(*ns, *name));
  if (it == cronjob_index.end()) return;
  CronJobRecord& r = cronjobs[it->second];
  if (r.uid != cj.uid) return;  // an older incarnation
  if (cronjobs_synced && jobs_synced) ResolveSlots(r, now);
  r.memo = ScheduleMemo();
  r.exists = false;
  r.deleted_at = now;
  r.accounting = false;
  r.slot_uid.clear();
  r.evidence.clear();
  r.spans.clear();
  r.suspended.clear();
  r.pending_replace.clear();
  r.uid.clear();
  Refresh(it->second, now);
}

// ---------------------------------------------------------------------------------------------
// Slots

bool Tracker::Impl::Schedulable(const CronJobRecord& r) const {
  return r.exists && r.resolved.error == cron::ScheduleError::kNone &&
         r.resolved.schedule.has_value();
}

std::optional<UnixSeconds> Tracker::Impl::NextSlot(const CronJobRecord& r, UnixSeconds t) const {
  const cron::Schedule& s = *r.resolved.schedule;
  if (s.is_every()) {
    // The controller walks `@every` from lastScheduleTime (else creation): slots form a grid
    // anchored there, not on the clock.
    int64_t d = s.every_seconds();
    UnixSeconds anchor = r.last_schedule.value_or(r.creation);
    return anchor + (FloorDiv(t - anchor, d) + 1) * d;
  }
  return s.Next(t, r.resolved.zone);
}

UnixSeconds Tracker::Impl::FinalAt(const CronJobRecord& r, UnixSeconds slot,
                                   MissReason* reason) const {
  auto next = NextSlot(r, slot);
  UnixSeconds f = next ? *next : kNever;
  *reason = kSuperseded;
  if (r.sds) {
    // The controller starts a slot only while now < slot + startingDeadlineSeconds.
    // Saturating: startingDeadlineSeconds has no upper bound in the API (fuzz-found overflow).
    UnixSeconds d;
    if (__builtin_add_overflow(slot, std::max<int64_t>(0, *r.sds), &d)) d = kNever;
    if (d <= f) {
      f = d;
      *reason = kDeadlineExceeded;
    }
  }
  return f;
}

bool Tracker::Impl::SuspendedDuring(const CronJobRecord& r, UnixSeconds from,
                                    UnixSeconds to) const {
  return std::any_of(r.suspended.begin(), r.suspended.end(),
                     [&](const Interval& i) { return i.begin <= to && i.end > from; });
}

bool Tracker::Impl::ForbidBlocked(const CronJobRecord& r, UnixSeconds final_at) const {
  // The controller starts a held-back slot as soon as the active run ends; the slot is skipped
  // only when a scheduled run was still active when the slot became final (minus the grace,
  // since the controller needs a moment to notice the end).
  UnixSeconds horizon = final_at - options.miss_grace_seconds;
  return std::any_of(r.spans.begin(), r.spans.end(),
                     [&](const RunSpan& s) { return s.creation < final_at && s.end > horizon; });
}

void Tracker::Impl::ResolveSlots(CronJobRecord& r, UnixSeconds now) {
  if (!jobs_synced || !cronjobs_synced || !r.accounting || !Schedulable(r)) return;
  for (int n = 0; n < kMaxSlotsPerTick; ++n) {
    auto slot = NextSlot(r, r.accounted_until);
    if (!slot || *slot > now) break;
    MissReason reason;
    UnixSeconds final_at = FinalAt(r, *slot, &reason);
    bool ran = r.evidence.count(*slot) > 0;
    if (!ran && (final_at == kNever || final_at > now - options.miss_grace_seconds)) break;
    if (!ran && *slot > r.fully_counted_after) {
      if (SuspendedDuring(r, *slot, final_at)) {
        // Suspended at that slot: not a miss.
      } else if (r.policy == batch::ConcurrencyPolicy::kForbid && ForbidBlocked(r, final_at)) {
        ++r.forbid_skipped;
      } else {
        ++r.missed[reason];
        BW_LOG_DEBUG("missed schedule", {{"namespace", strings.Get(r.ns)},
                                         {"cronjob", strings.Get(r.name)},
                                         {"slot", std::to_string(*slot)}});
      }
    }
    r.accounted_until = *slot;
  }
  r.evidence.erase(r.evidence.begin(), r.evidence.upper_bound(r.accounted_until));
  UnixSeconds keep = r.accounted_until - options.miss_grace_seconds - 3600;
  r.spans.erase(std::remove_if(r.spans.begin(), r.spans.end(),
                               [&](const RunSpan& s) { return s.end < keep; }),
                r.spans.end());
  r.suspended.erase(std::remove_if(r.suspended.begin(), r.suspended.end(),
                                   [&](const Interval& i) { return i.end < keep; }),
                    r.suspended.end());
}

void Tracker::Impl::Refresh(uint32_t index, UnixSeconds now) {
  CronJobRecord& r = cronjobs[index];
  r.pending_replace.erase(std::remove_if(r.pending_replace.begin(), r.pending_replace.end(),
                                         [&](const PendingReplace& p) { return p.expires < now; }),
                          r.pending_replace.end());
  r.next_schedule.reset();
  r.interval.reset();
  r.lag = 0;
  UnixSeconds wake = kNever;
  if (Schedulable(r)) {
    ScheduleMemo& m = r.memo;
    if (m.now != now) {
      m.now = now;
      m.next = NextSlot(r, now);
      m.after = m.next && !r.suspend ? NextSlot(r, *m.next) : std::nullopt;
      m.due = r.suspend ? std::nullopt
                        : cron::MostRecentUnmetSlot(*r.resolved.schedule, r.resolved.zone,
                                                    r.creation, r.last_schedule, r.sds, now)
                              .due;
    }
    if (m.next) {
      wake = *m.next;
      if (!r.suspend) {
        r.next_schedule = m.next;
        if (m.after) r.interval = *m.after - *m.next;
      }
    }
    if (!r.suspend && m.due && *m.due <= now && r.evidence.count(*m.due) == 0 &&
        (!r.accounting || *m.due > r.accounted_until)) {
      r.lag = now - *m.due;
    }
    if (r.accounting) {
      if (m.accounted_until != r.accounted_until) {
        m.accounted_until = r.accounted_until;
        m.pending = NextSlot(r, r.accounted_until);
        MissReason reason;
        m.final_at = m.pending ? FinalAt(r, *m.pending, &reason) : kNever;
      }
      if (m.pending && *m.pending <= now) {
        if (r.evidence.count(*m.pending) > 0) {
          wake = now;
        } else if (m.final_at != kNever) {
          wake = std::min(wake, m.final_at + options.miss_grace_seconds);
        }
      }
    }
  }
  if (r.lag > 0 && !r.lagging) {
    r.lagging = true;
    lagging.push_back(index);
  }
  RenderCronJob(r);
  if (wake != kNever) wake = std::max(wake, now + 1);
  if (wake != r.wake_at) {
    r.wake_at = wake;
    if (wake != kNever) wakes.emplace(wake, index);
  }
}

void Tracker::Impl::Purge(UnixSeconds now) {
  last_purge = now;
  for (auto it = counted_gone.begin(); it != counted_gone.end();) {
    // Compared as `t < now - retention`: a state file may hold any int64 (fuzz-found overflow).
    if (it->second != 0 && it->second < now - options.counted_uid_retention_seconds) {
      it = counted_gone.erase(it);
    } else {
      ++it;
    }
  }
  for (uint32_t i = 0; i < cronjobs.size(); ++i) {
    CronJobRecord& r = cronjobs[i];
    if (!r.live || r.exists || r.job_refs > 0 || r.deleted_at == 0) continue;
    if (r.deleted_at >= now - options.deleted_cronjob_retention_seconds) continue;
    cronjob_index.erase(PairKey(r.ns, r.name));
    r = CronJobRecord{};
    free_cronjobs.push_back(i);
  }
  if (wakes.size() > 4 * cronjobs.size() + 1024) {
    decltype(wakes) fresh;
    for (uint32_t i = 0; i < cronjobs.size(); ++i) {
      if (cronjobs[i].live && cronjobs[i].wake_at != kNever) fresh.emplace(cronjobs[i].wake_at, i);
    }
    wakes.swap(fresh);
  }
}

// ---------------------------------------------------------------------------------------------
// Public surface

Tracker::Tracker(TrackerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Tracker::~Tracker() = default;

void Tracker::OnJobUpsert(const batch::Job& now) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->UpsertJob(now, impl_->Now());
}

void Tracker::OnJobDelete(const batch::Job& last) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->DeleteJob(last.uid, last.owner_cronjob_uid, &last, impl_->Now());
}

void Tracker::OnJobVanished(const batch::VanishedObject& gone) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->DeleteJob(gone.uid, gone.owner_cronjob_uid, nullptr, impl_->Now());
}

void Tracker::OnCronJobUpsert(const batch::CronJob& now) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->UpsertCronJob(now, impl_->Now());
}

void Tracker::OnCronJobDelete(const batch::CronJob& last) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->DeleteCronJob(last, impl_->Now());
}

void Tracker::OnCronJobVanished(const batch::VanishedObject& gone) {
  batch::CronJob identity;  // DeleteCronJob reads the identity only
  identity.uid = gone.uid;
  identity.namespace_ = gone.namespace_;
  identity.name = gone.name;
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->DeleteCronJob(identity, impl_->Now());
}

void Tracker::OnSynced(batch::Resource r) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& m = *impl_;
  UnixSeconds now = m.Now();
  if (r == batch::Resource::kJobs && !m.jobs_synced) {
    m.jobs_synced = true;
    // Counted Jobs from the state file that the list did not show are gone now.
    for (auto& [uid, deleted_at] : m.counted_gone) {
      if (deleted_at == 0) deleted_at = now;
    }
  }
  if (r == batch::Resource::kCronJobs) m.cronjobs_synced = true;
  if (m.jobs_synced && m.cronjobs_synced) {
    for (uint32_t i = 0; i < m.cronjobs.size(); ++i) {
      if (!m.cronjobs[i].live || !m.cronjobs[i].exists) continue;
      m.cronjobs[i].wake_at = now;
      m.wakes.emplace(now, i);
    }
  }
}

void Tracker::Tick(UnixSeconds now) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& m = *impl_;
  while (!m.wakes.empty() && m.wakes.top().first <= now) {
    auto [t, i] = m.wakes.top();
    m.wakes.pop();
    CronJobRecord& r = m.cronjobs[i];
    if (!r.live || r.wake_at != t) continue;
    m.ResolveSlots(r, now);
    r.wake_at = kNever;  // Refresh pushes the next wake-up
    m.Refresh(i, now);
  }
  std::vector<uint32_t> lagging;
  lagging.swap(m.lagging);
  for (uint32_t i : lagging) {
    CronJobRecord& r = m.cronjobs[i];
    r.lagging = false;
    if (r.live) m.Refresh(i, now);
  }
  if (now - m.last_purge >= 60) m.Purge(now);
}

void Tracker::AppendMetrics(std::string* out) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->Append(out);
}

size_t Tracker::TrackedJobs() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->job_index.size();
}

size_t Tracker::TrackedCronJobs() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  size_t n = 0;
  for (const auto& r : impl_->cronjobs) n += r.live && r.exists;
  return n;
}

}  // namespace batchwatch::tracker
