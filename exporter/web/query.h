// Request parsing shared by the JSON API and the pages: query parameters, times, limits and the
// names a path may carry.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tracker/ledger_view.h"

namespace batchwatch::web {

// The largest `limit` accepted; larger ones are refused (400), not clamped: a client asking for
// more than exists should learn that the answer is bounded.
inline constexpr size_t kMaxLimit = 10000;

std::string UrlDecode(std::string_view s);  // '+' is a space; a bad %xx is kept as is
std::map<std::string, std::string> ParseQuery(std::string_view query);
std::vector<std::string> SplitPath(std::string_view path);  // "/a/b/" -> {"a", "b"}
// The way from the page at `raw_path` back to the root, for relative links: "./" for "/" (and
// "/x"), "../../" for "/cronjobs/ns/name". A browser resolves a relative link against the URL
// it asked for, whatever prefix a proxy put before the path, and counts only the literal '/'
// of that URL: `raw_path` must be the path as sent, before percent-decoding and dot-segment
// removal. "/cronjobs/ns/a%2Fb" is "../../"; its decoded form "/cronjobs/ns/a/b" would give
// "../../../", one level too far (out of a proxy's prefix).
std::string RelativeRoot(std::string_view raw_path);

// from, to (RFC 3339 or Unix seconds) and limit (1..kMaxLimit). false + *error on bad input.
bool ParseLedgerQuery(const std::map<std::string, std::string>& params, size_t default_limit,
                      tracker::LedgerQuery* out, std::string* error);
std::optional<batch::UnixSeconds> ParseTime(std::string_view v);

// Kubernetes name rules: a namespace is a DNS-1123 label, a CronJob name a DNS-1123 subdomain, a
// job group a label value, generateName or Job name ([A-Za-z0-9._-]; "_other" for the overflow).
bool ValidNamespace(std::string_view s);
bool ValidName(std::string_view s);
bool ValidGroup(std::string_view s);

}  // namespace batchwatch::web
