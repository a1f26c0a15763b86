// Run accounting (each Job counted once by UID), slot accounting (each slot of a CronJob
// resolved once as ran, missed, Forbid-skipped or suspended) and the state gauges.
#include "tracker/tracker.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "batch/wall_clock.h"
#include "log/log.h"
#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

uint64_t PairKey(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

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

TrackerImpl::TrackerImpl(TrackerOptions o) : options(std::move(o)) {
  if (!options.clock) options.clock = batch::WallClockSeconds;
  watch_start = counting_since = last_purge = Now();
  decisions = std::make_unique<DecisionLog>(DecisionLogOptions{},
                                            [this] { return static_cast<double>(Now()); });
  reasons.Intern("");
}

uint32_t TrackerImpl::CronJobIndex(uint32_t ns, uint32_t name) {
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

uint32_t TrackerImpl::GroupIndex(uint32_t ns, std::string_view group) {
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

uint32_t TrackerImpl::ReasonId(std::string_view reason) {
  if (auto id = reasons.Find(reason)) return *id;
  // Pod and event reasons share the pool but not this bound (why.cc bounds them).
  if (run_reasons >= options.max_reasons) return reasons.Intern("_other");
  ++run_reasons;
  return reasons.Intern(reason);
}

// ---------------------------------------------------------------------------------------------
// Jobs

void TrackerImpl::AddEvidence(CronJobRecord& r, UnixSeconds slot, UnixSeconds creation) {
  EvidenceEffect effect = r.slots.AddEvidence(slot, creation);
  if (effect.already_decided && creation != kNever) {
    BW_LOG_DEBUG("job for an already resolved slot", {{"namespace", strings.Get(r.ns)},
                                                      {"cronjob", strings.Get(r.name)},
                                                      {"slot", std::to_string(slot)}});
  }
  if (effect.start_delay) {
    r.history.start_delay.Observe(static_cast<double>(*effect.start_delay), kStartDelayBuckets);
  }
}

void TrackerImpl::CountRun(JobRecord& jr, const batch::Job& job, Result result, bool counters) {
  jr.counted = true;
  RunKey key{jr.manual ? Trigger::kManual : Trigger::kScheduled, result,
             result == Result::kDeleted ? 0u : ReasonId(job.terminal_reason)};
  WhyRunEnded(jr, result, key.reason);
  RunCounts* rc;
  if (jr.has_cronjob) {
    rc = &cronjobs[jr.owner].history.runs;
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
  RecordRun(jr, job, key, counters);
  if (!jr.has_cronjob || result == Result::kDeleted) return;
  CronJobRecord& r = cronjobs[jr.owner];
  if (counters) {
    decisions->Record({result == Result::kSucceeded ? Decision::kSucceeded : Decision::kFailed,
                       strings.Get(r.ns), strings.Get(r.name),
                       jr.slot == kDawn ? std::nullopt : std::optional<int64_t>(jr.slot), jr.name,
                       job.terminal_reason});
  }
  UnixSeconds end = job.end_time.value_or(jr.creation);
  if (result == Result::kSucceeded) {
    r.gauges.last_success_observed = std::max(r.gauges.last_success_observed.value_or(kDawn), end);
    if (jr.creation >= r.gauges.last_success_creation) {
      r.gauges.last_success_creation = jr.creation;
      auto& f = r.gauges.failures_since_success;
      f.erase(std::remove_if(f.begin(), f.end(), [&](UnixSeconds c) { return c <= jr.creation; }),
              f.end());
      r.gauges.failures_overflow = 0;
    }
  } else {
    r.gauges.last_failure_observed = std::max(r.gauges.last_failure_observed.value_or(kDawn), end);
    auto& f = r.gauges.failures_since_success;
    // A failed Job seen again (relist, restart with the state file) is not a new failure.
    if (jr.creation > r.gauges.last_success_creation &&
        std::find(f.begin(), f.end(), jr.creation) == f.end()) {
      if (f.size() < kMaxFailureTimes) {
        f.push_back(jr.creation);
      } else if (counters) {
        ++r.gauges.failures_overflow;
      }
    }
  }
}

void TrackerImpl::RecordRun(const JobRecord& jr, const batch::Job& job, const RunKey& key,
                            bool counted) {
  RunEntry e;
  e.job_and_uid = jr.name;
  e.job_and_uid += '\n';
  e.job_and_uid += job.uid;
  e.slot = jr.slot;
  e.created = jr.creation;
  e.started = job.start_time.value_or(kNever);
  e.ended = job.end_time.value_or(kNever);
  e.counted_at = Now();
  e.reason = key.reason;
  e.trigger = static_cast<uint8_t>(jr.manual ? Trigger::kManual : Trigger::kScheduled);
  e.result = static_cast<uint8_t>(key.result);
  e.counted = counted;
  // What its pods told by the time the run ended (a pod state arriving later is not added).
  e.pod_reason = jr.why.last_pod_reason;
  e.exit_code = jr.why.last_exit_code;
  Ledger& ledger = jr.has_cronjob ? cronjobs[jr.owner].ledger : groups[jr.owner].ledger;
  ledger.AddRun(std::move(e), options.ledger);
}

void TrackerImpl::UpsertJob(const batch::Job& job, UnixSeconds now) {
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
      jr.owner = GroupIndex(jr.ns, batch::JobGroup(job));
    }
    if (auto g = counted_gone.find(job.uid); g != counted_gone.end()) {
      jr.counted = true;
      counted_gone.erase(g);
    }
    WhyJobAppeared(job.uid, ji);
  }
  JobRecord& jr = jobs[ji];
  jr.finished = job.finished();

  if (jr.has_cronjob) {
    CronJobRecord& r = cronjobs[jr.owner];
    if (r.slot_uid.empty() && !r.exists) r.slot_uid = job.owner_cronjob_uid;
    bool tracked = job.owner_cronjob_uid == r.slot_uid;
    if (tracked && !jr.manual) {
      std::optional<UnixSeconds> end;
      if (job.finished()) end = job.end_time.value_or(now);
      r.slots.UpsertSpan(std::hash<std::string>{}(job.uid), jr.creation, jr.slot, end);
      if (jr.slot != kDawn) AddEvidence(r, jr.slot, jr.creation);
      if (is_new) {
        if (uint32_t n = r.slots.RunAppeared(jr.creation, jr.slot, now); n > 0) {
          r.history.replaced += n;
          r.ledger.MarkReplaced(jr.creation, n);
          decisions->Record({Decision::kReplaced, strings.Get(r.ns), strings.Get(r.name),
                             std::nullopt, "", "an earlier run was deleted by Replace"});
        }
      }
    }
    if (!jr.finished && !jr.active_counted) {
      ++r.gauges.active_jobs;
      jr.active_counted = true;
    } else if (jr.finished && jr.active_counted) {
      --r.gauges.active_jobs;
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
  RenderWaiting(jobs[ji]);
  if (jobs[ji].has_cronjob) {
    Refresh(jobs[ji].owner, now);
  } else {
    RenderGroup(groups[jobs[ji].owner]);
  }
}

void TrackerImpl::DeleteJob(const std::string& uid, const std::string& owner_cronjob_uid,
                            const batch::Job* last, UnixSeconds now) {
  // The final state of a DELETED event may carry the terminal condition (TTL 0); a Job that
  // vanished in a relist ends in the state of its last upsert.
  if (last) UpsertJob(*last, now);
  auto found = job_index.find(uid);
  if (found == job_index.end()) return;
  uint32_t ji = found->second;
  JobRecord& jr = jobs[ji];
  if (!jr.counted) {
    batch::Job gone;  // a Job that vanished in a relist: its identity only
    gone.uid = uid;
    CountRun(jr, last ? *last : gone, Result::kDeleted, true);
    if (jr.has_cronjob && !jr.manual) {
      CronJobRecord& r = cronjobs[jr.owner];
      if (r.exists && owner_cronjob_uid == r.slot_uid &&
          r.spec.policy == batch::ConcurrencyPolicy::kReplace &&
          r.slots.RunDeleted(std::hash<std::string>{}(uid), jr.creation, jr.slot,
                             now + options.replace_window_seconds)) {
        ++r.history.replaced;
        if (!r.ledger.runs().empty()) r.ledger.mutable_runs().back().replaced = true;
        decisions->Record({Decision::kReplaced, strings.Get(r.ns), strings.Get(r.name),
                           jr.slot == kDawn ? std::nullopt : std::optional<int64_t>(jr.slot),
                           jr.name, ""});
      }
    }
  }
  if (jr.has_cronjob) {
    CronJobRecord& r = cronjobs[jr.owner];
    r.slots.EndSpan(std::hash<std::string>{}(uid), now);
    if (jr.active_counted) --r.gauges.active_jobs;
    if (--r.job_refs == 0 && !r.exists && r.deleted_at == 0) r.deleted_at = now;
  }
  counted_gone[uid] = now;
  WhyJobGone(uid, jr, now);
  bool has_cronjob = jr.has_cronjob;
  uint32_t owner = jr.owner;
  job_index.erase(uid);
  jr = JobRecord{};
  job_text.Clear(ji);
  free_jobs.push_back(ji);
  if (has_cronjob) {
    Refresh(owner, now);
  } else {
    RenderGroup(groups[owner]);
  }
}

// ---------------------------------------------------------------------------------------------
// CronJobs

void TrackerImpl::StartAccounting(CronJobRecord& r) {
  std::string key = strings.Get(r.ns) + "/" + strings.Get(r.name);
  auto saved = saved_slots.find(key);
  UnixSeconds accounted_until, fully_counted_after;
  if (saved != saved_slots.end() && saved->second.uid == r.spec.uid) {
    // No slot precedes the CronJob's creation; slots over 400 days before this start could only
    // add start delays of Jobs that old. A corrupt or ancient file (accounted_until in the year
    // 1 or INT64_MIN, fuzz-found) must not make every tick walk centuries of slots.
    accounted_until = std::max(
        {saved->second.accounted_until, r.spec.creation, watch_start - kMaxResumedDowntimeSeconds});
    fully_counted_after = std::max(accounted_until, watch_start);
  } else if (state_loaded) {
    // Created while batchwatch was down: its slots until now are resolved from evidence only.
    accounted_until =
        std::max({r.spec.creation, counting_since, watch_start - kMaxResumedDowntimeSeconds});
    fully_counted_after = std::max(accounted_until, watch_start);
  } else {
    accounted_until = fully_counted_after = std::max(r.spec.creation, watch_start);
  }
  if (saved != saved_slots.end()) saved_slots.erase(saved);
  r.slots.Start(accounted_until, fully_counted_after, [&](int64_t delay) {
    r.history.start_delay.Observe(static_cast<double>(delay), kStartDelayBuckets);
  });
}

void TrackerImpl::UpsertCronJob(const batch::CronJob& cj, UnixSeconds now) {
  uint32_t idx = CronJobIndex(strings.Intern(cj.namespace_), strings.Intern(cj.name));
  CronJobRecord& r = cronjobs[idx];
  r.slots.ForgetWalks();  // the schedule walks depend on the object
  bool first = !r.exists || r.spec.uid != cj.uid;
  if (first) {
    // Slot evidence gathered for another UID (a deleted CronJob of the same name) is void.
    r.slots.Restart(/*keep_runs=*/r.slot_uid == cj.uid);
    r.slot_uid = cj.uid;
    r.spec.uid = cj.uid;
    r.exists = true;
    r.deleted_at = 0;
    r.spec.last_schedule.reset();
    WhyCronJobAppeared(cj.uid, idx);
  }
  bool spec_changed =
      first || r.spec.schedule_spec != cj.schedule || r.spec.time_zone != cj.time_zone;
  if (!first && spec_changed) ResolveSlots(r, now);  // under the old schedule

  if (first) {
    if (cj.suspend) r.slots.Suspend(kDawn);
  } else if (cj.suspend != r.spec.suspend) {
    if (cj.suspend) {
      r.slots.Suspend(now);
    } else {
      r.slots.Resume(now);
    }
  }

  r.spec.schedule_spec = cj.schedule;
  r.spec.time_zone = cj.time_zone;
  r.spec.policy = cj.concurrency_policy;
  r.spec.suspend = cj.suspend;
  r.spec.sds = cj.starting_deadline_seconds;
  r.spec.creation = cj.creation_time;
  r.spec.last_successful_status = cj.last_successful_time;
  if (spec_changed) {
    r.spec.resolved =
        cron::ResolveSchedule(cj.schedule, cj.time_zone, options.controller_time_zone, now);
    if (r.spec.resolved.error != cron::ScheduleError::kNone) {
      std::string detail = cron::ScheduleErrorLabel(r.spec.resolved.error);
      detail += ": ";
      detail += r.spec.resolved.message;
      decisions->Record(
          {Decision::kScheduleError, cj.namespace_, cj.name, std::nullopt, "", detail});
    }
  }
  std::optional<UnixSeconds> old_last_schedule = r.spec.last_schedule;
  r.spec.last_schedule = cj.last_schedule_time;

  if (first) {
    StartAccounting(r);
  } else if (spec_changed) {
    // Slots of the old schedule that are still open are dropped (never counted as missed); the
    // new schedule is accounted from the edit on.
    r.slots.Reschedule(now);
  }
  // lastScheduleTime only ever names a slot the controller created a Job for.
  if (cj.last_schedule_time && cj.last_schedule_time != old_last_schedule) {
    AddEvidence(r, *cj.last_schedule_time, kNever);
  }
  Refresh(idx, now);
}

void TrackerImpl::DeleteCronJob(const batch::CronJob& cj, UnixSeconds now) {
  auto ns = strings.Find(cj.namespace_);
  auto name = strings.Find(cj.name);
  if (!ns || !name) return;
  auto it = cronjob_index.find(PairKey(*ns, *name));
  if (it == cronjob_index.end()) return;
  CronJobRecord& r = cronjobs[it->second];
  if (r.spec.uid != cj.uid) return;  // an older incarnation
  if (cronjobs_synced && jobs_synced) ResolveSlots(r, now);
  r.exists = false;
  r.deleted_at = now;
  r.slots.Reset();
  r.slot_uid.clear();
  r.spec.uid.clear();
  Refresh(it->second, now);
}

// ---------------------------------------------------------------------------------------------
// Slots

bool TrackerImpl::Schedulable(const CronJobRecord& r) const {
  return r.exists && r.spec.resolved.error == cron::ScheduleError::kNone &&
         r.spec.resolved.schedule.has_value();
}

SlotRules TrackerImpl::Rules(const CronJobRecord& r) const {
  SlotRules rules;
  if (Schedulable(r)) rules.schedule = &*r.spec.resolved.schedule;
  rules.zone = r.spec.resolved.zone;
  rules.policy = r.spec.policy;
  rules.starting_deadline_seconds = r.spec.sds;
  rules.creation = r.spec.creation;
  rules.last_schedule = r.spec.last_schedule;
  rules.suspend = r.spec.suspend;
  rules.grace_seconds = options.miss_grace_seconds;
  return rules;
}

void TrackerImpl::ResolveSlots(CronJobRecord& r, UnixSeconds now) {
  if (!jobs_synced || !cronjobs_synced || !Schedulable(r)) return;
  r.slots.Resolve(
      Rules(r), now,
      [&](const SlotDecision& d) {
        r.ledger.AddSlot(d, now, options.ledger);
        switch (d.outcome) {
          case SlotOutcome::kMissed:
            ++r.history.missed[d.reason];
            decisions->Record({Decision::kMissed, strings.Get(r.ns), strings.Get(r.name), d.slot,
                               "",
                               d.reason == kDeadlineExceeded ? "deadline_exceeded" : "superseded"});
            break;
          case SlotOutcome::kForbidSkipped:
            ++r.history.forbid_skipped;
            decisions->Record({Decision::kForbidSkipped, strings.Get(r.ns), strings.Get(r.name),
                               d.slot, "", "an earlier run was still active"});
            break;
          case SlotOutcome::kRan:  // its start delay was recorded with the evidence
          case SlotOutcome::kSuspended:
          case SlotOutcome::kUnobserved:
            break;
        }
      },
      kMaxSlotsPerTick);
}

void TrackerImpl::Refresh(uint32_t index, UnixSeconds now) {
  CronJobRecord& r = cronjobs[index];
  r.slots.ExpireReplaces(now);
  SlotTimes times = r.slots.Times(Rules(r), now);
  r.gauges.next_schedule = times.next;
  r.gauges.interval = times.interval;
  r.gauges.lag = times.lag;
  if (r.gauges.lag > 0 && !r.lagging) {
    r.lagging = true;
    lagging.push_back(index);
  }
  RenderCronJob(r);
  UnixSeconds wake = times.wake;
  if (wake != kNever) wake = std::max(wake, now + 1);
  if (wake != r.wake_at) {
    r.wake_at = wake;
    if (wake != kNever) wakes.emplace(wake, index);
  }
}

void TrackerImpl::Purge(UnixSeconds now) {
  last_purge = now;
  for (auto it = counted_gone.begin(); it != counted_gone.end();) {
    // Compared as `t < now - retention`: a state file may hold any int64 (fuzz-found overflow).
    if (it->second != 0 && it->second < now - options.counted_uid_retention_seconds) {
      it = counted_gone.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& r : cronjobs) r.ledger.Trim(now, options.ledger);
  for (auto& g : groups) g.ledger.Trim(now, options.ledger);
  for (uint32_t i = 0; i < cronjobs.size(); ++i) {
    CronJobRecord& r = cronjobs[i];
    if (!r.live || r.exists || r.job_refs > 0 || r.deleted_at == 0) continue;
    if (r.deleted_at >= now - options.deleted_cronjob_retention_seconds) continue;
    cronjob_index.erase(PairKey(r.ns, r.name));
    r = CronJobRecord{};
    cronjob_text.Clear(i);
    free_cronjobs.push_back(i);
  }
  WhyPurge(now);
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

Tracker::Tracker(TrackerOptions options)
    : impl_(std::make_unique<TrackerImpl>(std::move(options))) {}
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
  TrackerImpl& m = *impl_;
  UnixSeconds now = m.Now();
  if (r == batch::Resource::kJobs && !m.jobs_synced) {
    m.jobs_synced = true;
    // Counted Jobs from the state file that the list did not show are gone now.
    for (auto& [uid, deleted_at] : m.counted_gone) {
      if (deleted_at == 0) deleted_at = now;
    }
  }
  if (r == batch::Resource::kCronJobs) m.cronjobs_synced = true;
  m.WhySynced(r);
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
  TrackerImpl& m = *impl_;
  m.decisions->Flush();
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

void Tracker::AppendMetrics(metrics::Exposition* out) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->Append(out);
}

void Tracker::AppendMetrics(std::string* out) const {
  metrics::Exposition exposition;
  AppendMetrics(&exposition);
  exposition.AppendTo(out);
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
