// The shared byte helpers (exporter/text): the two base64 rules side by side, JSON quoting and
// whole-file reads.
#include <gtest/gtest.h>

#include <string>

#include "text/base64.h"
#include "text/json_string.h"
#include "text/read_file.h"

namespace batchwatch::text {
namespace {

struct Base64Case {
  const char* in;
  bool lenient_ok;
  bool strict_ok;
  const char* out;  // when decoded
};

TEST(Base64, LenientForKubeconfigStrictForAuthorization) {
  const Base64Case cases[] = {
      {"dXNlcjpwYXNz", true, true, "user:pass"},
      {"YQ==", true, true, "a"},
      {"YWI=", true, true, "ab"},
      {"YQ", true, false, "a"},                          // padding optional only when lenient
      {"dXNl\ncjpw\r\nYXNz", true, false, "user:pass"},  // PEM-style line breaks
      {"-_8=", true, false, "\xfb\xff"},                 // URL-safe alphabet
      {"+/8=", true, true, "\xfb\xff"},
      {"YQ=a", false, false, ""},  // data after padding
      {"Y===", false, false, ""},
      {"@@@@", false, false, ""},
      {"", true, true, ""},
  };
  for (const auto& c : cases) {
    std::string lenient, strict;
    EXPECT_EQ(DecodeBase64Lenient(c.in, &lenient), c.lenient_ok) << c.in;
    EXPECT_EQ(DecodeBase64Strict(c.in, &strict), c.strict_ok) << c.in;
    if (c.lenient_ok) {
      EXPECT_EQ(lenient, c.out) << c.in;
    }
    if (c.strict_ok) {
      EXPECT_EQ(strict, c.out) << c.in;
    }
  }
}

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(JsonString(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(JsonString("Zürich"), "\"Zürich\"");
  std::string out = "x=";
  AppendJsonString(&out, "y");
  EXPECT_EQ(out, "x=\"y\"");
}

// Escapes at the start, the end, next to each other and between plain runs (the writer appends
// plain runs at once).
TEST(JsonString, EscapesAnywhereInTheString) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"", R"("")"},
      {"\"", R"("\"")"},
      {"\"a", R"("\"a")"},
      {"a\"", R"("a\"")"},
      {"\\\\", R"("\\\\")"},
      {"a\nb\tc\rd", R"("a\nb\tc\rd")"},
      {std::string("\0x", 2), R"("\u0000x")"},
      {"x\x1b[1m", R"("x\u001b[1m")"},
      {"\x7f", "\"\x7f\""},  // DEL is not a control character for JSON
      {"<script>&'", R"("<script>&'")"},
      {"Back\"off<Limit>&\n\t'Exceeded'", R"("Back\"off<Limit>&\n\t'Exceeded'")"},
      {"\xC3\xA9t\xC3\xA9", "\"\xC3\xA9t\xC3\xA9\""},
  };
  for (const Case& c : cases) EXPECT_EQ(JsonString(c.in), c.out) << c.in;
}

TEST(ReadWholeFile, NamesWhatAndPathOnFailure) {
  std::string out, error;
  EXPECT_FALSE(ReadWholeFile("/nonexistent/f", "token file", &out, &error));
  EXPECT_EQ(error, "cannot read token file /nonexistent/f: No such file or directory");
  EXPECT_FALSE(ReadWholeFile("/nonexistent/f", "", &out, &error));
  EXPECT_EQ(error, "cannot read /nonexistent/f: No such file or directory");
  EXPECT_TRUE(ReadWholeFile("/proc/self/cmdline", "", &out, &error));
  EXPECT_FALSE(out.empty());
}

}  // namespace
}  // namespace batchwatch::text
