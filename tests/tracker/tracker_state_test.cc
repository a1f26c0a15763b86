// --state-file: restarts continue counters and resolve the slots that passed while batchwatch
// was down from the Jobs still present; unusable files are moved aside, never fatal.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "scenario.h"

namespace batchwatch::tracker::testing {
namespace {

namespace fs = std::filesystem;

const char* kRuns = "batchwatch_cronjob_runs_total";
const char* kMissed = "batchwatch_cronjob_missed_schedules_total";
const char* kDelay = "batchwatch_cronjob_start_delay_seconds_count";

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tracker_state_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "state.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& text) { std::ofstream(path_) << text; }
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
  std::string path_;
};

std::string JobFor(UnixSeconds slot) { return cron::JobNameForSlot("backup", slot); }

// Two runs watched, then batchwatch stops at T0+650 (state saved). While it is down: slot 900
// runs and finishes, slot 1200 has no Job (evidence gone either way), slot 1500 is running.
Cluster WatchedThenDown(const std::string& path) {
  Cluster c(T0);
  CronJob cj = MakeCronJob("backup", "*/5 * * * *", T0 - 3600);
  cj.last_schedule_time = T0;
  c.Apply(cj).Synced();
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 330).Finish(JobFor(T0 + 300), JobOutcome::kSucceeded);
  c.At(T0 + 600).Run("backup", T0 + 600);
  c.At(T0 + 640).Finish(JobFor(T0 + 600), JobOutcome::kFailed);
  c.At(T0 + 650);
  std::string error;
  EXPECT_TRUE(c.tracker().SaveState(path, &error)) << error;
  // Down: the cluster goes on without batchwatch watching.
  c.At(T0 + 901).Run("backup", T0 + 900);
  c.At(T0 + 930).Finish(JobFor(T0 + 900), JobOutcome::kSucceeded);
  c.At(T0 + 1501).Run("backup", T0 + 1500);
  return c;
}

TEST_F(StateFileTest, RestartWithStateContinuesCountersAndResolvesDowntimeFromJobs) {
  Cluster c = WatchedThenDown(path_);
  std::string message;
  c.Restart(T0 + 1520, [&](Tracker& t) { EXPECT_TRUE(t.LoadState(path_, &message)) << message; });
  // Counters continue: 2 before, plus the run that finished while down; nothing twice.
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "succeeded"}})), 2);
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "failed"}})), 1);
  EXPECT_EQ(c.Value("batchwatch_cronjob_run_duration_seconds_count",
                    Cj("backup", {{"result", "succeeded"}})),
            2);
  c.At(T0 + 1800).Run("backup", T0 + 1800);
  c.At(T0 + 2000);
  // 300, 600 before; 900 and 1500 from the Jobs still present; 1800 watched. 1200: no evidence.
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 5);
  EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 0);
  c.At(T0 + 2000).Finish(JobFor(T0 + 1500), JobOutcome::kSucceeded);
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "succeeded"}})), 3);
  // Saved again and restarted at once: identical counters.
  std::string error;
  ASSERT_TRUE(c.tracker().SaveState(path_, &error)) << error;
  std::string before = c.Text();
  c.Restart(T0 + 2000, [&](Tracker& t) { EXPECT_TRUE(t.LoadState(path_, &message)); });
  EXPECT_EQ(c.Value(kRuns, Cj("backup", {{"result", "succeeded"}})), 3);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 5);
  EXPECT_EQ(Files(), std::vector<std::string>{"state.json"});  // no temp files left
}

// Three failed runs in a row whose first two Jobs are gone (failedJobsHistoryLimit: 1): the
// consecutive failures survive restarts with the state file, the Job still present is not a
// fourth one, and the next success clears them.
TEST_F(StateFileTest, ConsecutiveFailuresSurviveRestartsAfterTheirJobsAreGone) {
  const char* kConsecutive = "batchwatch_cronjob_consecutive_failures";
  Cluster c(T0);
  CronJob cj = MakeCronJob("backup", "*/5 * * * *", T0 - 3600);
  cj.last_schedule_time = T0;
  c.Apply(cj).Synced();
  for (UnixSeconds slot : {T0 + 300, T0 + 600, T0 + 900}) {
    c.At(slot + 1).Run("backup", slot);
    c.At(slot + 30).Finish(JobFor(slot), JobOutcome::kFailed);
    if (slot != T0 + 900) c.At(slot + 31).Delete(JobFor(slot));
  }
  ASSERT_EQ(c.Value(kConsecutive, Cj("backup")), 3);
  std::string error, message;
  ASSERT_TRUE(c.tracker().SaveState(path_, &error)) << error;
  c.Restart(T0 + 950, [&](Tracker& t) { EXPECT_TRUE(t.LoadState(path_, &message)) << message; });
  EXPECT_EQ(c.Value(kConsecutive, Cj("backup")), 3);
  ASSERT_TRUE(c.tracker().SaveState(path_, &error)) << error;
  c.Restart(T0 + 960, [&](Tracker& t) { EXPECT_TRUE(t.LoadState(path_, &message)) << message; });
  EXPECT_EQ(c.Value(kConsecutive, Cj("backup")), 3);
  c.Relist();
  EXPECT_EQ(c.Value(kConsecutive, Cj("backup")), 3);
  c.At(T0 + 1201).Run("backup", T0 + 1200);
  c.At(T0 + 1230).Finish(JobFor(T0 + 1200), JobOutcome::kSucceeded);
  EXPECT_EQ(c.Value(kConsecutive, Cj("backup")), 0);
}

