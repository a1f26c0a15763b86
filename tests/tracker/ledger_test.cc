// The slot ledger: one table per outcome, the bounds, Replace and Forbid evidence, suspension
// windows, restarts through the state file, and the rule that makes it trustworthy: the
// entries decided or counted within a window are exactly the counters' increase over it.
#include "tracker/ledger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "scenario.h"
#include "tracker/tracker_state.h"

namespace batchwatch::tracker::testing {
namespace {

namespace fs = std::filesystem;

std::string JobFor(UnixSeconds slot) { return cron::JobNameForSlot("backup", slot); }

CronJobDetail Ledger(Cluster& c, const std::string& name = "backup", LedgerQuery q = {}) {
  q.limit = 100000;
  auto d = c.tracker().CronJobLedger(kNs, name, q);
  EXPECT_TRUE(d.has_value());
  return d.value_or(CronJobDetail{});
}

const SlotView* SlotAt(const CronJobDetail& d, UnixSeconds slot) {
  for (const auto& s : d.slots) {
    if (s.slot == slot) return &s;
  }
  return nullptr;
}

Cluster Backup(batch::ConcurrencyPolicy policy = batch::ConcurrencyPolicy::kAllow,
               TrackerOptions options = {}) {
  Cluster c(T0, options);
  CronJob cj = MakeCronJob("backup", "*/5 * * * *", T0 - 3600);
  cj.concurrency_policy = policy;
  cj.last_schedule_time = T0;
  c.Apply(cj).Synced();
  return c;
}

TEST(Ledger, EachOutcomeOfASlot) {
  Cluster c = Backup();
  c.At(T0 + 302).Run("backup", T0 + 300);  // ran, 2 s late
  c.At(T0 + 330).Finish(JobFor(T0 + 300), JobOutcome::kSucceeded);
  // T0+600: no Job; superseded by T0+900 (decided after the grace period).
  c.At(T0 + 1020).Run("backup", T0 + 900);  // ran 120 s after its slot: late
  c.At(T0 + 1100).Finish(JobFor(T0 + 900), JobOutcome::kFailed, "DeadlineExceeded");
  c.At(T0 + 1260);
  CronJobDetail d = Ledger(c);

  struct Want {
    UnixSeconds slot;
    const char* outcome;
    const char* job;
    std::optional<int64_t> late_by;
    const char* reason;
  };
  const Want want[] = {
      {T0 + 300, "ran", "backup-28401125", 2, ""},
      {T0 + 600, "missed", "", std::nullopt, "superseded"},
      {T0 + 900, "late", "backup-28401135", 120, ""},
      {T0 + 1200, "pending", "", std::nullopt, ""},  // can start until T0+1500
  };
  for (const auto& w : want) {
    const SlotView* s = SlotAt(d, w.slot);
    ASSERT_NE(s, nullptr) << w.slot - T0;
    EXPECT_EQ(s->outcome, w.outcome) << w.slot - T0;
    EXPECT_EQ(s->job, w.job) << w.slot - T0;
    EXPECT_EQ(s->late_by, w.late_by) << w.slot - T0;
    EXPECT_EQ(s->reason, w.reason) << w.slot - T0;
  }
  EXPECT_EQ(SlotAt(d, T0 + 600)->final_at, T0 + 900);
  // Newest first, the pending slot first of all.
  ASSERT_FALSE(d.slots.empty());
  EXPECT_EQ(d.slots.front().slot, T0 + 1200);
  EXPECT_EQ(d.slots.front().final_at, T0 + 1500);
  EXPECT_EQ(d.ledger_slots, 3u);

  ASSERT_EQ(d.runs.size(), 2u);
  EXPECT_EQ(d.runs[0].job, JobFor(T0 + 900));
  EXPECT_EQ(d.runs[0].result, "failed");
  EXPECT_EQ(d.runs[0].reason, "DeadlineExceeded");
  EXPECT_EQ(d.runs[0].start_delay, 120);
  EXPECT_EQ(d.runs[0].duration, 80);
  EXPECT_EQ(d.runs[0].uid, "uid-job-" + JobFor(T0 + 900) + "-uid-cj-backup");
  EXPECT_EQ(d.runs[1].result, "succeeded");
  EXPECT_EQ(d.runs[1].trigger, "scheduled");
  EXPECT_EQ(d.summary.problems, std::vector<std::string>({"failing", "missed"}));
}

TEST(Ledger, PendingSlotAndRunningJobComeFromTheAccountant) {
  Cluster c = Backup();
  c.At(T0 + 303);  // slot T0+300 is due, no Job yet
  CronJobDetail d = Ledger(c);
  ASSERT_FALSE(d.slots.empty());
  EXPECT_EQ(d.slots.front().outcome, "pending");
  EXPECT_EQ(d.slots.front().slot, T0 + 300);
  c.Run("backup", T0 + 300);
  d = Ledger(c);
  ASSERT_EQ(d.runs.size(), 1u);
  EXPECT_EQ(d.runs[0].result, "running");
  EXPECT_EQ(d.ledger_runs, 0u);  // not stored until it ends
}

TEST(Ledger, ForbidSkipNamesTheBlockingRun) {
  Cluster c = Backup(batch::ConcurrencyPolicy::kForbid);
  c.At(T0 + 301).Run("backup", T0 + 300);
  c.At(T0 + 1000).Finish(JobFor(T0 + 300), JobOutcome::kSucceeded);
  c.At(T0 + 1300);
  CronJobDetail d = Ledger(c);
  const SlotView* s = SlotAt(d, T0 + 600);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->outcome, "forbid_skipped");
  EXPECT_EQ(s->blocked_by, JobFor(T0 + 300));
  EXPECT_EQ(c.Sum("batchwatch_cronjob_forbid_skipped_total", Cj("backup")),
            d.summary.week.forbid_skipped);
}

TEST(Ledger, SuspendedSlotsCarryTheirWindow) {
  Cluster c = Backup();
  c.At(T0 + 310).Edit("backup", [](CronJob& cj) { cj.suspend = true; });
  c.At(T0 + 1000).Edit("backup", [](CronJob& cj) { cj.suspend = false; });
  c.At(T0 + 1300);
  CronJobDetail d = Ledger(c);
  for (UnixSeconds slot : {T0 + 600, T0 + 900}) {
    const SlotView* s = SlotAt(d, slot);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->outcome, "suspended");
    EXPECT_EQ(s->suspended_since, T0 + 310);
    // Decided while still suspended (the window's end was not known yet) or at the resume.
    EXPECT_TRUE(!s->suspended_until || *s->suspended_until == T0 + 1000) << slot - T0;
  }
}

