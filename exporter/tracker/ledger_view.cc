// The Tracker's snapshot API for the JSON API and the status pages: copies out of the ledger
// under the lock, nothing rendered here.
#include "tracker/ledger_view.h"

#include <algorithm>
#include <tuple>

#include "cron/controller.h"
#include "tracker/tracker.h"
#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

const char* PolicyName(batch::ConcurrencyPolicy p) {
  switch (p) {
    case batch::ConcurrencyPolicy::kForbid:
      return "Forbid";
    case batch::ConcurrencyPolicy::kReplace:
      return "Replace";
    case batch::ConcurrencyPolicy::kAllow:
      break;
  }
  return "Allow";
}

std::optional<double> Ratio(const LedgerCounts& c) {
  if (c.succeeded + c.failed == 0) return std::nullopt;
  return static_cast<double>(c.succeeded) / static_cast<double>(c.succeeded + c.failed);
}

std::optional<UnixSeconds> Known(UnixSeconds t) {
  if (t == kNever || t == kDawn) return std::nullopt;
  return t;
}

}  // namespace

// Friend-free access: these are TrackerImpl helpers kept out of tracker.cc.
// Per CronJob record: 1 when one of its unfinished Jobs has pods waiting (the waiting_pods
// problem). One pass over the Jobs, so a fleet snapshot does not look per row.
std::vector<uint8_t> CronJobsWithWaitingPods(const TrackerImpl& m) {
  std::vector<uint8_t> waiting(m.cronjobs.size(), 0);
  for (const JobRecord& jr : m.jobs) {
    if (jr.live && jr.has_cronjob && !jr.finished && jr.why.waiting && jr.owner < waiting.size()) {
      waiting[jr.owner] = 1;
    }
  }
  return waiting;
}

struct LedgerReader {
  const TrackerImpl& m;
  UnixSeconds now;
  const std::vector<uint8_t>& waiting_pods;  // CronJobsWithWaitingPods

  RunView Run(const RunEntry& e) const {
    RunView v;
    v.job = std::string(e.job());
    v.uid = std::string(e.uid());
    v.trigger = TriggerLabel(Trigger(e.trigger));
    v.result = ResultLabel(Result(e.result));
    v.reason = m.reasons.Get(e.reason);
    v.slot = Known(e.slot);
    v.created = e.created;
    v.started = Known(e.started);
    v.ended = Known(e.ended);
    v.counted_at = e.counted_at;
    if (v.started && v.ended) v.duration = std::max<int64_t>(0, *v.ended - *v.started);
    if (v.slot && Trigger(e.trigger) == Trigger::kScheduled) {
      v.start_delay = std::max<int64_t>(0, e.created - *v.slot);
    }
    v.counted = e.counted;
    v.replaced = e.replaced;
    if (e.pod_reason != 0) v.pod_reason = m.reasons.Get(e.pod_reason);
    if (e.exit_code != RunEntry::kNoExitCode) v.exit_code = e.exit_code;
    return v;
  }

  SlotView Slot(const CronJobRecord& r, const SlotEntry& e) const {
    SlotView v;
    v.slot = e.slot;
    v.decided_at = e.decided_at();
    switch (e.outcome) {
      case SlotOutcome::kRan:
        v.outcome = IsLate(e, m.options.ledger) ? "late" : "ran";
        v.job = cron::JobNameForSlot(m.strings.Get(r.name), e.slot);
        if (e.evidence != kNever) v.late_by = std::max<int64_t>(0, e.evidence - e.slot);
        break;
      case SlotOutcome::kMissed:
        v.outcome = "missed";
        v.reason = e.reason == kDeadlineExceeded ? "deadline_exceeded" : "superseded";
        v.final_at = Known(e.evidence);
        break;
      case SlotOutcome::kForbidSkipped:
        v.outcome = "forbid_skipped";
        if (e.evidence_end != kDawn && e.evidence_end != kNever) {
          v.blocked_by = cron::JobNameForSlot(m.strings.Get(r.name), e.evidence_end);
        } else {
          for (const RunEntry& run : r.ledger.runs()) {
            if (run.created == e.evidence) v.blocked_by = std::string(run.job());
          }
        }
        break;
      case SlotOutcome::kSuspended:
        v.outcome = "suspended";
        v.suspended_since = Known(e.evidence);
        v.suspended_until = Known(e.evidence_end);
        break;
      case SlotOutcome::kUnobserved:
        v.outcome = "unobserved";
        break;
    }
    return v;
  }

