// The "why" metrics from Pods and Events (tracker/why.cc; docs/metrics.md, "Why a run failed
// and why it has not started"): timelines of pod and event changes and the series they must
// produce. Nothing may count twice (MODIFIED, relists, deletes, restarts), nothing from before
// the start counts, and pods and events may come before or after their Job.
#include "tracker/why.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "why_scenario.h"

namespace batchwatch::tracker::testing {
namespace {

constexpr auto kOk = JobOutcome::kSucceeded;
constexpr auto kFail = JobOutcome::kFailed;
const char* kPodFailures = "batchwatch_cronjob_pod_failures_total";
const char* kGroupPodFailures = "batchwatch_job_pod_failures_total";
const char* kLastRun = "batchwatch_cronjob_last_run_info";
const char* kWaiting = "batchwatch_job_waiting_pods";
const char* kCreate = "batchwatch_cronjob_create_failures_total";
const char* kGroupCreate = "batchwatch_job_create_failures_total";
const char* kEvents = "batchwatch_cronjob_controller_events_total";

// "*/5 * * * *" created before T0; every watch (pods and events too) synced at T0.
Cluster Watched() {
  Cluster c(T0);
  CronJob cj = MakeCronJob("backup", "*/5 * * * *", T0 - 3600);
  cj.last_schedule_time = T0;
  c.Apply(cj).Synced();
  c.tracker().OnSynced(batch::Resource::kPods);
  c.tracker().OnSynced(batch::Resource::kEvents);
  return c;
}

// The run for T0 + 300, started at T0 + 300.
Job StartRun(Cluster& c) {
  c.At(T0 + 300).Run("backup", T0 + 300);
  return c.job(cron::JobNameForSlot("backup", T0 + 300));
}

Labels Reason(const std::string& reason) { return Cj("backup", {{"reason", reason}}); }

TEST(PodFailures, AFailedPodCountsOnceAcrossModifiedRelistDeleteAndReplay) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Pod pod = MakePod(job, "a", T0 + 301);
  c.tracker().OnPodUpsert(pod);
  Pod failed = FailedPod(pod, "OOMKilled", 137);
  c.At(T0 + 320);
  c.tracker().OnPodUpsert(failed);
  c.tracker().OnPodUpsert(failed);  // MODIFIED again (a label, the deletion timestamp)
  c.tracker().OnPodUpsert(failed);  // a relist
  c.tracker().OnPodDelete(failed);
  c.tracker().OnPodUpsert(failed);  // a stale replay after the delete
  c.tracker().OnPodVanished({failed.uid, kNs, "", "", job.uid});
  EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), 1);
  EXPECT_EQ(c.Sum(kPodFailures, Cj("backup")), 1);
}

TEST(PodFailures, EachRestartOfAnOnFailurePodCountsOnce) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Pod pod = MakePod(job, "a", T0 + 301);
  pod.restart_on_failure = true;
  c.tracker().OnPodUpsert(pod);
  c.tracker().OnPodUpsert(RestartedPod(pod, 1, "OOMKilled", 137));
  c.tracker().OnPodUpsert(RestartedPod(pod, 1, "OOMKilled", 137));  // relist
  EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), 1);
  c.tracker().OnPodUpsert(RestartedPod(pod, 3, "Error", 2));  // two more seen at once
  EXPECT_EQ(c.Value(kPodFailures, Reason("Error")), 2);
  // Backoff limit reached: the pod ends Failed, one more failed attempt.
  Pod failed = RestartedPod(pod, 3, "Error", 2);
  failed.phase = PodPhase::kFailed;
  failed.containers[0].running = false;
  failed.containers[0].terminated = true;
  failed.containers[0].exit_code = 2;
  c.tracker().OnPodUpsert(failed);
  EXPECT_EQ(c.Value(kPodFailures, Reason("Error")), 3);
  c.At(T0 + 400).Finish(job.name, kFail, "BackoffLimitExceeded");
  EXPECT_EQ(c.Value(kLastRun, Cj("backup", {{"result", "failed"},
                                            {"reason", "BackoffLimitExceeded"},
                                            {"pod_reason", "Error"},
                                            {"exit_code", "2"}})),
            1);
}