TEST(Ledger, ReplaceMarksTheDeletedRun) {
  Cluster c = Backup(batch::ConcurrencyPolicy::kReplace);
  c.At(T0 + 301).Run("backup", T0 + 300);
  // The controller deletes the active run, then creates the next one.
  c.At(T0 + 601).Delete(JobFor(T0 + 300));
  c.Run("backup", T0 + 600);
  // And the other order: the new Job is seen before the old one's DELETED event.
  c.At(T0 + 901).Run("backup", T0 + 900);
  c.Delete(JobFor(T0 + 600));
  CronJobDetail d = Ledger(c);
  int replaced = 0;
  for (const auto& r : d.runs) {
    if (r.result == "deleted") {
      EXPECT_TRUE(r.replaced) << r.job;
      ++replaced;
    }
  }
  EXPECT_EQ(replaced, 2);
  EXPECT_EQ(c.Sum("batchwatch_cronjob_replaced_total", Cj("backup")), 2);
  EXPECT_EQ(d.summary.week.replaced, 2u);
}

TEST(Ledger, BoundedByCountAndAge) {
  TrackerOptions o;
  o.ledger.max_slots = 5;
  o.ledger.max_runs = 3;
  o.ledger.max_age_seconds = 3600;
  Cluster c = Backup(batch::ConcurrencyPolicy::kAllow, o);
  for (int i = 1; i <= 10; ++i) {
    UnixSeconds slot = T0 + 300 * i;
    c.At(slot + 1).Run("backup", slot);
    c.At(slot + 10).Finish(JobFor(slot), JobOutcome::kSucceeded);
  }
  c.At(T0 + 3300);
  CronJobDetail d = Ledger(c);
  EXPECT_EQ(d.ledger_slots, 5u);
  EXPECT_EQ(d.ledger_runs, 3u);
  EXPECT_EQ(d.slots.back().slot, T0 + 300 * 6);  // oldest kept
  EXPECT_EQ(d.runs.back().job, JobFor(T0 + 300 * 8));
  // Nothing new for over an hour: the age bound empties the ledger (trimmed every minute).
  c.Edit("backup", [](CronJob& cj) { cj.suspend = true; });
  c.At(T0 + 3300 + 3600 + 600, 60);
  d = Ledger(c);
  EXPECT_EQ(d.ledger_runs, 0u);
  for (const auto& s : d.slots) EXPECT_EQ(s.outcome, "suspended");
}