  // The ledger's 24 h / 7 d counts at `now` (kept by the ledger between requests).
  const LedgerWindowCounts& WindowCounts(const Ledger& l, bool slots) const {
    return l.WindowCounts(now, slots, m.options.ledger);
  }

  template <typename Row>
  void Counts(const Ledger& l, bool slots, Row* row) const {
    const LedgerWindowCounts& c = WindowCounts(l, slots);
    row->day = c.day;
    row->week = c.week;
    if (c.last_run >= 0) row->last_run = Run(l.runs()[static_cast<size_t>(c.last_run)]);
    row->success_ratio = Ratio(row->week);
  }

  bool WaitingPods(const CronJobRecord& r) const {
    const auto index = static_cast<size_t>(&r - m.cronjobs.data());
    return index < waiting_pods.size() && waiting_pods[index];
  }

  static bool Failing(const CronJobRecord& r) {
    return !r.gauges.failures_since_success.empty() || r.gauges.failures_overflow > 0;
  }

  // Row(r), made anew only when something it shows changed since the last call.
  std::shared_ptr<const FleetRow> SharedRow(const CronJobRecord& r) const {
    FleetRowKey key;
    key.ns = r.ns;
    key.name = r.name;
    key.exists = r.exists;
    key.suspend = r.spec.suspend;
    key.failing = Failing(r);
    key.waiting_pods = WaitingPods(r);
    key.policy = r.spec.policy;
    key.error = r.spec.resolved.error;
    key.next_slot = r.gauges.next_schedule;
    key.active = r.gauges.active_jobs;
    key.lag = r.gauges.lag;
    key.ledger_version = r.ledger.version();
    key.counts_generation = WindowCounts(r.ledger, true).generation;
    SharedFleetRow& shared = r.fleet_row;
    const FleetRow* old = shared.row.get();
    if (old == nullptr || !(shared.key == key) || old->schedule != r.spec.schedule_spec ||
        old->zone != r.spec.resolved.zone_name ||
        (key.exists && key.error != cron::ScheduleError::kNone &&
         old->schedule_error_detail != r.spec.resolved.message)) {
      shared.key = key;
      shared.row = std::make_shared<const FleetRow>(Row(r));
    }
    return shared.row;
  }

  FleetRow Row(const CronJobRecord& r) const {
    FleetRow row;
    row.ns = m.strings.Get(r.ns);
    row.name = m.strings.Get(r.name);
    row.exists = r.exists;
    row.schedule = r.spec.schedule_spec;
    row.zone = r.spec.resolved.zone_name;
    row.policy = PolicyName(r.spec.policy);
    row.suspended = r.spec.suspend;
    if (r.exists && r.spec.resolved.error != cron::ScheduleError::kNone) {
      row.schedule_error = cron::ScheduleErrorLabel(r.spec.resolved.error);
      row.schedule_error_detail = r.spec.resolved.message;
    }
    row.next_slot = r.gauges.next_schedule;
    row.active = r.gauges.active_jobs;
    row.lag = r.gauges.lag;
    Counts(r.ledger, true, &row);
    if (Failing(r)) row.problems.emplace_back("failing");
    if (row.day.missed_deadline_exceeded + row.day.missed_superseded > 0) {
      row.problems.emplace_back("missed");
    }
    if (row.day.forbid_skipped > 0) row.problems.emplace_back("skipped");
    if (r.exists && r.gauges.lag > m.options.ledger.late_after_seconds) {
      row.problems.emplace_back("overdue");
    }
    if (row.day.replaced > 0) row.problems.emplace_back("replaced");
    if (!row.schedule_error.empty()) row.problems.emplace_back("schedule_error");
    if (WaitingPods(r)) row.problems.emplace_back("waiting_pods");
    return row;
  }

