// http::Gzip sizes its output for compressible text and grows it when the input does not
// compress: every kind of input must round-trip.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

#include "http/server.h"

namespace batchwatch::http {
namespace {

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
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
