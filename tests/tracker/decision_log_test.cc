// The decision log's bounds, driven by a fixed clock and a sink that records lines.
#include "tracker/decision_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace batchwatch::tracker {
namespace {

struct Line {
  log::Level level;
  std::string msg;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string Get(const std::string& key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return v;
    }
    return "<absent>";
  }
};

struct Harness {
  double now = 1700000000;
  std::vector<Line> lines;
  bool debug = false;
  DecisionLog log;
  explicit Harness(DecisionLogOptions options = {})
      : log(
            options, [this] { return now; },
            [this](log::Level l, std::string_view m, std::initializer_list<log::Field> f) {
              Line line{l, std::string(m), {}};
              for (const auto& [k, v] : f) line.fields.emplace_back(std::string(k), v);
              lines.push_back(line);
            },
            [this](log::Level l) { return l != log::Level::kDebug || debug; }) {}
};

DecisionLogOptions Options(int per_slot_lines, double lines_per_second, double burst,
                           size_t remembered_slots = 4096) {
  DecisionLogOptions o;
  o.per_slot_lines = per_slot_lines;
  o.lines_per_second = lines_per_second;
  o.burst = burst;
  o.summary_interval_seconds = 60;
  o.remembered_slots = remembered_slots;
  return o;
}

DecisionEvent Failed(std::string_view cronjob, int64_t slot) {
  return {Decision::kFailed, "prod", cronjob, slot, "backup-28333333", "BackoffLimitExceeded"};
}

TEST(DecisionLog, OneInfoLinePerProblemWithItsFields) {
  Harness h;
  h.log.Record(Failed("backup", 1700000000));
  h.log.Record({Decision::kMissed, "prod", "report", 1700000060, "", "deadline_exceeded"});
  h.log.Record({Decision::kForbidSkipped, "prod", "sync", 1700000120, "sync-28333334", ""});
  h.log.Record({Decision::kReplaced, "prod", "poll", 1700000180, "poll-28333335", ""});
  h.log.Record({Decision::kScheduleError, "prod", "bad", std::nullopt, "",
                "unknown_timezone: spec.timeZone: unknown time zone \"Mars/Olympus\""});
  ASSERT_EQ(h.lines.size(), 5u);
  EXPECT_EQ(h.lines[0].level, log::Level::kInfo);
  EXPECT_EQ(h.lines[0].msg, "cronjob run failed");
  EXPECT_EQ(h.lines[0].Get("namespace"), "prod");
  EXPECT_EQ(h.lines[0].Get("cronjob"), "backup");
  EXPECT_EQ(h.lines[0].Get("slot"), "2023-11-14T22:13:20+00:00");
  EXPECT_EQ(h.lines[0].Get("job"), "backup-28333333");
  EXPECT_EQ(h.lines[0].Get("reason"), "BackoffLimitExceeded");
  EXPECT_EQ(h.lines[1].msg, "cronjob slot missed");
  EXPECT_EQ(h.lines[1].Get("cause"), "deadline_exceeded");
  EXPECT_EQ(h.lines[2].msg, "cronjob slot skipped by Forbid");
  EXPECT_EQ(h.lines[2].Get("job"), "sync-28333334");
  EXPECT_EQ(h.lines[3].msg, "cronjob run deleted by Replace");
  EXPECT_EQ(h.lines[4].msg, "cronjob schedule error");
  EXPECT_EQ(h.lines[4].level, log::Level::kWarn);  // a broken spec, not an event of a run
  EXPECT_EQ(h.lines[4].Get("slot"), "");
  EXPECT_NE(h.lines[4].Get("error").find("Mars/Olympus"), std::string::npos);
}

TEST(DecisionLog, SuccessesAreDebugAndCostNothingWhenDebugIsOff) {
  Harness h(Options(3, 0, 1));
  for (int i = 0; i < 10; ++i) {
    h.log.Record({Decision::kSucceeded, "prod", "backup", 1700000000 + 60 * i, "", ""});
  }
  EXPECT_TRUE(h.lines.empty());
  EXPECT_EQ(h.log.suppressed_total(), 0u);
  h.log.Record(Failed("backup", 1700000000));  // the one token is still there
  ASSERT_EQ(h.lines.size(), 1u);
  h.debug = true;
  h.log.Record({Decision::kSucceeded, "prod", "backup", 1700003600, "", ""});
  EXPECT_EQ(h.log.suppressed_total(), 1u);  // now it competes for tokens
}

TEST(DecisionLog, AtMostPerSlotLinesForOneCronJobSlot) {
  Harness h(Options(2, 100, 100));
  for (int i = 0; i < 5; ++i) h.log.Record(Failed("backup", 1700000000));
  h.log.Record(Failed("backup", 1700000060));  // another slot
  h.log.Record(Failed("report", 1700000000));  // another CronJob
  EXPECT_EQ(h.lines.size(), 4u);
  EXPECT_EQ(h.log.suppressed_total(), 3u);
}

TEST(DecisionLog, FleetTokenBucketRefillsWithTime) {
  Harness h(Options(3, 0.5, 3));
  for (int i = 0; i < 10; ++i) h.log.Record(Failed("cj" + std::to_string(i), 1700000000));
  EXPECT_EQ(h.lines.size(), 3u);  // the burst
  h.now += 4;                     // two tokens
  for (int i = 10; i < 20; ++i) h.log.Record(Failed("cj" + std::to_string(i), 1700000000));
  EXPECT_EQ(h.lines.size(), 5u);
  h.now += 1000;  // refills to the burst, not beyond
  for (int i = 20; i < 30; ++i) h.log.Record(Failed("cj" + std::to_string(i), 1700000000));
  // 3 more decision lines, plus the summary of the first window.
  EXPECT_EQ(h.lines.size(), 9u);
}

TEST(DecisionLog, SummarizesSuppressedLinesOncePerInterval) {
  Harness h(Options(3, 0, 1));
  h.log.Record(Failed("a", 1700000000));
  h.log.Record(Failed("b", 1700000000));
  h.log.Record({Decision::kMissed, "prod", "c", 1700000000, "", "superseded"});
  h.now += 30;
  h.log.Flush();
  EXPECT_EQ(h.lines.size(), 1u);  // not yet
  h.now += 30;
  h.log.Flush();
  ASSERT_EQ(h.lines.size(), 2u);
  const Line& s = h.lines[1];
  EXPECT_EQ(s.level, log::Level::kInfo);
  EXPECT_EQ(s.msg, "cronjob decision lines suppressed");
  EXPECT_EQ(s.Get("suppressed"), "2");
  EXPECT_EQ(s.Get("failed"), "1");
  EXPECT_EQ(s.Get("missed"), "1");
  EXPECT_EQ(s.Get("window_seconds"), "60");
  h.now += 120;
  h.log.Flush();
  EXPECT_EQ(h.lines.size(), 2u);  // nothing suppressed: no summary
}

TEST(DecisionLog, RemembersABoundedNumberOfSlots) {
  Harness h(Options(1, 1000, 1000, 2));
  h.log.Record(Failed("a", 1));
  h.log.Record(Failed("b", 1));
  h.log.Record(Failed("c", 1));  // forgets a
  h.log.Record(Failed("a", 1));  // a line again: memory stays bounded, the bound is per key
  EXPECT_EQ(h.lines.size(), 4u);
  h.log.Record(Failed("c", 1));
  EXPECT_EQ(h.lines.size(), 4u);
}

}  // namespace
}  // namespace batchwatch::tracker
