#include "web/format.h"

#include <chrono>

#include "cron/controller.h"

namespace batchwatch::web {

namespace {

cctz::time_point<cctz::seconds> Point(batch::UnixSeconds t) {
  return std::chrono::time_point_cast<cctz::seconds>(std::chrono::system_clock::from_time_t(0)) +
         cctz::seconds(t);
}

// Two digits of `v` (0..99) at `p`.
void Put2(char* p, int64_t v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// Four digits of `v` (1000..9999) at `p`.
void Put4(char* p, int64_t v) {
  Put2(p, v / 100);
  Put2(p + 2, v % 100);
}

constexpr char kWeekdays[][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

}  // namespace

std::string Rfc3339Utc(batch::UnixSeconds t) {
  std::string out;
  AppendRfc3339Utc(&out, t);
  return out;
}

void AppendRfc3339Utc(std::string* out, batch::UnixSeconds t) {
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
    *out += cctz::format("%Y-%m-%dT%H:%M:%SZ", Point(t), cctz::utc_time_zone());
    return;
  }
  char buf[] = "0000-00-00T00:00:00Z";
  Put4(buf, year);
  Put2(buf + 5, month);
  Put2(buf + 8, day);
  Put2(buf + 11, secs / 3600);
  Put2(buf + 14, secs / 60 % 60);
  Put2(buf + 17, secs % 60);
  out->append(buf, sizeof buf - 1);
}

std::string LocalTime(batch::UnixSeconds t, const cctz::time_zone& zone) {
  std::string out;
  AppendLocalTime(&out, t, zone);
  return out;
}

void AppendLocalTime(std::string* out, batch::UnixSeconds t, const cctz::time_zone& zone) {
  // cctz::format("%a %Y-%m-%d %H:%M %Z") parses the format and goes through strftime for %a;
  // the fleet page writes one per row. The zone lookup is the same one format makes.
  const auto point = Point(t);
  const cctz::time_zone::absolute_lookup local = zone.lookup(point);
  const cctz::civil_second& cs = local.cs;
  if (cs.year() < 1000 || cs.year() > 9999) {  // unpadded or signed years: cctz's own form
    *out += cctz::format("%a %Y-%m-%d %H:%M %Z", point, zone);
    return;
  }
  char buf[] = "Www 0000-00-00 00:00 ";
  const char* weekday = kWeekdays[static_cast<int>(cctz::get_weekday(cctz::civil_day(cs)))];
  buf[0] = weekday[0];
  buf[1] = weekday[1];
  buf[2] = weekday[2];
  Put4(buf + 4, cs.year());
  Put2(buf + 9, cs.month());
  Put2(buf + 12, cs.day());
  Put2(buf + 15, cs.hour());
  Put2(buf + 18, cs.minute());
  out->append(buf, sizeof buf - 1);
  *out += local.abbr;
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
  // Runs of plain characters are appended at once (most names need no escaping at all).
  size_t plain = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* entity;
    switch (s[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out->append(s.data() + plain, i - plain);
    *out += entity;
    plain = i + 1;
  }
  out->append(s.data() + plain, s.size() - plain);
}

std::string Html(std::string_view s) {
  std::string out;
  AppendHtml(&out, s);
  return out;
}

std::string UrlSegment(std::string_view s) {
  std::string out;
  AppendUrlSegment(&out, s);
  return out;
}

void AppendUrlSegment(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  size_t plain = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      continue;
    }
    out->append(s.data() + plain, i - plain);
    const char escaped[3] = {'%', kHex[c >> 4], kHex[c & 15]};
    out->append(escaped, 3);
    plain = i + 1;
  }
  out->append(s.data() + plain, s.size() - plain);
}

cctz::time_zone Zone(const std::string& name) {
  cctz::time_zone zone = cctz::utc_time_zone();
  if (!name.empty() && !cron::LoadTimeZone(name, &zone, nullptr)) zone = cctz::utc_time_zone();
  return zone;
}

}  // namespace batchwatch::web
