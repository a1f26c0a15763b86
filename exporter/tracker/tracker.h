// Turns the stream of Job and CronJob changes into the metric contract (shared METRICS.md):
// run accounting, slot accounting, state gauges, and their pre-rendered exposition text.
// Pure core: time is injected through the clock; no sockets. State files are the only I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "batch/objects.h"

namespace batchwatch::tracker {

using UnixSeconds = batch::UnixSeconds;

enum class JobGauges { kUnfinished, kAll, kNone };  // --job-gauges

struct TrackerOptions {
  std::string controller_time_zone = "UTC";
  JobGauges job_gauges = JobGauges::kUnfinished;
  // Returns "now". Tests inject a fixed clock. Unset: the system clock.
  std::function<UnixSeconds()> clock;
  // A slot is counted missed or Forbid-skipped only this long after it became final, so a Job
  // created in time whose watch event arrives late is not a false miss.
  int64_t miss_grace_seconds = 5;
  // Counted Job UIDs are remembered this long after the Job was deleted (relists, restarts).
  int64_t counted_uid_retention_seconds = 24 * 3600;
  // History series of a deleted CronJob are dropped this long after the delete unless it is
  // recreated under the same name (which continues them).
  int64_t deleted_cronjob_retention_seconds = 3600;
  // An unfinished scheduled run deleted under concurrencyPolicy Replace counts as replaced when
  // a newer run of the CronJob appears within this window.
  int64_t replace_window_seconds = 600;
  // At most this many distinct standalone job groups; further groups are counted as "_other".
  size_t max_job_groups = 10000;
  // At most this many distinct terminal-condition reasons; further ones render as "_other".
  size_t max_reasons = 256;
};

class Tracker : public batch::EventSink {
 public:
  explicit Tracker(TrackerOptions options);
  ~Tracker() override;

  void OnJobUpsert(const batch::Job& now) override;
  void OnJobDelete(const batch::Job& last) override;
  void OnJobVanished(const batch::VanishedObject& gone) override;
  void OnCronJobUpsert(const batch::CronJob& now) override;
  void OnCronJobDelete(const batch::CronJob& last) override;
  void OnCronJobVanished(const batch::VanishedObject& gone) override;
  void OnSynced(batch::Resource r) override;

  // Resolves every slot whose outcome became final by `now` and refreshes time-dependent
  // gauges (next schedule, schedule lag). Called about once a second by the app.
  void Tick(UnixSeconds now);

  // Appends every batchwatch_* series of the contract except the exporter's own metrics, in
  // Prometheus text format 0.0.4 (HELP and TYPE lines included).
  void AppendMetrics(std::string* out) const;

  // State file (--state-file). Load before the first event; on any problem returns false with
  // a warning in *message, moves the bad file aside and starts fresh.
  bool LoadState(const std::string& path, std::string* message);
  // Atomic write: temp file, fsync, rename.
  bool SaveState(const std::string& path, std::string* error) const;

  // Number of Jobs and CronJobs held (batchwatch_tracked_objects is rendered by the app).
  size_t TrackedJobs() const;
  size_t TrackedCronJobs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace batchwatch::tracker
