// The text pieces of the pages and the API (web/format.h): tables of literal inputs and the
// exact text expected, including the cases the hand-written formatters must get right where
// they stop short of cctz (years outside 1000..9999 fall back to cctz's own form).
#include "web/format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "cron/controller.h"

namespace batchwatch::web {
namespace {

cctz::time_zone LoadZone(const std::string& name) {
  cctz::time_zone zone;
  EXPECT_TRUE(cron::LoadTimeZone(name, &zone, nullptr)) << name;
  return zone;
}

TEST(AppendRfc3339Utc, Table) {
  struct Case {
    batch::UnixSeconds t;
    const char* want;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00Z"},
      {-1, "1969-12-31T23:59:59Z"},
      {1735689599, "2024-12-31T23:59:59Z"},  // the last second of a year
      {1735689600, "2025-01-01T00:00:00Z"},  // and the first of the next
      {951782400, "2000-02-29T00:00:00Z"},   // leap day of a century year divisible by 400
      {4107456000, "2100-02-28T00:00:00Z"},  // 2100 is not a leap year...
      {4107542400, "2100-03-01T00:00:00Z"},  // ...so March follows February 28
      {-2208988800, "1900-01-01T00:00:00Z"},
      {-30610224000, "1000-01-01T00:00:00Z"},  // the first year written by hand
      {253402300799, "9999-12-31T23:59:59Z"},  // the last one
      {-30610224001, "999-12-31T23:59:59Z"},   // cctz's form: not padded
      {253402300800, "10000-01-01T00:00:00Z"},
      {-62167219200, "0-01-01T00:00:00Z"},
  };
  for (const Case& c : cases) {
    std::string out = "at ";
    AppendRfc3339Utc(&out, c.t);
    EXPECT_EQ(out, std::string("at ") + c.want) << c.t;
    EXPECT_EQ(Rfc3339Utc(c.t), c.want) << c.t;
  }
}

TEST(AppendLocalTime, Table) {
  struct Case {
    batch::UnixSeconds t;
    const char* zone;
    const char* want;
  };
  const Case cases[] = {
      {0, "UTC", "Thu 1970-01-01 00:00 UTC"},
      {-1, "UTC", "Wed 1969-12-31 23:59 UTC"},
      {1735689600, "UTC", "Wed 2025-01-01 00:00 UTC"},
      {1735689599, "Asia/Shanghai", "Wed 2025-01-01 07:59 CST"},     // a new year east of UTC
      {1735689600, "America/New_York", "Tue 2024-12-31 19:00 EST"},  // still the old one west
      {1711846799, "Europe/Berlin", "Sun 2024-03-31 01:59 CET"},     // before clocks go forward
      {1711846800, "Europe/Berlin", "Sun 2024-03-31 03:00 CEST"},    // and after
      {1729990800, "Europe/Berlin", "Sun 2024-10-27 02:00 CET"},     // the repeated hour, again
      {1735689600, "Asia/Kolkata", "Wed 2025-01-01 05:30 IST"},      // a half-hour offset
      {1735689600, "Asia/Kathmandu", "Wed 2025-01-01 05:45 +0545"},  // a numeric abbreviation
      {1709208000, "UTC", "Thu 2024-02-29 12:00 UTC"},
      {-30610224001, "UTC", "Tue 999-12-31 23:59 UTC"},  // cctz's form below year 1000
      {253402300800, "UTC", "Sat 10000-01-01 00:00 UTC"},
  };
  for (const Case& c : cases) {
    const cctz::time_zone zone = LoadZone(c.zone);
    std::string out = "next: ";
    AppendLocalTime(&out, c.t, zone);
    EXPECT_EQ(out, std::string("next: ") + c.want) << c.t << " " << c.zone;
    EXPECT_EQ(LocalTime(c.t, zone), c.want) << c.t << " " << c.zone;
  }
}

// Every weekday and a spread of instants over four centuries: the same text as cctz::format.
TEST(AppendLocalTime, AgreesWithCctz) {
  for (const char* name : {"UTC", "Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe"}) {
    const cctz::time_zone zone = LoadZone(name);
    for (batch::UnixSeconds t = -2500000000; t < 5000000000; t += 7919 * 360) {
      const auto point =
          std::chrono::time_point_cast<cctz::seconds>(std::chrono::system_clock::from_time_t(0)) +
          cctz::seconds(t);
      ASSERT_EQ(LocalTime(t, zone), cctz::format("%a %Y-%m-%d %H:%M %Z", point, zone))
          << t << " " << name;
    }
  }
}

TEST(AppendInt, Table) {
  struct Case {
    int64_t v;
    const char* want;
  };
  const Case cases[] = {{0, "0"},
                        {7, "7"},
                        {-7, "-7"},
                        {1711622400, "1711622400"},
                        {-86400, "-86400"},
                        {std::numeric_limits<int64_t>::max(), "9223372036854775807"},
                        {std::numeric_limits<int64_t>::min(), "-9223372036854775808"}};
  for (const Case& c : cases) {
    std::string out = "=";
    AppendInt(&out, c.v);
    EXPECT_EQ(out, std::string("=") + c.want);
  }
  std::string out;
  AppendUint(&out, 0);
  out += ' ';
  AppendUint(&out, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(out, "0 18446744073709551615");
}

TEST(HumanDuration, Table) {
  struct Case {
    int64_t seconds;
    const char* want;
  };
  const Case cases[] = {{-5, "0 s"},
                        {0, "0 s"},
                        {59, "59 s"},
                        {60, "1 min"},
                        {3599, "59 min"},
                        {3600, "1 h 0 min"},
                        {47 * 3600 + 59 * 60, "47 h 59 min"},
                        {48 * 3600, "2 d 0 h"},
                        {3 * 86400 + 4 * 3600 + 59, "3 d 4 h"}};
  for (const Case& c : cases) EXPECT_EQ(HumanDuration(c.seconds), c.want) << c.seconds;
}

TEST(AppendHtml, EscapesTheFiveSpecialCharactersAnywhere) {
  struct Case {
    const char* in;
    const char* want;
  };
  const Case cases[] = {
      {"", ""},
      {"report-7", "report-7"},
      {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
      {"&", "&amp;"},
      {"&amp;", "&amp;amp;"},  // escaped once more: the text is shown as written
      {"a\"b'c", "a&quot;b&#39;c"},
      {"''", "&#39;&#39;"},
      {"<b>every</b> & day", "&lt;b&gt;every&lt;/b&gt; &amp; day"},
      {"Z\xC3\xBCrich\n", "Z\xC3\xBCrich\n"},  // UTF-8 and newlines pass through
  };
  for (const Case& c : cases) {
    std::string out = "<td>";
    AppendHtml(&out, c.in);
    EXPECT_EQ(out, std::string("<td>") + c.want) << c.in;
    EXPECT_EQ(Html(c.in), c.want) << c.in;
  }
}

TEST(AppendUrlSegment, PercentEncodesAllButUnreserved) {
  struct Case {
    std::string in;
    const char* want;
  };
  const Case cases[] = {
      {"", ""},
      {"team-7", "team-7"},
      {"a.b_c~d", "a.b_c~d"},
      {"ns with space/and?query#", "ns%20with%20space%2Fand%3Fquery%23"},
      {"%", "%25"},
      {"<&\"'>", "%3C%26%22%27%3E"},
      {"\xC3\xA9", "%C3%A9"},
      {std::string("\0", 1), "%00"},
  };
  for (const Case& c : cases) {
    std::string out = "/cronjobs/";
    AppendUrlSegment(&out, c.in);
    EXPECT_EQ(out, std::string("/cronjobs/") + c.want) << c.in;
    EXPECT_EQ(UrlSegment(c.in), c.want) << c.in;
  }
}

}  // namespace
}  // namespace batchwatch::web
