#include "web/query.h"

#include <cstdlib>

#include "cron/controller.h"

namespace batchwatch::web {

namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool AllOf(std::string_view s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

bool LowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string key = UrlDecode(item.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : UrlDecode(item.substr(eq + 1));
    out.emplace(std::move(key), std::move(value));  // the first of repeated keys wins
  }
  return out;
}

std::string RelativeRoot(std::string_view raw_path) {
  std::string root;
  // Each '/' after the first is one more directory level the browser resolves against (an
  // encoded %2F is not one, an empty segment is).
  for (size_t i = 1; i < raw_path.size(); ++i) {
    if (raw_path[i] == '/') root += "../";
  }
  return root.empty() ? "./" : root;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    if (slash != 0) out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path = path.substr(slash + 1);
  }
  return out;
}

std::optional<batch::UnixSeconds> ParseTime(std::string_view v) {
  if (v.empty()) return std::nullopt;
  size_t digits = v[0] == '-' ? 1 : 0;
  if (digits < v.size() && v.find_first_not_of("0123456789", digits) == std::string_view::npos) {
    if (v.size() - digits > 12) return std::nullopt;  // beyond year 33658: not a time
    return std::strtoll(std::string(v).c_str(), nullptr, 10);
  }
  return cron::ParseRfc3339(v);
}

bool ParseLedgerQuery(const std::map<std::string, std::string>& params, size_t default_limit,
                      tracker::LedgerQuery* out, std::string* error) {
  out->limit = default_limit;
  for (const char* key : {"from", "to"}) {
    auto it = params.find(key);
    if (it == params.end()) continue;
    auto t = ParseTime(it->second);
    if (!t) {
      *error = std::string(key) + ": \"" + it->second +
               "\" is neither an RFC 3339 time (2026-12-02T02:00:00Z) nor Unix seconds";
      return false;
    }
    (std::string(key) == "from" ? out->from : out->to) = *t;
  }
  if (out->from > out->to) {
    *error = "from is after to";
    return false;
  }
  if (auto it = params.find("limit"); it != params.end()) {
    const std::string& v = it->second;
    if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::strtoul(v.c_str(), nullptr, 10) < 1 ||
        std::strtoul(v.c_str(), nullptr, 10) > kMaxLimit) {
      *error = "limit: \"" + v + "\" is not a whole number from 1 to " + std::to_string(kMaxLimit);
      return false;
    }
    out->limit = std::strtoul(v.c_str(), nullptr, 10);
  }
  return true;
}

bool ValidNamespace(std::string_view s) {
  return !s.empty() && s.size() <= 63 &&
         AllOf(s, [](char c) { return LowerAlnum(c) || c == '-'; }) && s.front() != '-' &&
         s.back() != '-';
}

bool ValidName(std::string_view s) {
  return !s.empty() && s.size() <= 253 &&
         AllOf(s, [](char c) { return LowerAlnum(c) || c == '-' || c == '.'; }) &&
         LowerAlnum(s.front()) && LowerAlnum(s.back());
}

bool ValidGroup(std::string_view s) {
  return !s.empty() && s.size() <= 253 && AllOf(s, [](char c) {
    return LowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_';
  });
}

}  // namespace batchwatch::web
