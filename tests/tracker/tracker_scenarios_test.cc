// Run and slot accounting scenarios with a fixed clock: each test is a timeline of cluster
// events and the metric values it must produce (docs/metrics.md).
#include <gtest/gtest.h>

#include <limits>

#include "scenario.h"

namespace batchwatch::tracker::testing {
namespace {

constexpr auto kOk = JobOutcome::kSucceeded;
constexpr auto kFail = JobOutcome::kFailed;

std::string JobFor(const std::string& cronjob, UnixSeconds slot) {
  return cron::JobNameForSlot(cronjob, slot);
}

// "*/5 * * * *" created an hour before batchwatch starts at T0.
Cluster EveryFiveMinutes(const std::function<void(CronJob&)>& change = nullptr,
                         TrackerOptions options = {}) {
  Cluster c(T0, options);
  CronJob cj = MakeCronJob("backup", "*/5 * * * *", T0 - 3600);
  cj.last_schedule_time = T0;
  if (change) change(cj);
  c.Apply(cj).Synced();
  return c;
}

const char* kRuns = "batchwatch_cronjob_runs_total";
const char* kMissed = "batchwatch_cronjob_missed_schedules_total";
const char* kSkipped = "batchwatch_cronjob_forbid_skipped_total";
const char* kDelay = "batchwatch_cronjob_start_delay_seconds_count";
const char* kLag = "batchwatch_cronjob_schedule_lag_seconds";

TEST(Runs, EachRunCountedOnceWithResultReasonAndDuration) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 330).Finish(JobFor("backup", T0 + 300), kOk);
  c.At(T0 + 600).Run("backup", T0 + 600);
  c.At(T0 + 700).Finish(JobFor("backup", T0 + 600), kFail, "DeadlineExceeded");
  c.At(T0 + 701);

  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"trigger", "scheduled"},
                                         {"result", "succeeded"},
                                         {"reason", "CompletionsReached"}})),
            1);
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"trigger", "scheduled"},
                                         {"result", "failed"},
                                         {"reason", "DeadlineExceeded"}})),
            1);
  EXPECT_EQ(c.Value("batchwatch_cronjob_run_duration_seconds_sum",
                    Cj("backup", {{"result", "succeeded"}})),
            30);
  EXPECT_EQ(c.Value("batchwatch_cronjob_run_duration_seconds_bucket",
                    Cj("backup", {{"result", "failed"}, {"le", "60"}})),
            0);
  EXPECT_EQ(c.Value("batchwatch_cronjob_run_duration_seconds_bucket",
                    Cj("backup", {{"result", "failed"}, {"le", "120"}})),
            1);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 2);
  EXPECT_EQ(c.Value("batchwatch_cronjob_last_success_time_seconds", Cj("backup")), T0 + 330);
  EXPECT_EQ(c.Value("batchwatch_cronjob_last_failure_time_seconds", Cj("backup")), T0 + 700);
  EXPECT_EQ(c.Value("batchwatch_cronjob_consecutive_failures", Cj("backup")), 1);
  EXPECT_EQ(c.Value("batchwatch_cronjob_last_schedule_time_seconds", Cj("backup")), T0 + 600);
  EXPECT_EQ(c.Value("batchwatch_cronjob_active_jobs", Cj("backup")), 0);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
}

TEST(Runs, RelistAndDuplicateEventsNeverCountTwice) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 330).Finish(JobFor("backup", T0 + 300), kOk);
  Job finished = c.job(JobFor("backup", T0 + 300));
  c.Relist().Relist();
  c.tracker().OnJobUpsert(finished);  // re-delivered as if new
  c.At(T0 + 400).DeleteWithFinalState(finished);
  c.tracker().OnJobDelete(finished);  // duplicate DELETED
  c.tracker().OnJobUpsert(finished);  // a stale replay after the delete
  c.tracker().OnJobDelete(finished);
  EXPECT_EQ(c.Sum(kRuns, Cj("backup")), 1);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 1);
}

TEST(Runs, TtlZeroJobDeletedRightAfterFinishingCountsFromFinalState) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 300).Run("backup", T0 + 300);
  // The terminal update is never seen: the DELETED event carries the final state.
  c.At(T0 + 320).DeleteWithFinalState(Finished(c.job(JobFor("backup", T0 + 300)), kOk, T0 + 319));
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "succeeded"}})), 1);
  EXPECT_FALSE(c.Has(kRuns, Cj("backup", {{"result", "deleted"}})));
  EXPECT_EQ(c.Value("batchwatch_cronjob_active_jobs", Cj("backup")), 0);
  EXPECT_EQ(c.Value("batchwatch_cronjob_last_success_time_seconds", Cj("backup")), T0 + 319);
}

