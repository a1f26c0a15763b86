// RFC 3339 timestamps as Kubernetes writes them (metav1.Time: whole seconds, "Z" or an offset).
#include <cctz/time_zone.h>

#include <chrono>
#include <string>

#include "cron/controller.h"

namespace batchwatch::cron {

std::string FormatRfc3339(UnixSeconds t, const cctz::time_zone& zone) {
  // Whole seconds, not system_clock's nanoseconds: those overflow after the year 2262.
  cctz::time_point<cctz::seconds> tp{cctz::seconds(t)};
  // cctz 2.3 has no %ET: write the T literally.
  return cctz::format("%Y-%m-%dT%H:%M:%S%Ez", tp, zone);
}

std::optional<UnixSeconds> ParseRfc3339(std::string_view value) {
  // cctz's %Ez accepts "Z", "+hh:mm" and "-hh:mm"; %E*S accepts optional fractional seconds.
  // Parsed at whole seconds: a nanosecond time_point overflows (undefined behaviour) for
  // valid timestamps after 2262 such as 9999-12-31T23:59:59Z. cctz adds the non-negative
  // fraction truncated to seconds, which floors.
  cctz::time_point<cctz::seconds> tp;
  std::string s(value);
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't')) return std::nullopt;
  s[10] = 'T';
  if (s.back() == 'z') s.back() = 'Z';
  if (!cctz::parse("%Y-%m-%dT%H:%M:%E*S%Ez", s, cctz::utc_time_zone(), &tp)) return std::nullopt;
  return tp.time_since_epoch().count();
}

}  // namespace batchwatch::cron
