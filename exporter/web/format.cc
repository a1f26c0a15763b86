#include "web/format.h"

#include <chrono>
#include <cstdio>

#include "cron/controller.h"

namespace batchwatch::web {

namespace {

cctz::time_point<cctz::seconds> Point(batch::UnixSeconds t) {
  return std::chrono::time_point_cast<cctz::seconds>(std::chrono::system_clock::from_time_t(0)) +
         cctz::seconds(t);
}

}  // namespace

std::string Rfc3339Utc(batch::UnixSeconds t) {
  // The fleet writes about six of these per CronJob (60,000 at 10k CronJobs): cctz::format
  // parses its format string each time, so the proleptic Gregorian calendar is done here by hand
  // (days to civil date, era of 400 years; agrees with cctz, see tests/status).
  int64_t days = t / 86400, secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  days += 719468;  // days from 0000-03-01 to 1970-01-01
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;                                    // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // March = 0
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 1000 || year > 9999) {  // cctz does not pad years below 1000: keep its form
    return cctz::format("%Y-%m-%dT%H:%M:%SZ", Point(t), cctz::utc_time_zone());
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", static_cast<int>(year),
                static_cast<int>(month), static_cast<int>(day), static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

std::string LocalTime(batch::UnixSeconds t, const cctz::time_zone& zone) {
  return cctz::format("%a %Y-%m-%d %H:%M %Z", Point(t), zone);
}

std::string HumanDuration(int64_t s) {
  if (s < 0) s = 0;
  if (s < 60) return std::to_string(s) + " s";
  int64_t m = s / 60;
  if (m < 60) return std::to_string(m) + " min";
  int64_t h = m / 60;
  if (h < 48) return std::to_string(h) + " h " + std::to_string(m % 60) + " min";
  return std::to_string(h / 24) + " d " + std::to_string(h % 24) + " h";
}

void AppendHtml(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\'':
        *out += "&#39;";
        break;
      default:
        *out += c;
    }
  }
}

std::string Html(std::string_view s) {
  std::string out;
  AppendHtml(&out, s);
  return out;
}

std::string UrlSegment(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

cctz::time_zone Zone(const std::string& name) {
  cctz::time_zone zone = cctz::utc_time_zone();
  if (!name.empty() && !cron::LoadTimeZone(name, &zone, nullptr)) zone = cctz::utc_time_zone();
  return zone;
}

}  // namespace batchwatch::web
