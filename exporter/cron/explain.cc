// The schedule in words. Every phrase is chosen so that it names exactly the times robfig's
// SpecSchedule matches: a uniform step ("Every 15 minutes") is only said when the gaps really are
// uniform, windows name their first and last time, and the day-of-month/day-of-week rule (AND
// when either field is `*` or `?`, OR otherwise) decides between one clause and "X or Y".
#include "cron/explain.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cron/controller.h"
#include "cron/schedule.h"

namespace batchwatch::cron {
namespace {

constexpr uint64_t kStarBit = uint64_t{1} << 63;

constexpr const char* kMonthNames[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};
constexpr const char* kDayNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
// The longest each month can be (February 29 in leap years).
constexpr int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

using Values = std::vector<int>;

Values ValuesOf(uint64_t bits, int min, int max) {
  Values out;
  for (int v = min; v <= max; ++v) {
    if ((bits >> v & 1) != 0) out.push_back(v);
  }
  return out;
}

std::string JoinAnd(const std::vector<std::string>& items, const char* conjunction = "and") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? std::string(" ") + conjunction + " " : ", ";
    out += items[i];
  }
  return out;
}

// The common difference when `v` (ascending, at least 2 values) is an arithmetic progression.
std::optional<int> Step(const Values& v) {
  if (v.size() < 2) return std::nullopt;
  const int k = v[1] - v[0];
  for (size_t i = 2; i < v.size(); ++i) {
    if (v[i] - v[i - 1] != k) return std::nullopt;
  }
  return k;
}

// True when `v` repeats with period k across the wrap at n too ("*/15" of 60, "5/10" of 60, "*/6"
// of 24): then "every k" is exact on a running clock, not only within one hour or day.
bool IsUniformGrid(const Values& v, int n, int* k) {
  std::optional<int> step = Step(v);
  if (!step || *step < 1 || n % *step != 0 || v[0] >= *step) return false;
  if (static_cast<int>(v.size()) != n / *step) return false;
  *k = *step;
  return true;
}

struct Run {
  int first, last;
};

std::vector<Run> RunsOf(const Values& v) {
  std::vector<Run> out;
  for (int x : v) {
    if (!out.empty() && out.back().last + 1 == x) {
      out.back().last = x;
    } else {
      out.push_back({x, x});
    }
  }
  return out;
}

// `conjunction` joins the last item: "and" for a set of times, "or" where the words deny each.
template <typename Name>
std::string DescribeValues(const Values& v, Name name, const char* conjunction = "and") {
  std::optional<int> step = Step(v);
  if (v.size() >= 5 && step && *step > 1) {
    return name(v[0]) + ", " + name(v[1]) + ", " + name(v[2]) + ", ..., " + name(v.back());
  }
  std::vector<std::string> items;
  for (const Run& r : RunsOf(v)) {
    if (r.last - r.first >= 2) {
      items.push_back(name(r.first) + " through " + name(r.last));
    } else {
      for (int x = r.first; x <= r.last; ++x) items.push_back(name(x));
    }
  }
  return JoinAnd(items, conjunction);
}

std::string Number(int v) { return std::to_string(v); }

std::string Clock(int hour, int minute) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", hour, minute);
  return buf;
}

