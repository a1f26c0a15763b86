// The schedule in words (a table of literal cases over every form Kubernetes accepts), a property
// test reading the time phrases back and comparing them with Next(), and the next-slot and DST
// helpers of the status page.
#include "cron/explain.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "test_util.h"

namespace batchwatch::cron {
namespace {

using testing::T;
using testing::Zone;

struct Case {
  const char* spec;
  const char* words;
};

// Each expected sentence was checked by hand against robfig/cron v3's rules: `*`/`?` fields AND,
// two restricted day fields OR, day of week 0-6 (7 refused), names in any case.
const Case kCases[] = {
    // Fixed times.
    {"0 2 * * *", "At 02:00 every day"},
    {"30 1 * * *", "At 01:30 every day"},
    {"0 9,17 * * *", "At 09:00 and 17:00 every day"},
    {"0 0,8,16 * * *", "At 00:00, 08:00 and 16:00 every day"},
    {"0,30 9 * * *", "At 09:00 and 09:30 every day"},
    {"0 1,2,5,9,20 * * *", "At 01:00, 02:00, 05:00, 09:00 and 20:00 every day"},
    {"05 +3 * * *", "At 03:05 every day"},
    // Minute steps, ranges and lists.
    {"* * * * *", "Every minute"},
    {"*/1 * * * *", "Every minute"},
    {"0-59 * * * *", "Every minute"},
    {"*/5 * * * *", "Every 5 minutes"},
    {"*/15 * * * *", "Every 15 minutes"},
    {"5/10 * * * *", "Every 10 minutes, from 00:05 through 23:55"},
    {"5-55/10 * * * *", "Every 10 minutes, from 00:05 through 23:55"},
    {"*/15 9-17 * * 1-5", "Every 15 minutes, from 09:00 through 17:45, on Monday through Friday"},
    {"0,30 9-11,14-16 * * *",
     "Every 30 minutes, from 09:00 through 11:30 and from 14:00 through 16:30"},
    {"* 9 * * *", "Every minute, from 09:00 through 09:59"},
    {"* */2 * * *", "Every minute, in hours 0, 2, 4, ..., 22"},
    {"*/15 */2 * * *", "At minutes 0, 15, 30 and 45 past the hour, in hours 0, 2, 4, ..., 22"},
    {"*/7 * * * *", "At minutes 0, 7, 14, ..., 56 past every hour"},
    {"*/7 9-17 * * *", "At minutes 0, 7, 14, ..., 56 past the hour, from 09:00 through 17:59"},
    {"10-20/5 * * * *", "At minutes 10, 15 and 20 past every hour"},
    {"0-30 * * * *", "At minutes 0 through 30 past every hour"},
    {"1,2,3,5,8 * * * *", "At minutes 1 through 3, 5 and 8 past every hour"},
    // Hour steps.
    {"0 * * * *", "At minute 0 of every hour"},
    {"0 */2 * * *", "Every 2 hours, from 00:00 through 22:00"},
    {"30 */6 * * *", "Every 6 hours, from 00:30 through 18:30"},
    {"0 9-17 * * *", "Every hour, from 09:00 through 17:00"},
    {"0 1-23/4 * * *", "Every 4 hours, from 01:00 through 21:00"},
    // Days of the month, months, names.
    {"15 3 1 * *", "At 03:15 on day 1 of the month"},
    {"0 0 1,15 * *", "At 00:00 on days 1 and 15 of the month"},
    {"0 0 1-7 * *", "At 00:00 on days 1 through 7 of the month"},
    {"0 0 */2 * *", "At 00:00 on days 1, 3, 5, ..., 31 of the month"},
    {"0 0 1 1 *", "At 00:00 on 1 January"},
    {"0 12 * JAN,jul *", "At 12:00 every day in January and July"},
    {"0 0 * */3 *", "At 00:00 every day in January, April, July and October"},
    {"0 0 1 jan-MAR *", "At 00:00 on day 1 of the month, in January through March"},
    {"* * * 12 *", "Every minute, in December"},
    {"0 0 29 2 *", "At 00:00 on 29 February (only in leap years)"},
    // Days of the week: names, Sunday as 0, `?`.
    {"0 12 * * mon", "At 12:00 on Monday"},
    {"0 12 * * MON-FRI", "At 12:00 on Monday through Friday"},
    {"0 12 * * 0", "At 12:00 on Sunday"},
    {"0 12 * * sun", "At 12:00 on Sunday"},
    {"0 12 * * 0,6", "At 12:00 on Saturday and Sunday"},
    {"0 12 * * 0-2", "At 12:00 on Sunday through Tuesday"},
    {"0 0 * * */2", "At 00:00 on Tuesday, Thursday, Saturday and Sunday"},
    {"0 0 ? * 1", "At 00:00 on Monday"},
    {"0 0 * * ?", "At 00:00 every day"},
    {"* * * * 1", "Every minute on Monday"},
    // Both day fields restricted: either matches (robfig's OR).
    {"0 0 13 * 5", "At 00:00 on day 13 of the month or on Friday"},
    {"0 0 13 3 FRI", "At 00:00 on day 13 of the month or on Friday, in March"},
    {"0 0 1-31 * 1", "At 00:00 every day"},  // day 1-31 is restricted: OR, so every day
    {"0 0 */2 * 0-6", "At 00:00 every day"},
    {"0 0 ? * */2", "At 00:00 on Tuesday, Thursday, Saturday and Sunday"},  // `?` is `*`: AND
    {"0 */2 * 1 1", "Every 2 hours, from 00:00 through 22:00, on Monday, in January"},
    // Descriptors.
    {"@yearly", "At 00:00 on 1 January"},
    {"@annually", "At 00:00 on 1 January"},
    {"@monthly", "At 00:00 on day 1 of the month"},
    {"@weekly", "At 00:00 on Sunday"},
    {"@daily", "At 00:00 every day"},
    {"@midnight", "At 00:00 every day"},
    {"@hourly", "At minute 0 of every hour"},
    // @every: relative to the previous time.
    {"@every 1h30m",
     "Every 1 hour 30 minutes, counted from the previous scheduled time (the first from the "
     "CronJob's creation), not aligned to the clock"},
    {"@every 90m",
     "Every 1 hour 30 minutes, counted from the previous scheduled time (the first from the "
     "CronJob's creation), not aligned to the clock"},
    {"@every 36h",
     "Every 36 hours, counted from the previous scheduled time (the first from the CronJob's "
     "creation), not aligned to the clock"},
    {"@every 10s",
     "Every 10 seconds, counted from the previous scheduled time (the first from the CronJob's "
     "creation), not aligned to the clock"},
    {"@every 500ms",  // robfig rounds below one second up to one second
     "Every 1 second, counted from the previous scheduled time (the first from the CronJob's "
     "creation), not aligned to the clock"},
    {"@every 1m1.5s",
     "Every 1 minute 1 second, counted from the previous scheduled time (the first from the "
     "CronJob's creation), not aligned to the clock"},
    // Zone prefixes.
    {"CRON_TZ=Asia/Shanghai 0 2 * * *", "At 02:00 every day, in Asia/Shanghai"},
    {"TZ=Europe/Berlin */15 9-17 * * 1-5",
     "Every 15 minutes, from 09:00 through 17:45, on Monday through Friday, in Europe/Berlin"},
    {"TZ= 0 2 * * *", "At 02:00 every day, in UTC"},
    {"CRON_TZ=Europe/Berlin @daily", "At 00:00 every day, in Europe/Berlin"},
    {"TZ=Local 0 2 * * *", "At 02:00 every day, in the controller's time zone"},
    {"TZ=Asia/Tokyo @every 2h",
     "Every 2 hours, counted from the previous scheduled time (the first from the CronJob's "
     "creation), not aligned to the clock"},
    // Whitespace as Go's strings.Fields splits it.
    {"0\t2  *\n* *", "At 02:00 every day"},
    // Schedules that parse but never fire.
    {"0 0 30 2 *", "Never: there is no day 30 in February"},
    {"0 0 30,31 2 *", "Never: there is no day 30 or 31 in February"},
    {"0 0 31 4,6,9,11 *", "Never: there is no day 31 in April, June, September or November"},
    {", * * * *", "Never: the minute field lists no value"},
    {"0 0 , * *", "Never: the day-of-month field lists no value"},
    {"0 0 * * ,", "Never: the day-of-week field lists no value"},
    {"0 0 , * 1", "At 00:00 on Monday"},  // empty day of month, restricted weekday: OR
};

TEST(ExplainSchedule, LiteralCases) {
  for (const Case& c : kCases) {
    std::string words, error;
    EXPECT_TRUE(ExplainSchedule(c.spec, &words, &error)) << c.spec << ": " << error;
    EXPECT_EQ(words, c.words) << "spec: " << c.spec;
  }
}

TEST(ExplainSchedule, RefusedSchedulesGiveTheParsersError) {
  const Case kRefused[] = {
      {"", "empty schedule"},
      {"0 12 * * 7", "field 5 (day of week): 7 is above the maximum 6"},
      {"60 * * * *", "field 1 (minute): 60 is above the maximum 59"},
      {"0 0 L * *", "field 3 (day of month): \"L\" is not a number"},
      {"0 0 * *",
       "expected exactly 5 fields (minute hour day-of-month month day-of-week), found 4 in "
       "\"0 0 * *\""},
      {"@reboot",
       "unrecognized descriptor \"@reboot\" (expected @yearly, @annually, @monthly, @weekly, "
       "@daily, @midnight, @hourly or @every <duration>)"},
      {"@every 1d", "@every: unknown unit \"d\" in duration \"1d\""},
      {"CRON_TZ=Asia/Shanghai", "the CRON_TZ= prefix must be followed by a space and the schedule"},
  };
  for (const Case& c : kRefused) {
    std::string words = "untouched", error;
    EXPECT_FALSE(ExplainSchedule(c.spec, &words, &error)) << c.spec;
    EXPECT_EQ(error, c.words) << "spec: " << c.spec;
    EXPECT_EQ(words, "untouched");
  }
  std::string words, error;
  EXPECT_FALSE(ExplainSchedule("TZ=Nowhere/Land 0 2 * * *", &words, &error));
  EXPECT_EQ(error.rfind("TZ prefix: unknown time zone \"Nowhere/Land\"", 0), 0u) << error;
  EXPECT_FALSE(ExplainSchedule("0 0 * *", &words, nullptr));  // error may be null
}

// ---- Property: the time phrases read back give exactly the times Next() walks through. ----

// "a, b and c", "a through b", "a, b, c, ..., z" back into numbers.
std::vector<int> ReadList(std::string text) {
  std::vector<int> out;
  std::vector<std::string> items;
  text = std::regex_replace(text, std::regex(" and "), ", ");
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(", ", start);
    items.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 2;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string& item = items[i];
    size_t through = item.find(" through ");
    if (item == "...") {
      const int step = out[1] - out[0];
      const int last = std::stoi(items.at(i + 1));
      for (int v = out.back() + step; v < last; v += step) out.push_back(v);
    } else if (through != std::string::npos) {
      for (int v = std::stoi(item.substr(0, through)); v <= std::stoi(item.substr(through + 9));
           ++v) {
        out.push_back(v);
      }
    } else {
      out.push_back(std::stoi(item));
    }
  }
  return out;
}

int Minutes(const std::string& clock) {
  return std::stoi(clock.substr(0, 2)) * 60 + std::stoi(clock.substr(3, 2));
}

// Minutes of the day that a time phrase (the words of a schedule with `* * *` days) names.
// Fails the test on a phrase it does not know, so a new phrase must be taught here.
std::set<int> ReadTimes(const std::string& words) {
  std::set<int> out;
  std::smatch m;
  const std::regex clock("\\d\\d:\\d\\d");
  const std::regex windows_re("((?:from \\d\\d:\\d\\d through \\d\\d:\\d\\d(?:, | and )?)+)");
  auto windows = [&](const std::string& text, int step) {
    std::regex one("from (\\d\\d:\\d\\d) through (\\d\\d:\\d\\d)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), one);
         it != std::sregex_iterator(); ++it) {
      for (int t = Minutes((*it)[1]); t <= Minutes((*it)[2]); t += step) out.insert(t);
    }
  };
  if (std::regex_match(words, m, std::regex("At (.*) every day"))) {
    std::string list = m[1];
    for (auto it = std::sregex_iterator(list.begin(), list.end(), clock);
         it != std::sregex_iterator(); ++it) {
      out.insert(Minutes(it->str()));
    }
  } else if (std::regex_match(words, m, std::regex("Every (minute|(\\d+) minutes)(, (.*))?"))) {
    const int step = m[2].matched ? std::stoi(m[2]) : 1;
    const std::string rest = m[4];
    std::smatch hours;
    if (rest.empty()) {
      for (int t = 0; t < 1440; t += step) out.insert(t);
    } else if (std::regex_match(rest, hours, std::regex("in hours (.*)"))) {
      for (int h : ReadList(hours[1])) {
        for (int mm = 0; mm < 60; mm += step) out.insert(h * 60 + mm);
      }
    } else {
      windows(rest, step);
    }
  } else if (std::regex_match(words, m, std::regex("Every (hour|(\\d+) hours), (.*)"))) {
    windows(m[3], 60 * (m[2].matched ? std::stoi(m[2]) : 1));
  } else if (std::regex_match(words, m, std::regex("At minute (\\d+) of every hour"))) {
    for (int h = 0; h < 24; ++h) out.insert(h * 60 + std::stoi(m[1]));
  } else if (std::regex_match(
                 words, m,
                 std::regex("At minutes? (.*) past (every hour|the hour, in hours (.*)|the "
                            "hour, (from .*))"))) {
    std::vector<int> minutes = ReadList(m[1]);
    std::vector<int> hours;
    if (m[2] == "every hour") {
      for (int h = 0; h < 24; ++h) hours.push_back(h);
    } else if (m[3].matched) {
      hours = ReadList(m[3]);
    } else {
      std::string w = m[4];
      std::regex one("from (\\d\\d):00 through (\\d\\d):59");
      for (auto it = std::sregex_iterator(w.begin(), w.end(), one); it != std::sregex_iterator();
           ++it) {
        for (int h = std::stoi((*it)[1]); h <= std::stoi((*it)[2]); ++h) hours.push_back(h);
      }
    }
    for (int h : hours) {
      for (int mm : minutes) out.insert(h * 60 + mm);
    }
  } else {
    ADD_FAILURE() << "the property test cannot read: " << words;
  }
  return out;
}

std::string RandomField(std::mt19937* rng, int min, int max) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(*rng); };
  std::string out;
  const int items = pick(1, 3);
  for (int i = 0; i < items; ++i) {
    if (i > 0) out += ",";
    const int a = pick(min, max), b = pick(a, max);
    switch (pick(0, 6)) {
      case 0:
        out += "*";
        break;
      case 1:
        out += "*/" + std::to_string(pick(1, max - min + 1));
        break;
      case 2:
        out += std::to_string(a) + "-" + std::to_string(b);
        break;
      case 3:
        out += std::to_string(a) + "-" + std::to_string(b) + "/" + std::to_string(pick(1, 12));
        break;
      case 4:
        out += std::to_string(a) + "/" + std::to_string(pick(1, 30));
        break;
      default:
        out += std::to_string(a);
    }
  }
  return out;
}