// A running restartPolicy: OnFailure pod of `job` with `containers` containers c0, c1, ...
Pod OnFailurePod(const Job& job, int containers) {
  Pod pod = MakePod(job, "a", T0 + 301);
  pod.restart_on_failure = true;
  pod.phase = PodPhase::kRunning;
  for (int i = 0; i < containers; ++i) pod.containers.push_back(Running("c" + std::to_string(i)));
  return pod;
}

void OomRestarted(ContainerStatus* c, int32_t restart_count) {
  c->restart_count = restart_count;
  c->last_terminated = true;
  c->last_terminated_reason = "OOMKilled";
  c->last_exit_code = 137;
}

TEST(PodFailures, TenContainersRestartingShareTheLastSlotAndCountEachRestart) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Pod pod = OnFailurePod(job, 10);
  c.tracker().OnPodUpsert(pod);
  for (int i : {0, 7, 9}) OomRestarted(&pod.containers[i], 1);
  c.tracker().OnPodUpsert(pod);
  c.tracker().OnPodUpsert(pod);
  EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), 3);
  // An absurd exit code is a label like any other.
  c.tracker().OnPodUpsert(FailedPod(MakePod(job, "b", T0 + 302), "Error", -2147483647));
  c.At(T0 + 400).Finish(job.name, kFail);
  EXPECT_EQ(c.Value(kLastRun, Cj("backup", {{"exit_code", "-2147483647"}})), 1);
}

// The decoder passes restart counts up to INT32_MAX; the containers from the fourth on share one
// slot, whose sum must not wrap around (a wrapped sum would read as fewer restarts, then count
// billions again). It stops at INT32_MAX: what was counted stays counted, nothing twice.
TEST(PodFailures, RestartCountsNearInt32MaxDoNotWrapInTheSharedSlot) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Pod pod = OnFailurePod(job, 6);
  c.tracker().OnPodUpsert(pod);
  OomRestarted(&pod.containers[3], 1);
  c.tracker().OnPodUpsert(pod);
  EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), 1);
  for (int i : {3, 4, 5}) pod.containers[i].restart_count = INT32_MAX;
  c.tracker().OnPodUpsert(pod);
  const double after_jump = c.Value(kPodFailures, Reason("OOMKilled"));
  EXPECT_EQ(after_jump, static_cast<double>(INT32_MAX));  // 1 + (INT32_MAX - 1)
  pod.containers[4].restart_count = 5;                    // the sum is still above INT32_MAX
  c.tracker().OnPodUpsert(pod);
  for (int i : {3, 4, 5}) pod.containers[i].restart_count = INT32_MAX;
  c.tracker().OnPodUpsert(pod);
  EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), after_jump);
  EXPECT_EQ(c.Sum(kPodFailures, Cj("backup")), after_jump);
}

TEST(PodFailures, ARestartOfARestartPolicyNeverPodIsNoRestart) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Pod pod = RestartedPod(MakePod(job, "a", T0 + 301), 2, "Error", 1);
  pod.restart_on_failure = false;
  c.tracker().OnPodUpsert(pod);
  EXPECT_EQ(c.Sum(kPodFailures, Cj("backup")), 0);
}

TEST(LastRun, ARetriedPodThenSuccessIsASucceededRunWithItsFailedPod) {
  Cluster c = Watched();
  Job job = StartRun(c);
  c.tracker().OnPodUpsert(FailedPod(MakePod(job, "a", T0 + 301), "Error", 1));
  Pod second = MakePod(job, "b", T0 + 330);
  second.phase = PodPhase::kSucceeded;
  second.containers = {Terminated("Completed", 0)};
  c.At(T0 + 340);
  c.tracker().OnPodUpsert(second);
  c.At(T0 + 360).Finish(job.name, kOk);
  EXPECT_EQ(c.Value(kPodFailures, Reason("Error")), 1);
  EXPECT_EQ(c.Value(kLastRun, Cj("backup")), 1);
  EXPECT_EQ(c.Value(kLastRun, Cj("backup", {{"result", "succeeded"},
                                            {"reason", "CompletionsReached"},
                                            {"pod_reason", "Error"},
                                            {"exit_code", "1"}})),
            1);
}

