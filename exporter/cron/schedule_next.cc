// Schedule::Next: robfig/cron v3.0.1 SpecSchedule.Next reproduced observably.
//
// robfig walks the schedule's wall clock with Go's time package: it truncates with time.Date,
// steps months and days with AddDate (both normalize through time.Date), and steps hours,
// minutes and seconds by adding absolute durations. Around DST changes this gives its
// characteristic results (a skipped local time never fires, a repeated one fires twice, a
// half-hour shift can move an hourly walk onto :30). NextReference() is that walk, step by step,
// with Go's time.Date normalization rebuilt on cctz. Next() first runs the same walk in plain
// civil arithmetic with the offset in force at t (bit jumps instead of single steps) and keeps the
// answer only when no zone transition lies within a day of anything the walk touched; otherwise
// it falls back to the reference walk. Both must agree; the tests pin that.
#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#include "cron/schedule.h"

namespace batchwatch::cron {
namespace {

constexpr uint64_t kStarBit = uint64_t{1} << 63;
constexpr int64_t kDay = 86400;
// Years 1..9999 as Unix seconds: Go's zero time (year 1) must stay representable.
constexpr int64_t kMinSupported = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSupported = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kFastPathFrom = -2208988800;   // 1900-01-01T00:00:00Z
constexpr int64_t kFastPathUntil = 7258118400;   // 2200-01-01T00:00:00Z

using Seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

Seconds ToTp(int64_t u) { return Seconds(std::chrono::seconds(u)); }

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Fields {
  int64_t year;
  int month, day, hour, minute, second, weekday;  // weekday: 0 = Sunday, as Go
};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Wall-clock fields of local seconds (civil time expressed as seconds since 1970-01-01 00:00).
Fields FieldsOf(int64_t local) {
  int64_t days = FloorDiv(local, kDay);
  int64_t sod = local - days * kDay;
  Fields f;
  f.hour = static_cast<int>(sod / 3600);
  f.minute = static_cast<int>(sod / 60 % 60);
  f.second = static_cast<int>(sod % 60);
  f.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  f.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  f.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  f.year = yoe + era * 400 + (f.month <= 2);
  return f;
}

// Local seconds of a civil time, normalizing overflowing fields as Go's time.Date does (months
// into years first, then everything else through the day count).
int64_t LocalOf(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                int64_t second) {
  int64_t m0 = month - 1;
  year += FloorDiv(m0, 12);
  m0 -= FloorDiv(m0, 12) * 12;
  return (DaysFromCivil(year, m0 + 1, 1) + day - 1) * kDay + hour * 3600 + minute * 60 + second;
}

bool DayMatches(uint64_t dom, uint64_t dow, const Fields& f) {
  bool dom_match = (uint64_t{1} << f.day & dom) != 0;
  bool dow_match = (uint64_t{1} << f.weekday & dow) != 0;
  if ((dom & kStarBit) != 0 || (dow & kStarBit) != 0) return dom_match && dow_match;
  return dom_match || dow_match;
}

bool Has(uint64_t bits, int v) { return (bits >> v & 1) != 0; }

// Steps from `v` (exclusive) until a set bit or the wrap to 0 at `n`: robfig's per-field loop
// `for !bit(v) { v++; if v == n -> wrap }` collapsed into one jump.
int StepsToNext(uint64_t bits, int v, int n) {
  for (int k = v + 1; k < n; ++k) {
    if (Has(bits, k)) return k - v;
  }
  return n - v;
}

// Go's time package operations on a zone, rebuilt on cctz.
class GoZone {
 public:
  explicit GoZone(const cctz::time_zone& tz) : tz_(tz) {}
  int Offset(int64_t u) const { return tz_.lookup(ToTp(u)).offset; }
  Fields FieldsAt(int64_t u) const { return FieldsOf(u + Offset(u)); }
  // time.Date(...): look the offset up at the civil time read as UTC, then once more at the
  // instant that offset gives; this decides which side of a gap or overlap a wall time lands on.
  int64_t Date(int64_t local) const { return local - Offset(local - Offset(local)); }

