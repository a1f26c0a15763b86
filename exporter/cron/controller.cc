// The CronJob controller's decisions (pkg/controller/cronjob: formatSchedule, syncCronJob's zone
// checks, mostRecentScheduleTime, getJobName), reproduced including Go's duration arithmetic.
#include "cron/controller.h"

#include <cctz/time_zone.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace batchwatch::cron {
namespace {

// Go's zero time.Time (0001-01-01T00:00:00Z): what robfig returns for "no time found".
constexpr UnixSeconds kGoZeroTime = -62135596800;
// time.Duration holds int64 nanoseconds: differences beyond ~292 years saturate.
constexpr int64_t kMaxDurationSeconds = std::numeric_limits<int64_t>::max() / 1000000000;

int64_t GoSubSeconds(UnixSeconds a, UnixSeconds b) {
  // a.Sub(b).Seconds() truncated, with Sub saturating at the int64-nanosecond range.
  __int128 d = static_cast<__int128>(a) - b;
  if (d > kMaxDurationSeconds) return kMaxDurationSeconds;
  if (d < -kMaxDurationSeconds) return -kMaxDurationSeconds;
  return static_cast<int64_t>(d);
}

// Duration(x) * time.Second in Go: int64 multiplication that wraps on overflow.
int64_t GoSecondsToDuration(int64_t x) {
  return static_cast<int64_t>(static_cast<uint64_t>(x) * uint64_t{1000000000});
}

int64_t FloorDivBillion(int64_t ns) {
  int64_t q = ns / 1000000000;
  return (ns % 1000000000 < 0) ? q - 1 : q;
}

UnixSeconds GoAdd(UnixSeconds t, int64_t duration_ns) {
  __int128 r = static_cast<__int128>(t) + FloorDivBillion(duration_ns);
  if (r > std::numeric_limits<int64_t>::max() / 2) return std::numeric_limits<int64_t>::max() / 2;
  if (r < std::numeric_limits<int64_t>::min() / 2) return std::numeric_limits<int64_t>::min() / 2;
  return static_cast<UnixSeconds>(r);
}

UnixSeconds NextOrZero(const Schedule& s, UnixSeconds t, const cctz::time_zone& zone) {
  return s.Next(t, zone).value_or(kGoZeroTime);
}

}  // namespace

const char* ScheduleErrorLabel(ScheduleError e) {
  switch (e) {
    case ScheduleError::kNone:
      return "";
    case ScheduleError::kUnparseableSchedule:
      return "unparseable_schedule";
    case ScheduleError::kNeverFires:
      return "never_fires";
    case ScheduleError::kUnknownTimeZone:
      return "unknown_timezone";
  }
  return "";
}

bool LoadTimeZone(std::string_view name, cctz::time_zone* zone, std::string* error) {
  if (name.empty() || name == "UTC") {
    *zone = cctz::utc_time_zone();
    return true;
  }
  // Go's LoadLocation refuses path tricks; cctz's own special names are not IANA names.
  const bool bad_path = name.find("..") != std::string_view::npos || name[0] == '/' ||
                        name[0] == '\\' || name.find('\0') != std::string_view::npos ||
                        name.size() > 255;
  const bool cctz_special = name == "localtime" || name.substr(0, 5) == "libc:" ||
                            name.substr(0, 5) == "file:" || name.substr(0, 6) == "Fixed/";
  const char* why = nullptr;
  if (bad_path) {
    why = "a path, not a zone name";
  } else if (cctz_special) {
    why =
        "a name only this process's zone library knows; Go's time.LoadLocation, which the "
        "CronJob controller uses, refuses it";
  } else if (!cctz::load_time_zone(std::string(name), zone)) {
    why = "not in the tz database under /usr/share/zoneinfo; is tzdata installed?";
  }
  if (why != nullptr) {
    if (error != nullptr) {
      *error = "unknown time zone \"" + std::string(name) + "\" (" + why + ")";
    }
    return false;
  }
  return true;
}

bool CheckControllerTimeZone(const std::string& name, std::string* error) {
  if (name == "Local") {
    *error =
        "unknown time zone \"Local\" (Local means the controller's own zone: name it, "
        "e.g. UTC or Europe/Berlin)";
    return false;
  }
  cctz::time_zone zone;
  return LoadTimeZone(name, &zone, error);
}