TEST(LastRun, ARunWithoutFailedPodsHasEmptyPodReasonAndTheNewestRunWins) {
  Cluster c = Watched();
  Job first = StartRun(c);
  c.tracker().OnPodUpsert(FailedPod(MakePod(first, "a", T0 + 301), "OOMKilled", 137));
  c.At(T0 + 320).Finish(first.name, kFail, "BackoffLimitExceeded");
  c.At(T0 + 600).Run("backup", T0 + 600);
  c.At(T0 + 630).Finish(cron::JobNameForSlot("backup", T0 + 600), kOk);
  EXPECT_EQ(c.Value(kLastRun,
                    Cj("backup", {{"result", "succeeded"}, {"pod_reason", ""}, {"exit_code", ""}})),
            1);
  EXPECT_EQ(c.Find(kLastRun, Cj("backup")).size(), 1u);
}

// Two runs created in the same second (creation times have one-second resolution) that end in
// either order: every instance shows the same last run, whatever order its watch (a relist, a
// shard, a restart) delivered the ends in.
TEST(LastRun, RunsCreatedInTheSameSecondShowTheSameLastRunInEitherOrder) {
  size_t succeeded_shown[2];
  for (int order = 0; order < 2; ++order) {
    SCOPED_TRACE(order == 0 ? "success seen first" : "failure seen first");
    Cluster c = Watched();
    Job a = StartRun(c);
    Job b = a;
    b.uid = a.uid + "-second";
    b.name = a.name + "-second";
    c.tracker().OnJobUpsert(b);
    c.At(T0 + 330);
    const Job a_end = Finished(a, kOk, T0 + 330, "CompletionsReached");
    const Job b_end = Finished(b, kFail, T0 + 330, "BackoffLimitExceeded");
    c.tracker().OnJobUpsert(order == 0 ? a_end : b_end);
    c.tracker().OnJobUpsert(order == 0 ? b_end : a_end);
    EXPECT_EQ(c.Find(kLastRun, Cj("backup")).size(), 1u);
    succeeded_shown[order] = c.Find(kLastRun, Cj("backup", {{"result", "succeeded"}})).size();
  }
  EXPECT_EQ(succeeded_shown[0], succeeded_shown[1]);
}

TEST(LastRun, SurvivesTheJobsDeletionAndTtlZeroInEitherOrder) {
  for (bool pods_last : {false, true}) {
    SCOPED_TRACE(pods_last ? "pods vanish last" : "pods vanish first");
    Cluster c = Watched();
    Job job = StartRun(c);
    Pod pod = MakePod(job, "a", T0 + 301);
    c.tracker().OnPodUpsert(pod);
    Pod failed = FailedPod(pod, "OOMKilled", 137);
    c.At(T0 + 330);
    // TTL 0: the Job's DELETED carries its terminal state; the pod's Failed state is seen only
    // in its own DELETED, before or after the Job's.
    Job last = Finished(job, kFail, T0 + 330, "BackoffLimitExceeded");
    if (!pods_last) c.tracker().OnPodDelete(failed);
    c.DeleteWithFinalState(last);
    if (pods_last) c.tracker().OnPodDelete(failed);
    c.At(T0 + 400);
    EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), 1);
    EXPECT_EQ(c.Value(kLastRun, Cj("backup", {{"result", "failed"},
                                              {"reason", "BackoffLimitExceeded"},
                                              {"pod_reason", "OOMKilled"},
                                              {"exit_code", "137"}})),
              1);
  }
}

