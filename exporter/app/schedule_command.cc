// `batchwatch schedule`: list mode prints the next slots in the schedule's zone (after the
// schedule in words with --explain); --due mode prints the controller's decision as one JSON
// object.
#include "app/schedule_command.h"

#include <cctz/time_zone.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "batch/wall_clock.h"
#include "cron/controller.h"
#include "cron/explain.h"
#include "cron/schedule.h"
#include "text/json_string.h"

namespace batchwatch::app {
namespace {

using cron::UnixSeconds;

constexpr const char* kUsage =
    "usage:\n"
    "  batchwatch schedule SPEC [--time-zone ZONE] [--controller-time-zone ZONE]\n"
    "                      [--from RFC3339] [--count N] [--explain]\n"
    "      Print the next N slots (default 5) strictly after --from (default now), one per\n"
    "      line, in RFC 3339 with the UTC offset of the schedule's zone. --explain first\n"
    "      prints the schedule in English on a line of its own, e.g.\n"
    "      \"Every 15 minutes, from 09:00 through 17:45, on Monday through Friday, in UTC\".\n"
    "  batchwatch schedule SPEC --due --now RFC3339 --creation-time RFC3339\n"
    "                      [--last-schedule-time RFC3339] [--starting-deadline-seconds N]\n"
    "                      [--time-zone ZONE] [--controller-time-zone ZONE] [--name NAME]\n"
    "      Print what the CronJob controller decides at --now as JSON:\n"
    "      {\"due\": RFC3339-UTC|null, \"missed\": \"none\"|\"few\"|\"many\",\n"
    "       \"job_name\": NAME-<minutes>|null, \"error\": MESSAGE|null}\n"
    "\n"
    "SPEC is a Kubernetes CronJob schedule (robfig/cron v3 syntax: 5 fields, @descriptors,\n"
    "@every DURATION, TZ=ZONE prefix). --time-zone is spec.timeZone; --controller-time-zone is\n"
    "kube-controller-manager's zone (default UTC). Exit status 2 on a bad schedule, zone or "
    "flag.\n";

struct Options {
  std::optional<std::string> spec;
  std::optional<std::string> time_zone;
  std::string controller_zone = "UTC";
  std::optional<UnixSeconds> from, now, creation, last_schedule;
  std::optional<int64_t> sds;
  int64_t count = 5;
  bool due = false;
  bool explain = false;
  std::optional<std::string> name;
};

using text::JsonString;

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  bool neg = s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = neg ? -v : v;
  return true;
}

constexpr const char* kValueFlags[] = {
    "--time-zone",     "--controller-time-zone", "--from",  "--now",
    "--creation-time", "--last-schedule-time",   "--count", "--starting-deadline-seconds",
    "--name"};

bool IsValueFlag(std::string_view flag) {
  for (const char* f : kValueFlags) {
    if (flag == f) return true;
  }
  return false;
}

// Returns an error message, or "" when the arguments are good. Sets *help for --help.
std::string ParseArgs(int argc, char** argv, Options* o, bool* help) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return "";
    }
    if (arg == "--due") {
      o->due = true;
      continue;
    }
    if (arg == "--explain") {
      o->explain = true;
      continue;
    }
    if (arg.size() > 2 && arg.substr(0, 2) == "--") {
      std::string_view flag = arg;
      std::optional<std::string_view> value;
      size_t eq = arg.find('=');
      if (eq != std::string_view::npos) flag = arg.substr(0, eq);
      // Known before a value is taken: "--bogus" is an unknown flag, not one missing a value.
      if (!IsValueFlag(flag)) return "unknown flag " + std::string(flag);
      if (eq != std::string_view::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < argc) {
        value = argv[++i];
      }
      if (!value) return "flag " + std::string(flag) + " needs a value";
      auto time_flag = [&](std::optional<UnixSeconds>* dst) -> std::string {
        *dst = cron::ParseRfc3339(*value);
        if (!*dst) {
          return "flag " + std::string(flag) + ": \"" + std::string(*value) +
                 "\" is not an RFC 3339 time (e.g. 2024-11-03T01:30:00Z)";
        }
        return "";
      };
      std::string e;
      if (flag == "--time-zone") {
        o->time_zone = std::string(*value);
      } else if (flag == "--controller-time-zone") {
        o->controller_zone = std::string(*value);
      } else if (flag == "--from") {
        e = time_flag(&o->from);
      } else if (flag == "--now") {
        e = time_flag(&o->now);
      } else if (flag == "--creation-time") {
        e = time_flag(&o->creation);
      } else if (flag == "--last-schedule-time") {
        e = time_flag(&o->last_schedule);
      } else if (flag == "--count") {
        if (!ParseInt(*value, &o->count) || o->count < 1 || o->count > 100000) {
          e = "flag --count: \"" + std::string(*value) + "\" is not a number from 1 to 100000";
        }
      } else if (flag == "--starting-deadline-seconds") {
        int64_t v = 0;
        if (!ParseInt(*value, &v) || v < 0) {
          e = "flag --starting-deadline-seconds: \"" + std::string(*value) +
              "\" is not a non-negative number";
        }
        o->sds = v;
      } else if (flag == "--name") {
        o->name = std::string(*value);
      } else {
        e = "unknown flag " + std::string(flag);
      }
      if (!e.empty()) return e;
      continue;
    }
    if (o->spec) return "unexpected argument \"" + std::string(arg) + "\" (quote the schedule)";
    o->spec = std::string(arg);
  }
  if (!o->spec) return "missing the schedule";
  if (o->due) {
    if (!o->now) return "--due needs --now";
    if (!o->creation) return "--due needs --creation-time";
    if (o->from) return "--from is not used with --due (use --now)";
    if (o->explain) return "--explain is not used with --due";
  } else if (o->now || o->creation || o->last_schedule || o->sds || o->name) {
    return "--now, --creation-time, --last-schedule-time, --starting-deadline-seconds and "
           "--name need --due";
  }
  return "";
}

