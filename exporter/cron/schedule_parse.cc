// The cron spec grammar of robfig/cron v3.0.1 ParseStandard, reproduced rule by rule: what it
// accepts and what it rejects, including Go's strings.Fields, strconv.Atoi and
// time.ParseDuration behaviour. Error messages are ours: they name the field and the problem.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cron/schedule.h"

namespace batchwatch::cron {
namespace {

constexpr uint64_t kStarBit = uint64_t{1} << 63;

struct Bounds {
  int min;
  int max;
  const char* const* names;  // lower-case names for min..max, or nullptr
  const char* label;         // "minute", "day of week", ...
  int number;                // 1-based field position in a 5-field spec
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDowNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr Bounds kMinute{0, 59, nullptr, "minute", 1};
constexpr Bounds kHour{0, 23, nullptr, "hour", 2};
constexpr Bounds kDom{1, 31, nullptr, "day of month", 3};
constexpr Bounds kMonth{1, 12, kMonthNames, "month", 4};
constexpr Bounds kDow{0, 6, kDowNames, "day of week", 5};

// Decodes one UTF-8 rune as Go does: invalid bytes decode as U+FFFD with width 1.
uint32_t DecodeRune(std::string_view s, size_t i, size_t* width) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  *width = 1;
  if (c < 0x80) return c;
  auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF && cont(i + 1)) {
    *width = 2;
    return ((c & 0x1Fu) << 6) | (b(i + 1) & 0x3Fu);
  }
  if (c >= 0xE0 && c <= 0xEF && cont(i + 1) && cont(i + 2)) {
    uint32_t r = ((c & 0x0Fu) << 12) | ((b(i + 1) & 0x3Fu) << 6) | (b(i + 2) & 0x3Fu);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) {
      *width = 3;
      return r;
    }
    return 0xFFFD;
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
    uint32_t r = ((c & 0x07u) << 18) | ((b(i + 1) & 0x3Fu) << 12) | ((b(i + 2) & 0x3Fu) << 6) |
                 (b(i + 3) & 0x3Fu);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      *width = 4;
      return r;
    }
  }
  return 0xFFFD;
}

// Go's unicode.IsSpace.
bool IsGoSpace(uint32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// strings.Fields.
std::vector<std::string_view> GoFields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0, start = 0;
  bool in_field = false;
  while (i < s.size()) {
    size_t w;
    bool space = IsGoSpace(DecodeRune(s, i, &w));
    if (space && in_field) {
      out.push_back(s.substr(start, i - start));
      in_field = false;
    } else if (!space && !in_field) {
      start = i;
      in_field = true;
    }
    i += w;
  }
  if (in_field) out.push_back(s.substr(start));
  return out;
}

// strings.TrimSpace.
std::string_view GoTrimSpace(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t w;
    if (!IsGoSpace(DecodeRune(s, i, &w))) break;
    i += w;
  }
  s.remove_prefix(i);
  // Trailing: walk forward remembering where the last non-space rune ended.
  size_t end = 0;
  i = 0;
  while (i < s.size()) {
    size_t w;
    bool space = IsGoSpace(DecodeRune(s, i, &w));
    i += w;
    if (!space) end = i;
  }
  return s.substr(0, end);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string FieldPrefix(const Bounds& b) {
  return "field " + std::to_string(b.number) + " (" + b.label + "): ";
}

// strconv.Atoi in base 10: optional sign, decimal digits, int64 range.
bool GoAtoi(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
    if (s.empty()) return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v > (uint64_t{1} << 63) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > (uint64_t{1} << 63)) return false;
  }
  if (!neg && v > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

// Go's strings.ToLower for the only runes that can turn a name into an ASCII one: ASCII letters,
// U+0130 (capital I with dot) -> 'i', U+212A (Kelvin sign) -> 'k'.
std::string GoLowerForNames(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t w;
    uint32_t r = DecodeRune(s, i, &w);
    if (r == 0x130) {
      out += 'i';
    } else if (r == 0x212A) {
      out += 'k';
    } else if (w == 1 && r >= 'A' && r <= 'Z') {
      out += static_cast<char>(r - 'A' + 'a');
    } else {
      out.append(s.substr(i, w));
    }
    i += w;
  }
  return out;
}

// A number or (for month and weekday) a name. Values are unsigned as in robfig.
bool ParseValue(std::string_view expr, const Bounds& b, uint64_t* out, std::string* error) {
  if (b.names != nullptr) {
    std::string lower = GoLowerForNames(expr);
    for (int v = b.min; v <= b.max; ++v) {
      if (lower == b.names[v - b.min]) {
        *out = static_cast<uint64_t>(v);
        return true;
      }
    }
  }
  int64_t n = 0;
  if (!GoAtoi(expr, &n)) {
    *error = FieldPrefix(b) + Quote(expr) + " is not a number" +
             (b.names != nullptr ? std::string(" or a ") + b.label + " name" : std::string());
    return false;
  }
  if (n < 0) {
    *error = FieldPrefix(b) + "negative number " + std::string(expr) + " is not allowed";
    return false;
  }
  *out = static_cast<uint64_t>(n);
  return true;
}

