// What the Kubernetes CronJob controller decides at a given instant: which zone a CronJob's
// schedule is evaluated in, which slot is due, and how Jobs are named after slots.
// Reproduces pkg/controller/cronjob (utils.go, cronjob_controllerv2.go). Pure.
#pragma once

#include <cctz/time_zone.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cron/schedule.h"

namespace batchwatch::cron {

enum class ScheduleError {
  kNone,
  kUnparseableSchedule,  // label value "unparseable_schedule"
  kNeverFires,           // "never_fires"
  kUnknownTimeZone,      // "unknown_timezone"
};
const char* ScheduleErrorLabel(ScheduleError e);  // "" for kNone

// Loads an IANA zone as Go's time.LoadLocation would: "" and "UTC" are UTC; names with "..", a
// leading '/' or '\\' and cctz-only names ("localtime", "Fixed/...", "file:...") are refused.
// "Local" is not handled here (ResolveSchedule maps it to the controller zone). On failure sets
// *error (if not null) to `unknown time zone "NAME" (why)`.
bool LoadTimeZone(std::string_view name, cctz::time_zone* zone, std::string* error);

// The check for the controller's zone (--controller-time-zone): exactly the names ResolveSchedule
// can load for CronJobs without spec.timeZone, so a name accepted at startup never turns into
// unknown_timezone later. "Local" is refused: it would name itself.
bool CheckControllerTimeZone(const std::string& name, std::string* error);

// A CronJob's schedule with its zone resolved: TZ prefix, else spec.timeZone, else the
// controller's zone.
struct ResolvedSchedule {
  std::optional<Schedule> schedule;  // empty when error == kUnparseableSchedule
  cctz::time_zone zone;              // valid unless error == kUnknownTimeZone
  std::string zone_name;             // e.g. "Europe/Berlin", "UTC"
  ScheduleError error = ScheduleError::kNone;
  std::string message;  // human-readable detail of `error`
};

// Error precedence follows syncCronJob: an unloadable spec.timeZone is kUnknownTimeZone even
// when the schedule also fails to parse; an unknown zone in a TZ= prefix is kUnparseableSchedule
// (robfig fails the parse). A schedule containing "TZ" anywhere ignores spec.timeZone; otherwise
// spec.timeZone is applied as a "TZ=<zone> " prefix, exactly like formatSchedule.
// `spec_time_zone` is spec.timeZone (nullopt when unset). `now` is used to detect schedules that
// never fire (no Next() within 5 years of now).
ResolvedSchedule ResolveSchedule(std::string_view spec,
                                 const std::optional<std::string>& spec_time_zone,
                                 const std::string& controller_zone, UnixSeconds now);

enum class Missed { kNone, kFew, kMany };  // kMany: more than 100 slots missed

struct DueSlot {
  std::optional<UnixSeconds> due;  // the most recent unmet slot at `now`, if any
  Missed missed = Missed::kNone;
  std::string error;  // non-empty when the controller would fail (e.g. interval below 1 s)
};

// The controller's mostRecentScheduleTime + the startingDeadlineSeconds rule, as it is computed
// at `now`: earliest = last_schedule_time or creation_time, raised to now - SDS when SDS is set.
// Reproduces the approximate missed-count walk and its quirk for irregular schedules.
DueSlot MostRecentUnmetSlot(const Schedule& schedule, const cctz::time_zone& zone,
                            UnixSeconds creation_time,
                            std::optional<UnixSeconds> last_schedule_time,
                            std::optional<int64_t> starting_deadline_seconds, UnixSeconds now);

// `<cronjob>-<slot unix seconds / 60>`.
std::string JobNameForSlot(std::string_view cronjob_name, UnixSeconds slot);

// The slot encoded in a child Job's name: `<cronjob>-<minutes>`, or `<cronjob>-<seconds>` as
// clusters before 1.21 named them. nullopt when the name has neither form.
std::optional<UnixSeconds> SlotFromJobName(std::string_view cronjob_name,
                                           std::string_view job_name);

// Parses the batch.kubernetes.io/cronjob-scheduled-timestamp annotation (RFC 3339 with any
// offset). nullopt when malformed.
std::optional<UnixSeconds> ParseScheduledTimestamp(std::string_view value);

// RFC 3339 with the zone's UTC offset at `t`, e.g. 2024-11-03T01:30:00-04:00 ("Z" not used:
// UTC prints +00:00).
std::string FormatRfc3339(UnixSeconds t, const cctz::time_zone& zone);
// Parses RFC 3339 ("Z" or +hh:mm offsets, optional fractional seconds truncated).
std::optional<UnixSeconds> ParseRfc3339(std::string_view value);

}  // namespace batchwatch::cron
