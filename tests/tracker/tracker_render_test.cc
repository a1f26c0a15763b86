// The exposition text itself: families contiguous with one HELP/TYPE each, exact buckets,
// escaping, per-Job gauges, schedule errors, every series shaped as its row of metric_table.h
// says, and `promtool check metrics` when available.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "metrics/metric_info.h"
#include "scenario.h"
#include "tracker/metric_table.h"
#include "why_scenario.h"

namespace batchwatch::tracker::testing {
namespace {

// A cluster exercising every family: CronJobs with runs, misses, errors; standalone and
// unfinished Jobs; awkward label values.
Cluster Busy(TrackerOptions options = {}) {
  Cluster c(T0, options);
  CronJob a = MakeCronJob("backup", "*/5 * * * *", T0 - 3600);
  a.concurrency_policy = batch::ConcurrencyPolicy::kForbid;
  CronJob b = MakeCronJob("report", "TZ=Asia/Tokyo 0 9 * * 1-5", T0 - 3600);
  CronJob bad = MakeCronJob("broken", "61 * * * *", T0 - 3600);
  CronJob zone = MakeCronJob("mars", "0 * * * *", T0 - 3600);
  zone.time_zone = "Mars/Olympus_Mons";
  CronJob never = MakeCronJob("never", "0 0 30 2 *", T0 - 3600);
  for (const CronJob& cj : {a, b, bad, zone, never}) c.Apply(cj);
  c.Synced();
  c.At(T0 + 300).Run("backup", T0 + 300);
  c.At(T0 + 330).Finish(cron::JobNameForSlot("backup", T0 + 300), JobOutcome::kFailed,
                        "Weird \"quoted\" \\ reason\nline");
  Job standalone = StandaloneJob("adhoc", T0 + 10);
  standalone.active_deadline_seconds = 600;
  standalone.completions = 1;
  standalone.backoff_limit = 6;
  c.Put(standalone);
  c.At(T0 + 1000);
  return c;
}

TEST(Render, EveryFamilyHasOneHeaderAndContiguousSeries) {
  std::string text = Busy().Text();
  std::set<std::string> seen_families;
  std::string current;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(seen_families.insert(family).second) << "second TYPE for " << family;
      current = family;
      continue;
    }
    if (line[0] == '#') continue;
    std::string name = line.substr(0, line.find('{'));
    EXPECT_EQ(name.rfind(current, 0), 0u) << name << " outside its family " << current;
  }
  for (const MetricInfo* m : TrackerMetrics())
    EXPECT_EQ(seen_families.count(m->name), 1u) << m->name;
  EXPECT_EQ(seen_families.size(), TrackerMetrics().size());
}

// Label names of a series line, in order.
std::vector<std::string> LabelKeys(const std::string& line) {
  std::vector<std::string> keys;
  size_t i = line.find('{');
  if (i == std::string::npos || line[i] == ' ') return keys;
  ++i;
  while (i < line.size() && line[i] != '}') {
    const size_t eq = line.find('=', i);
    keys.push_back(line.substr(i, eq - i));
    i = eq + 2;
    while (line[i] != '"') i += line[i] == '\\' ? 2 : 1;
    ++i;
    if (line[i] == ',') ++i;
  }
  return keys;
}