TEST(Pending, PodsAndEventsBeforeTheirJobApplyWhenItAppears) {
  Cluster c = Watched();
  c.At(T0 + 300);
  CronJob& cj = c.cronjob("backup");
  Job job = ScheduledJob(cj, T0 + 300, T0 + 300);
  // The pods watch is ahead of the Jobs watch.
  c.tracker().OnPodUpsert(FailedPod(MakePod(job, "a", T0 + 301), "Error", 1));
  c.tracker().OnPodUpsert(WaitingPod(MakePod(job, "b", T0 + 302), "ImagePullBackOff"));
  c.tracker().OnEventUpsert(JobEvent("ev-1", job, "FailedCreate", kQuotaMessage, 2, T0 + 301));
  EXPECT_EQ(c.Sum(kPodFailures, Cj("backup")), 0);
  EXPECT_FALSE(c.Has(kWaiting));
  c.Run("backup", T0 + 300);
  EXPECT_EQ(c.Value(kPodFailures, Reason("Error")), 1);
  EXPECT_EQ(
      c.Value(kWaiting,
              {{"job_name", job.name}, {"cronjob", "backup"}, {"reason", "ImagePullBackOff"}}),
      1);
  EXPECT_EQ(c.Value(kCreate, Cj("backup", {{"object", "pod"}, {"cause", "quota"}})), 2);
}

TEST(Pending, WhatNeverFindsItsOwnerIsDroppedAfterAWhile) {
  Cluster c = Watched();
  Job ghost = StandaloneJob("ghost", T0);
  c.tracker().OnPodUpsert(FailedPod(MakePod(ghost, "a", T0 + 1), "Error", 1));
  Pod orphan = FailedPod(MakePod(ghost, "b", T0 + 1), "Error", 1);
  orphan.owner_job_uid.clear();  // no controller owner: no Job's attempt
  c.tracker().OnPodUpsert(orphan);
  c.At(T0 + 2 * kPendingSeconds);
  c.Put(ghost);  // far too late
  EXPECT_EQ(c.Sum(kGroupPodFailures, {{"job_group", "ghost"}}), 0);
}

TEST(Waiting, PodsByReasonWhileTheJobIsUnfinished) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Pod a = MakePod(job, "a", T0 + 301), b = MakePod(job, "b", T0 + 301);
  Labels unschedulable{{"job_name", job.name}, {"reason", "Unschedulable"}};
  Pod gated = a;
  gated.unscheduled_reason = "Unschedulable";
  c.tracker().OnPodUpsert(gated);
  c.tracker().OnPodUpsert(WaitingPod(b, "ContainerCreating"));
  EXPECT_EQ(c.Value(kWaiting, unschedulable), 1);
  EXPECT_EQ(c.Value(kWaiting, {{"job_name", job.name}, {"reason", "ContainerCreating"}}), 1);
  c.tracker().OnPodUpsert(WaitingPod(a, "ContainerCreating"));
  EXPECT_FALSE(c.Has(kWaiting, unschedulable));  // series only for reasons with pods
  EXPECT_EQ(c.Value(kWaiting, {{"job_name", job.name}, {"reason", "ContainerCreating"}}), 2);
  Pod running = a;
  running.phase = PodPhase::kRunning;
  running.containers = {Running()};
  c.tracker().OnPodUpsert(running);
  c.tracker().OnPodDelete(WaitingPod(b, "ContainerCreating"));
  EXPECT_FALSE(c.Has(kWaiting));
  c.tracker().OnPodUpsert(WaitingPod(MakePod(job, "c", T0 + 320), "CrashLoopBackOff"));
  EXPECT_TRUE(c.Has(kWaiting));
  c.At(T0 + 400).Finish(job.name, kFail);
  EXPECT_FALSE(c.Has(kWaiting));  // only unfinished Jobs
}

