// Prometheus text format 0.0.4 building blocks: label escaping, numbers, family headers and
// histograms with fixed buckets. Appends into caller-owned strings (no allocation of its own).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace batchwatch::metrics {

// Escapes a label value: backslash, double quote and line feed.
void AppendLabelValue(std::string* out, std::string_view value);
// Integers print without exponent; other values as the shortest round-trip form; +Inf/-Inf/NaN.
void AppendNumber(std::string* out, double value);
// Decimal, as std::to_string, without allocating.
void AppendInt(std::string* out, int64_t value);
void AppendUint(std::string* out, uint64_t value);
// "# HELP name help\n# TYPE name type\n".
void AppendHeader(std::string* out, std::string_view name, std::string_view help,
                  std::string_view type);

// The buckets of docs/metrics.md.
inline constexpr std::array<double, 15> kDurationBuckets = {
    1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400};
inline constexpr std::array<double, 12> kStartDelayBuckets = {0.5, 1,   2,   5,   10,   30,
                                                              60,  120, 300, 600, 1800, 3600};

// Non-cumulative counts per bucket (the last one is +Inf); rendered cumulatively.
template <size_t N>
struct Histogram {
  std::array<uint64_t, N + 1> counts{};
  double sum = 0;
  uint64_t count = 0;

  void Observe(double v, const std::array<double, N>& bounds) {
    size_t i = 0;
    while (i < N && v > bounds[i]) ++i;
    ++counts[i];
    sum += v;
    ++count;
  }
};

// Appends `<name>_bucket{<labels>,le="..."} n` lines, `_sum` and `_count`. `labels` is the
// rendered label list without braces (may be empty).
template <size_t N>
void AppendHistogram(std::string* out, std::string_view name, std::string_view labels,
                     const Histogram<N>& h, const std::array<double, N>& bounds) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= N; ++i) {
    cumulative += h.counts[i];
    out->append(name);
    out->append("_bucket{");
    out->append(labels);
    if (!labels.empty()) out->push_back(',');
    out->append("le=\"");
    if (i < N) {
      AppendNumber(out, bounds[i]);
    } else {
      out->append("+Inf");
    }
    out->append("\"} ");
    AppendInt(out, static_cast<int64_t>(cumulative));
    out->push_back('\n');
  }
  out->append(name);
  out->append("_sum{");
  out->append(labels);
  out->append("} ");
  AppendNumber(out, h.sum);
  out->push_back('\n');
  out->append(name);
  out->append("_count{");
  out->append(labels);
  out->append("} ");
  AppendInt(out, static_cast<int64_t>(h.count));
  out->push_back('\n');
}

}  // namespace batchwatch::metrics