TEST(Ledger, QueryRangeAndLimit) {
  Cluster c = Backup();
  for (int i = 1; i <= 6; ++i) {
    UnixSeconds slot = T0 + 300 * i;
    c.At(slot + 1).Run("backup", slot);
    c.At(slot + 10).Finish(JobFor(slot), JobOutcome::kSucceeded);
  }
  c.At(T0 + 2000);
  LedgerQuery q;
  q.from = T0 + 600;
  q.to = T0 + 1500;
  auto d = c.tracker().CronJobLedger(kNs, "backup", q);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->slots.size(), 4u);
  EXPECT_EQ(d->slots.front().slot, T0 + 1500);
  EXPECT_EQ(d->slots.back().slot, T0 + 600);
  EXPECT_EQ(d->runs.size(), 3u);  // created T0+601, T0+901, T0+1201 (T0+1501 is after `to`)
  q = {};
  q.limit = 2;
  d = c.tracker().CronJobLedger(kNs, "backup", q);
  EXPECT_EQ(d->slots.size(), 2u);
  EXPECT_EQ(d->runs.size(), 2u);
  EXPECT_FALSE(c.tracker().CronJobLedger(kNs, "nope", q));
  EXPECT_FALSE(c.tracker().CronJobLedger("other", "backup", q));
}

TEST(Ledger, JobGroupsKeepRuns) {
  Cluster c = Backup();
  Job j = StandaloneJob("migrate-x1", T0 + 10);
  j.group_label = "migrate";
  c.Put(j);
  c.At(T0 + 40).Put(Finished(j, JobOutcome::kFailed, T0 + 40, "BackoffLimitExceeded"));
  auto s = c.tracker().Snapshot(false, true);
  ASSERT_EQ(s.groups.size(), 1u);
  EXPECT_EQ(s.groups[0].group, "migrate");
  EXPECT_EQ(s.groups[0].problems, std::vector<std::string>({"failing"}));
  auto d = c.tracker().GroupLedger(kNs, "migrate", {});
  ASSERT_TRUE(d);
  ASSERT_EQ(d->runs.size(), 1u);
  EXPECT_EQ(d->runs[0].job, "migrate-x1");
  EXPECT_EQ(d->runs[0].reason, "BackoffLimitExceeded");
}

