// Cron schedules exactly as robfig/cron v3 ParseStandard reads them, evaluated with cctz.
// Pure: no I/O besides cctz loading zone files, no global state.
#pragma once

#include <cctz/time_zone.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace batchwatch::cron {

// Unix seconds. Kubernetes timestamps have whole-second resolution.
using UnixSeconds = int64_t;

class Schedule {
 public:
  // Parses `spec` as robfig/cron v3 ParseStandard does, including descriptors, `@every` and a
  // `TZ=`/`CRON_TZ=` prefix (recorded, not resolved: see zone_prefix()). On failure returns
  // nullopt and sets *error to a message naming the field and the problem, e.g.
  // "field 5 (day of week): 7 is above the maximum 6".
  static std::optional<Schedule> Parse(std::string_view spec, std::string* error);

  // The zone named by a TZ=/CRON_TZ= prefix ("" means the prefix was `TZ=` alone: UTC), or
  // nullopt without a prefix.
  const std::optional<std::string>& zone_prefix() const { return zone_prefix_; }

  // The first activation strictly after `t`, at whole seconds, evaluated in `zone`; nullopt when
  // none exists within 5 years (the schedule never fires). `@every d` returns t + d (relative to
  // t, not clock aligned). DST: skipped local times never fire, repeated local times fire twice.
  // Reproduces robfig v3.0.1 SpecSchedule.Next including its DST quirks (it walks wall time with
  // Go's time.Date normalization); see schedule_next.cc. Times outside years 1..9999 give nullopt.
  std::optional<UnixSeconds> Next(UnixSeconds t, const cctz::time_zone& zone) const;

  // The same answer computed by a literal step-by-step emulation of robfig's loop, without the
  // fixed-offset fast path. Slower; exists so tests can pin the fast path against it.
  std::optional<UnixSeconds> NextReference(UnixSeconds t, const cctz::time_zone& zone) const;

  bool is_every() const { return every_seconds_ > 0; }
  int64_t every_seconds() const { return every_seconds_; }

  // Bit sets as robfig keeps them (bit i set = value i allowed; bit 63 = the field was `*`/`?`).
  uint64_t seconds_bits() const { return second_; }
  uint64_t minute_bits() const { return minute_; }
  uint64_t hour_bits() const { return hour_; }
  uint64_t dom_bits() const { return dom_; }
  uint64_t month_bits() const { return month_; }
  uint64_t dow_bits() const { return dow_; }

 private:
  std::optional<UnixSeconds> NextFixedOffset(UnixSeconds t, int offset, UnixSeconds* lowest) const;

  uint64_t second_ = 0, minute_ = 0, hour_ = 0, dom_ = 0, month_ = 0, dow_ = 0;
  int64_t every_seconds_ = 0;
  std::optional<std::string> zone_prefix_;
};

}  // namespace batchwatch::cron
