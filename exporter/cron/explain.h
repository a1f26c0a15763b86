// A cron schedule in English words, the next slot as a person reads it, and the DST changes of a
// zone: what the status page and `batchwatch schedule --explain` show. Pure.
//
// The words are derived from the parsed bit sets (not from the text), so they describe exactly
// the set of times the schedule matches: "0 2 * * *" -> "At 02:00 every day",
// "*/15 9-17 * * 1-5" -> "Every 15 minutes, from 09:00 through 17:45, on Monday through Friday".
// Lists of numbers are "a, b and c", "a through b" (inclusive), or "a, b, c, ..., z" for an
// arithmetic progression (the first three values give the step). Times are the zone's wall
// clock: on a DST change day a skipped local time does not fire and a repeated one fires twice;
// the words do not say so, DstChanges() finds those days.
#pragma once

#include <cctz/time_zone.h>

#include <string>
#include <vector>

#include "cron/schedule.h"

namespace batchwatch::cron {

// `spec` as written in a CronJob, optionally with a TZ=/CRON_TZ= prefix (then the words end with
// ", in ZONE"). On success sets *words and returns true; on a schedule robfig/cron refuses
// (including an unknown zone in the prefix) returns false and sets *error to the parser's
// message. A schedule that parses but can never fire (e.g. "0 0 30 2 *") is explained with the
// reason ("Never: ...").
bool ExplainSchedule(const std::string& spec, std::string* words, std::string* error);

// "Tue 2026-12-02 02:00 CST (in 5 h 12 min)": `next` in `zone` with the zone's abbreviation, and
// how far it is from `now` ("in 42 s", "in 12 min", "in 5 h 12 min", "in 2 d 3 h", "now",
// "12 min ago"; truncated, never rounded up). Where the zone has no letter abbreviation (tzdata
// writes "-03"), `zone_name` follows it: "... 02:00 -03 America/Sao_Paulo (in 1 h)".
std::string DescribeNextSlot(UnixSeconds next, UnixSeconds now, const cctz::time_zone& zone,
                             const std::string& zone_name);

// The instants t with from < t <= to at which the zone's UTC offset changes (the first second of
// the new offset), ascending. Transitions that change only the abbreviation or the DST flag are
// not included.
std::vector<UnixSeconds> DstChanges(const cctz::time_zone& zone, UnixSeconds from, UnixSeconds to);

}  // namespace batchwatch::cron