TEST(StandaloneJobs, PodFailuresAndCreateFailuresByJobGroup) {
  Cluster c = Watched();
  Job job = StandaloneJob("migrate", T0 + 10);
  c.At(T0 + 10).Put(job);
  EXPECT_EQ(c.Value(kGroupCreate, {{"job_group", "migrate"}, {"cause", "quota"}}), 0);
  EXPECT_EQ(c.Find(kGroupCreate, {{"job_group", "migrate"}}).size(), kCreateCauseCount);
  Pod pod = MakePod(job, "a", T0 + 11);
  pod.status_reason = "Evicted";
  pod.phase = PodPhase::kFailed;
  c.tracker().OnPodUpsert(pod);
  c.tracker().OnEventUpsert(JobEvent("ev", job, "FailedCreate",
                                     "Error creating: pods \"migrate-x\" is forbidden: violates "
                                     "PodSecurity \"baseline:latest\": privileged",
                                     1, T0 + 12));
  EXPECT_EQ(c.Value(kGroupPodFailures, {{"job_group", "migrate"}, {"reason", "Evicted"}}), 1);
  EXPECT_EQ(c.Value(kGroupCreate, {{"job_group", "migrate"}, {"cause", "pod_security"}}), 1);
}

TEST(InitialList, FailedPodsAreStateRememberedOnTheirJobNotCounted) {
  Cluster c(T0);
  CronJob cj = MakeCronJob("backup", "*/5 * * * *", T0 - 3600);
  c.Apply(cj);
  Job job = Finished(ScheduledJob(cj, T0 - 300, T0 - 300), kFail, T0 - 200, "BackoffLimitExceeded");
  c.Put(job).Synced();
  c.tracker().OnPodUpsert(FailedPod(MakePod(job, "a", T0 - 299), "OOMKilled", 137));
  c.tracker().OnSynced(batch::Resource::kPods);
  EXPECT_EQ(c.Sum(kPodFailures, Cj("backup")), 0);
  EXPECT_EQ(c.Value(kLastRun, Cj("backup", {{"pod_reason", "OOMKilled"}})), 1);
  // After the sync a new pod is new.
  Job next = ScheduledJob(cj, T0 + 300, T0 + 300);
  c.At(T0 + 300).Put(next);
  c.tracker().OnPodUpsert(FailedPod(MakePod(next, "a", T0 + 301), "OOMKilled", 137));
  EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), 1);
}

TEST(PodReasons, AtMost64DistinctThenOther) {
  Cluster c = Watched();
  Job job = StartRun(c);
  for (int i = 0; i < 70; ++i) {
    Pod p = MakePod(job, std::to_string(i), T0 + 301);
    p.status_reason = "Reason" + std::to_string(i);
    p.phase = PodPhase::kFailed;
    c.tracker().OnPodUpsert(p);
  }
  EXPECT_EQ(c.Find(kPodFailures, Cj("backup")).size(), kMaxWhyReasons + 1);
  EXPECT_EQ(c.Value(kPodFailures, Reason("_other")), 70 - kMaxWhyReasons);
}

// ---------------------------------------------------------------------------------------------
// Events

TEST(Events, OccurrencesCountOnceByTheIncreaseOfCount) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Labels quota = Cj("backup", {{"object", "pod"}, {"cause", "quota"}});
  EXPECT_EQ(c.Value(kCreate, quota), 0);  // exists at 0
  Event e = JobEvent("ev-1", job, "FailedCreate", kQuotaMessage, 1, T0 + 301);
  c.tracker().OnEventUpsert(e);
  EXPECT_EQ(c.Value(kCreate, quota), 1);
  e.count = 4;
  c.tracker().OnEventUpsert(e);
  c.tracker().OnEventUpsert(e);  // relist
  EXPECT_EQ(c.Value(kCreate, quota), 4);
  e.count = 2;  // went down: nothing, and the mark stays
  c.tracker().OnEventUpsert(e);
  e.count = 5;
  c.tracker().OnEventUpsert(e);
  EXPECT_EQ(c.Value(kCreate, quota), 5);
  e.count = 6;
  c.tracker().OnEventDelete(e);  // the last increase, carried by DELETED
  EXPECT_EQ(c.Value(kCreate, quota), 6);
  // Other Job events are not counted; events on the Job are not the CronJob's events.
  c.tracker().OnEventUpsert(JobEvent("ev-2", job, "SuccessfulCreate", "Created pod", 1, T0 + 1));
  EXPECT_FALSE(c.Has(kEvents));
}