 private:
  const cctz::time_zone& tz_;
};

// Fields that can never match make robfig search its whole five years; the answer is known.
bool NeverMatches(uint64_t minute, uint64_t hour, uint64_t dom, uint64_t month, uint64_t dow) {
  const uint64_t values = ~kStarBit;
  if ((minute & values) == 0 || (hour & values) == 0 || (month & values) == 0) return true;
  const bool any_star = ((dom | dow) & kStarBit) != 0;
  if (any_star) return (dom & values) == 0 || (dow & values) == 0;
  return (dom & values) == 0 && (dow & values) == 0;
}

}  // namespace

std::optional<UnixSeconds> Schedule::NextReference(UnixSeconds t,
                                                   const cctz::time_zone& zone) const {
  if (every_seconds_ > 0) {
    if (t < kMinSupported || t > kMaxSupported) return std::nullopt;
    return t + every_seconds_;
  }
  if (t < kMinSupported || t >= kMaxSupported) return std::nullopt;
  if (NeverMatches(minute_, hour_, dom_, month_, dow_)) return std::nullopt;
  GoZone z(zone);
  int64_t u = t + 1;
  Fields f = z.FieldsAt(u);
  const int64_t year_limit = f.year + 5;
  bool added = false;
wrap:
  f = z.FieldsAt(u);
  if (f.year > year_limit) return std::nullopt;
  while (!Has(month_, f.month)) {
    if (!added) {
      added = true;
      u = z.Date(LocalOf(f.year, f.month, 1, 0, 0, 0));
      f = z.FieldsAt(u);
    }
    u = z.Date(LocalOf(f.year, f.month + 1, f.day, f.hour, f.minute, f.second));
    f = z.FieldsAt(u);
    if (f.month == 1) goto wrap;
  }
  while (!DayMatches(dom_, dow_, f)) {
    if (!added) {
      added = true;
      u = z.Date(LocalOf(f.year, f.month, f.day, 0, 0, 0));
      f = z.FieldsAt(u);
    }
    u = z.Date(LocalOf(f.year, f.month, f.day + 1, f.hour, f.minute, f.second));
    f = z.FieldsAt(u);
    if (f.hour != 0) {  // midnight did not exist or repeated: robfig nudges back to it
      u += f.hour > 12 ? (24 - f.hour) * int64_t{3600} : -f.hour * int64_t{3600};
      f = z.FieldsAt(u);
    }
    if (f.day == 1) goto wrap;
  }
  while (!Has(hour_, f.hour)) {
    if (!added) {
      added = true;
      u = z.Date(LocalOf(f.year, f.month, f.day, f.hour, 0, 0));
    }
    u += 3600;
    f = z.FieldsAt(u);
    if (f.hour == 0) goto wrap;
  }
  while (!Has(minute_, f.minute)) {
    if (!added) {
      added = true;
      u = FloorDiv(u, 60) * 60;  // time.Truncate(time.Minute) works on absolute time
    }
    u += 60;
    f = z.FieldsAt(u);
    if (f.minute == 0) goto wrap;
  }
  while (!Has(second_, f.second)) {
    added = true;
    u += 1;
    f = z.FieldsAt(u);
    if (f.second == 0) goto wrap;
  }
  return u;
}

// The walk of NextReference() for a zone whose offset is `offset` everywhere. `*lowest` receives
// the earliest instant the walk visited (its truncations move backwards to day or month starts).
// Returns nullopt when the walk passes robfig's five-year limit.
std::optional<UnixSeconds> Schedule::NextFixedOffset(UnixSeconds t, int offset,
                                                     UnixSeconds* lowest) const {
  int64_t local = t + 1 + offset;
  int64_t low = local;
  Fields f = FieldsOf(local);
  const int64_t year_limit = f.year + 5;
  bool added = false;
  for (;;) {
    // WRAP
    f = FieldsOf(local);
    if (f.year > year_limit) {
      *lowest = low - offset;
      return std::nullopt;
    }
    bool wrapped = false;
    while (!Has(month_, f.month)) {
      if (!added) {
        added = true;
        local = LocalOf(f.year, f.month, 1, 0, 0, 0);
        low = std::min(low, local);
        f = FieldsOf(local);
      }
      local = LocalOf(f.year, f.month + 1, f.day, f.hour, f.minute, f.second);
      f = FieldsOf(local);
      if (f.month == 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!DayMatches(dom_, dow_, f)) {
      if (!added) {
        added = true;
        local = LocalOf(f.year, f.month, f.day, 0, 0, 0);
        low = std::min(low, local);
        f = FieldsOf(local);
      }
      local = LocalOf(f.year, f.month, f.day + 1, f.hour, f.minute, f.second);
      f = FieldsOf(local);
      if (f.hour != 0) {
        local += f.hour > 12 ? (24 - f.hour) * int64_t{3600} : -f.hour * int64_t{3600};
        low = std::min(low, local);
        f = FieldsOf(local);
      }
      if (f.day == 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    if (!Has(hour_, f.hour)) {
      if (!added) {
        added = true;
        local -= f.minute * 60 + f.second;
        low = std::min(low, local);
      }
      int k = StepsToNext(hour_, f.hour, 24);
      local += k * int64_t{3600};
      if (f.hour + k == 24) continue;
      f = FieldsOf(local);
    }
    if (!Has(minute_, f.minute)) {
      if (!added) {
        added = true;
        int64_t u = local - offset;
        local = FloorDiv(u, 60) * 60 + offset;
        low = std::min(low, local);
        f = FieldsOf(local);
      }
      int k = StepsToNext(minute_, f.minute, 60);
      local += k * int64_t{60};
      if (f.minute + k == 60) continue;
      f = FieldsOf(local);
    }
    if (!Has(second_, f.second)) {
      added = true;
      int k = StepsToNext(second_, f.second, 60);
      local += k;
      if (f.second + k == 60) continue;
    }
    *lowest = low - offset;
    return local - offset;
  }
}

std::optional<UnixSeconds> Schedule::Next(UnixSeconds t, const cctz::time_zone& zone) const {
  if (every_seconds_ > 0) return NextReference(t, zone);
  if (t < kMinSupported || t >= kMaxSupported) return std::nullopt;
  if (NeverMatches(minute_, hour_, dom_, month_, dow_)) return std::nullopt;
  // cctz enumerates transitions reliably only in a bounded window (far from it next_transition
  // returns unrelated past transitions): outside 1900..2200 always take the reference walk.
  if (t < kFastPathFrom || t >= kFastPathUntil) return NextReference(t, zone);
  const int offset = zone.lookup(ToTp(t + 1)).offset;
  UnixSeconds lowest = t + 1;
  std::optional<UnixSeconds> fast = NextFixedOffset(t, offset, &lowest);
  // The fixed-offset walk is exact when the offset cannot change anywhere the real walk looks:
  // from a day before its lowest instant to a day after its answer. For "never fires" the walk
  // ended past the year limit, about six years out.
  const int64_t highest = fast ? *fast : t + 7 * 366 * kDay;
  cctz::time_zone::civil_transition tr;
  if (!zone.next_transition(ToTp(lowest - kDay), &tr)) return fast;
  // tr.from is the transition instant in the pre-transition offset. If the transition came no
  // later than highest + 1 day, tr.from can exceed highest's wall time by at most 1 day plus an
  // offset difference (well under 2 days): a 3-day margin proves there is none.
  const int64_t from_local = (tr.from - cctz::civil_second(1970, 1, 1, 0, 0, 0));
  if (from_local < lowest - kDay + offset - 2 * kDay) return NextReference(t, zone);  // nonsense
  if (from_local - (highest + offset) > 3 * kDay) return fast;
  return NextReference(t, zone);
}

}  // namespace batchwatch::cron