bool ParseRange(std::string_view expr, const Bounds& b, uint64_t* bits, std::string* error) {
  std::vector<std::string_view> range_and_step = Split(expr, '/');
  std::vector<std::string_view> low_and_high = Split(range_and_step[0], '-');
  bool single = low_and_high.size() == 1;
  uint64_t start, end, step = 1, extra = 0;
  const auto min = static_cast<uint64_t>(b.min), max = static_cast<uint64_t>(b.max);
  if (low_and_high[0] == "*" || low_and_high[0] == "?") {
    // robfig ignores anything after "*-": "*-5" means "*".
    start = min;
    end = max;
    extra = kStarBit;
  } else {
    if (!ParseValue(low_and_high[0], b, &start, error)) return false;
    if (low_and_high.size() == 1) {
      end = start;
    } else if (low_and_high.size() == 2) {
      if (!ParseValue(low_and_high[1], b, &end, error)) return false;
    } else {
      *error = FieldPrefix(b) + "too many hyphens in " + Quote(expr);
      return false;
    }
  }
  if (range_and_step.size() == 2) {
    int64_t n = 0;
    if (!GoAtoi(range_and_step[1], &n)) {
      *error = FieldPrefix(b) + "step " + Quote(range_and_step[1]) + " is not a number";
      return false;
    }
    if (n < 0) {
      *error =
          FieldPrefix(b) + "negative step " + std::string(range_and_step[1]) + " is not allowed";
      return false;
    }
    step = static_cast<uint64_t>(n);
    if (single) end = max;  // "N/step" means "N-max/step"
    if (step > 1) extra = 0;
  } else if (range_and_step.size() > 2) {
    *error = FieldPrefix(b) + "too many slashes in " + Quote(expr);
    return false;
  }
  const bool is_range = low_and_high.size() == 2 && extra == 0;
  if (start < min) {
    *error = FieldPrefix(b) + (is_range ? "range start " : "") + std::to_string(start) +
             " is below the minimum " + std::to_string(min);
    return false;
  }
  if (start > max) {
    *error = FieldPrefix(b) + (is_range ? "range start " : "") + std::to_string(start) +
             " is above the maximum " + std::to_string(max);
    return false;
  }
  if (end > max) {
    *error = FieldPrefix(b) + "range end " + std::to_string(end) + " is above the maximum " +
             std::to_string(max);
    return false;
  }
  if (start > end) {
    *error = FieldPrefix(b) + "range start " + std::to_string(start) + " is beyond its end " +
             std::to_string(end) + " in " + Quote(expr);
    return false;
  }
  if (step == 0) {
    *error = FieldPrefix(b) + "step must be a positive number in " + Quote(expr);
    return false;
  }
  uint64_t out = 0;
  for (uint64_t i = start; i <= end; i += step) out |= uint64_t{1} << i;
  *bits = out | extra;
  return true;
}

bool ParseField(std::string_view field, const Bounds& b, uint64_t* bits, std::string* error) {
  uint64_t out = 0;
  for (std::string_view expr : Split(field, ',')) {
    if (expr.empty()) continue;  // strings.FieldsFunc drops empty items
    uint64_t r;
    if (!ParseRange(expr, b, &r, error)) return false;
    out |= r;
  }
  *bits = out;
  return true;
}

uint64_t All(const Bounds& b) {
  uint64_t out = 0;
  for (int i = b.min; i <= b.max; ++i) out |= uint64_t{1} << i;
  return out | kStarBit;
}