TEST_F(StateFileTest, RestartWithoutStateStartsCountersAtZero) {
  Cluster c = WatchedThenDown(path_);
  c.Restart(T0 + 1520);
  EXPECT_EQ(c.Sum(kRuns, Cj("backup")), 0);
  EXPECT_EQ(c.Value(kDelay, Cj("backup")), 0);
  EXPECT_EQ(c.Value("batchwatch_cronjob_last_success_time_seconds", Cj("backup")), T0 + 930);
  EXPECT_EQ(c.Value("batchwatch_cronjob_active_jobs", Cj("backup")), 1);
  c.At(T0 + 1600).Finish(JobFor(T0 + 1500), JobOutcome::kSucceeded);
  EXPECT_EQ(c.Sum(kRuns, Cj("backup")), 1);
}

TEST_F(StateFileTest, MissingFileIsAFreshStartWithoutWarning) {
  Cluster c(T0);
  std::string message;
  EXPECT_TRUE(c.tracker().LoadState(path_, &message));
  EXPECT_TRUE(Files().empty());
}

struct BadFile {
  const char* name;
  const char* content;
};

class UnusableStateFile : public StateFileTest, public ::testing::WithParamInterface<BadFile> {};

TEST_P(UnusableStateFile, IsMovedAsideAndTrackerStartsFresh) {
  Write(GetParam().content);
  Cluster c(T0);
  std::string message;
  EXPECT_FALSE(c.tracker().LoadState(path_, &message));
  EXPECT_NE(message.find("corrupt-"), std::string::npos) << message;
  EXPECT_EQ(Files(), std::vector<std::string>{"state.json.corrupt-" + std::to_string(T0)});
  // Works normally afterwards, and can save a fresh file.
  c.Apply(MakeCronJob("backup", "*/5 * * * *", T0 - 3600)).Synced();
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 310).Finish(JobFor(T0 + 300), JobOutcome::kSucceeded);
  EXPECT_EQ(c.Sum(kRuns, Cj("backup")), 1);
  std::string error;
  EXPECT_TRUE(c.tracker().SaveState(path_, &error)) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UnusableStateFile,
    ::testing::Values(
        BadFile{"Garbage", "\x01\x02 not json"}, BadFile{"Truncated", "{\"version\": 1, \"cou"},
        BadFile{"Empty", ""}, BadFile{"NotAnObject", "[1,2,3]"},
        BadFile{"FutureVersion", "{\"version\": 99}"}, BadFile{"NoVersion", "{\"cronjobs\": []}"},
        // Fuzz-found (fuzz/corpus/state_file/regress_*): out-of-range float -> int64 was UB.
        BadFile{"TimeOutOfRange",
                "{\"version\":1,\"counting_since\":1e78,\"cronjobs\":[],"
                "\"job_groups\":[],\"counted_jobs\":[]}"},
        BadFile{"NegativeCount",
                "{\"version\":1,\"counting_since\":0,\"cronjobs\":[],\"counted_jobs\":"
                "[],\"job_groups\":[{\"namespace\":\"ns\",\"group\":\"g\",\"counts\":"
                "{\"runs\":[{\"trigger\":\"scheduled\",\"result\":\"failed\","
                "\"reason\":\"\",\"count\":-1}]}}]}"},
        BadFile{"WrongTypes",
                "{\"version\":1,\"counting_since\":\"x\",\"cronjobs\":[],"
                "\"job_groups\":[],\"counted_jobs\":[]}"},
        BadFile{"BadHistogram",
                "{\"version\":1,\"counting_since\":0,\"job_groups\":[],"
                "\"counted_jobs\":[],\"cronjobs\":[{\"namespace\":\"ns\",\"name\":"
                "\"a\",\"counts\":{\"runs\":[]},\"start_delay\":{\"buckets\":[1],"
                "\"sum\":0,\"count\":0},\"missed_deadline_exceeded\":0,"
                "\"missed_superseded\":0,\"forbid_skipped\":0,\"replaced\":0}]}"},
        BadFile{"UnknownResult",
                "{\"version\":1,\"counting_since\":0,\"cronjobs\":[],\"counted_jobs\":"
                "[],\"job_groups\":[{\"namespace\":\"ns\",\"group\":\"g\",\"counts\":"
                "{\"runs\":[{\"trigger\":\"scheduled\",\"result\":\"exploded\","
                "\"reason\":\"\",\"count\":1}]}}]}"}),
    [](const auto& info) { return std::string(info.param.name); });

