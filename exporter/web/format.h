// Text pieces shared by the JSON API and the pages: times, durations, HTML escaping. The Append*
// forms write straight into the caller's buffer: a fleet of 10,000 rows rendered anew calls them
// hundreds of thousands of times, and the string-returning forms allocate each time.
#pragma once

#include <cctz/time_zone.h>

#include <optional>
#include <string>
#include <string_view>

#include "batch/objects.h"
#include "metrics/text_format.h"

namespace batchwatch::web {

std::string Rfc3339Utc(batch::UnixSeconds t);  // 2026-12-02T02:00:00Z
void AppendRfc3339Utc(std::string* out, batch::UnixSeconds t);
// "Tue 2026-12-02 02:00 CST" in `zone`.
std::string LocalTime(batch::UnixSeconds t, const cctz::time_zone& zone);
void AppendLocalTime(std::string* out, batch::UnixSeconds t, const cctz::time_zone& zone);
std::string HumanDuration(int64_t seconds);  // "5 h 12 min", "40 s", "3 d 4 h"
// Decimal integers: metrics::AppendInt and metrics::AppendUint (metrics/text_format.h).
using metrics::AppendInt;
using metrics::AppendUint;
// &, <, >, " and ' escaped: safe in text and in quoted attribute values.
void AppendHtml(std::string* out, std::string_view s);
std::string Html(std::string_view s);
// A path segment for a link (percent-encodes everything but unreserved characters).
std::string UrlSegment(std::string_view s);
void AppendUrlSegment(std::string* out, std::string_view s);
// The zone by name; UTC when it cannot be loaded.
cctz::time_zone Zone(const std::string& name);

}  // namespace batchwatch::web
