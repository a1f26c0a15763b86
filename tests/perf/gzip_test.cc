// http::Gzip sizes its output for compressible text and grows it when the input does not
// compress: every kind of input must round-trip.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

#include "gunzip.h"
#include "http/server.h"

namespace batchwatch::http {
namespace {

std::string Gunzip(const std::string& in) {
  int rc = 0;
  size_t left = 0;
  std::string out = testing::Gunzip(in, &rc, &left);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

std::string RandomBytes(size_t n) {
  std::mt19937 rnd(3);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rnd());
  return s;
}

std::string MetricsText(size_t lines) {
  std::string s;
  for (size_t i = 0; i < lines; ++i) {
    s += "batchwatch_job_active_pods{namespace=\"team-" + std::to_string(i % 300) +
         "\",job_name=\"report-" + std::to_string(i) + "\"} 1\n";
  }
  return s;
}

TEST(Gzip, RoundTripsEveryKindOfInput) {
  struct Case {
    const char* name;
    std::string input;
  } cases[] = {
      {"empty", ""},
      {"one byte", "x"},
      {"metrics text", MetricsText(100000)},
      {"incompressible (output larger than the first guess)", RandomBytes(1 << 20)},
      {"tiny incompressible", RandomBytes(100)},
  };
  for (const auto& c : cases) {
    std::string gz = Gzip(c.input);
    ASSERT_FALSE(gz.empty()) << c.name;
    EXPECT_EQ(Gunzip(gz), c.input) << c.name;
  }
}

}  // namespace
}  // namespace batchwatch::http
