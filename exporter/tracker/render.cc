// The metric families of the contract (shared METRICS.md) and how each record renders them.
// Every record keeps its lines pre-rendered per family; a scrape writes each family's header
// once and concatenates the records' segments, so all series of a family stay contiguous.
#include <algorithm>
#include <cstring>

#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

struct Family {
  const char* name;
  const char* type;
  const char* help;
};

constexpr Family kCronJobFamilies[kCjFamilyCount] = {
    {"batchwatch_cronjob_info", "gauge",
     "CronJob schedule, the time zone it is evaluated in, and its concurrency policy (always 1)."},
    {"batchwatch_cronjob_suspended", "gauge", "1 if the CronJob is suspended, else 0."},
    {"batchwatch_cronjob_next_schedule_time_seconds", "gauge",
     "Next slot strictly after now (Unix seconds); absent when suspended or invalid."},
    {"batchwatch_cronjob_schedule_interval_seconds", "gauge",
     "Gap between the next two slots in seconds."},
    {"batchwatch_cronjob_last_schedule_time_seconds", "gauge",
     "status.lastScheduleTime (Unix seconds)."},
    {"batchwatch_cronjob_last_success_time_seconds", "gauge",
     "Latest successful run end seen (Unix seconds)."},
    {"batchwatch_cronjob_last_failure_time_seconds", "gauge",
     "Latest failed run end observed (Unix seconds)."},
    {"batchwatch_cronjob_active_jobs", "gauge", "Runs of this CronJob not finished now."},
    {"batchwatch_cronjob_consecutive_failures", "gauge",
     "Failed runs since the last successful one, in run order."},
    {"batchwatch_cronjob_schedule_lag_seconds", "gauge",
     "Seconds since the most recent slot that is due but has no job yet; 0 when none is overdue."},
    {"batchwatch_cronjob_schedule_error", "gauge",
     "1 while the CronJob cannot run because of its schedule or time zone."},
    {"batchwatch_cronjob_runs_total", "counter", "Runs of the CronJob that ended."},
    {"batchwatch_cronjob_run_duration_seconds", "histogram",
     "status.startTime to the end of succeeded and failed runs."},
    {"batchwatch_cronjob_start_delay_seconds", "histogram",
     "creationTimestamp of a scheduled run's Job minus its slot."},
    {"batchwatch_cronjob_missed_schedules_total", "counter",
     "Slots that will never run and were not held back by concurrencyPolicy Forbid."},
    {"batchwatch_cronjob_forbid_skipped_total", "counter",
     "Slots that will never run because concurrencyPolicy Forbid held them back."},
    {"batchwatch_cronjob_replaced_total", "counter",
     "Active runs deleted by concurrencyPolicy Replace."},
};

constexpr Family kGroupFamilies[kGroupFamilyCount] = {
    {"batchwatch_job_runs_total", "counter", "Runs of standalone Jobs that ended, by job group."},
    {"batchwatch_job_run_duration_seconds", "histogram",
     "status.startTime to the end of succeeded and failed standalone runs, by job group."},
};

constexpr Family kJobFamilies[kJobFamilyCount] = {
    {"batchwatch_job_start_time_seconds", "gauge", "status.startTime of a Job (Unix seconds)."},
    {"batchwatch_job_active_pods", "gauge", "status.active of a Job."},
    {"batchwatch_job_failed_pods", "gauge", "status.failed of a Job (retries so far)."},
    {"batchwatch_job_deadline_seconds", "gauge", "spec.activeDeadlineSeconds of a Job."},
};

const char* PolicyLabel(batch::ConcurrencyPolicy p) {
  switch (p) {
    case batch::ConcurrencyPolicy::kAllow:
      return "Allow";
    case batch::ConcurrencyPolicy::kForbid:
      return "Forbid";
    case batch::ConcurrencyPolicy::kReplace:
      return "Replace";
  }
  return "";
}

// `name{labels} value\n`
void Line(std::string* out, std::string_view name, std::string_view labels, double value) {
  out->append(name);
  out->push_back('{');
  out->append(labels);
  out->append("} ");
  AppendNumber(out, value);
  out->push_back('\n');
}

// `name{labels,key="value"} v\n`
void LineWith(std::string* out, std::string_view name, std::string_view labels,
              std::string_view key, std::string_view label_value, double value) {
  out->append(name);
  out->push_back('{');
  out->append(labels);
  out->push_back(',');
  out->append(key);
  out->append("=\"");
  AppendLabelValue(out, label_value);
  out->append("\"} ");
  AppendNumber(out, value);
  out->push_back('\n');
}

void AppendLabel(std::string* out, std::string_view key, std::string_view value) {
  if (!out->empty()) out->push_back(',');
  out->append(key);
  out->append("=\"");
  AppendLabelValue(out, value);
  out->push_back('"');
}

void RenderRuns(std::string* t, const char* name, const std::string& labels, const RunCounts& rc,
                const StringPool& reasons, bool with_trigger) {
  std::string l;
  for (const auto& [key, n] : rc.runs) {
    l = labels;
    if (with_trigger) AppendLabel(&l, "trigger", TriggerLabel(key.trigger));
    AppendLabel(&l, "result", ResultLabel(key.result));
    AppendLabel(&l, "reason", reasons.Get(key.reason));
    Line(t, name, l, static_cast<double>(n));
  }
}