TEST(Events, BadEventsAreSkippedOrCountedOnceNeverTwice) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Labels other = Cj("backup", {{"object", "pod"}, {"cause", "other"}});
  Event zero = JobEvent("ev-0", job, "FailedCreate", "", 0, T0 + 301);
  c.tracker().OnEventUpsert(zero);  // count 0 stands for one occurrence
  c.tracker().OnEventUpsert(zero);
  EXPECT_EQ(c.Value(kCreate, other), 1);
  Event no_object = zero;
  no_object.uid = "ev-1";
  no_object.involved_uid.clear();
  c.tracker().OnEventUpsert(no_object);
  Event pod_event = zero;
  pod_event.uid = "ev-2";
  pod_event.involved_kind = "Pod";
  c.tracker().OnEventUpsert(pod_event);
  Event no_uid = zero;
  no_uid.uid.clear();
  c.tracker().OnEventUpsert(no_uid);
  EXPECT_EQ(c.Value(kCreate, other), 1);
  Event huge = JobEvent("ev-3", job, "FailedCreate", std::string(batch::kMaxEventMessageBytes, 'x'),
                        1, T0 + 301);
  c.tracker().OnEventUpsert(huge);
  EXPECT_EQ(c.Value(kCreate, other), 2);
}

TEST(Events, NothingFromBeforeTheStart) {
  Cluster c(T0);
  CronJob cj = MakeCronJob("backup", "*/5 * * * *", T0 - 3600);
  c.Apply(cj).Synced();
  Labels job_quota = Cj("backup", {{"object", "job"}, {"cause", "quota"}});
  const char* refused =
      "Error creating job: jobs.batch \"backup-1\" is forbidden: exceeded quota: jobs, requested: "
      "count/jobs.batch=1, used: count/jobs.batch=2, limited: count/jobs.batch=2";
  // In the initial list: its 7 occurrences are from before the start.
  Event listed = CronJobEvent("ev-1", cj, "FailedCreate", refused, 7, T0 - 600);
  c.tracker().OnEventUpsert(listed);
  c.tracker().OnSynced(batch::Resource::kEvents);
  EXPECT_EQ(c.Value(kCreate, job_quota), 0);
  listed.count = 9;
  c.tracker().OnEventUpsert(listed);
  EXPECT_EQ(c.Value(kCreate, job_quota), 2);
  EXPECT_EQ(c.Value(kEvents, Cj("backup", {{"reason", "FailedCreate"}})), 2);
  // First seen in a relist after the start: created since, every occurrence counts.
  c.At(T0 + 100);
  c.tracker().OnEventUpsert(CronJobEvent("ev-2", cj, "MissSchedule", "Missed", 3, T0 + 50));
  EXPECT_EQ(c.Value(kEvents, Cj("backup", {{"reason", "MissSchedule"}})), 3);
  // First seen after the sync but begun before the start (a relist after a long gap): only
  // later increases count.
  Event old = CronJobEvent("ev-3", cj, "JobAlreadyActive", "Not starting", 5, T0 - 60);
  c.tracker().OnEventUpsert(old);
  EXPECT_FALSE(c.Has(kEvents, Cj("backup", {{"reason", "JobAlreadyActive"}})));
  old.count = 6;
  c.tracker().OnEventUpsert(old);
  EXPECT_EQ(c.Value(kEvents, Cj("backup", {{"reason", "JobAlreadyActive"}})), 1);
}

