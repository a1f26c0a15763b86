#include "metrics/metric_info.h"

#include "metrics/text_format.h"

namespace batchwatch::metrics {

const char* TypeName(Type t) {
  switch (t) {
    case Type::kGauge:
      return "gauge";
    case Type::kCounter:
      return "counter";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::vector<std::string_view> LabelNames(const MetricInfo& m) {
  std::vector<std::string_view> names;
  std::string_view rest = m.labels;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    names.push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return names;
}

void AppendHeader(std::string* out, const MetricInfo& m) {
  AppendHeader(out, m.name, m.help, TypeName(m.type));
}

void AppendSample(std::string* out, const MetricInfo& m,
                  std::initializer_list<std::string_view> label_values, double value) {
  out->append(m.name);
  std::string_view names = m.labels;
  const char* sep = "{";
  for (std::string_view v : label_values) {
    const size_t comma = names.find(',');
    out->append(sep);
    out->append(names.substr(0, comma));
    out->append("=\"");
    AppendLabelValue(out, v);
    out->push_back('"');
    names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
    sep = ",";
  }
  if (*sep == ',') out->push_back('}');
  out->push_back(' ');
  AppendNumber(out, value);
  out->push_back('\n');
}

}  // namespace batchwatch::metrics
