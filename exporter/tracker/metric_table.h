// The tracker's part of the metric contract, one row per metric family: its name, type, HELP
// text, label names, and how a record renders its series. /metrics (render.cc),
// tests/alerts/metric_contract.txt and docs/metrics.md's tables come from these rows (and from
// metrics/self_metrics.h for the exporter's own metrics); `metric_table --write` regenerates the
// files (tests/metrics). Families render in row order; a record's text keeps one segment per row.
//
// Adding a per-Job gauge is one row of kJobRows (plus the field in batch::Job). Adding a CronJob
// or job group family is one row of kCronJobRows / kGroupRows in metric_table.cc and the count
// below (a static_assert there says so): CronJobRecord's rendered text is sized by it.
#pragma once

#include <array>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batch/objects.h"
#include "metrics/metric_info.h"
#include "metrics/text_format.h"

namespace batchwatch::tracker {

using metrics::Histogram;
using metrics::kDurationBuckets;
using metrics::kStartDelayBuckets;
using metrics::MetricInfo;
using metrics::Type;

struct CronJobRecord;
struct GroupRecord;
class StringPool;

// The series of one family of one record: `name{labels...} value` lines. `labels` is the
// record's identity labels, rendered once per record (no braces).
class Series {
 public:
  Series(std::string* out, std::string_view name, std::string_view labels)
      : out_(out), name_(name), labels_(labels) {}
  void Add(double value) { Add(labels_, value); }
  // With one more label after the record's.
  void Add(std::string_view key, std::string_view label_value, double value);
  // With the record's labels and more: `labels` is a full label list (no braces).
  void Add(std::string_view labels, double value);
  template <size_t N>
  void AddHistogram(std::string_view labels, const Histogram<N>& h,
                    const std::array<double, N>& bounds) {
    metrics::AppendHistogram(out_, name_, labels, h, bounds);
  }
  std::string_view labels() const { return labels_; }

 private:
  std::string* out_;
  std::string_view name_;
  std::string_view labels_;
};

// Appends `,key="value"` (no comma when `labels` is empty) to a label list.
void AppendLabel(std::string* labels, std::string_view key, std::string_view value);

// One series set per (namespace, CronJob name); labels start with namespace,cronjob.
struct CronJobRow {
  MetricInfo info;
  void (*render)(Series& s, const CronJobRecord& r, const StringPool& reasons);
};
// One series set per (namespace, job group) of standalone Jobs; labels start with
// namespace,job_group.
struct GroupRow {
  MetricInfo info;
  void (*render)(Series& s, const GroupRecord& g, const StringPool& reasons);
};
// One gauge per existing Job (--job-gauges); no series when `value` is empty.
struct JobRow {
  MetricInfo info;
  std::optional<double> (*value)(const batch::Job& j);
};

inline constexpr size_t kCjFamilyCount = 21;
inline constexpr size_t kGroupFamilyCount = 4;
extern const CronJobRow kCronJobRows[kCjFamilyCount];
extern const GroupRow kGroupRows[kGroupFamilyCount];

inline constexpr const char* kJobLabels = "namespace,job_name,cronjob";
template <typename T>
constexpr std::optional<double> IfSet(const std::optional<T>& v) {
  return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
}

inline constexpr JobRow kJobRows[] = {
    {{"batchwatch_job_start_time_seconds", Type::kGauge,
      "status.startTime of a Job (Unix seconds).", kJobLabels},
     [](const batch::Job& j) { return IfSet(j.start_time); }},
    {{"batchwatch_job_active_pods", Type::kGauge, "status.active of a Job.", kJobLabels},
     [](const batch::Job& j) { return std::optional<double>(j.active); }},
    {{"batchwatch_job_failed_pods", Type::kGauge, "status.failed of a Job (retries so far).",
      kJobLabels},
     [](const batch::Job& j) { return std::optional<double>(j.failed); }},
    {{"batchwatch_job_deadline_seconds", Type::kGauge, "spec.activeDeadlineSeconds of a Job.",
      kJobLabels},
     [](const batch::Job& j) { return IfSet(j.active_deadline_seconds); }},
    {{"batchwatch_job_succeeded_pods", Type::kGauge, "status.succeeded of a Job.", kJobLabels},
     [](const batch::Job& j) { return std::optional<double>(j.succeeded); }},
    {{"batchwatch_job_ready_pods", Type::kGauge,
      "status.ready of a Job (pods ready); absent when the API server does not report it.",
      kJobLabels},
     [](const batch::Job& j) { return IfSet(j.ready); }},
    {{"batchwatch_job_completions", Type::kGauge,
      "spec.completions of a Job; absent for a work-queue Job without it.", kJobLabels},
     [](const batch::Job& j) { return IfSet(j.completions); }},
    {{"batchwatch_job_backoff_limit", Type::kGauge,
      "spec.backoffLimit of a Job (failed pods allowed before the Job fails).", kJobLabels},
     [](const batch::Job& j) { return IfSet(j.backoff_limit); }},
};
inline constexpr size_t kJobFamilyCount = std::size(kJobRows);

// Pods of an unfinished Job that wait, by reason (rendered from the Job's pods, not from the Job
// object, so it is not a kJobRows row; tracker/why.cc keeps it).
inline constexpr MetricInfo kJobWaitingPods{
    "batchwatch_job_waiting_pods", Type::kGauge,
    "Pods of an unfinished Job that are not running yet, by why (series only for reasons with "
    "pods).",
    "namespace,job_name,cronjob,reason"};

// Every family the tracker renders, in /metrics order.
std::vector<const MetricInfo*> TrackerMetrics();

}  // namespace batchwatch::tracker