TEST(Events, EventsOnTheCronJobBeforeItAppears) {
  Cluster c(T0);
  CronJob cj = MakeCronJob("report", "0 * * * *", T0 - 3600);
  c.tracker().OnSynced(batch::Resource::kEvents);
  c.tracker().OnEventUpsert(CronJobEvent(
      "ev-1", cj, "FailedCreate",
      "Error creating job: admission webhook \"deny.example.com\" denied the request: no", 1,
      T0 + 1));
  c.Apply(cj).Synced();
  EXPECT_EQ(c.Value(kCreate, Cj("report", {{"object", "job"}, {"cause", "webhook"}})), 1);
  EXPECT_EQ(c.Value(kEvents, Cj("report", {{"reason", "FailedCreate"}})), 1);
  EXPECT_EQ(c.Find(kCreate, Cj("report")).size(), 2 * kCreateCauseCount);
}

// ---------------------------------------------------------------------------------------------
// Restarts and degradation

class WhyRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "why_state_" + std::to_string(::getpid()) + ".json";
    std::remove(path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(WhyRestart, WithTheStateFileNothingCountsTwiceAndCountersContinue) {
  Cluster c = Watched();
  Job job = StartRun(c);
  c.tracker().OnPodUpsert(FailedPod(MakePod(job, "a", T0 + 301), "OOMKilled", 137));
  // On the CronJob, which outlives the Job.
  Event e = CronJobEvent("ev-1", c.cronjob("backup"), "FailedCreate", kQuotaMessage, 3, T0 + 301);
  c.tracker().OnEventUpsert(e);
  c.At(T0 + 330).Finish(job.name, kFail, "BackoffLimitExceeded");
  c.Delete(job.name);  // the Job and its pods are gone before the restart
  std::string error;
  ASSERT_TRUE(c.tracker().SaveState(path_, &error)) << error;

  std::string message;
  c.Restart(T0 + 600, [&](Tracker& t) { ASSERT_TRUE(t.LoadState(path_, &message)) << message; });
  e.count = 5;  // two more while batchwatch was down
  c.tracker().OnEventUpsert(e);
  c.tracker().OnSynced(batch::Resource::kPods);
  c.tracker().OnSynced(batch::Resource::kEvents);
  c.tracker().OnEventUpsert(e);
  EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), 1);
  EXPECT_EQ(c.Value(kCreate, Cj("backup", {{"object", "job"}, {"cause", "quota"}})), 5);
  EXPECT_EQ(c.Value(kEvents, Cj("backup", {{"reason", "FailedCreate"}})), 5);
  EXPECT_EQ(c.Value(kLastRun,
                    Cj("backup",
                       {{"result", "failed"}, {"pod_reason", "OOMKilled"}, {"exit_code", "137"}})),
            1);
}

TEST_F(WhyRestart, WithoutTheStateFileCountsStartAtZeroAndOldOccurrencesDoNotCount) {
  Cluster c = Watched();
  Job job = StartRun(c);
  Pod failed = FailedPod(MakePod(job, "a", T0 + 301), "OOMKilled", 137);
  c.tracker().OnPodUpsert(failed);
  Event e = JobEvent("ev-1", job, "FailedCreate", kQuotaMessage, 3, T0 + 301);
  c.tracker().OnEventUpsert(e);
  EXPECT_EQ(c.Value(kPodFailures, Reason("OOMKilled")), 1);

  c.Restart(T0 + 600);
  c.tracker().OnPodUpsert(failed);
  c.tracker().OnEventUpsert(e);
  c.tracker().OnSynced(batch::Resource::kPods);
  c.tracker().OnSynced(batch::Resource::kEvents);
  Labels quota = Cj("backup", {{"object", "pod"}, {"cause", "quota"}});
  EXPECT_EQ(c.Sum(kPodFailures, Cj("backup")), 0);
  EXPECT_EQ(c.Value(kCreate, quota), 0);
  e.count = 4;
  c.tracker().OnEventUpsert(e);
  EXPECT_EQ(c.Value(kCreate, quota), 1);
}

TEST_F(WhyRestart, AnEarlierStateFileWithoutTheWhyKeysLoads) {
  std::string message;
  Cluster c(T0);
  c.Restart(T0, [&](Tracker& t) {
    EXPECT_TRUE(t.LoadState(std::string(BW_GOLDEN_DIR) + "/state.json", &message)) << message;
  });
  EXPECT_EQ(message.find("loaded") != std::string::npos, true) << message;
}