std::string Plural(int64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

std::string DescribeWeekdays(const Values& days) {
  // Monday-first reads best ("Saturday and Sunday"); Sunday-first when it makes fewer runs
  // ("Sunday through Tuesday").
  Values monday_first;
  for (int d : days) monday_first.push_back(d == 0 ? 7 : d);
  std::sort(monday_first.begin(), monday_first.end());
  auto name = [](int d) { return std::string(kDayNames[d % 7]); };
  const bool sunday_first = RunsOf(days).size() < RunsOf(monday_first).size();
  return DescribeValues(sunday_first ? days : monday_first, name);
}

std::string DescribeMonths(const Values& months, const char* conjunction = "and") {
  return DescribeValues(
      months, [](int m) { return std::string(kMonthNames[m - 1]); }, conjunction);
}

struct TimePhrase {
  std::string text;
  bool explicit_times;  // "At 02:00 and 14:00": needs "every day" when every day matches
};

std::string ExplicitTimes(const Values& minutes, const Values& hours) {
  std::vector<std::string> items;
  for (int h : hours) {
    for (int m : minutes) items.push_back(Clock(h, m));
  }
  return "At " + JoinAnd(items);
}

// ", from 09:00 through 17:45 and from 20:00 through 20:45" for runs of hours, or ", in hours
// 0, 2, 4, ..., 22" when the hours make more than three runs.
std::string HourWindows(const Values& hours, int first_minute, int last_minute) {
  std::vector<Run> runs = RunsOf(hours);
  if (runs.size() > 3) return ", in hours " + DescribeValues(hours, Number);
  std::vector<std::string> windows;
  for (const Run& r : runs) {
    windows.push_back("from " + Clock(r.first, first_minute) + " through " +
                      Clock(r.last, last_minute));
  }
  return ", " + JoinAnd(windows);
}

TimePhrase DescribeTimes(const Values& minutes, const Values& hours) {
  const size_t total = minutes.size() * hours.size();
  const bool all_hours = hours.size() == 24;
  if (total <= 3) return {ExplicitTimes(minutes, hours), true};
  int k = 0;
  // "Every 15 minutes, in hours 0, 2, 4, ..., 22" would hide the first minute: windows only.
  const bool few_windows = RunsOf(hours).size() <= 3;
  if (minutes.size() == 60 || (few_windows && IsUniformGrid(minutes, 60, &k))) {
    std::string text = minutes.size() == 60 ? "Every minute" : "Every " + Plural(k, "minute");
    if (!all_hours || minutes[0] != 0) text += HourWindows(hours, minutes[0], minutes.back());
    return {text, false};
  }
  if (minutes.size() == 1) {
    const int m = minutes[0];
    if (all_hours) return {"At minute " + Number(m) + " of every hour", false};
    std::optional<int> step = Step(hours);
    if (hours.size() >= 3 && step) {
      return {(*step == 1 ? std::string("Every hour") : "Every " + Plural(*step, "hour")) +
                  ", from " + Clock(hours[0], m) + " through " + Clock(hours.back(), m),
              false};
    }
  }
  if (total <= 8) return {ExplicitTimes(minutes, hours), true};
  std::string text = minutes.size() == 1 ? "At minute " + Number(minutes[0])
                                         : "At minutes " + DescribeValues(minutes, Number);
  if (all_hours) return {text + " past every hour", false};
  return {text + " past the hour" + HourWindows(hours, 0, 59), false};
}

bool CoversAll(const Values& v, int min, int max) {
  return static_cast<int>(v.size()) == max - min + 1;
}

std::string DescribeDomList(const Values& doms) {
  return doms.size() == 1 ? "on day " + Number(doms[0]) + " of the month"
                          : "on days " + DescribeValues(doms, Number) + " of the month";
}

std::string EveryDuration(int64_t seconds) {
  std::vector<std::string> parts;
  if (seconds >= 3600) parts.push_back(Plural(seconds / 3600, "hour"));
  if (seconds % 3600 >= 60) parts.push_back(Plural(seconds % 3600 / 60, "minute"));
  if (seconds % 60 != 0) parts.push_back(Plural(seconds % 60, "second"));
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

std::string ZoneSuffix(const std::optional<std::string>& zone) {
  if (!zone) return "";
  if (zone->empty()) return ", in UTC";
  if (*zone == "Local") return ", in the controller's time zone";
  return ", in " + *zone;
}

std::string Explain(const Schedule& s) {
  if (s.is_every()) {
    // The zone has no effect on @every (it adds a duration), so none is named.
    return "Every " + EveryDuration(s.every_seconds()) +
           ", counted from the previous scheduled time (the first from the CronJob's "
           "creation), not aligned to the clock";
  }
  const Values minutes = ValuesOf(s.minute_bits(), 0, 59);
  const Values hours = ValuesOf(s.hour_bits(), 0, 23);
  const Values doms = ValuesOf(s.dom_bits(), 1, 31);
  const Values months = ValuesOf(s.month_bits(), 1, 12);
  const Values dows = ValuesOf(s.dow_bits(), 0, 6);
  const char* empty_field = minutes.empty()  ? "minute"
                            : hours.empty()  ? "hour"
                            : months.empty() ? "month"
                                             : nullptr;
  if (empty_field != nullptr) {
    return std::string("Never: the ") + empty_field + " field lists no value";
  }
  const bool dom_star = (s.dom_bits() & kStarBit) != 0;
  const bool dow_star = (s.dow_bits() & kStarBit) != 0;

  // The days, as robfig's dayMatches decides them.
  enum { kEveryDay, kDomOnly, kDowOnly, kEither } days;
  if (dom_star || dow_star) {
    if (dom_star && dow_star) {
      days = kEveryDay;
    } else if (dom_star) {
      days = CoversAll(dows, 0, 6) ? kEveryDay : kDowOnly;
    } else {
      days = CoversAll(doms, 1, 31) ? kEveryDay : kDomOnly;
    }
  } else if (CoversAll(doms, 1, 31) || CoversAll(dows, 0, 6)) {
    days = kEveryDay;
  } else if (doms.empty()) {
    days = kDowOnly;
  } else if (dows.empty()) {
    days = kDomOnly;
  } else {
    days = kEither;
  }
  if ((days == kDomOnly && doms.empty()) || (days == kDowOnly && dows.empty())) {
    return std::string("Never: the day-of-") + (days == kDomOnly ? "month" : "week") +
           " field lists no value";
  }
  bool leap_only = false;
  if (days == kDomOnly) {
    bool possible = false, outside_february_29 = false;
    for (int m : months) {
      for (int d : doms) {
        if (d <= kMonthDays[m - 1]) {
          possible = true;
          if (!(m == 2 && d == 29)) outside_february_29 = true;
        }
      }
    }
    if (!possible) {
      return "Never: there is no day " + DescribeValues(doms, Number, "or") + " in " +
             DescribeMonths(months, "or");
    }
    leap_only = !outside_february_29;
  }

  TimePhrase time = DescribeTimes(minutes, hours);
  const bool all_months = months.size() == 12;
  const std::string in_months = all_months ? "" : "in " + DescribeMonths(months);
  std::string out = time.text;
  if (days == kEveryDay) {
    if (time.explicit_times) return out + " every day" + (all_months ? "" : " " + in_months);
    return out + (all_months ? "" : ", " + in_months);
  }
  std::string day_clause;
  if (days == kDomOnly && doms.size() == 1 && months.size() == 1) {
    day_clause = "on " + Number(doms[0]) + " " + kMonthNames[months[0] - 1];
  } else {
    if (days == kDomOnly) day_clause = DescribeDomList(doms);
    if (days == kDowOnly) day_clause = "on " + DescribeWeekdays(dows);
    if (days == kEither) day_clause = DescribeDomList(doms) + " or on " + DescribeWeekdays(dows);
    if (!all_months) day_clause += ", " + in_months;
  }
  if (leap_only) day_clause += " (only in leap years)";
  const bool comma = time.text.find(',') != std::string::npos;
  return out + (comma ? ", " : " ") + day_clause;
}

using Seconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

Seconds ToTp(UnixSeconds u) { return Seconds(std::chrono::seconds(u)); }

std::string Distance(int64_t d) {
  if (d == 0) return "now";
  const bool past = d < 0;
  const int64_t a = past ? -d : d;
  std::string amount;
  if (a < 60) {
    amount = std::to_string(a) + " s";
  } else if (a < 3600) {
    amount = std::to_string(a / 60) + " min";
  } else if (a < 86400) {
    amount = std::to_string(a / 3600) + " h";
    if (a % 3600 >= 60) amount += " " + std::to_string(a % 3600 / 60) + " min";
  } else {
    amount = std::to_string(a / 86400) + " d";
    if (a % 86400 >= 3600) amount += " " + std::to_string(a % 86400 / 3600) + " h";
  }
  return past ? amount + " ago" : "in " + amount;
}

}  // namespace

bool ExplainSchedule(const std::string& spec, std::string* words, std::string* error) {
  std::string scratch;
  if (error == nullptr) error = &scratch;
  std::optional<Schedule> s = Schedule::Parse(spec, error);
  if (!s) return false;
  if (s->zone_prefix() && *s->zone_prefix() != "Local") {
    cctz::time_zone zone;
    std::string zone_error;
    if (!LoadTimeZone(*s->zone_prefix(), &zone, &zone_error)) {
      // robfig fails the parse on an unknown zone, with the words ResolveSchedule reports.
      *error = "TZ prefix: " + zone_error;
      return false;
    }
  }
  *words = Explain(*s) + (s->is_every() ? "" : ZoneSuffix(s->zone_prefix()));
  return true;
}

std::string DescribeNextSlot(UnixSeconds next, UnixSeconds now, const cctz::time_zone& zone,
                             const std::string& zone_name) {
  const cctz::time_zone::absolute_lookup at = zone.lookup(ToTp(next));
  std::string abbr = at.abbr;
  bool letters = !abbr.empty();
  for (char c : abbr) letters = letters && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
  if (!letters) abbr += " " + zone_name;
  return cctz::format("%a %Y-%m-%d %H:%M ", ToTp(next), zone) + abbr + " (" + Distance(next - now) +
         ")";
}

std::vector<UnixSeconds> DstChanges(const cctz::time_zone& zone, UnixSeconds from, UnixSeconds to) {
  std::vector<UnixSeconds> out;
  Seconds t = ToTp(from);
  cctz::time_zone::civil_transition tr;
  while (zone.next_transition(t, &tr)) {
    const Seconds at = zone.lookup(tr.to).trans;
    if (at <= t) break;  // defensive: the walk must move forward
    const UnixSeconds u = at.time_since_epoch().count();
    if (u > to) break;
    if (zone.lookup(at - std::chrono::seconds(1)).offset != zone.lookup(at).offset) {
      out.push_back(u);
    }
    t = at;
  }
  return out;
}

}  // namespace batchwatch::cron