void RenderDurations(std::string* t, const char* name, const std::string& labels,
                     const RunCounts& rc) {
  std::string l;
  for (int i = 0; i < 2; ++i) {
    if (!rc.duration_seen[i]) continue;
    l = labels;
    AppendLabel(&l, "result", ResultLabel(static_cast<Result>(i)));
    AppendHistogram(t, name, l, rc.duration[i], kDurationBuckets);
  }
}

// Writes every family's header and its segment of every record straight into the already
// sized output. Family sizes come first (from the offsets, stored inline in the records), then
// one pass over the records copies each segment to its family's cursor: each record's text is
// read once per scrape instead of once per family (cache misses dominate at 1M series).
template <size_t N, size_t F>
char* WriteFamilies(char* p, const std::string (&headers)[F],
                    const std::vector<const RenderedText<N>*>& texts) {
  std::array<size_t, F> sizes{};
  for (const auto* t : texts) {
    for (size_t f = 0; f < F; ++f) sizes[f] += t->offsets[f + 1] - t->offsets[f];
  }
  std::array<char*, F> cursor;
  for (size_t f = 0; f < F; ++f) {
    std::memcpy(p, headers[f].data(), headers[f].size());
    p += headers[f].size();
    cursor[f] = p;
    p += sizes[f];
  }
  for (const auto* t : texts) {
    const char* text = t->text.data();
    for (size_t f = 0; f < F; ++f) {
      const uint32_t begin = t->offsets[f], len = t->offsets[f + 1] - begin;
      std::memcpy(cursor[f], text + begin, len);
      cursor[f] += len;
    }
  }
  return p;
}

template <size_t F>
size_t Headers(const Family (&families)[F], std::string (&out)[F]) {
  size_t total = 0;
  for (size_t f = 0; f < F; ++f) {
    AppendHeader(&out[f], families[f].name, families[f].help, families[f].type);
    total += out[f].size();
  }
  return total;
}

struct AllHeaders {
  std::string cj[kCjFamilyCount], gr[kGroupFamilyCount], jb[kJobFamilyCount];
  size_t size = 0;
  AllHeaders() {
    size = Headers(kCronJobFamilies, cj) + Headers(kGroupFamilies, gr) + Headers(kJobFamilies, jb);
  }
};

}  // namespace

void TrackerImpl::RenderCronJob(CronJobRecord& r) const {
  std::string& t = r.rendered.text;
  t.clear();
  std::string labels;
  AppendLabel(&labels, "namespace", strings.Get(r.ns));
  AppendLabel(&labels, "cronjob", strings.Get(r.name));
  const bool e = r.exists;
  for (int f = 0; f < kCjFamilyCount; ++f) {
    r.rendered.offsets[f] = static_cast<uint32_t>(t.size());
    const char* name = kCronJobFamilies[f].name;
    switch (static_cast<CronJobFamily>(f)) {
      case kCjInfo:
        if (e) {
          std::string l = labels;
          AppendLabel(&l, "schedule", r.spec.schedule_spec);
          std::string zone = r.spec.resolved.zone_name;
          if (zone.empty() && r.spec.time_zone) zone = *r.spec.time_zone;
          AppendLabel(&l, "timezone", zone);
          AppendLabel(&l, "concurrency_policy", PolicyLabel(r.spec.policy));
          Line(&t, name, l, 1);
        }
        break;
      case kCjSuspended:
        if (e) Line(&t, name, labels, r.spec.suspend ? 1 : 0);
        break;
      case kCjNextSchedule:
        if (e && r.gauges.next_schedule)
          Line(&t, name, labels, static_cast<double>(*r.gauges.next_schedule));
        break;
      case kCjInterval:
        if (e && r.gauges.interval) Line(&t, name, labels, static_cast<double>(*r.gauges.interval));
        break;
      case kCjLastSchedule:
        if (e && r.spec.last_schedule)
          Line(&t, name, labels, static_cast<double>(*r.spec.last_schedule));
        break;
      case kCjLastSuccess:
        if (e && (r.gauges.last_success_observed || r.spec.last_successful_status)) {
          UnixSeconds v = std::max(r.gauges.last_success_observed.value_or(kDawn),
                                   r.spec.last_successful_status.value_or(kDawn));
          Line(&t, name, labels, static_cast<double>(v));
        }
        break;
      case kCjLastFailure:
        if (e && r.gauges.last_failure_observed) {
          Line(&t, name, labels, static_cast<double>(*r.gauges.last_failure_observed));
        }
        break;
      case kCjActive:
        if (e) Line(&t, name, labels, r.gauges.active_jobs);
        break;
      case kCjConsecutiveFailures:
        if (e) {
          Line(&t, name, labels,
               static_cast<double>(r.gauges.failures_since_success.size() +
                                   r.gauges.failures_overflow));
        }
        break;
      case kCjLag:
        if (e) Line(&t, name, labels, static_cast<double>(r.gauges.lag));
        break;
      case kCjScheduleError:
        if (e && r.spec.resolved.error != cron::ScheduleError::kNone) {
          LineWith(&t, name, labels, "error", cron::ScheduleErrorLabel(r.spec.resolved.error), 1);
        }
        break;
      case kCjRuns:
        RenderRuns(&t, name, labels, r.history.runs, reasons, true);
        break;
      case kCjDuration:
        RenderDurations(&t, name, labels, r.history.runs);
        break;
      case kCjStartDelay:
        if (e || r.history.start_delay.count > 0) {
          AppendHistogram(&t, name, labels, r.history.start_delay, kStartDelayBuckets);
        }
        break;
      case kCjMissed:
        if (e || r.history.missed[0] > 0 || r.history.missed[1] > 0) {
          LineWith(&t, name, labels, "reason", "deadline_exceeded",
                   static_cast<double>(r.history.missed[kDeadlineExceeded]));
          LineWith(&t, name, labels, "reason", "superseded",
                   static_cast<double>(r.history.missed[kSuperseded]));
        }
        break;
      case kCjForbidSkipped:
        if (e || r.history.forbid_skipped > 0)
          Line(&t, name, labels, static_cast<double>(r.history.forbid_skipped));
        break;
      case kCjReplaced:
        if (e || r.history.replaced > 0)
          Line(&t, name, labels, static_cast<double>(r.history.replaced));
        break;
      case kCjFamilyCount:
        break;
    }
  }
  r.rendered.offsets[kCjFamilyCount] = static_cast<uint32_t>(t.size());
}