TEST(Degraded, PodsWithoutRbacClearWaitingAndKeepEverythingElse) {
  Cluster c = Watched();
  Job job = StartRun(c);
  c.tracker().OnPodUpsert(WaitingPod(MakePod(job, "a", T0 + 301), "ErrImagePull"));
  c.tracker().OnPodUpsert(FailedPod(MakePod(job, "b", T0 + 301), "Error", 1));
  EXPECT_TRUE(c.Has(kWaiting));
  c.tracker().OnDegraded(batch::Resource::kPods, true);
  c.tracker().OnDegraded(batch::Resource::kEvents, true);
  EXPECT_FALSE(c.Has(kWaiting));
  EXPECT_EQ(c.Value(kPodFailures, Reason("Error")), 1);
  c.At(T0 + 400).Finish(job.name, kOk);
  EXPECT_EQ(c.Value("batchwatch_cronjob_runs_total", Cj("backup", {{"result", "succeeded"}})), 1);
  // Access back: the relist attaches the pods again, nothing counted twice.
  c.tracker().OnDegraded(batch::Resource::kPods, false);
  c.tracker().OnPodUpsert(FailedPod(MakePod(job, "b", T0 + 301), "Error", 1));
  EXPECT_EQ(c.Value(kPodFailures, Reason("Error")), 1);
}

}  // namespace
}  // namespace batchwatch::tracker::testing

namespace batchwatch::tracker::testing {
namespace {

// A state file whose "why" keys are malformed is set aside like any malformed file, never
// half-applied.
class WhyStateFile : public WhyRestart,
                     public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(WhyStateFile, MalformedWhyKeysAreSetAside) {
  Cluster c = Watched();
  Job job = StartRun(c);
  c.tracker().OnPodUpsert(FailedPod(MakePod(job, "a", T0 + 301), "OOMKilled", 137));
  c.At(T0 + 330).Finish(job.name, kFail, "BackoffLimitExceeded");
  c.tracker().OnEventUpsert(
      CronJobEvent("ev-1", c.cronjob("backup"), "FailedCreate", kQuotaMessage, 3, T0 + 301));
  std::string error;
  ASSERT_TRUE(c.tracker().SaveState(path_, &error)) << error;
  nlohmann::json doc;
  {
    std::ifstream in(path_);
    in >> doc;
  }
  const auto& [pointer, value] = GetParam();
  doc[nlohmann::json::json_pointer(pointer)] = nlohmann::json::parse(value);
  {
    std::ofstream out(path_);
    out << doc.dump();
  }
  std::string message;
  TrackerOptions options;
  options.clock = [] { return T0; };
  Tracker fresh(options);
  EXPECT_FALSE(fresh.LoadState(path_, &message));
  EXPECT_NE(message.find("malformed"), std::string::npos) << message;
  std::string text;
  fresh.AppendMetrics(&text);
  EXPECT_EQ(text.find("pod_failures_total{"), std::string::npos) << text;
  std::remove((path_ + ".corrupt-" + std::to_string(T0)).c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WhyStateFile,
    ::testing::Values(std::make_pair("/cronjobs/0/why", "[]"),
                      std::make_pair("/cronjobs/0/why/pod_failures/0/count", "-1"),
                      std::make_pair("/cronjobs/0/why/pod_failures/0/count", "1e99"),
                      std::make_pair("/cronjobs/0/why/create_failures_job", "{\"nope\": 1}"),
                      std::make_pair("/cronjobs/0/why/last_run/result", "\"maybe\""),
                      std::make_pair("/cronjobs/0/why/last_run/exit_code", "4294967296"),
                      std::make_pair("/event_marks", "{}"),
                      std::make_pair("/event_marks/0/count", "-5")),
    [](const ::testing::TestParamInfo<std::pair<const char*, const char*>>& info) {
      return "Value" + std::to_string(info.index);
    });

}  // namespace
}  // namespace batchwatch::tracker::testing