// Fuzz-found (fuzz/corpus/state_file/regress_*): the retention checks computed now - t, which
// overflowed for deleted_at = INT64_MIN. Any int64 in the file must load and age out.
TEST_F(StateFileTest, ExtremeTimesLoadAndAgeOutWithoutOverflow) {
  const std::string history =
      "\"counts\":{\"runs\":[{\"trigger\":\"scheduled\",\"result\":\"succeeded\","
      "\"reason\":\"\",\"count\":2}]},\"start_delay\":{\"buckets\":[0,0,0,0,0,0,0,0,0,0,0,0,0],"
      "\"sum\":0,\"count\":0},\"missed_deadline_exceeded\":0,\"missed_superseded\":0,"
      "\"forbid_skipped\":0,\"replaced\":0";
  Write(
      "{\"version\":1,\"saved_at\":-9223372036854775808,"
      "\"counting_since\":9223372036854775807,\"job_groups\":[],\"cronjobs\":["
      "{\"namespace\":\"ns\",\"name\":\"long-gone\",\"deleted_at\":-9223372036854775808," +
      history +
      "},"
      "{\"namespace\":\"ns\",\"name\":\"far-future\",\"deleted_at\":9223372036854775807," +
      history +
      "}],"
      "\"counted_jobs\":[{\"uid\":\"a\",\"deleted_at\":-9223372036854775808},"
      "{\"uid\":\"b\",\"deleted_at\":9223372036854775807}]}");
  Cluster c(T0);
  std::string message;
  ASSERT_TRUE(c.tracker().LoadState(path_, &message)) << message;
  EXPECT_EQ(c.Sum(kRuns, Cj("long-gone")), 2);
  c.At(T0 + 2 * 3600, 600);  // past the deleted-CronJob retention: purged
  EXPECT_FALSE(c.Has(kRuns, Cj("long-gone")));
  EXPECT_EQ(c.Sum(kRuns, Cj("far-future")), 2);
  std::string error;
  EXPECT_TRUE(c.tracker().SaveState(path_, &error)) << error;
}

// Fuzz-found (fuzz/corpus/state_file/regress_*): a file whose accounted_until lies centuries
// back (or is INT64_MIN) made every tick walk 200000 slots of the slow pre-1900 path, for ages,
// and overflowed. Resuming now starts no earlier than the CronJob's creation (and 400 days).
TEST_F(StateFileTest, AncientAccountedUntilResumesWithBoundedWork) {
  for (const char* accounted : {"-9223372036854775808", "-62135596800", "0"}) {
    Write(std::string("{\"version\":1,\"saved_at\":0,\"counting_since\":-9223372036854775808,"
                      "\"job_groups\":[],\"counted_jobs\":[],\"cronjobs\":[{\"namespace\":\"") +
          kNs +
          "\",\"name\":\"backup\",\"uid\":\"uid-cj-backup\",\"accounted_until\":" + accounted +
          ",\"slots_only\":true,\"counts\":{\"runs\":[]},\"start_delay\":{\"buckets\":"
          "[0,0,0,0,0,0,0,0,0,0,0,0,0],\"sum\":0,\"count\":0},\"missed_deadline_exceeded\":0,"
          "\"missed_superseded\":0,\"forbid_skipped\":0,\"replaced\":0}]}");
    Cluster c(T0);
    std::string message;
    ASSERT_TRUE(c.tracker().LoadState(path_, &message)) << accounted << ": " << message;
    c.Apply(MakeCronJob("backup", "* * * * *", T0 - 3 * 86400)).Synced();
    c.At(T0 + 125);
    // Downtime slots without Jobs are not misses; slots watched since are.
    EXPECT_EQ(c.Sum(kMissed, Cj("backup")), 1) << accounted;
  }
}

TEST_F(StateFileTest, SaveIntoMissingDirectoryFailsWithContext) {
  Cluster c(T0);
  std::string error;
  EXPECT_FALSE(c.tracker().SaveState((dir_ / "nope" / "state.json").string(), &error));
  EXPECT_NE(error.find("nope/state.json"), std::string::npos) << error;
}

}  // namespace
}  // namespace batchwatch::tracker::testing