ResolvedSchedule ResolveSchedule(std::string_view spec,
                                 const std::optional<std::string>& spec_time_zone,
                                 const std::string& controller_zone, UnixSeconds now) {
  ResolvedSchedule r;
  auto load = [&](const std::string& name, std::string* zone_name) {
    // "Local" is Go's name for the process zone: the controller's.
    const std::string& effective = name == "Local" ? controller_zone : name;
    *zone_name = effective.empty() ? "UTC" : effective;
    return LoadTimeZone(effective, &r.zone, &r.message);
  };
  // syncCronJob refuses an unloadable spec.timeZone before it looks at the schedule.
  if (spec_time_zone && !load(*spec_time_zone, &r.zone_name)) {
    r.error = ScheduleError::kUnknownTimeZone;
    r.message = "spec.timeZone: " + r.message;
    return r;
  }
  // The API server validates the schedule as written (cron.ParseStandard) before the controller
  // ever prefixes spec.timeZone, so " @daily" with a timeZone never reaches a cluster.
  std::string parse_error;
  if (spec_time_zone && !Schedule::Parse(spec, &parse_error)) {
    r.error = ScheduleError::kUnparseableSchedule;
    r.message = parse_error;
    if (!load(controller_zone, &r.zone_name)) r.zone = cctz::utc_time_zone();
    return r;
  }
  // formatSchedule: a schedule mentioning TZ is used as is; else spec.timeZone becomes a prefix.
  std::string effective_spec;
  if (spec.find("TZ") == std::string_view::npos && spec_time_zone) {
    effective_spec = "TZ=" + *spec_time_zone + " " + std::string(spec);
  } else {
    effective_spec = std::string(spec);
  }
  std::optional<Schedule> parsed = Schedule::Parse(effective_spec, &parse_error);
  if (!parsed) {
    r.error = ScheduleError::kUnparseableSchedule;
    r.message = parse_error;
    if (!load(controller_zone, &r.zone_name)) r.zone = cctz::utc_time_zone();
    return r;
  }
  if (parsed->zone_prefix()) {
    if (!load(*parsed->zone_prefix(), &r.zone_name)) {
      // robfig fails the parse on an unknown TZ= zone: the controller reports it unparseable.
      r.error = ScheduleError::kUnparseableSchedule;
      r.message = "TZ prefix: " + r.message;
      r.zone = cctz::utc_time_zone();
      return r;
    }
  } else if (!load(controller_zone, &r.zone_name)) {
    r.error = ScheduleError::kUnknownTimeZone;
    r.message = "controller time zone: " + r.message;
    return r;
  }
  r.schedule = std::move(parsed);
  if (!r.schedule->Next(now, r.zone)) {
    r.error = ScheduleError::kNeverFires;
    r.message = "the schedule has no time within 5 years of " + FormatRfc3339(now, r.zone);
  }
  return r;
}

DueSlot MostRecentUnmetSlot(const Schedule& schedule, const cctz::time_zone& zone,
                            UnixSeconds creation_time,
                            std::optional<UnixSeconds> last_schedule_time,
                            std::optional<int64_t> starting_deadline_seconds, UnixSeconds now) {
  DueSlot out;
  UnixSeconds earliest = last_schedule_time.value_or(creation_time);
  if (starting_deadline_seconds) {
    // now.Add(-time.Second * time.Duration(SDS)); sub-second parts never matter to Next().
    int64_t ns = static_cast<int64_t>(static_cast<uint64_t>(*starting_deadline_seconds) *
                                      static_cast<uint64_t>(-1000000000LL));
    UnixSeconds deadline = GoAdd(now, ns);
    if (deadline > earliest) earliest = deadline;
  }
  const std::optional<UnixSeconds> next = schedule.Next(earliest, zone);
  // Next() has no answer beyond the year 9999 where robfig's would be a slot after `earliest`;
  // when `earliest` is in the future that means nothing is due, as in the controller.
  if (!next && earliest > now) return out;
  const UnixSeconds t1 = next.value_or(kGoZeroTime);
  const UnixSeconds t2 = NextOrZero(schedule, t1, zone);
  if (now < t1) return out;
  if (now < t2) {
    out.due = t1;
    return out;
  }
  const int64_t interval = GoSubSeconds(t2, t1);
  if (interval < 1) {
    out.error = "time difference between two schedules is less than 1 second";
    return out;
  }
  const int64_t elapsed = GoSubSeconds(now, t1);
  const int64_t missed = elapsed / interval + 1;
  // The controller estimates how many slots fit, steps back two intervals and walks forward;
  // for irregular schedules the estimate can overshoot `now`, and then nothing is due.
  const int64_t back =
      static_cast<int64_t>(static_cast<uint64_t>(missed - 2) * static_cast<uint64_t>(interval));
  UnixSeconds potential_earliest = GoAdd(t1, GoSecondsToDuration(back));
  if (elapsed >= kMaxDurationSeconds) {
    // now - t1 saturated Go's Duration (t1 more than 292 years ago, e.g. a status written with
    // the year 1): the estimate falls centuries short and the walk below would take minutes.
    // Its answer is the last slot <= now, so start from the latest point (doubling back from
    // now) that still has a slot before now: same answer, bounded work.
    for (int64_t span = interval; span < now - potential_earliest; span *= 2) {
      std::optional<UnixSeconds> n = schedule.Next(now - span, zone);
      if (n && *n <= now) {
        potential_earliest = now - span;
        break;
      }
      if (span > std::numeric_limits<int64_t>::max() / 4) break;
    }
  }
  std::optional<UnixSeconds> most_recent;
  // Bounded: an accurate estimate leaves about two intervals to walk.
  for (std::optional<UnixSeconds> t = schedule.Next(potential_earliest, zone); t && *t <= now;
       t = schedule.Next(*t, zone)) {
    most_recent = t;
  }
  out.missed = missed > 100 ? Missed::kMany : Missed::kFew;
  out.due = most_recent;
  return out;
}

std::string JobNameForSlot(std::string_view cronjob_name, UnixSeconds slot) {
  // getTimeHashInMinutes: Unix() / 60 with Go's truncating division.
  return std::string(cronjob_name) + "-" + std::to_string(slot / 60);
}

std::optional<UnixSeconds> SlotFromJobName(std::string_view cronjob_name,
                                           std::string_view job_name) {
  if (job_name.size() < cronjob_name.size() + 2 ||
      job_name.substr(0, cronjob_name.size()) != cronjob_name ||
      job_name[cronjob_name.size()] != '-') {
    return std::nullopt;
  }
  std::string_view digits = job_name.substr(cronjob_name.size() + 1);
  if (digits.size() > 15 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  // Minutes since 1970 stay below 1e9 until the year 3871; seconds passed 1e9 in 2001, before
  // Kubernetes existed, so clusters before 1.21 (which used seconds) give values above it.
  if (v >= 1000000000) return v;
  return v * 60;
}

std::optional<UnixSeconds> ParseScheduledTimestamp(std::string_view value) {
  return ParseRfc3339(value);
}

}  // namespace batchwatch::cron