std::string FormatUtc(UnixSeconds t) {
  auto tp = std::chrono::system_clock::from_time_t(0) + std::chrono::seconds(t);
  return cctz::format("%Y-%m-%dT%H:%M:%SZ", tp, cctz::utc_time_zone());
}

}  // namespace

int RunScheduleCommand(int argc, char** argv, std::ostream& out, std::ostream& err) {
  Options o;
  bool help = false;
  std::string problem = ParseArgs(argc, argv, &o, &help);
  if (help) {
    out << kUsage;
    return 0;
  }
  if (!problem.empty()) {
    err << "batchwatch schedule: " << problem << "\n" << kUsage;
    return 2;
  }
  const UnixSeconds now = o.due ? *o.now : o.from.value_or(batch::WallClockSeconds());
  if (!cron::CheckControllerTimeZone(o.controller_zone, &problem)) {
    err << "batchwatch schedule: flag --controller-time-zone: " << problem << "\n";
    return 2;
  }
  cron::ResolvedSchedule r = cron::ResolveSchedule(*o.spec, o.time_zone, o.controller_zone, now);
  if (r.error == cron::ScheduleError::kUnparseableSchedule ||
      r.error == cron::ScheduleError::kUnknownTimeZone) {
    err << "batchwatch schedule: " << cron::ScheduleErrorLabel(r.error) << ": " << r.message
        << "\n";
    return 2;
  }
  if (o.spec->rfind("TZ=", 0) == 0 || o.spec->rfind("CRON_TZ=", 0) == 0) {
    err << "batchwatch schedule: warning: Kubernetes 1.28 and later refuse to create a CronJob "
           "whose schedule has a TZ= or CRON_TZ= prefix; set spec.timeZone instead (--time-zone "
           "here)\n";
  }
  if (!o.due) {
    if (r.error == cron::ScheduleError::kNeverFires) {
      err << "batchwatch schedule: never_fires: " << r.message << "\n";
      return 2;
    }
    if (o.explain) {
      // The zone the slots below are in, named as a TZ= prefix would be.
      const bool prefixed = o.spec->rfind("TZ=", 0) == 0 || o.spec->rfind("CRON_TZ=", 0) == 0;
      std::string words, error;
      if (!cron::ExplainSchedule(prefixed ? *o.spec : "TZ=" + r.zone_name + " " + *o.spec, &words,
                                 &error)) {
        err << "batchwatch schedule: " << error << "\n";  // resolved above: not expected
        return 2;
      }
      out << words << "\n";
    }
    UnixSeconds t = now;
    for (int64_t i = 0; i < o.count; ++i) {
      std::optional<UnixSeconds> next = r.schedule->Next(t, r.zone);
      if (!next) break;
      out << cron::FormatRfc3339(*next, r.zone) << "\n";
      t = *next;
    }
    return 0;
  }
  cron::DueSlot d =
      cron::MostRecentUnmetSlot(*r.schedule, r.zone, *o.creation, o.last_schedule, o.sds, *o.now);
  const char* missed = d.missed == cron::Missed::kNone  ? "none"
                       : d.missed == cron::Missed::kFew ? "few"
                                                        : "many";
  out << "{\"due\": " << (d.due ? JsonString(FormatUtc(*d.due)) : "null") << ", \"missed\": \""
      << missed << "\", \"job_name\": "
      << (d.due && o.name ? JsonString(cron::JobNameForSlot(*o.name, *d.due)) : "null")
      << ", \"error\": " << (d.error.empty() ? "null" : JsonString(d.error)) << "}\n";
  return 0;
}

}  // namespace batchwatch::app