// The rows' label names are what docs/metrics.md and the contract say: every series carries
// exactly those, in that order (histogram buckets add `le`), and each row's TYPE and HELP line
// is the one /metrics shows.
TEST(Render, SeriesCarryTheLabelsAndHeaderOfTheirRow) {
  TrackerOptions all;
  all.job_gauges = JobGauges::kAll;
  Cluster c = Busy(all);
  // Busy() and a success, a finished standalone run and a Job reporting status.ready: a series
  // of every family.
  c.At(T0 + 1200).Run("backup", T0 + 1200);
  c.At(T0 + 1260).Finish(cron::JobNameForSlot("backup", T0 + 1200), JobOutcome::kSucceeded);
  Job ready = StandaloneJob("ready", T0 + 1260);
  ready.ready = 1;
  c.Put(ready).At(T0 + 1300).Finish("ready", JobOutcome::kSucceeded, "Done");
  // Pods and events: failed and waiting pods, controller events (the "why" families).
  c.tracker().OnSynced(batch::Resource::kPods);
  c.tracker().OnSynced(batch::Resource::kEvents);
  const Job& adhoc = c.job("adhoc");
  c.tracker().OnPodUpsert(FailedPod(MakePod(adhoc, "a", T0 + 1300), "OOMKilled", 137));
  c.tracker().OnPodUpsert(WaitingPod(MakePod(adhoc, "b", T0 + 1300), "ImagePullBackOff"));
  c.tracker().OnEventUpsert(
      CronJobEvent("ev", c.cronjob("backup"), "FailedCreate", kQuotaMessage, 1, T0 + 1300));
  Job run = c.job(cron::JobNameForSlot("backup", T0 + 1200));
  c.tracker().OnPodUpsert(FailedPod(MakePod(run, "a", T0 + 1300), "Error", 1));
  const std::string text = c.Text();
  std::map<std::string, const MetricInfo*> rows;
  for (const MetricInfo* m : TrackerMetrics()) rows[m->name] = m;
  std::istringstream in(text);
  std::string line;
  const MetricInfo* current = nullptr;
  std::set<std::string> with_series;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      ASSERT_TRUE(rows.count(name)) << name;
      current = rows[name];
      EXPECT_EQ(line, std::string("# HELP ") + current->name + " " + current->help);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      EXPECT_EQ(line,
                std::string("# TYPE ") + current->name + " " + metrics::TypeName(current->type));
      continue;
    }
    ASSERT_NE(current, nullptr);
    with_series.insert(current->name);
    std::vector<std::string> want;
    for (std::string_view l : metrics::LabelNames(*current)) want.emplace_back(l);
    const std::string name = line.substr(0, line.find('{'));
    if (name == std::string(current->name) + "_bucket") want.push_back("le");
    EXPECT_EQ(LabelKeys(line), want) << line;
  }
  for (const MetricInfo* m : TrackerMetrics()) {
    EXPECT_EQ(with_series.count(m->name), 1u) << m->name << " has no series";
  }
}

TEST(Render, JobPodGaugesFollowStatus) {
  Cluster c = Busy();
  // status.ready absent: the server does not report it, so no series (not a 0).
  EXPECT_FALSE(c.Has("batchwatch_job_ready_pods", {{"job_name", "adhoc"}}));
  EXPECT_EQ(c.Value("batchwatch_job_succeeded_pods", {{"job_name", "adhoc"}}), 0);
  Job j = StandaloneJob("adhoc", T0 + 10);
  j.active_deadline_seconds = 600;
  j.active = 3;
  j.ready = 2;
  j.succeeded = 4;
  c.Put(j);
  EXPECT_EQ(c.Value("batchwatch_job_ready_pods", {{"job_name", "adhoc"}, {"cronjob", ""}}), 2);
  EXPECT_EQ(c.Value("batchwatch_job_succeeded_pods", {{"job_name", "adhoc"}}), 4);
  j.ready = 0;
  c.Put(j);
  EXPECT_EQ(c.Value("batchwatch_job_ready_pods", {{"job_name", "adhoc"}}), 0);
}

TEST(Render, JobSpecGaugesOnlyWhenSet) {
  Cluster c = Busy();
  EXPECT_EQ(c.Value("batchwatch_job_backoff_limit", {{"job_name", "adhoc"}}), 6);
  Job j = StandaloneJob("adhoc", T0 + 10);
  c.Put(j);
  EXPECT_FALSE(c.Has("batchwatch_job_completions", {{"job_name", "adhoc"}}));
  EXPECT_FALSE(c.Has("batchwatch_job_backoff_limit", {{"job_name", "adhoc"}}));
  j.completions = 5;
  j.backoff_limit = 0;  // a limit of 0 is a real value: no retries
  c.Put(j);
  EXPECT_EQ(c.Value("batchwatch_job_completions", {{"job_name", "adhoc"}, {"cronjob", ""}}), 5);
  EXPECT_EQ(c.Value("batchwatch_job_backoff_limit", {{"job_name", "adhoc"}, {"cronjob", ""}}), 0);
}

TEST(Render, HistogramsUseTheContractBuckets) {
  Cluster c = Busy();
  std::vector<std::string> le;
  for (auto& s : c.Find("batchwatch_cronjob_run_duration_seconds_bucket", Cj("backup"))) {
    le.push_back(s.labels["le"]);
  }
  EXPECT_EQ(
      le, (std::vector<std::string>{"1", "5", "15", "30", "60", "120", "300", "600", "1200", "1800",
                                    "3600", "7200", "14400", "28800", "86400", "+Inf"}));
  le.clear();
  for (auto& s : c.Find("batchwatch_cronjob_start_delay_seconds_bucket", Cj("backup"))) {
    le.push_back(s.labels["le"]);
  }
  EXPECT_EQ(le, (std::vector<std::string>{"0.5", "1", "2", "5", "10", "30", "60", "120", "300",
                                          "600", "1800", "3600", "+Inf"}));
}