TEST(Runs, ManualDeleteOfUnfinishedRunCountsDeletedNotReplaced) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 300).Run("backup", T0 + 300);
  EXPECT_EQ(c.Value("batchwatch_cronjob_active_jobs", Cj("backup")), 1);
  c.At(T0 + 400).Delete(JobFor("backup", T0 + 300));
  c.At(T0 + 600).Run("backup", T0 + 600);
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "deleted"}, {"reason", ""}})), 1);
  EXPECT_EQ(c.Value("batchwatch_cronjob_replaced_total", Cj("backup")), 0);
}

// The store hands over only the identity of a Job a relist no longer shows: the run counts as
// deleted from the tracker's own record, like a DELETED event of the last seen state.
TEST(Runs, JobVanishedInARelistCountsLikeItsDeletedEvent) {
  for (bool vanish : {false, true}) {
    Cluster c = EveryFiveMinutes();
    c.At(T0 + 300).Run("backup", T0 + 300);
    c.At(T0 + 330).Finish(JobFor("backup", T0 + 300), kOk);
    c.At(T0 + 600).Run("backup", T0 + 600);
    c.At(T0 + 650);
    for (UnixSeconds slot : {T0 + 300, T0 + 600}) {
      if (vanish) {
        c.Vanish(JobFor("backup", slot));
      } else {
        c.Delete(JobFor("backup", slot));
      }
    }
    EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "deleted"}, {"reason", ""}})), 1) << vanish;
    EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "succeeded"}})), 1) << vanish;
    EXPECT_EQ(c.Value("batchwatch_cronjob_active_jobs", Cj("backup")), 0) << vanish;
    c.tracker().OnJobVanished({"never-seen", "ns", "", "", ""});  // unknown UID: ignored
  }
}

TEST(Runs, ManualRunsAreLabelledManualAndNeverFillSlots) {
  Cluster c = EveryFiveMinutes(
      [](CronJob& cj) { cj.concurrency_policy = batch::ConcurrencyPolicy::kForbid; });
  Job manual = ManualJob(c.cronjob("backup"), "backup-manual-x1", T0 + 250);
  c.At(T0 + 250).Put(manual);
  // No scheduled Job for 300: a manual run does not block Forbid, so this is a plain miss.
  c.At(T0 + 1000).Finish("backup-manual-x1", kOk);
  c.At(T0 + 1001);
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"trigger", "manual"}})), 1);
  EXPECT_EQ(c.Value(kMissed, Cj("backup", {{"reason", "superseded"}})), 2);  // 300, 600 (900 open)
  EXPECT_EQ(c.Value(kSkipped, Cj("backup")), 0);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 0);
}

TEST(Runs, StandaloneJobsCountedByJobGroup) {
  Cluster c(T0);
  c.Synced();
  Job labelled = StandaloneJob("nightly-etl-abcde", T0);
  labelled.group_label = "etl";
  Job generated = StandaloneJob("report-x7k2p", T0);
  generated.generate_name = "report-";
  Job plain = StandaloneJob("one-off", T0);
  for (const Job& j : {labelled, generated, plain}) c.Put(j);
  c.At(T0 + 100);
  for (const Job& j : {labelled, generated, plain}) c.Put(Finished(j, kOk, T0 + 100));
  c.Put(Finished(StandaloneJob("one-off-2", T0), kFail, T0 + 100));
  for (const char* group : {"etl", "report", "one-off"}) {
    EXPECT_EQ(
        c.Value("batchwatch_job_runs_total",
                {{"job_group", group}, {"result", "succeeded"}, {"reason", "CompletionsReached"}}),
        1)
        << group;
    EXPECT_EQ(c.Value("batchwatch_job_run_duration_seconds_count",
                      {{"job_group", group}, {"result", "succeeded"}}),
              1);
  }
  EXPECT_EQ(c.Value("batchwatch_job_runs_total", {{"job_group", "one-off-2"}}), 1);
  EXPECT_FALSE(c.Has(kRuns));
}

