#include "tracker/metric_table.h"

#include <algorithm>

#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

void Line(std::string* out, std::string_view name, std::string_view labels, double value) {
  out->append(name);
  out->push_back('{');
  out->append(labels);
  out->append("} ");
  metrics::AppendNumber(out, value);
  out->push_back('\n');
}

void RenderRuns(Series& s, const RunCounts& rc, const StringPool& reasons, bool with_trigger) {
  std::string l;
  for (const auto& [key, n] : rc.runs) {
    l = s.labels();
    if (with_trigger) AppendLabel(&l, "trigger", TriggerLabel(key.trigger));
    AppendLabel(&l, "result", ResultLabel(key.result));
    AppendLabel(&l, "reason", reasons.Get(key.reason));
    s.Add(l, static_cast<double>(n));
  }
}

void RenderDurations(Series& s, const RunCounts& rc) {
  std::string l;
  for (int i = 0; i < 2; ++i) {
    if (!rc.duration_seen[i]) continue;
    l = s.labels();
    AppendLabel(&l, "result", ResultLabel(static_cast<Result>(i)));
    s.AddHistogram(l, rc.duration[i], kDurationBuckets);
  }
}

using D = double;

void RenderReasonCounts(Series& s, const ReasonCounts& rc, const StringPool& reasons) {
  for (const auto& [reason, n] : rc.counts) s.Add("reason", reasons.Get(reason), D(n));
}

// The create-failure causes are a fixed vocabulary: every one is rendered (0 until it occurs) so
// that increase() sees the first refusal.
void RenderCauses(Series& s, std::string_view labels, const uint64_t (&counts)[kCreateCauseCount]) {
  std::string l;
  for (size_t c = 0; c < kCreateCauseCount; ++c) {
    l = labels;
    AppendLabel(&l, "cause", CreateCauseLabel(static_cast<CreateCause>(c)));
    s.Add(l, D(counts[c]));
  }
}

}  // namespace

void Series::Add(std::string_view labels, double value) { Line(out_, name_, labels, value); }

void Series::Add(std::string_view key, std::string_view label_value, double value) {
  out_->append(name_);
  out_->push_back('{');
  out_->append(labels_);
  out_->push_back(',');
  out_->append(key);
  out_->append("=\"");
  metrics::AppendLabelValue(out_, label_value);
  out_->append("\"} ");
  metrics::AppendNumber(out_, value);
  out_->push_back('\n');
}

void AppendLabel(std::string* labels, std::string_view key, std::string_view value) {
  if (!labels->empty()) labels->push_back(',');
  labels->append(key);
  labels->append("=\"");
  metrics::AppendLabelValue(labels, value);
  labels->push_back('"');
}