// The fleet's 24 h / 7 d counts are cached per ledger: a new run, and an entry leaving a window
// as time passes, must both show.
TEST(Ledger, FleetCountsFollowEveryChangeAndTheWindows) {
  constexpr int64_t kDay = 86400;
  Cluster c = Backup();
  auto group = [&] {
    auto s = c.tracker().Snapshot(false, true);
    EXPECT_EQ(s.groups.size(), 1u);
    return s.groups.empty() ? JobGroupRow{} : s.groups[0];
  };
  Job a = StandaloneJob("migrate-a", T0 + 10);
  a.group_label = "migrate";
  c.Put(a);
  c.At(T0 + 40).Put(Finished(a, JobOutcome::kSucceeded, T0 + 40));
  JobGroupRow g = group();
  EXPECT_EQ(g.day.succeeded, 1u);
  EXPECT_EQ(g.week.succeeded, 1u);
  g = group();  // the same again (from the cache)
  EXPECT_EQ(g.day.succeeded, 1u);
  ASSERT_TRUE(g.last_run);
  EXPECT_EQ(g.last_run->job, "migrate-a");

  Job b = StandaloneJob("migrate-b", T0 + 100);
  b.group_label = "migrate";
  c.At(T0 + 100).Put(b);
  c.At(T0 + 130).Put(Finished(b, JobOutcome::kFailed, T0 + 130, "BackoffLimitExceeded"));
  g = group();
  EXPECT_EQ(g.day.succeeded, 1u);
  EXPECT_EQ(g.day.failed, 1u);
  ASSERT_TRUE(g.last_run);
  EXPECT_EQ(g.last_run->job, "migrate-b");

  c.At(T0 + 40 + kDay - 1);
  EXPECT_EQ(group().day.succeeded, 1u);
  c.At(T0 + 40 + kDay);  // the success leaves the 24 h window
  g = group();
  EXPECT_EQ(g.day.succeeded, 0u);
  EXPECT_EQ(g.day.failed, 1u);
  EXPECT_EQ(g.week.succeeded, 1u);
  c.At(T0 + 130 + kDay);
  EXPECT_EQ(group().day.failed, 0u);
  c.At(T0 + 40 + 7 * kDay);  // and the 7 d one
  g = group();
  EXPECT_EQ(g.week.succeeded, 0u);
  EXPECT_EQ(g.week.failed, 1u);
  EXPECT_EQ(g.success_ratio, 0.0);
}

