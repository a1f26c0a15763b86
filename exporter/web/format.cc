#include "web/format.h"

#include <chrono>

#include "cron/controller.h"

namespace batchwatch::web {

namespace {

cctz::time_point<cctz::seconds> Point(batch::UnixSeconds t) {
  return std::chrono::time_point_cast<cctz::seconds>(std::chrono::system_clock::from_time_t(0)) +
         cctz::seconds(t);
}

}  // namespace

std::string Rfc3339Utc(batch::UnixSeconds t) {
  return cctz::format("%Y-%m-%dT%H:%M:%SZ", Point(t), cctz::utc_time_zone());
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