// time.ParseDuration; returns nanoseconds.
bool GoParseDuration(std::string_view orig, int64_t* out, std::string* error) {
  std::string_view s = orig;
  auto invalid = [&] {
    *error = "invalid duration " + Quote(orig);
    return false;
  };
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t d = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    *out = 0;
    return true;
  }
  if (s.empty()) return invalid();
  while (!s.empty()) {
    uint64_t v = 0, f = 0;
    double scale = 1;
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return invalid();
    size_t pl = s.size();
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (v > kMax / 10) return invalid();
      v = v * 10 + static_cast<uint64_t>(s[i] - '0');
      if (v > kMax) return invalid();
    }
    s.remove_prefix(i);
    bool pre = pl != s.size();
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t pl2 = s.size();
      bool overflow = false;
      size_t j = 0;
      for (; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j) {
        if (overflow) continue;
        if (f > (kMax - 1) / 10) {
          overflow = true;
          continue;
        }
        uint64_t y = f * 10 + static_cast<uint64_t>(s[j] - '0');
        if (y > kMax) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      s.remove_prefix(j);
      post = pl2 != s.size();
    }
    if (!pre && !post) return invalid();
    size_t u = 0;
    for (; u < s.size(); ++u) {
      char c = s[u];
      if (c == '.' || (c >= '0' && c <= '9')) break;
    }
    if (u == 0) {
      *error = "missing unit in duration " + Quote(orig);
      return false;
    }
    std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit;
    if (unit_name == "ns") {
      unit = 1;
    } else if (unit_name == "us" || unit_name == "\xC2\xB5s" || unit_name == "\xCE\xBCs") {
      unit = 1000;
    } else if (unit_name == "ms") {
      unit = 1000000;
    } else if (unit_name == "s") {
      unit = 1000000000;
    } else if (unit_name == "m") {
      unit = 60000000000;
    } else if (unit_name == "h") {
      unit = 3600000000000;
    } else {
      *error = "unknown unit " + Quote(unit_name) + " in duration " + Quote(orig);
      return false;
    }
    if (v > kMax / unit) return invalid();
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kMax) return invalid();
    }
    d += v;
    if (d > kMax) return invalid();
  }
  if (neg) {
    *out = static_cast<int64_t>(0 - d);
    return true;
  }
  if (d > kMax - 1) return invalid();
  *out = static_cast<int64_t>(d);
  return true;
}

}  // namespace

std::optional<Schedule> Schedule::Parse(std::string_view spec, std::string* error) {
  std::string scratch;
  if (error == nullptr) error = &scratch;
  if (spec.empty()) {
    *error = "empty schedule";
    return std::nullopt;
  }
  Schedule s;
  if (spec.substr(0, 3) == "TZ=" || spec.substr(0, 8) == "CRON_TZ=") {
    size_t space = spec.find(' ');
    size_t eq = spec.find('=');
    if (space == std::string_view::npos) {
      // robfig v3.0.1 slices with index -1 here and panics; Kubernetes never accepts it.
      *error = "the " + std::string(spec.substr(0, eq + 1)) +
               " prefix must be followed by a space and the schedule";
      return std::nullopt;
    }
    s.zone_prefix_ = std::string(spec.substr(eq + 1, space - eq - 1));
    spec = GoTrimSpace(spec.substr(space));
  }
  if (!spec.empty() && spec[0] == '@') {
    const uint64_t sec0 = 1;
    if (spec == "@yearly" || spec == "@annually") {
      s.second_ = sec0, s.minute_ = 1, s.hour_ = 1, s.dom_ = 1u << 1, s.month_ = 1u << 1;
      s.dow_ = All(kDow);
    } else if (spec == "@monthly") {
      s.second_ = sec0, s.minute_ = 1, s.hour_ = 1, s.dom_ = 1u << 1, s.month_ = All(kMonth);
      s.dow_ = All(kDow);
    } else if (spec == "@weekly") {
      s.second_ = sec0, s.minute_ = 1, s.hour_ = 1, s.dom_ = All(kDom), s.month_ = All(kMonth);
      s.dow_ = 1;
    } else if (spec == "@daily" || spec == "@midnight") {
      s.second_ = sec0, s.minute_ = 1, s.hour_ = 1, s.dom_ = All(kDom), s.month_ = All(kMonth);
      s.dow_ = All(kDow);
    } else if (spec == "@hourly") {
      s.second_ = sec0, s.minute_ = 1, s.hour_ = All(kHour), s.dom_ = All(kDom);
      s.month_ = All(kMonth), s.dow_ = All(kDow);
    } else if (spec.substr(0, 7) == "@every ") {
      int64_t ns = 0;
      std::string derr;
      if (!GoParseDuration(spec.substr(7), &ns, &derr)) {
        *error = "@every: " + derr;
        return std::nullopt;
      }
      // robfig's Every(): below one second becomes one second, then whole seconds.
      s.every_seconds_ = ns < 1000000000 ? 1 : ns / 1000000000;
    } else {
      *error = "unrecognized descriptor " + Quote(spec) +
               " (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly "
               "or @every <duration>)";
      return std::nullopt;
    }
    return s;
  }
  std::vector<std::string_view> fields = GoFields(spec);
  if (fields.size() != 5) {
    *error = "expected exactly 5 fields (minute hour day-of-month month day-of-week), found " +
             std::to_string(fields.size()) + " in " + Quote(spec);
    return std::nullopt;
  }
  s.second_ = 1;
  if (!ParseField(fields[0], kMinute, &s.minute_, error) ||
      !ParseField(fields[1], kHour, &s.hour_, error) ||
      !ParseField(fields[2], kDom, &s.dom_, error) ||
      !ParseField(fields[3], kMonth, &s.month_, error) ||
      !ParseField(fields[4], kDow, &s.dow_, error)) {
    return std::nullopt;
  }
  return s;
}

}  // namespace batchwatch::cron
