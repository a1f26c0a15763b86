// Pins the tracker's full /metrics text (Tracker::AppendMetrics) for one fixed scenario: a fixed
// clock and fixed objects that exercise every family (policies, zones, a DST day, misses of both
// reasons, Forbid skips, Replace, suspension, manual runs, odd reasons, schedule errors,
// standalone groups, per-Job gauges, a deleted CronJob). No existing series may change: every
// family of a golden file must come out with exactly its lines (HELP, TYPE, series, in order).
// Families the golden file does not have are allowed (new metrics) and listed on failure.
//
// The golden files were produced by the code before the tracker refactoring (commit 9d9fdb4,
// with this test compiled there after `sed s/batch::/kube::/g; s#batch/objects.h#kube/objects.h#`).
// To rewrite them after an intended change of existing series, run
//   BATCHWATCH_UPDATE_GOLDEN=1 build/tests/tracker/tracker_tests --gtest_filter='GoldenMetrics.*'
// and explain the change in the commit message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "scenario.h"

#ifndef BW_GOLDEN_DIR
#error "BW_GOLDEN_DIR must name tests/tracker/golden"
#endif

namespace batchwatch::tracker::testing {
namespace {

// 2024-11-03T00:00:00Z: America/New_York falls back from EDT to EST at 06:00Z that day, so its
// 01:00-01:59 local times occur twice.
constexpr UnixSeconds S = 1730592000;
constexpr UnixSeconds kMin = 60, kHour = 3600;
// The instant the text is taken: off any slot, so lags and pending slots show.
constexpr UnixSeconds kEnd = S + 10 * kHour + 17 * kMin;

const char* const kOddReason = "Weird \"quoted\" \\ reason\nline";
const char* const kOddReason2 = "Back\\slash \"q\"\nnext";

struct Step {
  UnixSeconds at;
  std::function<void(Cluster&)> act;
};

// The scenario as a time-ordered list of steps (stable order for steps at the same second).
class Script {
 public:
  void At(UnixSeconds t, std::function<void(Cluster&)> act) {
    steps_.push_back({t, std::move(act)});
  }
  // A scheduled run of `cj` for `slot`, created `delay` s after it, ending `duration` s later
  // (`duration` < 0: still running at the end).
  void Run(const std::string& cj, UnixSeconds slot, UnixSeconds delay, UnixSeconds duration,
           JobOutcome outcome = JobOutcome::kSucceeded, const std::string& reason = "") {
    At(slot + delay, [=](Cluster& c) { c.Run(cj, slot); });
    if (duration >= 0) {
      At(slot + delay + duration,
         [=](Cluster& c) { c.Finish(cron::JobNameForSlot(cj, slot), outcome, reason); });
    }
  }
  void Play(Cluster& c) {
    std::stable_sort(steps_.begin(), steps_.end(),
                     [](const Step& a, const Step& b) { return a.at < b.at; });
    for (auto& s : steps_) {
      c.At(s.at, 11);
      s.act(c);
    }
    c.At(kEnd, 11);
  }