TEST(Slots, ForbidOverlapEndingBeforeNextSlotIsALateStartNotASkip) {
  Cluster c = EveryFiveMinutes(
      [](CronJob& cj) { cj.concurrency_policy = batch::ConcurrencyPolicy::kForbid; });
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 650);
  EXPECT_EQ(c.Value(kLag, Cj("backup")), 50);  // slot 600 held back, visible as lag
  c.At(T0 + 700).Finish(JobFor("backup", T0 + 300), kOk);
  c.At(T0 + 701).Run("backup", T0 + 600);  // the controller starts 600 late
  c.At(T0 + 702);
  EXPECT_EQ(c.Value(kLag, Cj("backup")), 0);
  c.At(T0 + 900).Run("backup", T0 + 900);
  c.At(T0 + 1300);
  EXPECT_EQ(c.Value(kSkipped, Cj("backup")), 0);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 3);
  EXPECT_EQ(c.Value("batchwatch_cronjob_start_delay_seconds_bucket", Cj("backup", {{"le", "60"}})),
            2);
  EXPECT_EQ(c.Value("batchwatch_cronjob_start_delay_seconds_bucket", Cj("backup", {{"le", "120"}})),
            3);
}

TEST(Slots, ForbidOverlapSpanningTwoSlotsSkipsTheFirst) {
  Cluster c = EveryFiveMinutes(
      [](CronJob& cj) { cj.concurrency_policy = batch::ConcurrencyPolicy::kForbid; });
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 950).Finish(JobFor("backup", T0 + 300), kOk);
  c.At(T0 + 951).Run("backup", T0 + 900);  // 600 was superseded while blocked; 900 starts late
  c.At(T0 + 1300);
  EXPECT_EQ(c.Value(kSkipped, Cj("backup")), 1);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
}

TEST(Slots, StartingDeadlineExpiringIsDeadlineExceeded) {
  Cluster c = EveryFiveMinutes([](CronJob& cj) { cj.starting_deadline_seconds = 60; });
  c.At(T0 + 330);
  EXPECT_EQ(c.Value(kLag, Cj("backup")), 30);
  c.At(T0 + 362);  // deadline passed, grace not yet
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
  c.At(T0 + 366);
  EXPECT_EQ(c.Value(kMissed, Cj("backup", {{"reason", "deadline_exceeded"}})), 1);
  EXPECT_EQ(c.Value(kMissed, Cj("backup", {{"reason", "superseded"}})), 0);
  EXPECT_EQ(c.Value(kLag, Cj("backup")), 0);  // no longer startable
}

// Fuzz-found (fuzz/corpus/watch_stream/regress_huge_starting_deadline): slot + SDS overflowed.
// The API puts no upper bound on startingDeadlineSeconds; a huge one is simply no deadline.
TEST(Slots, HugeStartingDeadlineIsNoDeadline) {
  Cluster c = EveryFiveMinutes(
      [](CronJob& cj) { cj.starting_deadline_seconds = std::numeric_limits<int64_t>::max(); });
  // (The controller emulation reproduces Go's Duration overflow for such a value, so schedule
  // lag shows nothing due; slot resolution treats the deadline as absent.)
  c.At(T0 + 1210).Run("backup", T0 + 1200);
  c.At(T0 + 1400);
  EXPECT_EQ(c.Value(kMissed, Cj("backup", {{"reason", "superseded"}})), 3);
  EXPECT_EQ(c.Value(kMissed, Cj("backup", {{"reason", "deadline_exceeded"}})), 0);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 1);
}

TEST(Slots, ControllerOutageOverThreeSlotsCountsThreeSuperseded) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 1100);
  EXPECT_EQ(c.Value(kLag, Cj("backup")), 200);
  c.At(T0 + 1210).Run("backup", T0 + 1200);  // the controller is back
  c.At(T0 + 1400);
  EXPECT_EQ(c.Value(kMissed, Cj("backup", {{"reason", "superseded"}})), 3);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 1);
  EXPECT_EQ(c.Value(kLag, Cj("backup")), 0);
}

TEST(Slots, JobCreatedInTimeButSeenLateIsNotAFalseMiss) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 603);  // slot 300 final at 600; the watch event is delayed
  c.Put(ScheduledJob(c.cronjob("backup"), T0 + 300, T0 + 301));
  c.At(T0 + 900).Run("backup", T0 + 600);
  c.At(T0 + 1000);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
}

