#include "kube/json_fields.h"

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "cron/controller.h"

namespace batchwatch::kube::json {

using simdjson::ondemand::json_type;

void Problems::Set(std::string path, std::string why) {
  for (auto& item : items_) {
    if (item.first == path) {
      item.second = std::move(why);
      return;
    }
  }
  items_.emplace_back(std::move(path), std::move(why));
}

void Problems::ClearUnder(std::string_view path) {
  items_.erase(std::remove_if(items_.begin(), items_.end(),
                              [path](const auto& item) {
                                std::string_view p = item.first;
                                if (p.substr(0, path.size()) != path) return false;
                                return p.size() == path.size() || p[path.size()] == '.' ||
                                       p[path.size()] == '[';
                              }),
               items_.end());
}

bool Problems::Has(std::string_view path) const {
  for (const auto& item : items_) {
    if (item.first == path) return true;
  }
  return false;
}

std::string Problems::First() const {
  return items_.empty() ? std::string() : items_.front().first + items_.front().second;
}

simdjson::ondemand::value* Fields::Take(std::string_view key) {
  if (handled_ || key != key_) return nullptr;
  handled_ = true;
  return value_;
}

std::string Fields::Path(std::string_view key) const {
  std::string base = parent_ ? parent_->Path(key_in_parent_) : std::string(key_in_parent_);
  if (in_array_) base += "[]";
  if (!base.empty()) base += '.';
  base += key;
  return base;
}

void Fields::Problem(std::string_view key, Strictness s, std::string why) {
  if (lenient_ || s == kLenient) return;
  problems_->Set(Path(key), std::move(why));
}

bool Fields::TypeOf(simdjson::ondemand::value* v, json_type* t) {
  if (doc_->Fail(v->type().get(*t))) return false;
  // type() looks at the first byte only: "nul" or "n1" must not pass for an absent value.
  if (*t == json_type::null) Validate(v, *t);
  return doc_->syntax == simdjson::SUCCESS;
}

namespace {

std::string_view Token(simdjson::ondemand::value* v) {
  std::string_view t = v->raw_json_token();
  while (!t.empty() &&
         (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) {
    t.remove_suffix(1);
  }
  return t;
}

// The form the API server writes ("2024-03-28T10:40:00Z") directly; any other form, and any
// field out of range, goes to cron::ParseRfc3339 (cctz), which decides.
std::optional<UnixSeconds> Rfc3339(std::string_view t) {
  auto num = [&t](size_t at, size_t n, int* out) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, s;
  if (t.size() == 20 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
      t[16] == ':' && t[19] == 'Z' && num(0, 4, &y) && num(5, 2, &mo) && num(8, 2, &d) &&
      num(11, 2, &h) && num(14, 2, &mi) && num(17, 2, &s) && mo >= 1 && mo <= 12 && d >= 1 &&
      h <= 23 && mi <= 59 && s <= 59) {
    const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    const int month_days = mo == 2                                       ? 28 + leap
                           : (mo == 4 || mo == 6 || mo == 9 || mo == 11) ? 30
                                                                         : 31;
    if (d > month_days) return cron::ParseRfc3339(t);
    // Days from civil (Howard Hinnant's algorithm), for the proleptic Gregorian calendar.
    const int yy = y - (mo <= 2);
    const int era = yy / 400;
    const int yoe = yy - era * 400;
    const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t days = int64_t{era} * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return days * 86400 + h * 3600 + mi * 60 + s;
  }
  return cron::ParseRfc3339(t);
}

}  // namespace

void Fields::Validate(simdjson::ondemand::value* v, json_type t) {
  switch (t) {
    case json_type::string: {
      std::string_view s;
      doc_->Fail(v->get_string().get(s));
      return;
    }
    case json_type::number:
      if (ParseNumber(Token(v)).kind == Number::kInvalid) doc_->Fail(simdjson::NUMBER_ERROR);
      return;
    case json_type::boolean: {
      bool b;
      doc_->Fail(v->get_bool().get(b));
      return;
    }
    case json_type::null: {
      bool null = false;
      if (!doc_->Fail(v->is_null().get(null)) && !null) doc_->Fail(simdjson::N_ATOM_ERROR);
      return;
    }
    case json_type::object: {
      // A container where a scalar was expected: its text was never meant to be read, but it
      // is at a key we read, so it is held to the full grammar too (down to kMaxDepth levels).
      if (validate_depth_ >= kMaxDepth) return;
      ++validate_depth_;
      simdjson::ondemand::object obj;
      if (!doc_->Fail(v->get_object().get(obj))) {
        for (auto result : obj) {
          simdjson::ondemand::field field;
          std::string_view key;
          json_type t;
          if (doc_->Fail(std::move(result).get(field)) || !NextKey(field, &key) ||
              doc_->Fail(field.value().type().get(t))) {
            break;
          }
          Validate(&field.value(), t);
          if (doc_->syntax) break;
        }
      }
      --validate_depth_;
      return;
    }
    case json_type::array: {
      if (validate_depth_ >= kMaxDepth) return;
      ++validate_depth_;
      simdjson::ondemand::array arr;
      if (!doc_->Fail(v->get_array().get(arr))) {
        for (auto result : arr) {
          simdjson::ondemand::value ev;
          json_type t;
          if (doc_->Fail(std::move(result).get(ev)) || doc_->Fail(ev.type().get(t))) break;
          Validate(&ev, t);
          if (doc_->syntax) break;
        }
      }
      --validate_depth_;
      return;
    }
  }
}

int Fields::Integer(simdjson::ondemand::value* v, int64_t* out, std::string_view* token) {
  json_type t;
  if (!TypeOf(v, &t)) return -1;
  if (t != json_type::number) {
    Validate(v, t);
    return doc_->syntax ? -1 : 0;
  }
  *token = Token(v);
  Number n = ParseNumber(*token);
  if (n.kind == Number::kInvalid) {
    doc_->Fail(simdjson::NUMBER_ERROR);
    return -1;
  }
  *out = n.value;
  if (n.kind != Number::kInteger) return 0;
  return n.above_int64 ? 2 : 1;
}

bool Fields::NextKey(simdjson::ondemand::field& field, std::string_view* key) {
  // Keys at the levels we read are short and almost never escaped: find the closing quote in
  // place and unescape only when there is a backslash before it.
  const char* raw = field.key().raw();
  const void* quote = std::memchr(raw, '"', static_cast<size_t>(doc_->end - raw));
  if (quote != nullptr) {
    const size_t n = static_cast<size_t>(static_cast<const char*>(quote) - raw);
    if (std::memchr(raw, '\\', n) == nullptr) {
      *key = std::string_view(raw, n);
      return true;
    }
  }
  return !doc_->Fail(field.unescaped_key().get(*key));
}

void Fields::ReadString(std::string_view key, std::string* out, Strictness s) {
  if (mode_ == Mode::kReset) return out->clear();
  simdjson::ondemand::value* v = Take(key);
  if (v == nullptr) return;
  if (!problems_->empty()) problems_->ClearUnder(Path(key));
  out->clear();
  json_type t;
  if (!TypeOf(v, &t) || t == json_type::null) return;
  if (t != json_type::string) {
    Validate(v, t);
    return Problem(key, s, " is not a string");
  }
  std::string_view text;
  if (!doc_->Fail(v->get_string().get(text))) out->assign(text.data(), text.size());
}

void Fields::ReadString(std::string_view key, std::optional<std::string>* out, Strictness s) {
  if (mode_ == Mode::kReset) return out->reset();
  if (handled_ || key != key_) return;
  json_type t;
  if (!TypeOf(value_, &t)) return;
  if (t == json_type::null) {
    handled_ = true;
    if (!problems_->empty()) problems_->ClearUnder(Path(key));
    return out->reset();
  }
  std::string text;
  String(key, &text, s);
  if (t == json_type::string)
    *out = std::move(text);
  else
    out->reset();
}

template <typename T>
void Fields::ReadInt(std::string_view key, std::optional<T>* out, Strictness s) {
  if (mode_ == Mode::kReset) return out->reset();
  simdjson::ondemand::value* v = Take(key);
  if (v == nullptr) return;
  if (!problems_->empty()) problems_->ClearUnder(Path(key));
  out->reset();
  json_type t;
  if (!TypeOf(v, &t) || t == json_type::null) return;
  int64_t value = 0;
  std::string_view token;
  switch (Integer(v, &value, &token)) {
    case 1:
      if (value >= std::numeric_limits<T>::min() && value <= std::numeric_limits<T>::max()) {
        *out = static_cast<T>(value);
        return;
      }
      [[fallthrough]];
    case 2:
      // Never wrapped into range (2147483648 would read as -2147483648) nor clamped.
      return Problem(key, s,
                     " " + std::string(token.substr(0, 32)) + " is outside " +
                         (sizeof(T) == sizeof(int32_t) ? "int32" : "int64"));
    case 0:
      return Problem(key, s, " is not an integer");
    default:
      return;
  }
}

template void Fields::ReadInt(std::string_view, std::optional<int32_t>*, Strictness);
template void Fields::ReadInt(std::string_view, std::optional<int64_t>*, Strictness);

void Fields::ReadInt(std::string_view key, int32_t* out, Strictness s) {
  if (mode_ == Mode::kReset) {
    *out = 0;
    return;
  }
  std::optional<int32_t> v;
  ReadInt<int32_t>(key, &v, s);
  if (handled_ && key == key_) *out = v.value_or(0);
}

void Fields::ReadBool(std::string_view key, bool* out, Strictness s) {
  if (mode_ == Mode::kReset) {
    *out = false;
    return;
  }
  simdjson::ondemand::value* v = Take(key);
  if (v == nullptr) return;
  if (!problems_->empty()) problems_->ClearUnder(Path(key));
  *out = false;
  json_type t;
  if (!TypeOf(v, &t) || t == json_type::null) return;
  if (t != json_type::boolean) {
    Validate(v, t);
    return Problem(key, s, " is not a boolean");
  }
  doc_->Fail(v->get_bool().get(*out));
}

void Fields::ReadTime(std::string_view key, std::optional<UnixSeconds>* out, Strictness s) {
  if (mode_ == Mode::kReset) return out->reset();
  simdjson::ondemand::value* v = Take(key);
  if (v == nullptr) return;
  if (!problems_->empty()) problems_->ClearUnder(Path(key));
  out->reset();
  json_type t;
  if (!TypeOf(v, &t) || t == json_type::null) return;
  if (t != json_type::string) {
    Validate(v, t);
    return Problem(key, s, " is not a string");
  }
  std::string_view text;
  if (doc_->Fail(v->get_string().get(text)) || text.empty()) return;
  *out = Rfc3339(text);
  if (!*out) {
    Problem(key, s, " is not an RFC 3339 time: " + std::string(text.substr(0, 64)));
  }
}

void Fields::ReadTime(std::string_view key, UnixSeconds* out, Strictness s) {
  if (mode_ == Mode::kReset) {
    *out = 0;
    return;
  }
  std::optional<UnixSeconds> t;
  Time(key, &t, s);
  if (handled_ && key == key_) *out = t.value_or(0);
}

void Fields::ReadEquals(std::string_view key, std::string_view want, bool* out) {
  if (mode_ == Mode::kReset) {
    *out = false;
    return;
  }
  std::string text;
  String(key, &text, kLenient);
  if (handled_ && key == key_) *out = text == want;
}

Number ParseNumber(std::string_view token) {
  Number n;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(token.data());
  const unsigned char* const end = p + token.size();
  auto digit = [](unsigned char c) { return c >= '0' && c <= '9'; };
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  if (p >= end || !digit(*p)) return n;
  uint64_t value = 0;
  bool overflow = false;
  if (*p == '0') {
    ++p;
  } else {
    while (p < end && digit(*p)) {
      const unsigned d = *p++ - '0';
      if (value > (UINT64_MAX - d) / 10) overflow = true;
      value = value * 10 + d;
    }
  }
  bool is_float = false, exponent = false;
  if (p < end && *p == '.') {
    ++p;
    if (p >= end || !digit(*p)) return n;
    while (p < end && digit(*p)) ++p;
    is_float = true;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !digit(*p)) return n;
    while (p < end && digit(*p)) ++p;
    is_float = exponent = true;
  }
  if (p != end) return n;
  // nlohmann: unsigned without a minus, signed with one when it fits, else a float.
  if (!is_float && !overflow && (!negative || value <= static_cast<uint64_t>(INT64_MAX) + 1)) {
    n.kind = Number::kInteger;
    n.value = negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
    n.above_int64 = !negative && value > static_cast<uint64_t>(INT64_MAX);
    return n;
  }
  // Only an exponent or more than 308 integer digits can leave the range of a double, which
  // nlohmann rejects.
  if (exponent || token.size() > 300) {
    std::string text(token);
    const char point = *std::localeconv()->decimal_point;
    if (point != '.') std::replace(text.begin(), text.end(), '.', point);
    if (!std::isfinite(std::strtod(text.c_str(), nullptr))) return n;
  }
  n.kind = Number::kFloat;
  return n;
}

PaddedText::PaddedText(std::string_view text) {
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF) {
    text.remove_prefix(3);
  }
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    text = text.substr(0, static_cast<size_t>(static_cast<const char*>(nul) - text.data()));
  }
  constexpr size_t kReused = 1 << 20;
  thread_local std::string reused;
  std::string* buf = text.size() <= kReused ? &reused : &owned_;
  if (buf->size() < text.size() + simdjson::SIMDJSON_PADDING) {
    buf->resize(text.size() + simdjson::SIMDJSON_PADDING);
  }
  if (!text.empty()) std::memcpy(buf->data(), text.data(), text.size());
  std::memset(buf->data() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  data_ = buf->data();
  size_ = text.size();
}

simdjson::ondemand::parser& LineParser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

}  // namespace batchwatch::kube::json