// The ledger keeps its window counts in step with appends and drops (Ledger::WindowCounts);
// after every step of a table of changes they must equal a recount from scratch, with the count
// bounds small enough that every append also drops, and time passing across both windows.
TEST(Ledger, KeptWindowCountsEqualARecount) {
  constexpr int64_t kDay = 86400;
  LedgerLimits limits;
  limits.max_slots = 5;
  limits.max_runs = 4;
  limits.max_age_seconds = 9 * kDay;
  struct Step {
    const char* what;
    int64_t advance;  // seconds before the change
    char kind;        // 's' slot, 'r' run, 't' trim, '-' time only
    SlotOutcome outcome = SlotOutcome::kRan;
    int64_t late = 0;  // slot: Job created this long after the slot; run: created before now
    Result result = Result::kSucceeded;
    bool counted = true, replaced = false;
  };
  const Step steps[] = {
      {"first slot, on time", 60, 's', SlotOutcome::kRan, 2},
      {"a late slot", 60, 's', SlotOutcome::kRan, 120},
      {"a missed slot", 60, 's', SlotOutcome::kMissed},
      {"a run that succeeded", 1, 'r', SlotOutcome::kRan, 30, Result::kSucceeded},
      {"a run that failed", 60, 'r', SlotOutcome::kRan, 30, Result::kFailed},
      {"a deleted, replaced run", 60, 'r', SlotOutcome::kRan, 30, Result::kDeleted, true, true},
      {"a run from before counting", 60, 'r', SlotOutcome::kRan, 30, Result::kSucceeded, false},
      {"a fifth run drops the first", 60, 'r', SlotOutcome::kRan, 30, Result::kFailed},
      {"forbid-skipped", 60, 's', SlotOutcome::kForbidSkipped},
      {"suspended", 60, 's', SlotOutcome::kSuspended},
      {"a sixth slot drops the first", 60, 's', SlotOutcome::kUnobserved},
      {"12 h later", kDay / 2, '-'},
      {"a slot 12 h after", 0, 's', SlotOutcome::kRan, 5},
      {"the first ones leave the 24 h window", kDay / 2 + 600, '-'},
      {"a run then", 1, 'r', SlotOutcome::kRan, 30, Result::kSucceeded},
      {"only deleted runs from here", 60, 'r', SlotOutcome::kRan, 30, Result::kDeleted},
      {"deleted", 60, 'r', SlotOutcome::kRan, 30, Result::kDeleted},
      {"deleted", 60, 'r', SlotOutcome::kRan, 30, Result::kDeleted},
      {"deleted: the last success drops", 60, 'r', SlotOutcome::kRan, 30, Result::kDeleted},
      {"a success after only deleted ones", 60, 'r', SlotOutcome::kRan, 30},
      {"six days later", 6 * kDay, '-'},
      {"a slot", 0, 's', SlotOutcome::kMissed},
      {"the first ones leave the 7 d window", kDay + 3600, '-'},
      {"trim by age", 2 * kDay, 't'},
      {"a slot after the trim", 60, 's', SlotOutcome::kRan, 1},
      {"a run after the trim", 60, 'r', SlotOutcome::kRan, 30, Result::kFailed},
      {"trim everything", 30 * kDay, 't'},
  };
  const std::set<std::string> recounts = {"the first ones leave the 24 h window",
                                          "deleted: the last success drops",
                                          "six days later",
                                          "the first ones leave the 7 d window",
                                          "trim by age",
                                          "trim everything"};
  for (bool with_slots : {true, false}) {
    tracker::Ledger ledger;
    UnixSeconds now = T0;
    for (const Step& step : steps) {
      SCOPED_TRACE(std::string(step.what) + (with_slots ? " (slots)" : " (runs only)"));
      // Counted before the change, so that the change is applied to kept counts.
      const uint64_t generation = ledger.WindowCounts(now, with_slots, limits).generation;
      now += step.advance;
      if (step.kind == 's') {
        SlotDecision d;
        d.slot = now - 10;
        d.outcome = step.outcome;
        d.reason = kSuperseded;
        d.job_created = d.slot + step.late;
        d.final_at = now;
        ledger.AddSlot(d, now, limits);
      } else if (step.kind == 'r') {
        RunEntry e;
        e.job_and_uid = "backup-" + std::to_string(now) + "\nuid";
        e.created = now - step.late;
        e.slot = e.created;
        e.counted_at = now;
        e.result = static_cast<uint8_t>(step.result);
        e.counted = step.counted;
        e.replaced = step.replaced;
        ledger.AddRun(std::move(e), limits);
      } else if (step.kind == 't') {
        ledger.Trim(now, limits);
      }
      const LedgerWindowCounts kept = ledger.WindowCounts(now, with_slots, limits);
      const LedgerWindowCounts recount = ledger.CountWindows(now, with_slots, limits);
      auto fields = [](const LedgerCounts& c) {
        return std::vector<uint64_t>{c.succeeded,
                                     c.failed,
                                     c.deleted,
                                     c.replaced,
                                     c.ran,
                                     c.late,
                                     c.missed_deadline_exceeded,
                                     c.missed_superseded,
                                     c.forbid_skipped,
                                     c.suspended,
                                     c.unobserved};
      };
      EXPECT_EQ(fields(kept.day), fields(recount.day));
      EXPECT_EQ(fields(kept.week), fields(recount.week));
      EXPECT_EQ(kept.last_run, recount.last_run);
      // Only an entry leaving a window, a trim and the drop of the shown last run recount.
      EXPECT_EQ(kept.generation != generation, recounts.count(step.what) == 1);
    }
  }
}

