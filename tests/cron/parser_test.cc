// Parser cases: robfig/cron v3.0.1 parser_test.go and spec_test.go (TestErrors) as data, plus the
// ParseStandard edge cases batchwatch relies on (robfig/cron v3.0.1 parser.go, as the CronJob
// controller uses it).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "cron/schedule.h"
#include "test_util.h"

namespace batchwatch::cron {
namespace {

constexpr uint64_t kStar = uint64_t{1} << 63;
uint64_t Bits(int lo, int hi, int step = 1) {
  uint64_t b = 0;
  for (int i = lo; i <= hi; i += step) b |= uint64_t{1} << i;
  return b;
}
const uint64_t kAllMinutes = Bits(0, 59) | kStar, kAllHours = Bits(0, 23) | kStar,
               kAllDom = Bits(1, 31) | kStar, kAllMonths = Bits(1, 12) | kStar,
               kAllDow = Bits(0, 6) | kStar;

struct BitsCase {
  const char* name;
  const char* spec;
  uint64_t minute, hour, dom, month, dow;
};

class ParsesToBits : public ::testing::TestWithParam<BitsCase> {};

TEST_P(ParsesToBits, FieldsMatchRobfig) {
  const BitsCase& c = GetParam();
  Schedule s = testing::MustParse(c.spec);
  EXPECT_EQ(s.seconds_bits(), 1u);
  EXPECT_EQ(s.minute_bits(), c.minute) << c.spec;
  EXPECT_EQ(s.hour_bits(), c.hour) << c.spec;
  EXPECT_EQ(s.dom_bits(), c.dom) << c.spec;
  EXPECT_EQ(s.month_bits(), c.month) << c.spec;
  EXPECT_EQ(s.dow_bits(), c.dow) << c.spec;
  EXPECT_FALSE(s.is_every());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParsesToBits,
    ::testing::Values(
        // parser_test.go TestParseSchedule / TestStandardSpecSchedule
        BitsCase{"every5min", "5 * * * *", 1u << 5, kAllHours, kAllDom, kAllMonths, kAllDow},
        BitsCase{"cron_tz_double_space", "CRON_TZ=UTC  5 * * * *", 1u << 5, kAllHours, kAllDom,
                 kAllMonths, kAllDow},
        BitsCase{"midnight", "@midnight", 1, 1, kAllDom, kAllMonths, kAllDow},
        BitsCase{"tz_midnight", "TZ=UTC  @midnight", 1, 1, kAllDom, kAllMonths, kAllDow},
        BitsCase{"yearly", "@yearly", 1, 1, 1u << 1, 1u << 1, kAllDow},
        BitsCase{"annually", "@annually", 1, 1, 1u << 1, 1u << 1, kAllDow},
        BitsCase{"monthly", "@monthly", 1, 1, 1u << 1, kAllMonths, kAllDow},
        BitsCase{"weekly", "@weekly", 1, 1, kAllDom, kAllMonths, 1},
        BitsCase{"hourly", "@hourly", 1, kAllHours, kAllDom, kAllMonths, kAllDow},
        // parser_test.go TestRange / TestField, placed in fields with matching bounds
        BitsCase{"single", "5 * * * *", 1u << 5, kAllHours, kAllDom, kAllMonths, kAllDow},
        BitsCase{"range_same", "5-5 * * * *", 1u << 5, kAllHours, kAllDom, kAllMonths, kAllDow},
        BitsCase{"range_step2", "5-7/2 * * * *", Bits(5, 7, 2), kAllHours, kAllDom, kAllMonths,
                 kAllDow},
        BitsCase{"range_step_short", "5-6/2 * * * *", 1u << 5, kAllHours, kAllDom, kAllMonths,
                 kAllDow},
        BitsCase{"list", "1,5-7/2,3 * * * *", Bits(1, 1) | Bits(5, 7, 2) | Bits(3, 3), kAllHours,
                 kAllDom, kAllMonths, kAllDow},
        BitsCase{"star_step_drops_star", "* * */2 * *", kAllMinutes, kAllHours, Bits(1, 31, 2),
                 kAllMonths, kAllDow},
        // robfig/cron v3.0.1 star-bit subtleties
        BitsCase{"star_step1_keeps_star", "*/1 * * * *", kAllMinutes, kAllHours, kAllDom,
                 kAllMonths, kAllDow},
        BitsCase{"question_is_star", "? ? ? ? ?", kAllMinutes, kAllHours, kAllDom, kAllMonths,
                 kAllDow},
        BitsCase{"star_dash_ignored", "*-5 * * * *", kAllMinutes, kAllHours, kAllDom, kAllMonths,
                 kAllDow},
        BitsCase{"n_slash_step", "5/15 * * * *", Bits(5, 59, 15), kAllHours, kAllDom, kAllMonths,
                 kAllDow},
        BitsCase{"range_step1_no_star", "0-59/1 * * * *", Bits(0, 59), kAllHours, kAllDom,
                 kAllMonths, kAllDow},
        BitsCase{"plus_and_zero_padded", "+5 05 * * *", 1u << 5, 1u << 5, kAllDom, kAllMonths,
                 kAllDow},
        BitsCase{"names_any_case", "0 0 * jan-MAR,Dec sun,Sat", 1, 1, kAllDom,
                 Bits(1, 3) | Bits(12, 12), Bits(0, 0) | Bits(6, 6)},
        BitsCase{"empty_list_items_ignored", ", * * * *", 0, kAllHours, kAllDom, kAllMonths,
                 kAllDow},
        // strings.Fields: space around 5 fields is no field.
        BitsCase{"fields_leading_space", " 5 * * * *", 1u << 5, kAllHours, kAllDom, kAllMonths,
                 kAllDow},
        BitsCase{"fields_trailing_space_and_newline", "5 * * * * \n", 1u << 5, kAllHours, kAllDom,
                 kAllMonths, kAllDow},
        // The TZ= prefix is cut at the first space and the rest TrimSpace'd, both ends.
        BitsCase{"tz_descriptor_trailing_space", "TZ=UTC @daily ", 1, 1, kAllDom, kAllMonths,
                 kAllDow},
        BitsCase{"tabs_and_newlines_split", "0\t0\n1 \v * *", 1, 1, 1u << 1, kAllMonths, kAllDow},
        BitsCase{"unicode_space_splits", "0\u00a00 1\u3000* *", 1, 1, 1u << 1, kAllMonths, kAllDow},
        BitsCase{"dow_range_to_6", "0 0 * * 1-6", 1, 1, kAllDom, kAllMonths, Bits(1, 6)},
        BitsCase{"dotted_capital_i_lowercases", "0 0 * * FR\u0130", 1, 1, kAllDom, kAllMonths,
                 1u << 5}),
    [](const ::testing::TestParamInfo<BitsCase>& i) { return std::string(i.param.name); });

struct EveryCase {
  const char* name;
  const char* spec;
  int64_t seconds;
};

class ParsesToEvery : public ::testing::TestWithParam<EveryCase> {};

TEST_P(ParsesToEvery, DelayIsWholeSecondsAtLeastOne) {
  Schedule s = testing::MustParse(GetParam().spec);
  EXPECT_TRUE(s.is_every());
  EXPECT_EQ(s.every_seconds(), GetParam().seconds);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParsesToEvery,
    ::testing::Values(EveryCase{"five_minutes", "@every 5m", 300},
                      EveryCase{"compound", "@every 1h30m", 5400},
                      EveryCase{"fraction_truncated", "@every 1.9s", 1},
                      EveryCase{"fraction_of_hour", "@every 1.5h", 5400},
                      EveryCase{"sub_second_rounds_up", "@every 500ms", 1},
                      EveryCase{"zero", "@every 0", 1}, EveryCase{"negative", "@every -5m", 1},
                      EveryCase{"micro_sign", "@every 2000000\u00b5s", 2},
                      EveryCase{"many_units", "@every 1h1m1s1ms1us1ns", 3661},
                      EveryCase{"with_tz_prefix", "TZ=Asia/Tokyo @every 90s", 90},
                      EveryCase{"leading_dot", "@every .5m", 30}),
    [](const ::testing::TestParamInfo<EveryCase>& i) { return std::string(i.param.name); });

TEST(ParseZonePrefix, IsRecordedNotResolved) {
  EXPECT_EQ(testing::MustParse("TZ=Europe/Berlin 0 2 * * *").zone_prefix(), "Europe/Berlin");
  EXPECT_EQ(testing::MustParse("CRON_TZ=Asia/Tokyo 0 2 * * *").zone_prefix(), "Asia/Tokyo");
  EXPECT_EQ(testing::MustParse("TZ= 0 2 * * *").zone_prefix(), "");
  EXPECT_EQ(testing::MustParse("TZ=Bogus/Zone 0 2 * * *").zone_prefix(), "Bogus/Zone");
  EXPECT_FALSE(testing::MustParse("0 2 * * *").zone_prefix().has_value());
}

struct ErrorCase {
  const char* name;
  const char* spec;
  const char* message;  // a substring of the error
};

class Rejects : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(Rejects, WithMessageNamingTheProblem) {
  std::string error;
  EXPECT_FALSE(Schedule::Parse(GetParam().spec, &error).has_value()) << GetParam().spec;
  EXPECT_NE(error.find(GetParam().message), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Rejects,
    ::testing::Values(
        // spec_test.go TestErrors, parser_test.go TestParseScheduleErrors / TestRange
        ErrorCase{"invalid_expression", "xyz", "expected exactly 5 fields"},
        ErrorCase{"minute_out_of_range", "60 0 * * *",
                  "field 1 (minute): 60 is above the maximum 59"},
        ErrorCase{"hour_out_of_range", "0 60 * * *", "field 2 (hour): 60 is above the maximum 23"},
        ErrorCase{"invalid_day_of_week", "0 0 * * XYZ",
                  "field 5 (day of week): \"XYZ\" is not a number"},
        ErrorCase{"too_many_hyphens", "0-0-0 * * * *", "too many hyphens"},
        ErrorCase{"too_many_slashes", "*/5/5 * * * *", "too many slashes"},
        ErrorCase{"month_zero", "* * * 0-5 *",
                  "field 4 (month): range start 0 is below the minimum 1"},
        ErrorCase{"range_backwards", "59-2 * * * *", "range start 59 is beyond its end 2"},
        ErrorCase{"slash_zero", "TZ=America/New_York 15/0 * * * *",
                  "step must be a positive number"},
        ErrorCase{"star_slash_zero", "*/0 * * * *", "step must be a positive number"},
        ErrorCase{"letter_in_hour", "5 j * * *", "field 2 (hour): \"j\" is not a number"},
        ErrorCase{"name_then_garbage", "* * * jan-x *",
                  "field 4 (month): \"x\" is not a number or a month name"},
        ErrorCase{"negative_step", "*/-12 * * * *", "negative step -12"},
        ErrorCase{"four_fields", "* * * *", "expected exactly 5 fields"},
        ErrorCase{"six_fields", "0 * * * * *", "found 6"}, ErrorCase{"empty", "", "empty schedule"},
        ErrorCase{"only_spaces", "   ", "found 0"},
        ErrorCase{"every_bad_duration", "@every Xm", "@every: invalid duration"},
        ErrorCase{"every_missing_unit", "@every 5", "missing unit"},
        ErrorCase{"every_space_inside", "@every 1h 30m", "unknown unit"},
        ErrorCase{"every_no_space", "@every5m", "unrecognized descriptor"},
        ErrorCase{"every_overflow", "@every 9999999999h", "invalid duration"},
        ErrorCase{"unrecognized_descriptor", "@unrecognized", "unrecognized descriptor"},
        ErrorCase{"descriptor_case_sensitive", "@Daily", "unrecognized descriptor"},
        ErrorCase{"descriptor_trailing_space", "@daily ", "unrecognized descriptor"},
        // parser.go: only a TZ= prefix is trimmed; a descriptor is matched exactly, and one after
        // leading space is split by strings.Fields into one field.
        ErrorCase{"descriptor_leading_space", " @daily", "found 1 in"},
        ErrorCase{"descriptor_leading_tab", "\t@hourly", "found 1 in"},
        ErrorCase{"descriptor_trailing_tab", "@daily\t", "unrecognized descriptor"},
        ErrorCase{"descriptor_trailing_newline", "@weekly\n", "unrecognized descriptor"},
        ErrorCase{"every_leading_space", " @every 1h", "found 2 in"},
        ErrorCase{"every_trailing_space", "@every 1h ", "unknown unit"},
        // robfig/cron v3.0.1: weekday 7 rejected, no L/W/#
        ErrorCase{"weekday_7", "0 0 * * 7", "field 5 (day of week): 7 is above the maximum 6"},
        ErrorCase{"weekday_range_to_7", "0 0 * * 1-7",
                  "field 5 (day of week): range end 7 is above the maximum 6"},
        ErrorCase{"last_day", "0 0 L * *", "field 3 (day of month): \"L\" is not a number"},
        ErrorCase{"weekday_hash", "0 0 * * 1#2", "is not a number"},
        ErrorCase{"nearest_weekday", "0 0 15W * *", "is not a number"},
        ErrorCase{"dom_zero", "0 0 0 * *", "field 3 (day of month): 0 is below the minimum 1"},
        ErrorCase{"underscore_digits", "1_0 * * * *", "is not a number"},
        ErrorCase{"huge_number", "99999999999999999999 * * * *", "is not a number"},
        ErrorCase{"tz_without_space", "TZ=UTC", "must be followed by a space"},
        ErrorCase{"tz_only", "TZ=UTC ", "found 0"}),
    [](const ::testing::TestParamInfo<ErrorCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace batchwatch::cron