TEST(ExplainSchedule, TimePhrasesAgreeWithNext) {
  std::mt19937 rng(20261202);
  const cctz::time_zone utc = cctz::utc_time_zone();
  const UnixSeconds day = T("2024-01-01T00:00:00Z");
  int checked = 0;
  for (int i = 0; i < 1500; ++i) {
    const std::string spec = RandomField(&rng, 0, 59) + " " + RandomField(&rng, 0, 23) + " * * *";
    std::string words, error;
    ASSERT_TRUE(ExplainSchedule(spec, &words, &error)) << spec << ": " << error;
    std::optional<Schedule> s = Schedule::Parse(spec, &error);
    std::set<int> walked;
    for (std::optional<UnixSeconds> t = s->Next(day - 1, utc); t && *t < day + 86400;
         t = s->Next(*t, utc)) {
      walked.insert(static_cast<int>((*t - day) / 60));
    }
    EXPECT_EQ(ReadTimes(words), walked) << spec << " -> " << words;
    ++checked;
  }
  EXPECT_EQ(checked, 1500);
}

// Days: for random day-of-month, month and day-of-week fields at a fixed time, the days the
// phrase names (read back for the dom-only, dow-only and either forms) are the days Next() finds
// over 2024 (a leap year starting on a Monday).
TEST(ExplainSchedule, DayPhrasesAgreeWithNext) {
  std::mt19937 rng(13);
  const cctz::time_zone utc = cctz::utc_time_zone();
  const UnixSeconds start = T("2024-01-01T00:00:00Z");
  const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                         "Thursday", "Friday", "Saturday"};
  const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                           "July",    "August",   "September", "October", "November", "December"};
  auto name_index = [](const char* const* names, int n, const std::string& w) {
    for (int i = 0; i < n; ++i) {
      if (w == names[i]) return i;
    }
    ADD_FAILURE() << "no name " << w;
    return 0;
  };
  auto read_names = [&](std::string text, const char* const* names, int n) {
    for (int i = 0; i < n; ++i) {
      text = std::regex_replace(text, std::regex(names[i]), std::to_string(i));
    }
    (void)name_index;
    return ReadList(text);
  };
  int either = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string dom = RandomField(&rng, 1, 31), month = RandomField(&rng, 1, 12),
                dow = RandomField(&rng, 0, 6);
    if (i % 3 == 0) dom = "*";
    if (i % 3 == 1) dow = "*";
    const std::string spec = "0 0 " + dom + " " + month + " " + dow;
    std::string words, error;
    ASSERT_TRUE(ExplainSchedule(spec, &words, &error)) << spec << ": " << error;
    std::optional<Schedule> s = Schedule::Parse(spec, &error);
    std::set<int> walked;  // day of the year, 0-based
    for (std::optional<UnixSeconds> t = s->Next(start - 1, utc); t && *t < start + 366 * 86400;
         t = s->Next(*t, utc)) {
      walked.insert(static_cast<int>((*t - start) / 86400));
    }
    std::smatch m;
    std::set<int> doms, dows, months;
    std::string rest;
    if (std::regex_match(words, m, std::regex("At 00:00 every day(?: in (.*))?"))) {
      for (int d = 1; d <= 31; ++d) doms.insert(d);
      rest = m[1];
    } else if (std::regex_match(words, m, std::regex("At 00:00 on (\\d+) (\\w+)"))) {
      doms.insert(std::stoi(m[1]));
      months.insert(name_index(kMonths, 12, m[2]) + 1);
    } else if (std::regex_match(words, m, std::regex("Never: .*"))) {
    } else if (std::regex_match(
                   words, m,
                   std::regex(
                       "At 00:00 (?:on days? (.*?) of the month)?(?: or )?(?:on "
                       "([A-Z][a-z]+day.*?))?(?:, in (.*?))?( \\(only in leap years\\))?"))) {
      if (m[1].matched) {
        for (int d : ReadList(m[1])) doms.insert(d);
      }
      if (m[2].matched) {
        // Sunday is 0 where the list starts with it ("Sunday through Tuesday"), else it comes
        // last as 7 ("Thursday through Sunday").
        std::string list = m[2];
        if (list.rfind("Sunday", 0) != 0)
          list = std::regex_replace(list, std::regex("Sunday"), "7");
        for (int d : read_names(list, kDays, 7)) dows.insert(d % 7);
      }
      if (m[1].matched && m[2].matched) ++either;
      rest = m[3];
    } else {
      ADD_FAILURE() << "cannot read " << words;
    }
    if (months.empty()) {
      if (rest.empty()) {
        for (int mo = 1; mo <= 12; ++mo) months.insert(mo);
      } else {
        for (int mo : read_names(rest, kMonths, 12)) months.insert(mo + 1);
      }
    }
    std::set<int> named;
    for (int d = 0; d < 366; ++d) {
      cctz::civil_day cd = cctz::civil_day(2024, 1, 1) + d;
      const int wd = (static_cast<int>(cctz::get_weekday(cd)) + 1) % 7;  // cctz: Monday = 0
      if (months.count(cd.month()) && (doms.count(cd.day()) || dows.count(wd))) named.insert(d);
    }
    EXPECT_EQ(named, walked) << spec << " -> " << words;
  }
  EXPECT_GT(either, 50);  // the OR rule was exercised
}

