// Pods and Events turned into the "why" metrics (docs/metrics.md, "Why a run failed and why it
// has not started"): failed attempts counted once per pod UID and per restart, the last failed
// pod remembered on its Job and its run, waiting pods by reason, and event occurrences counted
// once through per-event high-water marks. Pods and events may arrive before their Job or
// CronJob (other watches): they wait by the owner's UID (bounded, expired) and apply when it
// appears; after a Job's deletion its owner is remembered a while for late pod states.
#include <algorithm>
#include <limits>

#include "log/log.h"
#include "tracker/tracker.h"
#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

uint64_t PairKey(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

constexpr const char* kFailedCreate = "FailedCreate";

}  // namespace

uint64_t UidKey(std::string_view uid) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : uid) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void ReasonCounts::Add(uint32_t reason, uint64_t n) {
  for (auto& [r, v] : counts) {
    if (r == reason) {
      v += n;
      return;
    }
  }
  counts.emplace_back(reason, n);
}

bool CronJobWhy::Counted() const {
  if (!pod_failures.counts.empty() || !controller_events.counts.empty() || last_run.set) {
    return true;
  }
  for (const auto& object : create_failures) {
    for (uint64_t n : object) {
      if (n > 0) return true;
    }
  }
  return false;
}

uint32_t TrackerImpl::WhyReasonId(std::vector<uint32_t>& admitted, std::string_view reason) {
  if (auto id = reasons.Find(reason);
      id && std::find(admitted.begin(), admitted.end(), *id) != admitted.end()) {
    return *id;
  }
  if (admitted.size() >= kMaxWhyReasons) return reasons.Intern("_other");
  uint32_t id = reasons.Intern(reason);
  admitted.push_back(id);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Where a pod's or an event's occurrences go

namespace {

struct Owner {
  JobRecord* job = nullptr;  // the Job while it exists
  CronJobRecord* cronjob = nullptr;
  GroupRecord* group = nullptr;
  uint64_t job_key = 0;
};

std::optional<Owner> JobOwner(TrackerImpl& m, const std::string& job_uid) {
  Owner o;
  if (auto it = m.job_index.find(job_uid); it != m.job_index.end()) {
    o.job = &m.jobs[it->second];
    o.job_key = o.job->why.key;
    if (o.job->has_cronjob) {
      o.cronjob = &m.cronjobs[o.job->owner];
    } else {
      o.group = &m.groups[o.job->owner];
    }
    return o;
  }
  auto gone = m.why.gone_jobs.find(job_uid);
  if (gone == m.why.gone_jobs.end()) return std::nullopt;
  o.job_key = gone->second.job_key;
  if (!gone->second.has_cronjob) {
    o.group = &m.groups[gone->second.owner];
    return o;
  }
  auto cj = m.cronjob_index.find(PairKey(gone->second.ns, gone->second.owner));
  if (cj == m.cronjob_index.end()) return o;  // its CronJob's history is gone too: nothing
  o.cronjob = &m.cronjobs[cj->second];
  return o;
}

void RenderOwner(TrackerImpl& m, const Owner& o) {
  if (o.cronjob) m.RenderCronJob(*o.cronjob);
  if (o.group) m.RenderGroup(*o.group);
}

// A failed attempt (n of them: restarts) of a pod created at `pod_created`.
void RecordPodFailure(const Owner& o, const PendingItem& f) {
  if (f.count) {
    if (o.cronjob) o.cronjob->why.pod_failures.Add(f.reason, f.n);
    if (o.group) o.group->why.pod_failures.Add(f.reason, f.n);
  }
  bool latest = true;
  if (o.job) {
    JobWhy& w = o.job->why;
    latest = f.pod_created >= w.last_failure_pod_created;
    if (latest) {
      w.last_pod_reason = f.reason;
      w.last_exit_code = f.exit_code;
      w.last_failure_pod_created = f.pod_created;
    }
  }
  // The run already ended (or its Job is gone): its pod's failure came later.
  if (o.cronjob && latest) {
    LastRun& l = o.cronjob->why.last_run;
    if (l.set && l.job_key == o.job_key && (!o.job || o.job->counted) &&
        f.pod_created >= l.pod_created) {
      l.pod_reason = f.reason;
      l.exit_code = f.exit_code;
      l.pod_created = f.pod_created;
    }
  }
}

void RecordCreateFailure(const Owner& o, int object, uint8_t cause, uint64_t n) {
  if (o.cronjob) o.cronjob->why.create_failures[object][cause] += n;
  if (o.group) o.group->why.create_failures[cause] += n;
}

// False when the item was dropped (too many owners or items waiting).
bool AddPending(TrackerImpl& m, const std::string& owner_uid, const PendingItem& item) {
  auto it = m.why.pending.find(owner_uid);
  if (it == m.why.pending.end()) {
    if (m.why.pending.size() >= kMaxPendingOwners) {
      BW_LOG_DEBUG("too many objects wait for their owner; dropped", {{"owner_uid", owner_uid}});
      return false;
    }
    it = m.why.pending.emplace(owner_uid, Pending{m.Now(), {}}).first;
  }
  auto& items = it->second.items;
  if (item.kind == PendingItem::kCreateFailure || item.kind == PendingItem::kControllerEvent) {
    for (auto& p : items) {
      if (p.kind == item.kind && p.cause == item.cause && p.reason == item.reason) {
        p.n += item.n;
        return true;
      }
    }
  }
  if (m.why.pending_items >= kMaxPendingItems) return false;
  items.push_back(item);
  ++m.why.pending_items;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Waiting pods

void MoveWaiting(JobRecord& jr, WaitingReason from, WaitingReason to) {
  if (from == to) return;
  if (from != WaitingReason::kNone && jr.why.waiting) {
    auto& n = jr.why.waiting->pods[static_cast<size_t>(from)];
    if (n > 0) --n;
  }
  if (to != WaitingReason::kNone) {
    if (!jr.why.waiting) jr.why.waiting = std::make_unique<JobWhy::Waiting>();
    ++jr.why.waiting->pods[static_cast<size_t>(to)];
  }
  if (jr.why.waiting) {
    const auto& p = jr.why.waiting->pods;
    if (std::all_of(p.begin(), p.end(), [](uint32_t n) { return n == 0; })) {
      jr.why.waiting.reset();
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pods

void TrackerImpl::UpsertPod(const batch::Pod& pod, UnixSeconds now) {
  // A pod without a Job owner is no Job's attempt (the label job-name alone proves nothing).
  if (pod.uid.empty() || pod.owner_job_uid.empty()) return;
  const uint64_t key = UidKey(pod.uid);
  if (why.pods_gone.count(key)) return;  // a replay after its deletion
  auto [it, inserted] = why.pods.try_emplace(key);
  PodRecord& pr = it->second;
  // A pod of the initial list is state: its failures so far are remembered on its Job, not
  // counted (as with runs; nothing from before the start is counted).
  const bool count = !inserted || why.pods_synced;
  // Which failure of a Job is its last: live ones in the order seen, those of an initial list by
  // their pods' creation.
  const UnixSeconds stamp = count ? std::max(now, pod.creation_time) : pod.creation_time;
  std::optional<Owner> owner = JobOwner(*this, pod.owner_job_uid);

  std::vector<PendingItem> failures;
  if (pod.phase == batch::PodPhase::kFailed && !pr.failed_counted) {
    pr.failed_counted = true;
    PodFailure f = PodFailureReason(pod);
    failures.push_back({PendingItem::kPodFailure, count, 0, WhyReasonId(why.pod_reasons, f.reason),
                        f.exit_code.value_or(kNoExitCode), 1, stamp});
  }
  if (pod.restart_on_failure) {
    // The last slot sums the restarts of every container from the fourth on: in 64 bits, kept
    // at most INT32_MAX (a count that no kubelet reaches), so no sum wraps around.
    std::array<int64_t, PodRecord::kRestartSlots> sums{};
    std::array<const batch::ContainerStatus*, PodRecord::kRestartSlots> restarted{};
    size_t i = 0;
    for (const auto* list : {&pod.init_containers, &pod.containers}) {
      for (const auto& c : *list) {
        size_t slot = std::min(i++, PodRecord::kRestartSlots - 1);
        sums[slot] += std::max(0, c.restart_count);
        if (!restarted[slot] && c.restart_count > 0 && c.last_terminated) restarted[slot] = &c;
      }
    }
    std::array<int32_t, PodRecord::kRestartSlots> now_restarts{};
    for (size_t s = 0; s < PodRecord::kRestartSlots; ++s) {
      now_restarts[s] =
          static_cast<int32_t>(std::min<int64_t>(sums[s], std::numeric_limits<int32_t>::max()));
    }
    for (size_t s = 0; s < PodRecord::kRestartSlots; ++s) {
      if (now_restarts[s] > pr.restarts[s]) {
        PodFailure f =
            restarted[s] ? RestartReason(*restarted[s]) : PodFailure{"Unknown", std::nullopt};
        failures.push_back({PendingItem::kPodFailure, count, 0,
                            WhyReasonId(why.pod_reasons, f.reason),
                            f.exit_code.value_or(kNoExitCode),
                            static_cast<uint64_t>(now_restarts[s] - pr.restarts[s]), stamp});
      }
      pr.restarts[s] = now_restarts[s];
    }
  }

  const WaitingReason waiting = PodWaitingReason(pod);
  if (owner) {
    for (const auto& f : failures) RecordPodFailure(*owner, f);
    if (owner->job) {
      MoveWaiting(*owner->job, pr.attached ? pr.waiting : WaitingReason::kNone, waiting);
      pr.attached = true;
      RenderWaiting(*owner->job);
    } else {
      pr.attached = false;  // its Job is gone
    }
    if (!failures.empty()) RenderOwner(*this, *owner);
  } else {
    for (const auto& f : failures) AddPending(*this, pod.owner_job_uid, f);
    if (!pr.pending_listed) {
      PendingItem w{PendingItem::kWaitingPod};
      w.n = key;
      pr.pending_listed = AddPending(*this, pod.owner_job_uid, w);
    }
  }
  pr.waiting = waiting;
}

void TrackerImpl::DeletePod(const std::string& uid, const std::string& owner_job_uid,
                            const batch::Pod* last, UnixSeconds now) {
  if (last) UpsertPod(*last, now);
  const uint64_t key = UidKey(uid);
  auto it = why.pods.find(key);
  if (it == why.pods.end()) return;
  if (it->second.attached) {
    if (auto job = job_index.find(owner_job_uid); job != job_index.end()) {
      JobRecord& jr = jobs[job->second];
      MoveWaiting(jr, it->second.waiting, WaitingReason::kNone);
      RenderWaiting(jr);
    }
  }
  why.pods.erase(it);
  why.pods_gone[key] = now;
}

// ---------------------------------------------------------------------------------------------
// Events

void TrackerImpl::UpsertEvent(const batch::Event& e) {
  const bool about_cronjob = e.involved_kind == "CronJob";
  const bool failed_create = e.reason == kFailedCreate;
  // Only these are counted; other Job events (SuccessfulCreate, Completed, ...) keep no mark.
  if (e.uid.empty() || e.involved_uid.empty() ||
      !(about_cronjob || (e.involved_kind == "Job" && failed_create))) {
    return;
  }
  const int64_t count = std::max<int64_t>(1, e.count);
  uint64_t delta = 0;
  auto mark = why.event_marks.find(e.uid);
  if (mark == why.event_marks.end()) {
    // New to this process. Occurrences before counting began are not counted: an event of the
    // initial list is state (unless the state file shows counting went on and the event began
    // since), an event first seen later counts whole unless it began before counting did.
    bool fresh = (why.events_synced || state_loaded) &&
                 (e.first_time ? *e.first_time >= counting_since : why.events_synced);
    if (fresh) delta = static_cast<uint64_t>(count);
    why.event_marks.emplace(e.uid, WhyState::EventMark{count, true});
  } else {
    // A count that went down (a stale copy, a writer that switched between count and
    // series.count) counts nothing and keeps the mark: counting it again later would be a
    // double count.
    if (count > mark->second.count) {
      delta = static_cast<uint64_t>(count - mark->second.count);
      mark->second.count = count;
    }
    mark->second.listed = true;
  }
  if (delta == 0) return;

  const auto cause = static_cast<uint8_t>(FailedCreateCause(e.message));
  if (about_cronjob) {
    const uint32_t reason = WhyReasonId(why.event_reasons, e.reason);
    const std::string& ns = e.involved_namespace.empty() ? e.namespace_ : e.involved_namespace;
    CronJobRecord* r = nullptr;
    auto ns_id = strings.Find(ns);
    auto name_id = strings.Find(e.involved_name);
    if (ns_id && name_id) {
      if (auto it = cronjob_index.find(PairKey(*ns_id, *name_id)); it != cronjob_index.end()) {
        CronJobRecord& c = cronjobs[it->second];
        if (c.exists && c.spec.uid == e.involved_uid) r = &c;
      }
    }
    if (!r) {
      AddPending(*this, e.involved_uid,
                 {PendingItem::kControllerEvent, true, 0, reason, kNoExitCode, delta, 0});
      if (failed_create) {
        AddPending(*this, e.involved_uid,
                   {PendingItem::kCreateFailure, true, cause, 0, kNoExitCode, delta, 0});
      }
      return;
    }
    r->why.controller_events.Add(reason, delta);
    if (failed_create) r->why.create_failures[kCreateJob][cause] += delta;
    RenderCronJob(*r);
    return;
  }
  if (std::optional<Owner> o = JobOwner(*this, e.involved_uid)) {
    RecordCreateFailure(*o, kCreatePod, cause, delta);
    RenderOwner(*this, *o);
  } else {
    AddPending(*this, e.involved_uid,
               {PendingItem::kCreateFailure, true, cause, 0, kNoExitCode, delta, 0});
  }
}

void TrackerImpl::ForgetEvent(const std::string& uid) { why.event_marks.erase(uid); }

// ---------------------------------------------------------------------------------------------
// Hooks of the run accounting

void TrackerImpl::WhyJobAppeared(const std::string& uid, uint32_t job_index) {
  jobs[job_index].why.key = UidKey(uid);
  auto it = why.pending.find(uid);
  if (it == why.pending.end()) return;
  std::optional<Owner> o = JobOwner(*this, uid);
  for (const PendingItem& item : it->second.items) {
    switch (item.kind) {
      case PendingItem::kPodFailure:
        RecordPodFailure(*o, item);
        break;
      case PendingItem::kWaitingPod:
        if (auto pod = why.pods.find(item.n); pod != why.pods.end()) {
          pod->second.pending_listed = false;
          if (!pod->second.attached) {
            pod->second.attached = true;
            MoveWaiting(jobs[job_index], WaitingReason::kNone, pod->second.waiting);
          }
        }
        break;
      case PendingItem::kCreateFailure:
        RecordCreateFailure(*o, kCreatePod, item.cause, item.n);
        break;
      case PendingItem::kControllerEvent:
        break;
    }
  }
  why.pending_items -= it->second.items.size();
  why.pending.erase(it);
  // The caller renders the Job and its owner.
}

void TrackerImpl::WhyCronJobAppeared(const std::string& uid, uint32_t cronjob_index) {
  auto it = why.pending.find(uid);
  if (it == why.pending.end()) return;
  CronJobRecord& r = cronjobs[cronjob_index];
  for (const PendingItem& item : it->second.items) {
    if (item.kind == PendingItem::kControllerEvent)
      r.why.controller_events.Add(item.reason, item.n);
    if (item.kind == PendingItem::kCreateFailure) {
      r.why.create_failures[kCreateJob][item.cause] += item.n;
    }
  }
  why.pending_items -= it->second.items.size();
  why.pending.erase(it);
}

void TrackerImpl::WhyRunEnded(const JobRecord& jr, Result result, uint32_t reason) {
  if (!jr.has_cronjob) return;
  LastRun& l = cronjobs[jr.owner].why.last_run;
  // The newest run by creation time; of runs created in the same second, the one with the
  // larger key (of its UID), so that every instance and shard shows the same run whatever order
  // its watch delivered their ends in. An older run that ended later changes nothing.
  if (l.set &&
      (jr.creation < l.creation || (jr.creation == l.creation && jr.why.key < l.job_key))) {
    return;
  }
  const bool same_run = l.set && l.job_key == jr.why.key;
  l.set = true;
  l.job_key = jr.why.key;
  l.creation = jr.creation;
  l.result = static_cast<uint8_t>(result);
  l.reason = reason;
  // The same run again (state file, then the initial list) keeps its pod reason when the Job no
  // longer has its pods to tell.
  if (!same_run || jr.why.last_pod_reason != 0) {
    l.pod_reason = jr.why.last_pod_reason;
    l.exit_code = jr.why.last_exit_code;
    l.pod_created = jr.why.last_failure_pod_created;
  }
}

void TrackerImpl::WhyJobGone(const std::string& uid, const JobRecord& jr, UnixSeconds now) {
  GoneJob g;
  g.has_cronjob = jr.has_cronjob;
  g.ns = jr.ns;
  g.owner = jr.has_cronjob ? cronjobs[jr.owner].name : jr.owner;
  g.job_key = jr.why.key;
  g.gone_at = now;
  why.gone_jobs[uid] = g;
}

void TrackerImpl::WhySynced(batch::Resource r) {
  if (r == batch::Resource::kPods) why.pods_synced = true;
  if (r == batch::Resource::kEvents && !why.events_synced) {
    why.events_synced = true;
    // Marks from the state file whose events the initial list did not show: deleted meanwhile.
    for (auto it = why.event_marks.begin(); it != why.event_marks.end();) {
      it = it->second.listed ? std::next(it) : why.event_marks.erase(it);
    }
  }
}

void TrackerImpl::WhyDegraded(batch::Resource r, bool degraded) {
  if (r != batch::Resource::kPods || !degraded) return;
  // Pods are not seen any more: their waiting reasons cannot be kept true. When the watch comes
  // back its list attaches them again.
  for (auto& [key, pr] : why.pods) {
    pr.attached = false;
    pr.waiting = WaitingReason::kNone;
  }
  for (auto& jr : jobs) {
    if (!jr.why.waiting) continue;
    jr.why.waiting.reset();
    RenderWaiting(jr);
  }
}

void TrackerImpl::WhyPurge(UnixSeconds now) {
  auto older = [&](UnixSeconds t, int64_t age) { return t < now - age; };
  for (auto it = why.gone_jobs.begin(); it != why.gone_jobs.end();) {
    it = older(it->second.gone_at, kGoneJobSeconds) ? why.gone_jobs.erase(it) : std::next(it);
  }
  for (auto it = why.pods_gone.begin(); it != why.pods_gone.end();) {
    it = older(it->second, kPodTombstoneSeconds) ? why.pods_gone.erase(it) : std::next(it);
  }
  size_t expired = 0;
  for (auto it = why.pending.begin(); it != why.pending.end();) {
    if (older(it->second.since, kPendingSeconds)) {
      ++expired;
      for (const auto& item : it->second.items) {
        if (item.kind != PendingItem::kWaitingPod) continue;
        if (auto pod = why.pods.find(item.n); pod != why.pods.end()) {
          pod->second.pending_listed = false;
        }
      }
      why.pending_items -= it->second.items.size();
      it = why.pending.erase(it);
    } else {
      ++it;
    }
  }
  if (expired > 0) {
    BW_LOG_DEBUG("pods or events whose Job or CronJob never appeared were dropped",
                 {{"owners", std::to_string(expired)}});
  }
}

// ---------------------------------------------------------------------------------------------
// Public surface

void Tracker::OnPodUpsert(const batch::Pod& now) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->UpsertPod(now, impl_->Now());
}

void Tracker::OnPodDelete(const batch::Pod& last) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->DeletePod(last.uid, last.owner_job_uid, &last, impl_->Now());
}

void Tracker::OnPodVanished(const batch::VanishedObject& gone) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->DeletePod(gone.uid, gone.owner_job_uid, nullptr, impl_->Now());
}

void Tracker::OnEventUpsert(const batch::Event& now) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->UpsertEvent(now);
}

void Tracker::OnEventDelete(const batch::Event& last) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->UpsertEvent(last);  // a last increase carried by the DELETED event still counts
  impl_->ForgetEvent(last.uid);
}

void Tracker::OnEventVanished(const batch::VanishedObject& gone) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->ForgetEvent(gone.uid);
}

void Tracker::OnDegraded(batch::Resource r, bool degraded) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->WhyDegraded(r, degraded);
}

}  // namespace batchwatch::tracker
