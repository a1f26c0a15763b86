// Controller slot math: kubernetes pkg/controller/cronjob utils_test.go (TestMostRecentScheduleTime
// and TestNextScheduleTime) as data, zone resolution precedence, job names and annotations.
#include "cron/controller.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "test_util.h"

namespace batchwatch::cron {
namespace {

using testing::MustParse;
using testing::T;
using testing::Zone;

// utils_test.go's topOfTheHour().
const UnixSeconds kTop = T("2016-05-19T10:00:00Z");
constexpr int64_t kMin = 60, kHour = 3600, kDayS = 86400;

struct DueCase {
  const char* name;
  const char* spec;
  UnixSeconds creation;
  std::optional<UnixSeconds> last;
  std::optional<int64_t> sds;
  UnixSeconds now;
  std::optional<UnixSeconds> want;
  Missed missed;
  bool want_error;
};

class MostRecent : public ::testing::TestWithParam<DueCase> {};

TEST_P(MostRecent, MatchesTheController) {
  const DueCase& c = GetParam();
  DueSlot d = MostRecentUnmetSlot(MustParse(c.spec), Zone("UTC"), c.creation, c.last, c.sds, c.now);
  EXPECT_EQ(!d.error.empty(), c.want_error) << d.error;
  if (c.want_error) return;
  EXPECT_EQ(d.due, c.want);
  EXPECT_EQ(d.missed, c.missed);
}

INSTANTIATE_TEST_SUITE_P(
    UtilsTestGo, MostRecent,
    ::testing::Values(
        DueCase{"now_before_next_schedule", "0 * * * *", kTop, std::nullopt, std::nullopt,
                kTop + 30, std::nullopt, Missed::kNone, false},
        // Fuzz-found (fuzz/corpus/watch_stream/regress_*): absurd status times made the walk
        // take minutes (from the year 1) or used Go's zero time (beyond the year 9999).
        DueCase{"creation_in_the_year_1_walks_bounded", "*/5 * * * *", T("0001-01-01T00:00:00Z"),
                std::nullopt, std::nullopt, kTop + 7 * kMin, kTop + 5 * kMin, Missed::kMany, false},
        DueCase{"last_schedule_in_the_year_1_walks_bounded", "0 0 29 2 *", kTop,
                T("0001-01-01T00:00:00Z"), std::nullopt, kTop, T("2016-02-29T00:00:00Z"),
                Missed::kFew, false},  // 292 saturated years / 4-year interval
        DueCase{"last_schedule_after_9999_nothing_due", "*/5 * * * *", kTop,
                T("9999-12-31T23:59:59Z"), std::nullopt, kTop, std::nullopt, Missed::kNone, false},
        DueCase{"now_just_after_next_schedule", "0 * * * *", kTop, std::nullopt, std::nullopt,
                kTop + 61 * kMin, kTop + 60 * kMin, Missed::kNone, false},
        DueCase{"missed_5_schedules", "0 * * * *", kTop + 10, std::nullopt, std::nullopt,
                kTop + 301 * kMin, kTop + 300 * kMin, Missed::kFew, false},
        DueCase{"complex_schedule", "30 6-16/4 * * 1-5", kTop, kTop + 30 * kMin, std::nullopt,
                kTop + kDayS + 31 * kMin, kTop + kDayS + 30 * kMin, Missed::kFew, false},
        // The estimate overshoots for irregular schedules: nothing is due although 10:30 was.
        DueCase{"another_complex_schedule", "30 10,11,12 * * 1-5", kTop, kTop + 30 * kMin,
                std::nullopt, kTop + 30 * kHour + 30 * kMin, std::nullopt, Missed::kFew, false},
        DueCase{"complex_schedule_longer_diff", "30 6-16/4 * * 1-5", kTop, kTop + 30 * kMin,
                std::nullopt, kTop + 96 * kHour + 31 * kMin, kTop + 96 * kHour + 30 * kMin,
                Missed::kFew, false},
        DueCase{"complex_schedule_shorter_diff", "30 6-16/4 * * 1-5", kTop, std::nullopt,
                std::nullopt, kTop + kDayS + 31 * kMin, kTop + kDayS + 30 * kMin, Missed::kFew,
                false},
        DueCase{"every_schedule_many_missed", "@every 1h", kTop - 59 * kMin, kTop + kMin,
                std::nullopt, kTop + 7 * kDayS, kTop + 6 * kDayS + 23 * kHour + kMin, Missed::kMany,
                false},
        DueCase{"rogue_cronjob", "59 23 31 2 *", kTop + 10, std::nullopt, std::nullopt,
                kTop + kHour, std::nullopt, Missed::kNone, true},
        DueCase{"earliest_is_last_schedule_time", "0 * * * *", kTop, kTop, std::nullopt, kTop + 30,
                std::nullopt, Missed::kNone, false},
        DueCase{"earliest_is_last_schedule_time_5min", "*/5 * * * *", kTop, kTop + 30 * kMin,
                std::nullopt, kTop + 31 * kMin, std::nullopt, Missed::kNone, false},
        DueCase{"within_starting_deadline", "*/5 * * * *", kTop, kTop + 30 * kMin, 60,
                kTop + 31 * kMin, std::nullopt, Missed::kNone, false},
        DueCase{"outside_starting_deadline", "*/5 * * * *", kTop, kTop + 30 * kMin, 60,
                kTop + 32 * kMin, std::nullopt, Missed::kNone, false},
        // TestNextScheduleTime cases 1-7 (hourly "0 * * * ?"; T1 = top, T2 = top + 1h)
        DueCase{"case1_none_needed_yet", "0 * * * ?", kTop - 10 * kMin, std::nullopt, std::nullopt,
                kTop - 7 * kMin, std::nullopt, Missed::kNone, false},
        DueCase{"case2_one_needed", "0 * * * ?", kTop - 10 * kMin, std::nullopt, std::nullopt,
                kTop + 2, kTop, Missed::kNone, false},
        DueCase{"case3_already_started", "0 * * * ?", kTop - 10 * kMin, kTop, std::nullopt,
                kTop + 2 * kMin, std::nullopt, Missed::kNone, false},
        DueCase{"case4_next_needed", "0 * * * ?", kTop - 10 * kMin, kTop, std::nullopt,
                kTop + kHour + 5 * kMin, kTop + kHour, Missed::kNone, false},
        DueCase{"case5_two_needed_latest_wins", "0 * * * ?", kTop - 2 * kHour, kTop - kHour,
                std::nullopt, kTop + kHour + 5 * kMin, kTop + kHour, Missed::kFew, false},
        DueCase{"case6_far_behind_no_deadline", "0 * * * ?", kTop - 2 * kHour, kTop - kHour,
                std::nullopt, kTop + kHour + 10 * kDayS, kTop + 10 * kDayS + kHour, Missed::kMany,
                false},
        DueCase{"case7_far_behind_short_deadline", "0 * * * ?", kTop - 2 * kHour, kTop - kHour,
                2 * kHour, kTop + kHour + 10 * kDayS, kTop + 10 * kDayS + kHour, Missed::kFew,
                false},
        DueCase{"case8_rogue_schedule_errors", "59 23 31 2 *", kTop + 10, std::nullopt,
                std::nullopt, kTop + kHour, std::nullopt, Missed::kNone, true},
        // Exactly 100 missed is still "few"; 101 is "many".
        DueCase{"hundred_missed_is_few", "0 * * * *", kTop - 1, std::nullopt, std::nullopt,
                kTop + 99 * kHour, kTop + 99 * kHour, Missed::kFew, false},
        DueCase{"hundred_one_missed_is_many", "0 * * * *", kTop - 1, std::nullopt, std::nullopt,
                kTop + 100 * kHour, kTop + 100 * kHour, Missed::kMany, false}),
    [](const ::testing::TestParamInfo<DueCase>& i) { return std::string(i.param.name); });

TEST(MostRecentInZone, UsesTheScheduleZone) {
  // 02:00 Berlin is 01:00Z in winter.
  DueSlot d =
      MostRecentUnmetSlot(MustParse("0 2 * * *"), Zone("Europe/Berlin"), T("2024-01-01T00:00:00Z"),
                          std::nullopt, std::nullopt, T("2024-01-01T01:00:30Z"));
  EXPECT_EQ(d.due, T("2024-01-01T01:00:00Z"));
}

struct ResolveCase {
  const char* name;
  const char* spec;
  std::optional<std::string> time_zone;
  const char* controller_zone;
  ScheduleError error;
  const char* zone_name;
};

class Resolve : public ::testing::TestWithParam<ResolveCase> {};

TEST_P(Resolve, FollowsTheControllerPrecedence) {
  const ResolveCase& c = GetParam();
  ResolvedSchedule r =
      ResolveSchedule(c.spec, c.time_zone, c.controller_zone, T("2024-06-01T00:00:00Z"));
  EXPECT_EQ(r.error, c.error) << r.message;
  EXPECT_EQ(r.message.empty(), r.error == ScheduleError::kNone) << r.message;
  if (c.error == ScheduleError::kNone || c.error == ScheduleError::kNeverFires) {
    EXPECT_EQ(r.zone_name, c.zone_name);
    EXPECT_TRUE(r.schedule.has_value());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Resolve,
    ::testing::Values(
        ResolveCase{"controller_zone_default", "0 2 * * *", std::nullopt, "UTC",
                    ScheduleError::kNone, "UTC"},
        ResolveCase{"controller_zone_setting", "0 2 * * *", std::nullopt, "Asia/Tokyo",
                    ScheduleError::kNone, "Asia/Tokyo"},
        ResolveCase{"spec_time_zone", "0 2 * * *", "Europe/Berlin", "UTC", ScheduleError::kNone,
                    "Europe/Berlin"},
        ResolveCase{"tz_prefix_wins", "TZ=Asia/Kolkata 0 2 * * *", "Europe/Berlin", "UTC",
                    ScheduleError::kNone, "Asia/Kolkata"},
        ResolveCase{"cron_tz_prefix_wins", "CRON_TZ=Asia/Kolkata 0 2 * * *", std::nullopt, "UTC",
                    ScheduleError::kNone, "Asia/Kolkata"},
        ResolveCase{"empty_tz_prefix_is_utc", "TZ= 0 2 * * *", std::nullopt, "Asia/Tokyo",
                    ScheduleError::kNone, "UTC"},
        ResolveCase{"unknown_spec_time_zone", "0 2 * * *", "Mars/Olympus", "UTC",
                    ScheduleError::kUnknownTimeZone, ""},
        ResolveCase{"unknown_zone_checked_before_schedule", "bad", "Mars/Olympus", "UTC",
                    ScheduleError::kUnknownTimeZone, ""},
        ResolveCase{"path_tricks_are_not_zones", "0 2 * * *", "../../etc/passwd", "UTC",
                    ScheduleError::kUnknownTimeZone, ""},
        ResolveCase{"absolute_path_is_not_a_zone", "0 2 * * *", "/etc/localtime", "UTC",
                    ScheduleError::kUnknownTimeZone, ""},
        ResolveCase{"unknown_prefix_zone_is_unparseable", "TZ=Mars/Olympus 0 2 * * *", std::nullopt,
                    "UTC", ScheduleError::kUnparseableSchedule, ""},
        ResolveCase{"unparseable", "0 2 * * 7", std::nullopt, "UTC",
                    ScheduleError::kUnparseableSchedule, ""},
        ResolveCase{"never_fires", "0 0 30 2 *", std::nullopt, "UTC", ScheduleError::kNeverFires,
                    "UTC"},
        // formatSchedule's "TZ=<zone> " prefix would trim the space, but the API server parses
        // the schedule as written first (cron.ParseStandard) and refuses it.
        ResolveCase{"time_zone_does_not_excuse_leading_space", " @daily", "Europe/Berlin", "UTC",
                    ScheduleError::kUnparseableSchedule, ""},
        ResolveCase{"time_zone_does_not_excuse_trailing_space", "@daily ", "Europe/Berlin", "UTC",
                    ScheduleError::kUnparseableSchedule, ""},
        ResolveCase{"fields_may_have_surrounding_space", " */5 * * * * ", "Europe/Berlin", "UTC",
                    ScheduleError::kNone, "Europe/Berlin"},
        ResolveCase{"leading_space_descriptor_without_zone", " @daily", std::nullopt, "UTC",
                    ScheduleError::kUnparseableSchedule, ""},
        ResolveCase{"local_means_controller_zone", "TZ=Local 0 2 * * *", std::nullopt, "Asia/Tokyo",
                    ScheduleError::kNone, "Asia/Tokyo"}),
    [](const ::testing::TestParamInfo<ResolveCase>& i) { return std::string(i.param.name); });

struct ControllerZoneCase {
  const char* name;
  bool ok;
  const char* why;  // a substring of the error when refused
};

// Every name the startup check accepts must load for a CronJob without spec.timeZone, and every
// name it refuses says why.
TEST(CheckControllerTimeZone, AcceptsExactlyWhatResolveScheduleLoads) {
  const ControllerZoneCase cases[] = {
      {"UTC", true, ""},
      {"", true, ""},
      {"Europe/Berlin", true, ""},
      {"localtime", false, "Go's time.LoadLocation"},
      {"Fixed/UTC+01:00:00", false, "Go's time.LoadLocation"},
      {"file:/etc/localtime", false, "Go's time.LoadLocation"},
      {"libc:localtime", false, "Go's time.LoadLocation"},
      {"/etc/localtime", false, "a path"},
      {"../zoneinfo/UTC", false, "a path"},
      {"Mars/Olympus", false, "not in the tz database"},
      {"Local", false, "name it"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_EQ(CheckControllerTimeZone(c.name, &error), c.ok) << c.name << ": " << error;
    ResolvedSchedule r =
        ResolveSchedule("0 2 * * *", std::nullopt, c.name, T("2024-06-01T00:00:00Z"));
    EXPECT_EQ(r.error == ScheduleError::kNone, c.ok) << c.name << ": " << r.message;
    if (!c.ok) {
      EXPECT_NE(error.find("\"" + std::string(c.name) + "\""), std::string::npos) << error;
      EXPECT_NE(error.find(c.why), std::string::npos) << error;
    }
  }
}

TEST(ScheduleErrorLabel, MatchesTheMetricContract) {
  EXPECT_STREQ(ScheduleErrorLabel(ScheduleError::kNone), "");
  EXPECT_STREQ(ScheduleErrorLabel(ScheduleError::kUnparseableSchedule), "unparseable_schedule");
  EXPECT_STREQ(ScheduleErrorLabel(ScheduleError::kNeverFires), "never_fires");
  EXPECT_STREQ(ScheduleErrorLabel(ScheduleError::kUnknownTimeZone), "unknown_timezone");
}

TEST(JobNames, AreMinutesSinceEpoch) {
  EXPECT_EQ(JobNameForSlot("backup", T("2024-11-03T05:30:00Z")), "backup-28843530");
  EXPECT_EQ(JobNameForSlot("backup", 59), "backup-0");
}

struct NameCase {
  const char* cronjob;
  const char* job;
  std::optional<UnixSeconds> slot;
};

class SlotFromName : public ::testing::TestWithParam<NameCase> {};

TEST_P(SlotFromName, ReadsMinutesAndPre121Seconds) {
  EXPECT_EQ(SlotFromJobName(GetParam().cronjob, GetParam().job), GetParam().slot);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SlotFromName,
    ::testing::Values(NameCase{"backup", "backup-28843530", T("2024-11-03T05:30:00Z")},
                      NameCase{"backup", "backup-1730611800", T("2024-11-03T05:30:00Z")},
                      NameCase{"my-job", "my-job-28843530", T("2024-11-03T05:30:00Z")},
                      NameCase{"backup", "backup-", std::nullopt},
                      NameCase{"backup", "backup-12ab", std::nullopt},
                      NameCase{"backup", "backup-0123", std::nullopt},
                      NameCase{"backup", "backup-x-28843530", std::nullopt},
                      NameCase{"backup", "backupx28843530", std::nullopt},
                      NameCase{"backup", "other-28843530", std::nullopt},
                      NameCase{"backup", "backup-99999999999999999999", std::nullopt},
                      NameCase{"backup", "manual-run", std::nullopt}));

TEST(ScheduledTimestampAnnotation, ParsesAnyOffset) {
  EXPECT_EQ(ParseScheduledTimestamp("2024-11-03T01:30:00-04:00"), T("2024-11-03T05:30:00Z"));
  EXPECT_EQ(ParseScheduledTimestamp("2024-11-03T05:30:00Z"), T("2024-11-03T05:30:00Z"));
  EXPECT_EQ(ParseScheduledTimestamp("2024-11-03T06:30:00+01:00"), T("2024-11-03T05:30:00Z"));
  EXPECT_FALSE(ParseScheduledTimestamp("").has_value());
  EXPECT_FALSE(ParseScheduledTimestamp("yesterday").has_value());
  EXPECT_FALSE(ParseScheduledTimestamp("2024-11-03 05:30:00").has_value());
}

TEST(FormatRfc3339, UsesTheZoneOffset) {
  EXPECT_EQ(FormatRfc3339(T("2024-11-03T05:30:00Z"), Zone("America/New_York")),
            "2024-11-03T01:30:00-04:00");
  EXPECT_EQ(FormatRfc3339(T("2024-11-03T06:30:00Z"), Zone("America/New_York")),
            "2024-11-03T01:30:00-05:00");
  EXPECT_EQ(FormatRfc3339(0, Zone("UTC")), "1970-01-01T00:00:00+00:00");
}

// Fuzz-found (fuzz/corpus/watch_stream/regress_*): times after 2262 overflowed a nanosecond
// time_point (signed overflow, undefined behaviour) while parsing and formatting.
TEST(Rfc3339, WholeSecondsOverTheFullKubernetesRange) {
  struct Case {
    const char* text;
    std::optional<UnixSeconds> want;
  };
  Case cases[] = {
      {"9999-12-31T23:59:59Z", 253402300799},
      {"2262-04-12T00:00:00Z", 9223372800},
      {"0001-01-01T00:00:00Z", -62135596800},
      {"2024-01-01T00:00:00.999Z", 1704067200},  // fractions floor
      {"1969-12-31T23:59:59.5Z", -1},
      {"2024-01-01T01:00:00+01:00", 1704067200},
      {"2024-01-01t00:00:00z", 1704067200},
      {"20240-01-01T00:00:00Z", std::nullopt},
      {"2024-01-01", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseRfc3339(c.text), c.want) << c.text;
    if (c.want && *c.want >= -1) {  // cctz writes years before 1000 unpadded
      EXPECT_EQ(ParseRfc3339(FormatRfc3339(*c.want, Zone("UTC"))), c.want) << c.text;
    }
  }
  EXPECT_EQ(FormatRfc3339(253402300799, Zone("UTC")), "9999-12-31T23:59:59+00:00");
}

}  // namespace
}  // namespace batchwatch::cron