// ---- The next slot as the page shows it, and DST changes. ----

TEST(DescribeNextSlot, Table) {
  struct Row {
    const char* next;
    const char* now;
    const char* zone;
    const char* want;
  };
  const Row kRows[] = {
      {"2026-12-01T18:00:00Z", "2026-12-01T12:48:00Z", "Asia/Shanghai",
       "Wed 2026-12-02 02:00 CST (in 5 h 12 min)"},
      {"2026-12-02T02:00:00Z", "2026-12-02T01:59:18Z", "UTC", "Wed 2026-12-02 02:00 UTC (in 42 s)"},
      {"2026-12-02T02:00:00Z", "2026-12-02T02:00:00Z", "UTC", "Wed 2026-12-02 02:00 UTC (now)"},
      {"2026-12-02T02:00:00Z", "2026-12-02T02:12:59Z", "UTC",
       "Wed 2026-12-02 02:00 UTC (12 min ago)"},
      {"2026-12-02T02:00:00Z", "2026-12-02T01:00:30Z", "UTC",
       "Wed 2026-12-02 02:00 UTC (in 59 min)"},
      {"2026-12-02T02:00:00Z", "2026-12-02T01:00:00Z", "UTC", "Wed 2026-12-02 02:00 UTC (in 1 h)"},
      {"2026-12-04T05:00:00Z", "2026-12-02T02:00:00Z", "UTC",
       "Fri 2026-12-04 05:00 UTC (in 2 d 3 h)"},
      {"2026-12-04T02:00:00Z", "2026-12-02T02:00:00Z", "UTC", "Fri 2026-12-04 02:00 UTC (in 2 d)"},
      {"2026-03-29T00:30:00Z", "2026-03-28T23:00:00Z", "Europe/Berlin",
       "Sun 2026-03-29 01:30 CET (in 1 h 30 min)"},
      {"2026-03-29T01:30:00Z", "2026-03-28T23:00:00Z", "Europe/Berlin",
       "Sun 2026-03-29 03:30 CEST (in 2 h 30 min)"},
      {"2026-11-01T05:30:00Z", "2026-11-01T05:00:00Z", "America/New_York",
       "Sun 2026-11-01 01:30 EDT (in 30 min)"},
      {"2026-11-01T06:30:00Z", "2026-11-01T05:00:00Z", "America/New_York",
       "Sun 2026-11-01 01:30 EST (in 1 h 30 min)"},
      {"2026-12-02T05:00:00Z", "2026-12-02T04:00:00Z", "America/Sao_Paulo",
       "Wed 2026-12-02 02:00 -03 America/Sao_Paulo (in 1 h)"},
  };
  for (const Row& r : kRows) {
    EXPECT_EQ(DescribeNextSlot(T(r.next), T(r.now), Zone(r.zone), r.zone), r.want) << r.zone;
  }
}