void TrackerImpl::RenderGroup(GroupRecord& g) const {
  std::string& t = g.rendered.text;
  t.clear();
  std::string labels;
  AppendLabel(&labels, "namespace", strings.Get(g.ns));
  AppendLabel(&labels, "job_group", strings.Get(g.group));
  g.rendered.offsets[kGroupRuns] = 0;
  RenderRuns(&t, kGroupFamilies[kGroupRuns].name, labels, g.runs, reasons, false);
  g.rendered.offsets[kGroupDuration] = static_cast<uint32_t>(t.size());
  RenderDurations(&t, kGroupFamilies[kGroupDuration].name, labels, g.runs);
  g.rendered.offsets[kGroupFamilyCount] = static_cast<uint32_t>(t.size());
}

void TrackerImpl::RenderJob(JobRecord& j, const batch::Job& job) const {
  std::string& t = j.rendered.text;
  t.clear();
  bool show = options.job_gauges == JobGauges::kAll ||
              (options.job_gauges == JobGauges::kUnfinished && !job.finished());
  std::string labels;
  if (show) {
    AppendLabel(&labels, "namespace", job.namespace_);
    AppendLabel(&labels, "job_name", job.name);
    AppendLabel(&labels, "cronjob", job.owner_cronjob_name);
  }
  for (int f = 0; f < kJobFamilyCount; ++f) {
    j.rendered.offsets[f] = static_cast<uint32_t>(t.size());
    if (!show) continue;
    const char* name = kJobFamilies[f].name;
    switch (static_cast<JobFamily>(f)) {
      case kJobStartTime:
        if (job.start_time) Line(&t, name, labels, static_cast<double>(*job.start_time));
        break;
      case kJobActivePods:
        Line(&t, name, labels, job.active);
        break;
      case kJobFailedPods:
        Line(&t, name, labels, job.failed);
        break;
      case kJobDeadline:
        if (job.active_deadline_seconds) {
          Line(&t, name, labels, static_cast<double>(*job.active_deadline_seconds));
        }
        break;
      case kJobFamilyCount:
        break;
    }
  }
  j.rendered.offsets[kJobFamilyCount] = static_cast<uint32_t>(t.size());
  t.shrink_to_fit();
}

void TrackerImpl::Append(std::string* out) const {
  std::vector<const RenderedText<kCjFamilyCount>*> cj;
  std::vector<const RenderedText<kGroupFamilyCount>*> gr;
  std::vector<const RenderedText<kJobFamilyCount>*> jb;
  size_t total = 0;
  cj.reserve(cronjobs.size());
  for (const auto& r : cronjobs) {
    if (r.live && !r.rendered.text.empty()) {
      cj.push_back(&r.rendered);
      total += r.rendered.text.size();
    }
  }
  gr.reserve(groups.size());
  for (const auto& g : groups) {
    if (!g.rendered.text.empty()) {
      gr.push_back(&g.rendered);
      total += g.rendered.text.size();
    }
  }
  jb.reserve(jobs.size());
  for (const auto& j : jobs) {
    if (j.live && !j.rendered.text.empty()) {
      jb.push_back(&j.rendered);
      total += j.rendered.text.size();
    }
  }
  static const AllHeaders headers;
  total += headers.size;
  const size_t start = out->size();
  out->resize(start + total);
  char* p = out->data() + start;
  p = WriteFamilies(p, headers.cj, cj);
  p = WriteFamilies(p, headers.gr, gr);
  p = WriteFamilies(p, headers.jb, jb);
  out->resize(static_cast<size_t>(p - out->data()));
}

}  // namespace batchwatch::tracker
