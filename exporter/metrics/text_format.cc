#include "metrics/text_format.h"

#include <charconv>
#include <cmath>

namespace batchwatch::metrics {

void AppendLabelValue(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

void AppendInt(std::string* out, int64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, res.ptr);
}

void AppendUint(std::string* out, uint64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, res.ptr);
}

void AppendNumber(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    AppendInt(out, static_cast<int64_t>(value));
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, res.ptr);
}

void AppendHeader(std::string* out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out->append("# HELP ");
  out->append(name);
  out->push_back(' ');
  out->append(help);
  out->append("\n# TYPE ");
  out->append(name);
  out->push_back(' ');
  out->append(type);
  out->push_back('\n');
}

}  // namespace batchwatch::metrics