// State gauges are rendered while the CronJob object exists; history families also after its
// deletion (for deleted_cronjob_retention_seconds) once they have counted something.
const CronJobRow kCronJobRows[] = {
    {{"batchwatch_cronjob_info", Type::kGauge,
      "CronJob schedule, the time zone it is evaluated in, and its concurrency policy (always 1).",
      "namespace,cronjob,schedule,timezone,concurrency_policy"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (!r.exists) return;
       std::string l(s.labels());
       AppendLabel(&l, "schedule", r.spec.schedule_spec);
       std::string zone = r.spec.resolved.zone_name;
       if (zone.empty() && r.spec.time_zone) zone = *r.spec.time_zone;
       AppendLabel(&l, "timezone", zone);
       AppendLabel(&l, "concurrency_policy", batch::ConcurrencyPolicyName(r.spec.policy));
       s.Add(l, 1);
     }},
    {{"batchwatch_cronjob_suspended", Type::kGauge, "1 if the CronJob is suspended, else 0.",
      "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists) s.Add(r.spec.suspend ? 1 : 0);
     }},
    {{"batchwatch_cronjob_next_schedule_time_seconds", Type::kGauge,
      "Next slot strictly after now (Unix seconds); absent when suspended or invalid.",
      "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists && r.gauges.next_schedule) s.Add(D(*r.gauges.next_schedule));
     }},
    {{"batchwatch_cronjob_schedule_interval_seconds", Type::kGauge,
      "Gap between the next two slots in seconds.", "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists && r.gauges.interval) s.Add(D(*r.gauges.interval));
     }},
    {{"batchwatch_cronjob_last_schedule_time_seconds", Type::kGauge,
      "status.lastScheduleTime (Unix seconds).", "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists && r.spec.last_schedule) s.Add(D(*r.spec.last_schedule));
     }},
    {{"batchwatch_cronjob_last_success_time_seconds", Type::kGauge,
      "Latest successful run end seen (Unix seconds).", "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (!r.exists || !(r.gauges.last_success_observed || r.spec.last_successful_status)) return;
       s.Add(D(std::max(r.gauges.last_success_observed.value_or(kDawn),
                        r.spec.last_successful_status.value_or(kDawn))));
     }},
    {{"batchwatch_cronjob_last_failure_time_seconds", Type::kGauge,
      "Latest failed run end observed (Unix seconds).", "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists && r.gauges.last_failure_observed) s.Add(D(*r.gauges.last_failure_observed));
     }},
    {{"batchwatch_cronjob_active_jobs", Type::kGauge, "Runs of this CronJob not finished now.",
      "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists) s.Add(r.gauges.active_jobs);
     }},
    {{"batchwatch_cronjob_consecutive_failures", Type::kGauge,
      "Failed runs since the last successful one, in run order.", "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists) s.Add(D(r.gauges.failures_since_success.size() + r.gauges.failures_overflow));
     }},
    {{"batchwatch_cronjob_schedule_lag_seconds", Type::kGauge,
      "Seconds since the most recent slot that is due but has no job yet; 0 when none is overdue.",
      "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists) s.Add(D(r.gauges.lag));
     }},
    {{"batchwatch_cronjob_schedule_error", Type::kGauge,
      "1 while the CronJob cannot run because of its schedule or time zone.",
      "namespace,cronjob,error"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists && r.spec.resolved.error != cron::ScheduleError::kNone) {
         s.Add("error", cron::ScheduleErrorLabel(r.spec.resolved.error), 1);
       }
     }},
    {{"batchwatch_cronjob_runs_total", Type::kCounter, "Runs of the CronJob that ended.",
      "namespace,cronjob,trigger,result,reason"},
     [](Series& s, const CronJobRecord& r, const StringPool& reasons) {
       RenderRuns(s, r.history.runs, reasons, true);
     }},
    {{"batchwatch_cronjob_run_duration_seconds", Type::kHistogram,
      "status.startTime to the end of succeeded and failed runs.", "namespace,cronjob,result"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       RenderDurations(s, r.history.runs);
     }},
    {{"batchwatch_cronjob_start_delay_seconds", Type::kHistogram,
      "creationTimestamp of a scheduled run's Job minus its slot.", "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists || r.history.start_delay.count > 0) {
         s.AddHistogram(s.labels(), r.history.start_delay, kStartDelayBuckets);
       }
     }},
    {{"batchwatch_cronjob_missed_schedules_total", Type::kCounter,
      "Slots that will never run and were not held back by concurrencyPolicy Forbid.",
      "namespace,cronjob,reason"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists || r.history.missed[0] > 0 || r.history.missed[1] > 0) {
         s.Add("reason", "deadline_exceeded", D(r.history.missed[kDeadlineExceeded]));
         s.Add("reason", "superseded", D(r.history.missed[kSuperseded]));
       }
     }},
    {{"batchwatch_cronjob_forbid_skipped_total", Type::kCounter,
      "Slots that will never run because concurrencyPolicy Forbid held them back.",
      "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists || r.history.forbid_skipped > 0) s.Add(D(r.history.forbid_skipped));
     }},
    {{"batchwatch_cronjob_replaced_total", Type::kCounter,
      "Active runs deleted by concurrencyPolicy Replace.", "namespace,cronjob"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (r.exists || r.history.replaced > 0) s.Add(D(r.history.replaced));
     }},
    // Why a run failed and why it has not started (tracker/why.cc).
    {{"batchwatch_cronjob_pod_failures_total", Type::kCounter,
      "Failed attempts of the CronJob's runs (pods that failed, restarts of OnFailure pods), by "
      "the pod reason rule.",
      "namespace,cronjob,reason"},
     [](Series& s, const CronJobRecord& r, const StringPool& reasons) {
       RenderReasonCounts(s, r.why.pod_failures, reasons);
     }},
    {{"batchwatch_cronjob_last_run_info", Type::kGauge,
      "The CronJob's most recent finished run (by Job creation) with its last failed pod's "
      "reason and exit code (always 1).",
      "namespace,cronjob,result,reason,pod_reason,exit_code"},
     [](Series& s, const CronJobRecord& r, const StringPool& reasons) {
       const LastRun& l = r.why.last_run;
       if (!l.set) return;
       std::string labels(s.labels());
       AppendLabel(&labels, "result", ResultLabel(static_cast<Result>(l.result)));
       AppendLabel(&labels, "reason", reasons.Get(l.reason));
       AppendLabel(&labels, "pod_reason", reasons.Get(l.pod_reason));
       AppendLabel(&labels, "exit_code",
                   l.exit_code == kNoExitCode ? std::string() : std::to_string(l.exit_code));
       s.Add(labels, 1);
     }},
    {{"batchwatch_cronjob_create_failures_total", Type::kCounter,
      "Occurrences of FailedCreate events: the CronJob controller could not create a Job "
      "(object job) or the Job controller a pod (object pod), by cause.",
      "namespace,cronjob,object,cause"},
     [](Series& s, const CronJobRecord& r, const StringPool&) {
       if (!r.exists && !r.why.Counted()) return;
       for (int object : {kCreateJob, kCreatePod}) {
         std::string l(s.labels());
         AppendLabel(&l, "object", object == kCreateJob ? "job" : "pod");
         RenderCauses(s, l, r.why.create_failures[object]);
       }
     }},
    {{"batchwatch_cronjob_controller_events_total", Type::kCounter,
      "Occurrences of the events the controllers recorded on the CronJob, by reason.",
      "namespace,cronjob,reason"},
     [](Series& s, const CronJobRecord& r, const StringPool& reasons) {
       RenderReasonCounts(s, r.why.controller_events, reasons);
     }},
};
static_assert(std::size(kCronJobRows) == kCjFamilyCount,
              "a CronJob row was added or removed: update kCjFamilyCount in metric_table.h");