TEST(Slots, SlotNameIsOnlyAFallbackForTheAnnotation) {
  Cluster c = EveryFiveMinutes();
  Job j = ScheduledJob(c.cronjob("backup"), T0 + 300, T0 + 301);
  j.scheduled_timestamp.reset();  // cluster older than 1.28: the name carries the slot
  c.At(T0 + 301).Put(j);
  Job k = ScheduledJob(c.cronjob("backup"), T0 + 600, T0 + 601);
  k.name = "backup-renamed";  // annotation wins over the name
  c.At(T0 + 601).Put(k);
  c.At(T0 + 1000);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 2);
}

TEST(Slots, SuspendedSlotsAreNotMissesAndResumeRunsTheLatest) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 100).Edit("backup", [](CronJob& cj) { cj.suspend = true; });
  c.At(T0 + 650);
  EXPECT_EQ(c.Value("batchwatch_cronjob_suspended", Cj("backup")), 1);
  EXPECT_FALSE(c.Has("batchwatch_cronjob_next_schedule_time_seconds", Cj("backup")));
  EXPECT_EQ(c.Value(kLag, Cj("backup")), 0);
  c.At(T0 + 700).Edit("backup", [](CronJob& cj) { cj.suspend = false; });
  c.At(T0 + 701).Run("backup", T0 + 600);
  c.At(T0 + 1300);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 1);  // 900: no Job while running
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 1);
  EXPECT_EQ(c.Value("batchwatch_cronjob_next_schedule_time_seconds", Cj("backup")), T0 + 1500);
}

TEST(Slots, ReplaceDeletingTheActiveRunCountsReplaced) {
  Cluster c = EveryFiveMinutes(
      [](CronJob& cj) { cj.concurrency_policy = batch::ConcurrencyPolicy::kReplace; });
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 600).Delete(JobFor("backup", T0 + 300));  // the controller deletes, then creates
  c.Run("backup", T0 + 600);
  c.At(T0 + 700);
  EXPECT_EQ(c.Value("batchwatch_cronjob_replaced_total", Cj("backup")), 1);
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "deleted"}})), 1);
  EXPECT_EQ(c.Value("batchwatch_cronjob_active_jobs", Cj("backup")), 1);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
}

TEST(Slots, ScheduleEditAccountsTheNewScheduleFromTheEdit) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 100).Edit("backup", [](CronJob& cj) { cj.schedule = "0 * * * *"; });
  EXPECT_EQ(c.Value("batchwatch_cronjob_next_schedule_time_seconds", Cj("backup")), T0 + 3600);
  EXPECT_EQ(c.Value("batchwatch_cronjob_schedule_interval_seconds", Cj("backup")), 3600);
  c.At(T0 + 3700);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);  // 3600 is not final until 7200
  c.At(T0 + 7206);
  EXPECT_EQ(c.Value(kMissed, Cj("backup", {{"reason", "superseded"}})), 1);
}

TEST(Slots, RecreatedCronJobContinuesCountersAndRestartsSlots) {
  Cluster c = EveryFiveMinutes();
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 310).Finish(JobFor("backup", T0 + 300), kOk);
  c.At(T0 + 400).DeleteCronJob("backup");
  EXPECT_FALSE(c.Has("batchwatch_cronjob_info", Cj("backup")));
  EXPECT_EQ(c.Sum(kRuns, Cj("backup")), 1);  // history survives the delete
  CronJob again = MakeCronJob("backup", "*/5 * * * *", T0 + 1000);
  again.uid = "uid-cj-backup-2";
  c.At(T0 + 1000).Apply(again);
  c.At(T0 + 1400);
  EXPECT_EQ(c.Sum(kRuns, Cj("backup")), 1);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);  // 1200 not final yet; 600/900 were not its slots
  c.At(T0 + 1506);
  EXPECT_EQ(c.Value(kMissed, Cj("backup", {{"reason", "superseded"}})), 1);
}

