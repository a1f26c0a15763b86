// The Tracker's settings (flags of the app). Its own header so that the tracker's internal
// state (tracker_state.h) needs them without the public Tracker class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "batch/objects.h"

namespace batchwatch::tracker {

using UnixSeconds = batch::UnixSeconds;

enum class JobGauges { kUnfinished, kAll, kNone };  // --job-gauges

// Bounds of the slot ledger (tracker/ledger.h): --ledger-slots, --ledger-runs, --ledger-max-age.
struct LedgerLimits {
  size_t max_slots = 200;  // per CronJob
  size_t max_runs = 200;   // per CronJob and per job group
  int64_t max_age_seconds = 14 * 86400;
  // A slot that ran counts as "late" when its Job was created more than this after the slot
  // (docs/api.md). The controller polls every 10 s, so a healthy start delay is a few seconds.
  int64_t late_after_seconds = 60;
};

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
  LedgerLimits ledger;
};

}  // namespace batchwatch::tracker
