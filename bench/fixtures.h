// Realistic objects for the benchmarks: CronJobs in a few hundred namespaces and their Jobs,
// as compact structs and as the watch lines the API server sends for them.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include "batch/objects.h"
#include "tracker/tracker.h"

namespace batchwatch::bench {

inline constexpr batch::UnixSeconds kNow = 1711622400;  // 2024-03-28T10:40:00Z

inline std::string Namespace(int i) { return "team-" + std::to_string(i % 300); }

inline batch::CronJob MakeCronJob(int i) {
  batch::CronJob c;
  c.uid = "1b2c3d4e-0000-4000-8000-" + std::to_string(100000000000 + i);
  c.namespace_ = Namespace(i);
  c.name = "report-" + std::to_string(i);
  c.resource_version = std::to_string(1000 + i);
  c.creation_time = kNow - 86400;
  static const char* kSchedules[] = {"*/5 * * * *", "0 * * * *", "30 2 * * *", "*/15 9-17 * * 1-5"};
  c.schedule = kSchedules[i % 4];
  if (i % 3 == 0) c.time_zone = "Europe/Berlin";
  c.concurrency_policy =
      i % 2 ? batch::ConcurrencyPolicy::kForbid : batch::ConcurrencyPolicy::kAllow;
  c.last_schedule_time = kNow - 300;
  return c;
}

// Job `k` of CronJob `i`, running (unfinished) unless `end` is set.
inline batch::Job MakeJob(int i, int k, bool succeeded = false) {
  batch::Job j;
  j.uid = "8d0c1a2e-5f43-4c5e-9b8a-" + std::to_string(i) + "-" + std::to_string(k);
  j.namespace_ = Namespace(i);
  j.name = "report-" + std::to_string(i) + "-" + std::to_string(28000000 + k);
  j.resource_version = std::to_string(100000 + k * 2 + (succeeded ? 1 : 0));
  j.creation_time = kNow - 600 + k;
  j.owner_cronjob_name = "report-" + std::to_string(i);
  j.owner_cronjob_uid = "1b2c3d4e-0000-4000-8000-" + std::to_string(100000000000 + i);
  j.scheduled_timestamp = j.creation_time;
  j.start_time = j.creation_time + 1;
  j.active = succeeded ? 0 : 1;
  j.active_deadline_seconds = 3600;
  if (succeeded) {
    j.succeeded = 1;
    j.completion_time = j.creation_time + 42;
    j.outcome = batch::JobOutcome::kSucceeded;
    j.terminal_reason = "CompletionsReached";
    j.end_time = j.completion_time;
  }
  return j;
}

// A benchmark size from the environment (e.g. BW_RENDER_CRONJOBS), else `fallback`.
inline int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// A Tracker at kNow holding `cronjobs` CronJobs with `jobs_per` Jobs each; Job k of a CronJob
// has succeeded when `succeeded(k)`, the others are running.
template <typename Succeeded>
std::unique_ptr<tracker::Tracker> MakeLoadedTracker(int cronjobs, int jobs_per,
                                                    Succeeded succeeded) {
  tracker::TrackerOptions opts;
  opts.clock = [] { return kNow; };
  auto t = std::make_unique<tracker::Tracker>(opts);
  for (int i = 0; i < cronjobs; ++i) t->OnCronJobUpsert(MakeCronJob(i));
  for (int i = 0; i < cronjobs; ++i) {
    for (int k = 0; k < jobs_per; ++k) t->OnJobUpsert(MakeJob(i, k, succeeded(k)));
  }
  return t;
}

}  // namespace batchwatch::bench
