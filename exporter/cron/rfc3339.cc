// RFC 3339 timestamps as Kubernetes writes them (metav1.Time: whole seconds, "Z" or an offset).
#include <cctz/time_zone.h>

#include <chrono>
#include <string>

#include "cron/controller.h"

namespace batchwatch::cron {

std::string FormatRfc3339(UnixSeconds t, const cctz::time_zone& zone) {
  auto tp = std::chrono::system_clock::from_time_t(0) + std::chrono::seconds(t);
  // cctz 2.3 has no %ET: write the T literally.
  return cctz::format("%Y-%m-%dT%H:%M:%S%Ez", tp, zone);
}

std::optional<UnixSeconds> ParseRfc3339(std::string_view value) {
  // cctz's %Ez accepts "Z", "+hh:mm" and "-hh:mm"; %E*S accepts optional fractional seconds.
  std::chrono::system_clock::time_point tp;
  std::string s(value);
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't')) return std::nullopt;
  s[10] = 'T';
  if (s.back() == 'z') s.back() = 'Z';
  if (!cctz::parse("%Y-%m-%dT%H:%M:%E*S%Ez", s, cctz::utc_time_zone(), &tp)) return std::nullopt;
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(tp.time_since_epoch());
  if (tp.time_since_epoch() < secs) secs -= std::chrono::seconds(1);  // floor fractions
  return secs.count();
}

}  // namespace batchwatch::cron