TEST(Render, LabelValuesAreEscaped) {
  Cluster c = Busy();
  EXPECT_NE(c.Text().find("reason=\"Weird \\\"quoted\\\" \\\\ reason\\nline\""), std::string::npos);
  EXPECT_EQ(c.Value("batchwatch_cronjob_runs_total",
                    Cj("backup", {{"reason", "Weird \"quoted\" \\ reason\nline"}})),
            1);
}

struct ErrorCase {
  const char* cronjob;
  const char* error;
};

class ScheduleErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ScheduleErrors, ShowErrorAndNoNextSchedule) {
  Cluster c = Busy();
  EXPECT_EQ(c.Value("batchwatch_cronjob_schedule_error",
                    Cj(GetParam().cronjob, {{"error", GetParam().error}})),
            1);
  EXPECT_FALSE(c.Has("batchwatch_cronjob_next_schedule_time_seconds", Cj(GetParam().cronjob)));
  EXPECT_EQ(c.Sum("batchwatch_cronjob_missed_schedules_total", Cj(GetParam().cronjob)), 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, ScheduleErrors,
                         ::testing::Values(ErrorCase{"broken", "unparseable_schedule"},
                                           ErrorCase{"mars", "unknown_timezone"},
                                           ErrorCase{"never", "never_fires"}),
                         [](const auto& info) { return std::string(info.param.cronjob); });

TEST(Render, InfoCarriesScheduleZoneAndPolicy) {
  Cluster c = Busy();
  EXPECT_EQ(
      c.Value("batchwatch_cronjob_info", Cj("report", {{"schedule", "TZ=Asia/Tokyo 0 9 * * 1-5"},
                                                       {"timezone", "Asia/Tokyo"},
                                                       {"concurrency_policy", "Allow"}})),
      1);
  EXPECT_EQ(c.Value("batchwatch_cronjob_info",
                    Cj("backup", {{"timezone", "UTC"}, {"concurrency_policy", "Forbid"}})),
            1);
  EXPECT_FALSE(c.Has("batchwatch_cronjob_schedule_error", Cj("backup")));
  // 2024-01-01 is a Monday: next 09:00 Tokyo is 00:00Z on 2024-01-02.
  EXPECT_EQ(c.Value("batchwatch_cronjob_next_schedule_time_seconds", Cj("report")), T0 + 86400);
}

struct GaugeCase {
  const char* name;
  JobGauges mode;
  bool unfinished_shown;
  bool finished_shown;
};

class JobGaugeModes : public ::testing::TestWithParam<GaugeCase> {};

TEST_P(JobGaugeModes, ControlWhichJobsHaveGauges) {
  TrackerOptions options;
  options.job_gauges = GetParam().mode;
  Cluster c = Busy(options);
  EXPECT_EQ(c.Has("batchwatch_job_active_pods", {{"job_name", "adhoc"}, {"cronjob", ""}}),
            GetParam().unfinished_shown);
  EXPECT_EQ(c.Has("batchwatch_job_deadline_seconds", {{"job_name", "adhoc"}}),
            GetParam().unfinished_shown);
  EXPECT_EQ(c.Has("batchwatch_job_failed_pods",
                  {{"job_name", cron::JobNameForSlot("backup", T0 + 300)}, {"cronjob", "backup"}}),
            GetParam().finished_shown);
  if (GetParam().unfinished_shown) {
    EXPECT_EQ(c.Value("batchwatch_job_start_time_seconds", {{"job_name", "adhoc"}}), T0 + 10);
    EXPECT_EQ(c.Value("batchwatch_job_deadline_seconds", {{"job_name", "adhoc"}}), 600);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, JobGaugeModes,
                         ::testing::Values(GaugeCase{"Unfinished", JobGauges::kUnfinished, true,
                                                     false},
                                           GaugeCase{"All", JobGauges::kAll, true, true},
                                           GaugeCase{"None", JobGauges::kNone, false, false}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Render, PassesPromtoolCheckMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "no promtool";
  std::string path = ::testing::TempDir() + "tracker_render_promtool.txt";
  std::ofstream(path) << Busy().Text();
  std::string cmd = "promtool check metrics < " + path + " > " + path + ".out 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream out(path + ".out");
  std::string report((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << report;
  std::remove(path.c_str());
  std::remove((path + ".out").c_str());
}

}  // namespace
}  // namespace batchwatch::tracker::testing