  JobGroupRow Group(const GroupRecord& g) const {
    JobGroupRow row;
    row.ns = m.strings.Get(g.ns);
    row.group = m.strings.Get(g.group);
    Counts(g.ledger, false, &row);
    if (row.last_run && row.last_run->result == "failed") row.problems.emplace_back("failing");
    return row;
  }
};

namespace {

template <typename T>
bool ProblemsFirst(const T& a, const T& b, const std::string& an, const std::string& bn) {
  bool pa = !a.problems.empty(), pb = !b.problems.empty();
  if (pa != pb) return pa;
  return std::tie(a.ns, an) < std::tie(b.ns, bn);
}

}  // namespace

LedgerSnapshot Tracker::Snapshot(bool cronjobs, bool groups) const {
  // The lock is taken per chunk of records, not for the whole fleet: at 10,000 full ledgers
  // the copy takes over 100 ms, and a /metrics scrape must not wait that long. Rows of
  // different chunks may be a few milliseconds apart; each row is consistent.
  constexpr size_t kChunk = 256;
  LedgerSnapshot s;
  const TrackerImpl& m = *impl_;
  std::vector<uint8_t> waiting_pods;
  for (size_t begin = 0;; begin += kChunk) {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (begin == 0) {
      s.now = m.Now();
      if (cronjobs) s.cronjobs.reserve(m.cronjob_index.size());
      if (groups) s.groups.reserve(m.groups.size());
      if (cronjobs) waiting_pods = CronJobsWithWaitingPods(m);
    }
    LedgerReader reader{m, s.now, waiting_pods};
    size_t end_cj = cronjobs ? std::min(m.cronjobs.size(), begin + kChunk) : 0;
    size_t end_g = groups ? std::min(m.groups.size(), begin + kChunk) : 0;
    for (size_t i = begin; i < end_cj; ++i) {
      if (m.cronjobs[i].live) s.cronjobs.push_back(reader.SharedRow(m.cronjobs[i]));
    }
    for (size_t i = begin; i < end_g; ++i) s.groups.push_back(reader.Group(m.groups[i]));
    if ((!cronjobs || m.cronjobs.size() <= begin + kChunk) &&
        (!groups || m.groups.size() <= begin + kChunk)) {
      break;
    }
  }
  std::sort(s.cronjobs.begin(), s.cronjobs.end(),
            [](const std::shared_ptr<const FleetRow>& a, const std::shared_ptr<const FleetRow>& b) {
              return ProblemsFirst(*a, *b, a->name, b->name);
            });
  std::sort(s.groups.begin(), s.groups.end(), [](const JobGroupRow& a, const JobGroupRow& b) {
    return ProblemsFirst(a, b, a.group, b.group);
  });
  return s;
}

