// One metric of the contract as /metrics declares it: name, type, HELP text and the names of its
// labels. The rows of the contract are tables of these (tracker/metric_table.h for the tracker's
// families, metrics/self_metrics.h for the exporter's own); /metrics HELP and TYPE lines,
// tests/alerts/metric_contract.txt and docs/metrics.md's tables all come from those rows.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace batchwatch::metrics {

enum class Type : uint8_t { kGauge, kCounter, kHistogram };
const char* TypeName(Type t);  // "gauge", "counter", "histogram"

struct MetricInfo {
  const char* name;
  Type type;
  const char* help;
  // Comma-separated, in the order series carry them ("" for none). Histograms add `le` to
  // their _bucket series.
  const char* labels;
};

std::vector<std::string_view> LabelNames(const MetricInfo& m);

// "# HELP name help\n# TYPE name type\n".
void AppendHeader(std::string* out, const MetricInfo& m);
// `name{label1="v1",...} value\n` with the row's label names and these values, in order (as
// many values as the row has labels).
void AppendSample(std::string* out, const MetricInfo& m,
                  std::initializer_list<std::string_view> label_values, double value);

}  // namespace batchwatch::metrics
