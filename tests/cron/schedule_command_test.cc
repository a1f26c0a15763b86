// `batchwatch schedule`: called in-process with string streams.
#include "app/schedule_command.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace batchwatch::app {
namespace {

struct Result {
  int code;
  std::string out, err;
};

Result RunCommand(std::vector<std::string> args) {
  args.insert(args.begin(), "schedule");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  int code = RunScheduleCommand(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

TEST(ScheduleCommandList, PrintsSlotsWithTheZoneOffset) {
  Result r = RunCommand({"30 1 * * *", "--time-zone", "America/New_York", "--from",
                         "2024-11-02T12:00:00Z", "--count", "3"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "2024-11-03T01:30:00-04:00\n2024-11-03T01:30:00-05:00\n2024-11-04T01:30:00-05:00\n");
}

TEST(ScheduleCommandList, DefaultsToFiveSlotsInTheControllerZone) {
  Result r = RunCommand({"@hourly", "--from=2024-01-01T00:00:00Z"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "2024-01-01T01:00:00+00:00\n2024-01-01T02:00:00+00:00\n2024-01-01T03:00:00+00:00\n"
            "2024-01-01T04:00:00+00:00\n2024-01-01T05:00:00+00:00\n");
  r = RunCommand({"0 9 * * *", "--controller-time-zone", "Asia/Kolkata", "--from",
                  "2024-01-01T00:00:00Z", "--count", "1"});
  EXPECT_EQ(r.out, "2024-01-01T09:00:00+05:30\n");
}

TEST(ScheduleCommandList, TzPrefixWinsOverTimeZoneFlag) {
  Result r = RunCommand({"TZ=Europe/Berlin 0 2 * * *", "--time-zone", "Asia/Tokyo", "--from",
                         "2024-03-30T12:00:00Z", "--count", "1"});
  EXPECT_EQ(r.out, "2024-04-01T02:00:00+02:00\n");
}

TEST(ScheduleCommandList, ExplainPrintsTheWordsFirstInTheSlotsZone) {
  Result r = RunCommand(
      {"*/15 9-17 * * 1-5", "--explain", "--from", "2024-01-01T08:00:00Z", "--count", "2"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "Every 15 minutes, from 09:00 through 17:45, on Monday through Friday, in UTC\n"
            "2024-01-01T09:00:00+00:00\n2024-01-01T09:15:00+00:00\n");
  r = RunCommand({"0 2 * * *", "--time-zone", "Asia/Shanghai", "--from", "2024-01-01T00:00:00Z",
                  "--count", "1", "--explain"});
  EXPECT_EQ(r.out, "At 02:00 every day, in Asia/Shanghai\n2024-01-02T02:00:00+08:00\n");
  r = RunCommand({"CRON_TZ=Europe/Berlin @daily", "--time-zone", "Asia/Tokyo", "--from",
                  "2024-01-01T00:00:00Z", "--count", "1", "--explain"});
  EXPECT_EQ(r.out, "At 00:00 every day, in Europe/Berlin\n2024-01-02T00:00:00+01:00\n");
  r = RunCommand({"@every 1h30m", "--explain", "--from", "2024-01-01T00:00:00Z", "--count", "1"});
  EXPECT_EQ(r.out,
            "Every 1 hour 30 minutes, counted from the previous scheduled time (the first from "
            "the CronJob's creation), not aligned to the clock\n2024-01-01T01:30:00+00:00\n");
  // Without --explain the output is unchanged: slots only.
  r = RunCommand({"0 2 * * *", "--from", "2024-01-01T00:00:00Z", "--count", "1"});
  EXPECT_EQ(r.out, "2024-01-01T02:00:00+00:00\n");
}

TEST(ScheduleCommandDue, PrintsTheControllerDecision) {
  Result r = RunCommand({"0 * * * *", "--due", "--now", "2016-05-19T15:01:00Z", "--creation-time",
                         "2016-05-19T10:00:10Z", "--name", "backup"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"due\": \"2016-05-19T15:00:00Z\", \"missed\": \"few\", \"job_name\": "
            "\"backup-24394500\", \"error\": null}\n");
}

TEST(ScheduleCommandDue, NothingDueIsNull) {
  Result r = RunCommand({"0 * * * *", "--due", "--now", "2016-05-19T10:30:00Z", "--creation-time",
                         "2016-05-19T10:00:00Z", "--last-schedule-time", "2016-05-19T10:00:00Z",
                         "--starting-deadline-seconds", "60", "--name", "x"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"due\": null, \"missed\": \"none\", \"job_name\": null, \"error\": null}\n");
}

TEST(ScheduleCommandDue, ControllerErrorGoesIntoTheJson) {
  Result r = RunCommand({"59 23 31 2 *", "--due", "--now", "2016-05-19T11:00:00Z",
                         "--creation-time", "2016-05-19T10:00:10Z"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"due\": null, \"missed\": \"none\", \"job_name\": null, \"error\": \"time "
            "difference between two schedules is less than 1 second\"}\n");
}

struct BadCase {
  const char* name;
  std::vector<std::string> args;
  const char* message;
};

class ScheduleCommandRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ScheduleCommandRejects, WithExitCode2AndAMessage) {
  Result r = RunCommand(GetParam().args);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(GetParam().message), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScheduleCommandRejects,
    ::testing::Values(
        BadCase{"bad_weekday", {"0 0 * * 7"}, "field 5 (day of week): 7 is above the maximum 6"},
        BadCase{"bad_zone", {"0 0 * * *", "--time-zone", "Mars/Olympus"}, "unknown_timezone"},
        BadCase{"bad_prefix_zone", {"TZ=Nowhere 0 0 * * *"}, "unknown time zone \"Nowhere\""},
        BadCase{"never_fires", {"0 0 30 2 *"}, "never_fires"},
        BadCase{"missing_spec", {}, "missing the schedule"},
        BadCase{"two_specs", {"0", "0 * * * *"}, "unexpected argument"},
        BadCase{"unknown_flag", {"@daily", "--frm", "x"}, "unknown flag --frm"},
        BadCase{
            "unknown_flag_last", {"@hourly", "--count", "2", "--bogus"}, "unknown flag --bogus"},
        BadCase{"unknown_flag_with_value", {"@hourly", "--bogus=1"}, "unknown flag --bogus"},
        // robfig's ParseStandard (and so the API server) rejects both, with or without a zone.
        BadCase{"leading_space_descriptor", {" @daily"}, "expected exactly 5 fields"},
        BadCase{"trailing_space_descriptor", {"@daily "}, "unrecognized descriptor"},
        BadCase{"leading_space_descriptor_with_zone",
                {" @daily", "--time-zone", "UTC"},
                "unparseable_schedule"},
        BadCase{"trailing_space_descriptor_with_zone",
                {"@daily ", "--time-zone", "Europe/Berlin"},
                "unparseable_schedule"},
        BadCase{"controller_zone_localtime",
                {"@daily", "--controller-time-zone", "localtime"},
                "unknown time zone \"localtime\""},
        BadCase{"flag_without_value", {"@daily", "--count"}, "needs a value"},
        BadCase{"bad_count", {"@daily", "--count", "0"}, "--count"},
        BadCase{"bad_from", {"@daily", "--from", "tomorrow"}, "not an RFC 3339 time"},
        BadCase{"due_without_now",
                {"@daily", "--due", "--creation-time", "2024-01-01T00:00:00Z"},
                "--due needs --now"},
        BadCase{"due_without_creation",
                {"@daily", "--due", "--now", "2024-01-01T00:00:00Z"},
                "--due needs --creation-time"},
        BadCase{"name_without_due", {"@daily", "--name", "x"}, "need --due"},
        BadCase{"explain_with_due",
                {"@daily", "--due", "--explain", "--now", "2024-01-01T00:00:00Z", "--creation-time",
                 "2024-01-01T00:00:00Z"},
                "--explain is not used with --due"},
        BadCase{"explain_never_fires", {"0 0 30 2 *", "--explain"}, "never_fires"},
        BadCase{"bad_deadline",
                {"@daily", "--due", "--now", "2024-01-01T00:00:00Z", "--creation-time",
                 "2024-01-01T00:00:00Z", "--starting-deadline-seconds", "-1"},
                "non-negative"}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

TEST(ScheduleCommandWarns, ZonePrefixIsRefusedByNewerKubernetes) {
  for (const char* spec : {"TZ=Europe/Berlin 0 2 * * *", "CRON_TZ=UTC @hourly"}) {
    Result r = RunCommand({spec, "--from", "2024-01-01T00:00:00Z", "--count", "1"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: Kubernetes 1.28 and later refuse"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("spec.timeZone"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.size(), 26u) << r.out;  // one slot line: the warning goes to stderr only
  }
  Result r = RunCommand({"0 2 * * *", "--time-zone", "Europe/Berlin", "--count", "1"});
  EXPECT_EQ(r.err, "");
}

TEST(ScheduleCommandHelp, PrintsUsage) {
  Result r = RunCommand({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage:"), std::string::npos);
  EXPECT_NE(r.out.find("[--explain]"), std::string::npos);
}

}  // namespace
}  // namespace batchwatch::app