TEST(Slots, DaylightSavingDayInNewYork) {
  // 2024-11-03: 01:30 local happens twice (EDT, then EST): two slots.
  UnixSeconds start = *cron::ParseRfc3339("2024-11-02T12:00:00Z");
  UnixSeconds first = *cron::ParseRfc3339("2024-11-03T01:30:00-04:00");
  UnixSeconds second = *cron::ParseRfc3339("2024-11-03T01:30:00-05:00");
  UnixSeconds next_day = *cron::ParseRfc3339("2024-11-04T01:30:00-05:00");
  ASSERT_EQ(second - first, 3600);
  Cluster c(start);
  CronJob cj = MakeCronJob("nightly", "30 1 * * *", start - 86400 * 10);
  cj.time_zone = "America/New_York";
  c.Apply(cj).Synced();
  c.At(first - 60);
  EXPECT_EQ(c.Value("batchwatch_cronjob_next_schedule_time_seconds", Cj("nightly")), first);
  EXPECT_EQ(c.Value("batchwatch_cronjob_schedule_interval_seconds", Cj("nightly")), 3600);
  c.At(first + 1).Run("nightly", first);
  c.At(first + 60).Finish(JobFor("nightly", first), kOk);
  // No Job for the second 01:30: superseded once the next day's slot is due.
  c.At(next_day - 1);
  EXPECT_EQ(c.Sum(kMissed, Cj("nightly")), 0);
  EXPECT_EQ(c.Value(kLag, Cj("nightly")), next_day - 1 - second);
  c.At(next_day + 1).Run("nightly", next_day);
  c.At(next_day + 10);
  EXPECT_EQ(c.Value(kMissed, Cj("nightly", {{"reason", "superseded"}})), 1);
  EXPECT_EQ(c.Value(kDelay, Cj("nightly")), 2);
  EXPECT_EQ(c.Value("batchwatch_cronjob_info", Cj("nightly", {{"timezone", "America/New_York"}})),
            1);
}

TEST(Slots, SkippedLocalTimeOnSpringForwardIsNoSlot) {
  // 2024-03-10 02:30 does not exist in New York: nothing is due that day, nothing is missed.
  UnixSeconds start = *cron::ParseRfc3339("2024-03-09T12:00:00Z");
  UnixSeconds mar11 = *cron::ParseRfc3339("2024-03-11T02:30:00-04:00");
  Cluster c(start);
  CronJob cj = MakeCronJob("nightly", "30 2 * * *", start - 86400 * 10);
  cj.time_zone = "America/New_York";
  c.Apply(cj).Synced();
  c.At(start + 3600);
  EXPECT_EQ(c.Value("batchwatch_cronjob_next_schedule_time_seconds", Cj("nightly")), mar11);
  c.At(mar11 + 2).Run("nightly", mar11);
  c.At(mar11 + 60);
  EXPECT_EQ(c.Sum(kMissed, Cj("nightly")), 0);
  EXPECT_EQ(c.Value(kDelay, Cj("nightly")), 1);
}

TEST(Startup, WithoutStateFileFinishedRunsFillGaugesNotCounters) {
  Cluster c(T0);
  CronJob cj = MakeCronJob("backup", "*/5 * * * *", T0 - 86400);
  cj.last_schedule_time = T0 - 300;
  cj.last_successful_time = T0 - 1190;
  c.Apply(cj);
  c.Put(Finished(ScheduledJob(cj, T0 - 1200, T0 - 1200), kOk, T0 - 1190));
  c.Put(Finished(ScheduledJob(cj, T0 - 900, T0 - 900), kFail, T0 - 890));
  c.Put(Finished(ScheduledJob(cj, T0 - 600, T0 - 600), kFail, T0 - 590));
  c.Put(ScheduledJob(cj, T0 - 300, T0 - 299));
  // batchwatch starts now: everything above is the initial list.
  c.Restart(T0);
  EXPECT_EQ(c.Sum(kRuns, Cj("backup")), 0);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 0);
  EXPECT_EQ(c.Value("batchwatch_cronjob_last_success_time_seconds", Cj("backup")), T0 - 1190);
  EXPECT_EQ(c.Value("batchwatch_cronjob_last_failure_time_seconds", Cj("backup")), T0 - 590);
  EXPECT_EQ(c.Value("batchwatch_cronjob_consecutive_failures", Cj("backup")), 2);
  EXPECT_EQ(c.Value("batchwatch_cronjob_active_jobs", Cj("backup")), 1);
  c.At(T0 + 100).Finish(JobFor("backup", T0 - 300), kOk);  // finishes while watched: counted
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 400);
  EXPECT_EQ(c.Sum(kRuns, Cj("backup")), 1);
  EXPECT_EQ(c.Value("batchwatch_cronjob_consecutive_failures", Cj("backup")), 0);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 1);  // only the slot inside the watched period
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
}

}  // namespace
}  // namespace batchwatch::tracker::testing