const GroupRow kGroupRows[] = {
    {{"batchwatch_job_runs_total", Type::kCounter,
      "Runs of standalone Jobs that ended, by job group.", "namespace,job_group,result,reason"},
     [](Series& s, const GroupRecord& g, const StringPool& reasons) {
       RenderRuns(s, g.runs, reasons, false);
     }},
    {{"batchwatch_job_run_duration_seconds", Type::kHistogram,
      "status.startTime to the end of succeeded and failed standalone runs, by job group.",
      "namespace,job_group,result"},
     [](Series& s, const GroupRecord& g, const StringPool&) { RenderDurations(s, g.runs); }},
    {{"batchwatch_job_pod_failures_total", Type::kCounter,
      "Failed attempts of standalone Jobs (pods that failed, restarts of OnFailure pods), by job "
      "group and the pod reason rule.",
      "namespace,job_group,reason"},
     [](Series& s, const GroupRecord& g, const StringPool& reasons) {
       RenderReasonCounts(s, g.why.pod_failures, reasons);
     }},
    {{"batchwatch_job_create_failures_total", Type::kCounter,
      "Occurrences of FailedCreate events on standalone Jobs (a pod could not be created), by "
      "job group and cause.",
      "namespace,job_group,cause"},
     [](Series& s, const GroupRecord& g, const StringPool&) {
       RenderCauses(s, s.labels(), g.why.create_failures);
     }},
};
static_assert(std::size(kGroupRows) == kGroupFamilyCount,
              "a job group row was added or removed: update kGroupFamilyCount in metric_table.h");

std::vector<const MetricInfo*> TrackerMetrics() {
  std::vector<const MetricInfo*> all;
  for (const auto& row : kCronJobRows) all.push_back(&row.info);
  for (const auto& row : kGroupRows) all.push_back(&row.info);
  for (const auto& row : kJobRows) all.push_back(&row.info);
  all.push_back(&kJobWaitingPods);
  return all;
}

}  // namespace batchwatch::tracker
