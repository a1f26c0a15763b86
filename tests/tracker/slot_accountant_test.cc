// SlotAccountant as literal tables: rules, evidence, run spans and suspensions in; the decision
// of every slot (ran and how late / missed and why / Forbid-skipped / suspended / unobserved)
// and the pending slot out.
#include "tracker/slot_accountant.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "cron/controller.h"

namespace batchwatch::tracker {
namespace {

// "HH:MM[:SS]" on 2024-01-01 (UTC), or a full RFC 3339 time.
UnixSeconds T(const std::string& s) {
  std::string full = s.size() <= 8 ? "2024-01-01T" + s + (s.size() == 5 ? ":00Z" : "Z") : s;
  auto t = cron::ParseRfc3339(full);
  EXPECT_TRUE(t.has_value()) << s;
  return t.value_or(0);
}

std::string Show(UnixSeconds t) {
  std::string s = cron::FormatRfc3339(t, cctz::utc_time_zone());  // 2024-01-01T00:05:00+00:00
  if (s.rfind("2024-01-01T", 0) == 0) return s.substr(11, s.substr(17, 2) == "00" ? 5 : 8);
  return s.substr(0, 16);
}

std::string Describe(const SlotDecision& d) {
  std::string out = Show(d.slot) + " ";
  switch (d.outcome) {
    case SlotOutcome::kRan:
      out += "ran";
      if (d.late_by()) out += " late " + std::to_string(*d.late_by());
      break;
    case SlotOutcome::kMissed:
      out += d.reason == kDeadlineExceeded ? "missed deadline_exceeded" : "missed superseded";
      break;
    case SlotOutcome::kForbidSkipped:
      out += "forbid_skipped";
      if (d.blocked_by) out += " by " + Show(d.blocked_by->creation);
      break;
    case SlotOutcome::kSuspended:
      out += "suspended";
      break;
    case SlotOutcome::kUnobserved:
      out += "unobserved";
      break;
  }
  return out;
}

struct Span {
  std::string created, ended;  // ended "" = still running
};
struct Window {
  std::string begin, end;  // end "" = still suspended
};
struct Ev {
  std::string slot, created;  // created "" = only status.lastScheduleTime named the slot
};

struct Case {
  const char* name;
  const char* schedule;
  const char* zone;
  batch::ConcurrencyPolicy policy;
  std::optional<int64_t> sds;
  std::string created;              // CronJob creationTimestamp (anchors @every)
  std::string accounted_until;      // accounting starts here
  std::string fully_counted_after;  // "" = accounted_until (no downtime)
  std::vector<Ev> evidence;
  std::vector<Span> spans;
  std::vector<Window> suspended;
  std::string now;
  std::vector<std::string> decisions;
  std::string pending;  // "" = none
};

constexpr auto kAllow = batch::ConcurrencyPolicy::kAllow;
constexpr auto kForbid = batch::ConcurrencyPolicy::kForbid;

const Case kCases[] = {
    {"EveryRunOnTime",
     "*/5 * * * *",
     "UTC",
     kAllow,
     {},
     "00:00",
     "00:00",
     "",
     {{"00:05", "00:05:02"}, {"00:10", "00:10:00"}},
     {},
     {},
     "00:12",
     {"00:05 ran late 2", "00:10 ran late 0"},
     ""},
    {"LastScheduleTimeOnly",
     "*/5 * * * *",
     "UTC",
     kAllow,
     {},
     "00:00",
     "00:00",
     "",
     {{"00:05", ""}},
     {},
     {},
     "00:07",
     {"00:05 ran"},
     ""},
    {"SupersededByLaterSlot",
     "*/5 * * * *",
     "UTC",
     kAllow,
     {},
     "00:00",
     "00:00",
     "",
     {},
     {},
     {},
     "00:16",
     {"00:05 missed superseded", "00:10 missed superseded"},
     "00:15"},
    {"GracePeriodNotOver",
     "*/5 * * * *",
     "UTC",
     kAllow,
     {},
     "00:00",
     "00:00",
     "",
     {},
     {},
     {},
     "00:10:04",
     {},
     "00:05"},
    {"GracePeriodOver",
     "*/5 * * * *",
     "UTC",
     kAllow,
     {},
     "00:00",
     "00:00",
     "",
     {},
     {},
     {},
     "00:10:05",
     {"00:05 missed superseded"},
     "00:10"},
    {"DeadlineBeforeNextSlot",
     "*/5 * * * *",
     "UTC",
     kAllow,
     60,
     "00:00",
     "00:00",
     "",
     {},
     {},
     {},
     "00:07",
     {"00:05 missed deadline_exceeded"},
     ""},
    {"DeadlineAfterNextSlotIsSuperseded",
     "*/5 * * * *",
     "UTC",
     kAllow,
     600,
     "00:00",
     "00:00",
     "",
     {},
     {},
     {},
     "00:11",
     {"00:05 missed superseded"},
     "00:10"},
    {"ThreeSlotOutage",
     "0 * * * *",
     "UTC",
     kAllow,
     300,
     "00:30",
     "00:30",
     "",
     {{"01:00", "01:00:01"}, {"05:00", "05:04:00"}},
     {},
     {},
     "05:30",
     {"01:00 ran late 1", "02:00 missed deadline_exceeded", "03:00 missed deadline_exceeded",
      "04:00 missed deadline_exceeded", "05:00 ran late 240"},
     ""},
    {"ForbidHeldBehindActiveRun",
     "*/10 * * * *",
     "UTC",
     kForbid,
     {},
     "00:05",
     "00:05",
     "",
     {{"00:10", "00:10:02"}},
     {{"00:10:02", "00:45"}},
     {},
     "01:00",
     {"00:10 ran late 2", "00:20 forbid_skipped by 00:10:02", "00:30 forbid_skipped by 00:10:02",
      "00:40 missed superseded"},
     "00:50"},
    {"ForbidRunEndingWithinGraceStillBlocks",
     "*/10 * * * *",
     "UTC",
     kForbid,
     {},
     "00:05",
     "00:05",
     "",
     {},
     {{"00:00:01", "00:19:57"}},
     {},
     "00:25",
     {"00:10 forbid_skipped by 00:00:01"},
     "00:20"},
    // The 00:20 run held 00:40 back until 00:55; the late 00:40 run then holds 00:50 and 01:00.
    {"ForbidLateStartRan",
     "*/10 * * * *",
     "UTC",
     kForbid,
     {},
     "00:35",
     "00:35",
     "",
     {{"00:40", "00:55:02"}},
     {{"00:20:02", "00:55"}, {"00:55:02", "01:20"}},
     {},
     "01:10",
     {"00:40 ran late 902", "00:50 forbid_skipped by 00:55:02"},
     "01:00"},
    {"AllowIgnoresActiveRuns",
     "*/10 * * * *",
     "UTC",
     kAllow,
     {},
     "00:15",
     "00:15",
     "",
     {},
     {{"00:10:02", "00:45"}},
     {},
     "00:31",
     {"00:20 missed superseded"},
     "00:30"},
    {"SuspendedThenResumed",
     "*/10 * * * *",
     "UTC",
     kAllow,
     {},
     "00:05",
     "00:05",
     "",
     {{"00:40", "00:45:01"}},
     {},
     {{"00:15", "00:45"}},
     "01:10",
     {"00:10 suspended", "00:20 suspended", "00:30 suspended", "00:40 ran late 301",
      "00:50 missed superseded"},
     "01:00"},
    {"StillSuspended",
     "*/10 * * * *",
     "UTC",
     kAllow,
     {},
     "00:05",
     "00:05",
     "",
     {},
     {},
     {{"2023-12-31T00:00:00Z", ""}},
     "00:35",
     {"00:10 suspended", "00:20 suspended"},
     "00:30"},
    {"DowntimeCountsOnlyEvidence",
     "*/5 * * * *",
     "UTC",
     kAllow,
     {},
     "00:00",
     "00:00",
     "00:20",
     {{"00:10", "00:10:30"}},
     {},
     {},
     "00:31",
     {"00:05 unobserved", "00:10 ran late 30", "00:15 unobserved", "00:20 unobserved",
      "00:25 missed superseded"},
     "00:30"},
    // 2024-11-03, New York falls back: 01:30 local happens at 05:30Z (EDT) and 06:30Z (EST).
    {"DstFallBackRunsTwice",
     "30 1 * * *",
     "America/New_York",
     kAllow,
     {},
     "2024-11-01T00:00:00Z",
     "2024-11-03T00:00:00Z",
     "",
     {{"2024-11-03T05:30:00Z", "2024-11-03T05:30:04Z"}},
     {},
     {},
     "2024-11-04T12:00:00Z",
     {"2024-11-03T05:30 ran late 4", "2024-11-03T06:30 missed superseded"},
     "2024-11-04T06:30"},
    // 2024-03-10, New York springs forward: 02:30 local does not exist that day.
    {"DstSpringForwardSkipsTheDay",
     "30 2 * * *",
     "America/New_York",
     kAllow,
     {},
     "2024-03-01T00:00:00Z",
     "2024-03-09T12:00:00Z",
     "",
     {{"2024-03-11T06:30:00Z", "2024-03-11T06:30:00Z"}},
     {},
     {},
     "2024-03-11T12:00:00Z",
     {"2024-03-11T06:30 ran late 0"},
     ""},
    {"EveryAnchoredOnCreation",
     "@every 2h",
     "UTC",
     kAllow,
     {},
     "00:10",
     "00:10",
     "",
     {{"02:10", "02:10:09"}},
     {},
     {},
     "05:00",
     {"02:10 ran late 9"},
     "04:10"},
    {"TimeZoneOfTheSchedule",
     "0 9 * * *",
     "Asia/Tokyo",
     kAllow,
     {},
     "2023-12-31T00:00:00Z",
     "2023-12-31T12:00:00Z",
     "",
     {},
     {},
     {},
     "2024-01-02T00:00:05Z",
     {"00:00 missed superseded"},
     "2024-01-02T00:00"},
};

class SlotTable : public ::testing::TestWithParam<Case> {};

TEST_P(SlotTable, Decides) {
  const Case& c = GetParam();
  cron::ResolvedSchedule resolved =
      cron::ResolveSchedule(c.schedule, std::string(c.zone), "UTC", T(c.now));
  ASSERT_EQ(resolved.error, cron::ScheduleError::kNone) << resolved.message;
  SlotRules rules;
  rules.schedule = &*resolved.schedule;
  rules.zone = resolved.zone;
  rules.policy = c.policy;
  rules.starting_deadline_seconds = c.sds;
  rules.creation = T(c.created);
  rules.grace_seconds = 5;

  SlotAccountant a;
  std::vector<int64_t> delays;
  a.Start(T(c.accounted_until),
          c.fully_counted_after.empty() ? T(c.accounted_until) : T(c.fully_counted_after),
          [&](int64_t d) { delays.push_back(d); });
  EXPECT_TRUE(delays.empty());
  size_t h = 0;
  for (const Span& s : c.spans) {
    a.UpsertSpan(++h, T(s.created), kDawn,
                 s.ended.empty() ? std::nullopt : std::optional<UnixSeconds>(T(s.ended)));
  }
  for (const Window& w : c.suspended) {
    a.Suspend(T(w.begin));
    if (!w.end.empty()) a.Resume(T(w.end));
  }
  for (const Ev& e : c.evidence) {
    EvidenceEffect effect = a.AddEvidence(T(e.slot), e.created.empty() ? kNever : T(e.created));
    EXPECT_FALSE(effect.already_decided);
    EXPECT_EQ(effect.start_delay.has_value(), !e.created.empty());
  }

  // Deciding step by step (as Tick does) or at once gives the same decisions.
  std::vector<std::string> got;
  for (UnixSeconds t = T(c.accounted_until); t < T(c.now); t += 97) {
    a.Resolve(rules, t, [&](const SlotDecision& d) { got.push_back(Describe(d)); });
  }
  a.Resolve(rules, T(c.now), [&](const SlotDecision& d) { got.push_back(Describe(d)); });
  EXPECT_EQ(got, c.decisions);
  auto pending = a.Pending(rules, T(c.now));
  EXPECT_EQ(pending ? Show(*pending) : "", c.pending);
  // Decided slots stay decided.
  got.clear();
  a.Resolve(rules, T(c.now), [&](const SlotDecision& d) { got.push_back(Describe(d)); });
  EXPECT_TRUE(got.empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, SlotTable, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

cron::ResolvedSchedule Resolve(const char* spec) {
  return cron::ResolveSchedule(spec, std::nullopt, "UTC", T("00:00"));
}

SlotRules RulesOf(const cron::ResolvedSchedule& r) {
  SlotRules rules;
  rules.schedule = &*r.schedule;
  rules.zone = r.zone;
  return rules;
}

TEST(SlotAccountant, NoScheduleNoSlots) {
  SlotAccountant a;
  a.Start(T("00:00"), T("00:00"), [](int64_t) {});
  SlotRules rules;  // schedule == nullptr: the CronJob cannot run
  int n = 0;
  a.Resolve(rules, T("05:00"), [&](const SlotDecision&) { ++n; });
  EXPECT_EQ(n, 0);
  EXPECT_FALSE(a.Pending(rules, T("05:00")));
  SlotTimes t = a.Times(rules, T("05:00"));
  EXPECT_FALSE(t.next);
  EXPECT_EQ(t.wake, kNever);
}

TEST(SlotAccountant, StartDropsDecidedEvidenceAndRecordsDelaysOfTheRest) {
  SlotAccountant a;
  // Before accounting starts (the CronJob not listed yet) evidence records no delay.
  EXPECT_FALSE(a.AddEvidence(T("00:05"), T("00:05:03")).start_delay);
  EXPECT_FALSE(a.AddEvidence(T("00:10"), T("00:10:07")).start_delay);
  std::vector<int64_t> delays;
  a.Start(T("00:05"), T("00:05"), [&](int64_t d) { delays.push_back(d); });
  EXPECT_EQ(delays, std::vector<int64_t>{7});
  EXPECT_FALSE(a.HasEvidence(T("00:05")));
  EXPECT_TRUE(a.HasEvidence(T("00:10")));
  // Once per slot: a second Job event for the slot records nothing.
  EXPECT_FALSE(a.AddEvidence(T("00:10"), T("00:10:07")).start_delay);
  EXPECT_TRUE(a.AddEvidence(T("00:05"), T("00:05:03")).already_decided);
  // lastScheduleTime first, the Job later: the delay comes with the Job.
  EXPECT_FALSE(a.AddEvidence(T("00:15"), kNever).start_delay);
  EXPECT_EQ(a.AddEvidence(T("00:15"), T("00:15:02")).start_delay, 2);
}

TEST(SlotAccountant, RescheduleDropsOpenSlotsOfTheOldSchedule) {
  auto every5 = Resolve("*/5 * * * *");
  SlotAccountant a;
  a.Start(T("00:00"), T("00:00"), [](int64_t) {});
  a.AddEvidence(T("00:05"), T("00:05"));
  a.Reschedule(T("00:12"));  // 00:10 was open: never counted
  EXPECT_EQ(a.accounted_until(), T("00:12"));
  EXPECT_FALSE(a.HasEvidence(T("00:05")));
  std::vector<std::string> got;
  a.Resolve(RulesOf(every5), T("00:21"),
            [&](const SlotDecision& d) { got.push_back(Describe(d)); });
  EXPECT_EQ(got, (std::vector<std::string>{"00:15 missed superseded"}));
}

TEST(SlotAccountant, ResolveStopsAfterMaxSlotsAndContinues) {
  auto minutely = Resolve("* * * * *");
  SlotAccountant a;
  a.Start(T("00:00"), T("00:00"), [](int64_t) {});
  int n = 0;
  a.Resolve(
      RulesOf(minutely), T("01:00"), [&](const SlotDecision&) { ++n; }, 10);
  EXPECT_EQ(n, 10);
  EXPECT_EQ(a.accounted_until(), T("00:10"));
  a.Resolve(RulesOf(minutely), T("01:00"), [&](const SlotDecision&) { ++n; });
  EXPECT_EQ(n, 58);  // 00:59 becomes final at 01:00 plus the grace period
}

struct ReplaceCase {
  const char* name;
  bool delete_first;         // the watch shows the delete of the old run before the new Job
  UnixSeconds new_creation;  // relative to the old run's creation
  int64_t appear_after;      // seconds after the delete that the new run is seen
  uint32_t replaced;
};

class ReplaceTable : public ::testing::TestWithParam<ReplaceCase> {};

TEST_P(ReplaceTable, CountsDeletedRunsReplacedByANewerOne) {
  const ReplaceCase& c = GetParam();
  SlotAccountant a;
  a.Start(T("00:00"), T("00:00"), [](int64_t) {});
  const UnixSeconds old_created = T("00:15:01"), old_slot = T("00:15");
  const UnixSeconds new_created = old_created + c.new_creation;
  const UnixSeconds new_slot = c.new_creation > 0 ? T("00:30") : T("00:00");
  const UnixSeconds deleted = T("00:30:01");
  const int64_t window = 600;
  a.UpsertSpan(1, old_created, old_slot, std::nullopt);
  uint32_t replaced = 0;
  if (c.delete_first) {
    replaced += a.RunDeleted(1, old_created, old_slot, deleted + window) ? 1 : 0;
    EXPECT_EQ(a.pending_replaces(), replaced == 0 ? 1u : 0u);
    a.ExpireReplaces(deleted + c.appear_after);
    a.UpsertSpan(2, new_created, new_slot, std::nullopt);
    replaced += a.RunAppeared(new_created, new_slot, deleted + c.appear_after);
  } else {
    a.UpsertSpan(2, new_created, new_slot, std::nullopt);
    replaced += a.RunAppeared(new_created, new_slot, deleted);
    replaced += a.RunDeleted(1, old_created, old_slot, deleted + window) ? 1 : 0;
  }
  EXPECT_EQ(replaced, c.replaced);
}

INSTANTIATE_TEST_SUITE_P(Cases, ReplaceTable,
                         ::testing::Values(ReplaceCase{"DeleteSeenFirst", true, 900, 1, 1},
                                           ReplaceCase{"NewJobSeenFirst", false, 900, 0, 1},
                                           ReplaceCase{"NewJobAfterTheWindow", true, 900, 601, 0},
                                           ReplaceCase{"OlderJobDoesNotReplace", true, -60, 1, 0},
                                           ReplaceCase{"OlderJobSeenFirstDoesNotReplace", false,
                                                       -60, 0, 0}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SlotAccountant, TimesGiveNextIntervalLagAndWake) {
  auto every10 = Resolve("*/10 * * * *");
  SlotRules rules = RulesOf(every10);
  rules.creation = T("00:00");
  SlotAccountant a;
  a.Start(T("00:00"), T("00:00"), [](int64_t) {});
  SlotTimes t = a.Times(rules, T("00:13"));
  EXPECT_EQ(t.next, T("00:20"));
  EXPECT_EQ(t.interval, 600);
  EXPECT_EQ(t.lag, 180);          // 00:10 is due and has no Job
  EXPECT_EQ(t.wake, T("00:20"));  // 00:10 becomes final at 00:20 (+ grace)
  a.AddEvidence(T("00:10"), T("00:13"));
  a.ForgetWalks();
  t = a.Times(rules, T("00:13:01"));
  EXPECT_EQ(t.lag, 0);
  EXPECT_EQ(t.wake, T("00:13:01"));  // evidence to decide now
  rules.suspend = true;
  a.ForgetWalks();
  t = a.Times(rules, T("00:13:02"));
  EXPECT_FALSE(t.next);  // absent while suspended
  EXPECT_FALSE(t.interval);
  EXPECT_EQ(t.lag, 0);
}

TEST(SlotAccountant, FinalAtSaturatesAHugeDeadline) {
  auto every5 = Resolve("*/5 * * * *");
  SlotRules rules = RulesOf(every5);
  rules.starting_deadline_seconds = std::numeric_limits<int64_t>::max();
  MissReason reason;
  EXPECT_EQ(SlotAccountant::FinalAt(rules, T("00:05"), &reason), T("00:10"));
  EXPECT_EQ(reason, kSuperseded);
}

}  // namespace
}  // namespace batchwatch::tracker