 private:
  std::vector<Step> steps_;
};

CronJob Cron(const std::string& name, const std::string& schedule,
             batch::ConcurrencyPolicy policy = batch::ConcurrencyPolicy::kAllow) {
  CronJob cj = MakeCronJob(name, schedule, S - 86400);
  cj.concurrency_policy = policy;
  return cj;
}

std::string Scenario(JobGauges gauges) {
  TrackerOptions options;
  options.job_gauges = gauges;
  Cluster c(S - 600, options);

  // Objects present at startup (the initial list).
  std::vector<CronJob> cronjobs;
  cronjobs.push_back(Cron("hourly", "0 * * * *"));
  cronjobs.push_back(Cron("forbid", "*/10 0-1 * * *", batch::ConcurrencyPolicy::kForbid));
  cronjobs.push_back(Cron("replace", "*/15 0 * * *", batch::ConcurrencyPolicy::kReplace));
  cronjobs.back().starting_deadline_seconds = 120;
  cronjobs.push_back(Cron("deadline", "*/20 0-2 * * *"));
  cronjobs.back().starting_deadline_seconds = 60;
  cronjobs.push_back(Cron("superseded", "*/30 * * * *"));
  cronjobs.push_back(Cron("suspend", "0 * * * *"));
  cronjobs.push_back(Cron("dst", "30 1 * * *"));
  cronjobs.back().time_zone = "America/New_York";
  cronjobs.push_back(Cron("berlin", "TZ=Europe/Berlin 0 9 * * *"));
  cronjobs.back().time_zone = "Asia/Tokyo";  // ignored: the prefix wins
  cronjobs.push_back(Cron("crontz", "CRON_TZ=America/New_York 0 1 * * *"));
  cronjobs.push_back(Cron("every", "@every 2h"));
  cronjobs.back().creation_time = S - 86400 + 10 * kMin;
  cronjobs.push_back(Cron("broken", "61 * * * *"));
  cronjobs.push_back(Cron("never", "0 0 30 2 *"));
  cronjobs.push_back(Cron("mars", "0 * * * *"));
  cronjobs.back().time_zone = "Mars/Olympus_Mons";
  cronjobs.push_back(Cron("gone", "*/5 0 * * *", batch::ConcurrencyPolicy::kForbid));
  cronjobs.push_back(Cron("sixhourly", "0 */6 * * *"));
  cronjobs.back().namespace_ = "other";
  for (const CronJob& cj : cronjobs) c.Apply(cj);

  Job before = StandaloneJob("pre-existing", S - 3000);
  c.Put(Finished(before, JobOutcome::kSucceeded, S - 2900));
  Job before_cj = ScheduledJob(c.cronjob("hourly"), S - kHour, S - kHour + 4);
  c.Put(Finished(before_cj, JobOutcome::kFailed, S - kHour + 200));
  c.Synced();

  // batchwatch starts at 23:50; nothing runs at 00:00, so every CronJob due then misses it.
  Script s;
  // hourly (Allow): a run every hour, some late, two failures, slot 5 never ran, the last one
  // still running; two manual runs.
  const UnixSeconds delays[] = {0, 2, 5, 1, 40, 0, 3, 7, 200, 1};
  for (int k = 1; k <= 9; ++k) {
    if (k == 5) continue;
    JobOutcome o = (k == 3 || k == 6) ? JobOutcome::kFailed : JobOutcome::kSucceeded;
    std::string reason = k == 3 ? kOddReason : (k == 6 ? "DeadlineExceeded" : "");
    s.Run("hourly", S + k * kHour, delays[k], k == 9 ? -1 : 90 + 10 * k, o, reason);
  }
  s.At(S + 2 * kHour + 600,
       [](Cluster& c) { c.Put(ManualJob(c.cronjob("hourly"), "hourly-manual-1", c.now())); });
  s.At(S + 2 * kHour + 900,
       [](Cluster& c) { c.Finish("hourly-manual-1", JobOutcome::kSucceeded); });
  s.At(S + 9 * kHour + 1200,
       [](Cluster& c) { c.Put(ManualJob(c.cronjob("hourly"), "hourly-manual-2", c.now())); });

  // forbid: the 00:20 run lasts until 01:05, so 00:30, 00:40 and 00:50 are Forbid-skipped and
  // 01:00 starts late when it ends.
  s.Run("forbid", S + 10 * kMin, 1, 60);
  s.Run("forbid", S + 20 * kMin, 2, 45 * kMin - 2);
  s.Run("forbid", S + 60 * kMin, 5 * kMin + 2, 100);
  for (int m = 70; m <= 110; m += 10) {
    s.Run("forbid", S + m * kMin, 1, 120, m == 110 ? JobOutcome::kFailed : JobOutcome::kSucceeded,
          m == 110 ? "BackoffLimitExceeded" : "");
  }

  // replace: 00:30 deletes the 00:15 run before creating its own (the delete is seen first);
  // 00:45's Job is seen before the delete of 00:30's.
  s.Run("replace", S + 15 * kMin, 1, -1);
  s.At(S + 30 * kMin + 1, [](Cluster& c) {
    c.Delete(cron::JobNameForSlot("replace", S + 15 * kMin));
    c.Run("replace", S + 30 * kMin);
  });
  s.At(S + 45 * kMin + 1, [](Cluster& c) {
    c.Run("replace", S + 45 * kMin);
    c.Delete(cron::JobNameForSlot("replace", S + 30 * kMin));
  });
  s.At(S + 50 * kMin, [](Cluster& c) {
    c.Finish(cron::JobNameForSlot("replace", S + 45 * kMin), JobOutcome::kSucceeded);
  });

  // deadline (SDS 60): a three-slot outage 01:00-01:40, then a start 30 s late.
  for (int m : {20, 40, 120, 140, 160}) {
    s.Run("deadline", S + m * kMin, m == 120 ? 30 : 1, 200);
  }

  // superseded: runs until 03:30, then nothing (every later slot superseded, the last one
  // overdue at the end).
  for (int m = 30; m <= 210; m += 30) s.Run("superseded", S + m * kMin, 1, 50);

  // suspend: suspended 02:30-05:20 (03:00, 04:00 not counted; 05:00 runs at the resume), and
  // again from 07:30 until the end.
  for (int h : {1, 2, 6, 7}) s.Run("suspend", S + h * kHour, 1, 30);
  s.At(S + 2 * kHour + 30 * kMin,
       [](Cluster& c) { c.Edit("suspend", [](CronJob& cj) { cj.suspend = true; }); });
  s.At(S + 5 * kHour + 20 * kMin, [](Cluster& c) {
    c.Edit("suspend", [](CronJob& cj) { cj.suspend = false; });
    c.Run("suspend", S + 5 * kHour);
  });
  s.At(S + 5 * kHour + 21 * kMin, [](Cluster& c) {
    c.Finish(cron::JobNameForSlot("suspend", S + 5 * kHour), JobOutcome::kSucceeded);
  });
  s.At(S + 7 * kHour + 30 * kMin,
       [](Cluster& c) { c.Edit("suspend", [](CronJob& cj) { cj.suspend = true; }); });

  // dst: 01:30 New York happens at 05:30Z (EDT) and again at 06:30Z (EST): both run.
  s.Run("dst", S + 5 * kHour + 30 * kMin, 3, 600);
  s.Run("dst", S + 6 * kHour + 30 * kMin, 4, 700, JobOutcome::kFailed, kOddReason2);
  // crontz: 01:00 New York (05:00Z and 06:00Z) never runs: the first is superseded by the
  // second, which is still pending at the end.
  // berlin: 09:00 CET = 08:00Z, fails.
  s.Run("berlin", S + 8 * kHour, 2, 300, JobOutcome::kFailed, "PodFailurePolicy");
  // every (@every 2h from creation at 00:10): 02:10 and 06:10 run; 00:10, 04:10 and 08:10 are
  // missed; 10:10 is overdue at the end.
  s.Run("every", S + 2 * kHour + 10 * kMin, 1, 100);
  s.Run("every", S + 6 * kHour + 10 * kMin, 9, 100);

  // gone: two runs, then its Jobs and the CronJob are deleted (history kept for an hour).
  s.Run("gone", S + 5 * kMin, 1, 30);
  s.Run("gone", S + 10 * kMin, 1, 30, JobOutcome::kFailed, "BackoffLimitExceeded");
  s.At(S + 9 * kHour + 45 * kMin, [](Cluster& c) {
    c.Delete(cron::JobNameForSlot("gone", S + 5 * kMin));
    c.Delete(cron::JobNameForSlot("gone", S + 10 * kMin));
    c.DeleteCronJob("gone");
  });

  // sixhourly (namespace other): 06:00 runs.
  s.Run("sixhourly", S + 6 * kHour, 12, 1000);

  // A Job of a CronJob that never showed up.
  s.At(S + 3 * kHour, [](Cluster& c) {
    CronJob ghost = MakeCronJob("ghost", "0 * * * *", S - 86400);
    Job j = ScheduledJob(ghost, S + 3 * kHour, c.now());
    c.Put(j);
    c.Put(Finished(j, JobOutcome::kFailed, c.now() + 10, "BackoffLimitExceeded"));
  });

  // Standalone Jobs: groups from the label, from generateName, from the name.
  s.At(S + 100, [](Cluster& c) {
    Job j = StandaloneJob("etl-1", c.now());
    j.group_label = "etl";
    c.Put(j);
  });
  s.At(S + 400,
       [](Cluster& c) { c.Put(Finished(c.job("etl-1"), JobOutcome::kSucceeded, S + 400)); });
  s.At(S + 2 * kHour, [](Cluster& c) {
    Job j = StandaloneJob("etl-2", c.now());
    j.group_label = "etl";
    j.failed = 3;
    c.Put(j);
  });
  s.At(S + 3 * kHour, [](Cluster& c) {
    c.Put(Finished(c.job("etl-2"), JobOutcome::kFailed, S + 3 * kHour, kOddReason2));
  });
  s.At(S + 4 * kHour, [](Cluster& c) {
    Job j = StandaloneJob("nightly-x7k2p", c.now());
    j.generate_name = "nightly-";
    c.Put(j);
  });
  s.At(S + 4 * kHour + 5000, [](Cluster& c) {
    c.Put(Finished(c.job("nightly-x7k2p"), JobOutcome::kSucceeded, c.now()));
  });
  s.At(S + 5 * kHour, [](Cluster& c) { c.Put(StandaloneJob("doomed", c.now())); });
  s.At(S + 5 * kHour + 60, [](Cluster& c) { c.Delete("doomed"); });
  s.At(S + 9 * kHour, [](Cluster& c) {
    Job j = StandaloneJob("adhoc", c.now());
    j.active_deadline_seconds = 3600;
    j.active = 2;
    j.ready = 1;
    j.failed = 2;
    c.Put(j);
  });
  s.At(S + 9 * kHour + 30, [](Cluster& c) {
    Job j = StandaloneJob("tool", c.now());
    j.namespace_ = "other";
    j.group_label = "tool";
    j.start_time.reset();
    j.active = 0;
    c.Put(j);
  });

  s.Play(c);
  return c.Text();
}

// Family name -> its lines, from "# HELP" to the next family.
struct Families {
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> lines;
};

Families Split(const std::string& text) {
  Families f;
  std::istringstream in(text);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      current = line.substr(7, line.find(' ', 7) - 7);
      f.order.push_back(current);
    }
    f.lines[current].push_back(line);
  }
  return f;
}