TEST(DstChanges, Table) {
  struct Row {
    const char* zone;
    const char* from;
    const char* to;
    std::vector<const char*> want;
  };
  const Row kRows[] = {
      {"UTC", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", {}},
      {"Asia/Shanghai", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", {}},
      {"Europe/Berlin",
       "2026-01-01T00:00:00Z",
       "2027-01-01T00:00:00Z",
       {"2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"}},
      // Around the spring change: the bounds are (from, to].
      {"Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", {"2026-03-29T01:00:00Z"}},
      {"Europe/Berlin", "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", {}},
      {"Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-29T01:00:00Z", {"2026-03-29T01:00:00Z"}},
      {"Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-29T00:59:59Z", {}},
      {"Europe/Berlin", "2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z", {"2026-10-25T01:00:00Z"}},
      {"America/New_York",
       "2026-01-01T00:00:00Z",
       "2027-01-01T00:00:00Z",
       {"2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"}},
      {"America/New_York",
       "2026-01-01T00:00:00Z",
       "2028-01-01T00:00:00Z",
       {"2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z", "2027-03-14T07:00:00Z",
        "2027-11-07T06:00:00Z"}},
  };
  for (const Row& r : kRows) {
    std::vector<UnixSeconds> want;
    for (const char* w : r.want) want.push_back(T(w));
    EXPECT_EQ(DstChanges(Zone(r.zone), T(r.from), T(r.to)), want)
        << r.zone << " " << r.from << " .. " << r.to;
  }
}

}  // namespace
}  // namespace batchwatch::cron