std::optional<CronJobDetail> Tracker::CronJobLedger(const std::string& ns, const std::string& name,
                                                    const LedgerQuery& q) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const TrackerImpl& m = *impl_;
  auto nsid = m.strings.Find(ns);
  auto nameid = m.strings.Find(name);
  if (!nsid || !nameid) return std::nullopt;
  auto it = m.cronjob_index.find((static_cast<uint64_t>(*nsid) << 32) | *nameid);
  if (it == m.cronjob_index.end()) return std::nullopt;
  const CronJobRecord& r = m.cronjobs[it->second];
  const std::vector<uint8_t> waiting_pods = CronJobsWithWaitingPods(m);
  LedgerReader reader{m, m.Now(), waiting_pods};
  CronJobDetail d;
  d.now = reader.now;
  d.summary = reader.Row(r);
  d.ledger_slots = r.ledger.slots().size();
  d.ledger_runs = r.ledger.runs().size();
  auto in_range = [&](UnixSeconds t) { return t >= q.from && t <= q.to; };
  // A suspended CronJob's due slot is decided suspended, never started: not pending.
  if (m.Schedulable(r) && m.jobs_synced && m.cronjobs_synced && !r.spec.suspend) {
    if (auto p = r.slots.Pending(m.Rules(r), reader.now); p && in_range(*p)) {
      SlotView v;
      v.slot = *p;
      v.outcome = "pending";
      MissReason why;
      v.final_at = Known(SlotAccountant::FinalAt(m.Rules(r), *p, &why));
      d.slots.push_back(std::move(v));
    }
  }
  for (auto e = r.ledger.slots().rbegin(); e != r.ledger.slots().rend() && d.slots.size() < q.limit;
       ++e) {
    if (in_range(e->slot)) d.slots.push_back(reader.Slot(r, *e));
  }
  // Running Jobs are not in the ledger until they finish: the Job records say which exist.
  for (const auto& [uid, ji] : m.job_index) {
    const JobRecord& jr = m.jobs[ji];
    if (!jr.has_cronjob || jr.owner != it->second || jr.counted || !in_range(jr.creation)) continue;
    RunView v;
    v.job = jr.name;
    v.uid = uid;
    v.trigger = jr.manual ? "manual" : "scheduled";
    v.result = "running";
    v.created = jr.creation;
    v.slot = Known(jr.slot);
    if (v.slot && !jr.manual) v.start_delay = std::max<int64_t>(0, jr.creation - *v.slot);
    d.runs.push_back(std::move(v));
  }
  std::sort(d.runs.begin(), d.runs.end(),
            [](const RunView& a, const RunView& b) { return a.created > b.created; });
  if (d.runs.size() > q.limit) d.runs.resize(q.limit);
  for (auto e = r.ledger.runs().rbegin(); e != r.ledger.runs().rend() && d.runs.size() < q.limit;
       ++e) {
    if (in_range(e->created)) d.runs.push_back(reader.Run(*e));
  }
  return d;
}

std::optional<JobGroupDetail> Tracker::GroupLedger(const std::string& ns, const std::string& group,
                                                   const LedgerQuery& q) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const TrackerImpl& m = *impl_;
  auto nsid = m.strings.Find(ns);
  auto gid = m.strings.Find(group);
  if (!nsid || !gid) return std::nullopt;
  auto it = m.group_index.find((static_cast<uint64_t>(*nsid) << 32) | *gid);
  if (it == m.group_index.end()) return std::nullopt;
  const GroupRecord& g = m.groups[it->second];
  const std::vector<uint8_t> no_cronjobs;
  LedgerReader reader{m, m.Now(), no_cronjobs};
  JobGroupDetail d;
  d.now = reader.now;
  d.summary = reader.Group(g);
  d.ledger_runs = g.ledger.runs().size();
  for (auto e = g.ledger.runs().rbegin(); e != g.ledger.runs().rend() && d.runs.size() < q.limit;
       ++e) {
    if (e->created >= q.from && e->created <= q.to) d.runs.push_back(reader.Run(*e));
  }
  return d;
}

LedgerMemory Tracker::LedgerMemoryUse() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  LedgerMemory m;
  for (const auto& r : impl_->cronjobs) {
    m.slots += r.ledger.slots().size();
    m.slot_bytes += r.ledger.SlotBytes();
    m.runs += r.ledger.runs().size();
    m.run_bytes += r.ledger.RunBytes();
  }
  for (const auto& g : impl_->groups) {
    m.runs += g.ledger.runs().size();
    m.run_bytes += g.ledger.RunBytes();
  }
  return m;
}

}  // namespace batchwatch::tracker