// "" when every family of `golden` appears in `actual` with exactly its lines; otherwise the
// differences, then the families only `actual` has.
std::string Differences(const std::string& golden, const std::string& actual) {
  Families want = Split(golden), got = Split(actual);
  std::string problems;
  for (const auto& name : want.order) {
    auto it = got.lines.find(name);
    if (it == got.lines.end()) {
      problems += "family " + name + " is missing\n";
      continue;
    }
    const auto& w = want.lines[name];
    const auto& g = it->second;
    for (size_t i = 0; i < std::max(w.size(), g.size()); ++i) {
      const std::string wl = i < w.size() ? w[i] : "<no line>";
      const std::string gl = i < g.size() ? g[i] : "<no line>";
      if (wl != gl) {
        problems += "family " + name + ", line " + std::to_string(i + 1) + ":\n  want: " + wl +
                    "\n  got:  " + gl + "\n";
        break;
      }
    }
  }
  if (problems.empty()) return "";
  problems += "families not in the golden file (allowed):\n";
  bool any = false;
  for (const auto& name : got.order) {
    if (want.lines.count(name) == 0) {
      problems += "  " + name + "\n";
      any = true;
    }
  }
  if (!any) problems += "  (none)\n";
  return problems;
}

void CheckGolden(const std::string& file, const std::string& actual) {
  const std::string path = std::string(BW_GOLDEN_DIR) + "/" + file;
  const char* update = std::getenv("BATCHWATCH_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path << " (BATCHWATCH_UPDATE_GOLDEN=1 writes it)";
  std::string golden((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(golden.empty()) << path;
  std::string diff = Differences(golden, actual);
  EXPECT_TRUE(diff.empty()) << "the /metrics text differs from " << path << ":\n"
                            << diff << "full text:\n"
                            << actual;
}

TEST(GoldenMetrics, JobGaugesUnfinished) {
  CheckGolden("metrics.txt", Scenario(JobGauges::kUnfinished));
}

TEST(GoldenMetrics, JobGaugesAll) {
  CheckGolden("metrics_job_gauges_all.txt", Scenario(JobGauges::kAll));
}

// The comparison itself: a changed, missing, reordered or extra series fails; an added family
// does not, and is listed when something else fails.
TEST(GoldenMetrics, ComparisonAllowsOnlyAddedFamilies) {
  const std::string golden =
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\na_total{x=\"2\"} 2\n"
      "# HELP b B.\n# TYPE b gauge\nb 2\n";
  const std::string added = "# HELP c C.\n# TYPE c gauge\nc 3\n";
  EXPECT_EQ(Differences(golden, golden), "");
  EXPECT_EQ(Differences(golden, added + golden), "");
  EXPECT_EQ(Differences(golden, golden + added), "");
  std::string changed = golden;
  changed.replace(changed.find("b 2"), 3, "b 3");
  EXPECT_NE(Differences(golden, changed).find("family b, line 3"), std::string::npos);
  EXPECT_NE(Differences(golden, changed + added).find("  c\n"), std::string::npos);
  std::string swapped =
      "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"2\"} 2\na_total{x=\"1\"} 1\n"
      "# HELP b B.\n# TYPE b gauge\nb 2\n";
  EXPECT_NE(Differences(golden, swapped), "");
  EXPECT_NE(Differences(golden, golden + "b{x=\"extra\"} 1\n"), "");
  EXPECT_NE(Differences(golden, "# HELP b B.\n# TYPE b gauge\nb 2\n").find("a_total is missing"),
            std::string::npos);
  std::string help = golden;
  help.replace(help.find("B."), 2, "Bee.");
  EXPECT_NE(Differences(golden, help), "");
}

}  // namespace
}  // namespace batchwatch::tracker::testing