// The counters' increase over (t0, t1] equals what the ledger decided and counted in (t0, t1].
TEST(Ledger, CountsOverAWindowEqualTheCountersIncrease) {
  Cluster c = Backup(batch::ConcurrencyPolicy::kForbid);
  CronJob quick = MakeCronJob("quick", "* * * * *", T0 - 3600);
  quick.concurrency_policy = batch::ConcurrencyPolicy::kReplace;
  quick.starting_deadline_seconds = 20;
  c.Apply(quick);
  auto counters = [&](const std::string& cj) {
    std::map<std::string, double> m;
    for (const char* result : {"succeeded", "failed", "deleted"}) {
      m[result] = c.Sum("batchwatch_cronjob_runs_total", Cj(cj, {{"result", result}}));
    }
    for (const char* reason : {"deadline_exceeded", "superseded"}) {
      m[reason] = c.Sum("batchwatch_cronjob_missed_schedules_total", Cj(cj, {{"reason", reason}}));
    }
    m["forbid_skipped"] = c.Sum("batchwatch_cronjob_forbid_skipped_total", Cj(cj));
    m["replaced"] = c.Sum("batchwatch_cronjob_replaced_total", Cj(cj));
    return m;
  };
  // A deterministic mix: runs that succeed, fail, overrun (Forbid skips, Replace deletes) and
  // slots with no Job at all.
  auto drive = [&](UnixSeconds from, UnixSeconds to) {
    for (UnixSeconds t = from; t < to; t += 60) {
      int64_t k = (t - T0) / 60;
      c.At(t + 2);
      if (k % 5 == 0 && c.cronjob("backup").active.empty() && k % 45 != 0) {
        c.Run("backup", t);
        if (k % 10 == 0) c.At(t + 30).Finish(JobFor(t), JobOutcome::kFailed);
      } else if (k % 5 == 1 && c.cronjob("backup").active.size() > 0) {
        std::string job = c.cronjob("backup").active.back().name;
        // Some runs stay active past the next two slots: one is Forbid-skipped (the run is
        // still active when it can no longer start), the other missed.
        if ((k / 5) % 3 == 1) c.At(t + 40).Finish(job, JobOutcome::kSucceeded);
      }
      if (k % 4 != 3) {
        auto& active = c.cronjob("quick").active;
        if (!active.empty() && k % 3 == 0) {
          std::string old = active.back().name;
          c.At(t + 3).Delete(old);
          c.Edit("quick", [&](CronJob& cj) { cj.active.clear(); });
        }
        c.At(t + 4).Run("quick", t);
        if (k % 4 == 0)
          c.At(t + 20).Finish(cron::JobNameForSlot("quick", t), JobOutcome::kSucceeded);
      }
    }
  };
  drive(T0 + 60, T0 + 3 * 3600);
  UnixSeconds t0 = c.now();
  auto before_backup = counters("backup"), before_quick = counters("quick");
  drive(T0 + 3 * 3600, T0 + 6 * 3600);
  c.At(c.now() + 120);
  UnixSeconds t1 = c.now();
  for (const char* name : {"backup", "quick"}) {
    auto before = std::string(name) == "backup" ? before_backup : before_quick;
    auto after = counters(name);
    CronJobDetail d = Ledger(c, name);
    std::map<std::string, double> ledger;
    for (const auto& s : d.slots) {
      if (!s.decided_at || *s.decided_at <= t0 || *s.decided_at > t1) continue;
      if (s.outcome == "missed") ledger[s.reason] += 1;
      if (s.outcome == "forbid_skipped") ledger["forbid_skipped"] += 1;
    }
    for (const auto& r : d.runs) {
      if (!r.counted_at || *r.counted_at <= t0 || *r.counted_at > t1 || !r.counted) continue;
      ledger[r.result] += 1;
      if (r.replaced) ledger["replaced"] += 1;
    }
    double moved = 0;
    for (const auto& [key, value] : after) {
      EXPECT_EQ(value - before[key], ledger[key]) << name << " " << key;
      moved += value - before[key];
    }
    EXPECT_GT(moved, 10) << name << ": the scenario must move the counters";
  }
  // Every kind of decision took part.
  auto all = counters("backup"), q = counters("quick");
  EXPECT_GT(all["failed"], 0);
  EXPECT_GT(all["forbid_skipped"], 0);
  EXPECT_GT(q["replaced"], 0);
  EXPECT_GT(q["deadline_exceeded"] + all["superseded"] + q["superseded"], 0);
}

class LedgerStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() /
             ("ledger_state_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json"))
                .string();
  }
  void TearDown() override { fs::remove(path_); }
  std::string path_;
};

TEST_F(LedgerStateTest, RestartKeepsTheLedgerWithinItsBounds) {
  Cluster c = Backup();
  c.At(T0 + 301).Run("backup", T0 + 300);
  c.At(T0 + 330).Finish(JobFor(T0 + 300), JobOutcome::kSucceeded);
  c.At(T0 + 1000);
  Job j = StandaloneJob("migrate-x1", T0 + 900);
  c.Put(j).At(T0 + 950).Put(Finished(j, JobOutcome::kSucceeded, T0 + 950));
  std::string error;
  ASSERT_TRUE(c.tracker().SaveState(path_, &error)) << error;
  CronJobDetail before = Ledger(c);
  std::string message;
  c.Restart(T0 + 1010, [&](Tracker& t) { EXPECT_TRUE(t.LoadState(path_, &message)) << message; });
  CronJobDetail after = Ledger(c);
  ASSERT_EQ(after.ledger_slots, before.ledger_slots);
  ASSERT_EQ(after.ledger_runs, before.ledger_runs);
  for (size_t i = 0; i < before.slots.size(); ++i) {
    EXPECT_EQ(after.slots[i].slot, before.slots[i].slot);
    EXPECT_EQ(after.slots[i].outcome, before.slots[i].outcome);
    EXPECT_EQ(after.slots[i].decided_at, before.slots[i].decided_at);
  }
  EXPECT_EQ(after.runs.back().job, before.runs.back().job);
  EXPECT_EQ(after.runs.back().uid, before.runs.back().uid);
  EXPECT_EQ(after.runs.back().ended, before.runs.back().ended);
  auto g = c.tracker().GroupLedger(kNs, "migrate-x1", {});
  ASSERT_TRUE(g);
  EXPECT_EQ(g->runs.size(), 1u);

  // Smaller bounds on the next start: the oldest entries go.
  TrackerOptions small;
  small.ledger.max_slots = 1;
  small.ledger.max_runs = 1;
  Cluster d(T0 + 1020, small);
  ASSERT_TRUE(d.tracker().LoadState(path_, &message)) << message;
  auto trimmed = d.tracker().CronJobLedger(kNs, "backup", {});
  ASSERT_TRUE(trimmed);
  EXPECT_EQ(trimmed->ledger_slots, 1u);
  UnixSeconds newest_stored = 0;
  for (const auto& s : before.slots) {
    if (s.outcome != "pending") newest_stored = std::max(newest_stored, s.slot);
  }
  EXPECT_EQ(trimmed->slots.back().slot, newest_stored);
}

TEST_F(LedgerStateTest, FilesWithoutALedgerStillLoad) {
  std::ofstream(path_) << R"({"version":1,"saved_at":1704067200,"counting_since":1704060000,
    "cronjobs":[{"namespace":"ns","name":"backup","counts":{"runs":[]},
      "start_delay":{"buckets":[0,0,0,0,0,0,0,0,0,0,0,0,0],"sum":0,"count":0},
      "missed_deadline_exceeded":0,"missed_superseded":1,"forbid_skipped":0,"replaced":0}],
    "job_groups":[],"counted_jobs":[]})";
  Cluster c(T0);
  std::string message;
  ASSERT_TRUE(c.tracker().LoadState(path_, &message)) << message;
  auto d = c.tracker().CronJobLedger(kNs, "backup", {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ledger_slots, 0u);
}

TEST_F(LedgerStateTest, AMalformedLedgerIsSetAside) {
  std::ofstream(path_) << R"({"version":1,"saved_at":1704067200,"counting_since":1704060000,
    "cronjobs":[{"namespace":"ns","name":"backup","counts":{"runs":[]},
      "start_delay":{"buckets":[0,0,0,0,0,0,0,0,0,0,0,0,0],"sum":0,"count":0},
      "missed_deadline_exceeded":0,"missed_superseded":1,"forbid_skipped":0,"replaced":0,
      "ledger":{"slots":[[1704067200,9,0,0,0,0]],"runs":[]}}],
    "job_groups":[],"counted_jobs":[]})";
  Cluster c(T0);
  std::string message;
  EXPECT_FALSE(c.tracker().LoadState(path_, &message));
  EXPECT_NE(message.find("unknown outcome"), std::string::npos) << message;
}

}  // namespace
}  // namespace batchwatch::tracker::testing
