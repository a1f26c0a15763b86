// The decoder's own JSON reader (kube/decode.cc) must judge syntax exactly as nlohmann's parser
// does, both in the subtrees it only validates (spec.template) and in the fields it reads, and
// unescape strings the same way. Differential: nlohmann::json::accept / parse is the oracle.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "kube/decode.h"

namespace batchwatch::kube {
namespace {

using nlohmann::json;

constexpr char kNotJson[] = "watch line is not a JSON object";

std::string Line(const std::string& name, const std::string& skipped) {
  return R"({"type":"ADDED","object":{"metadata":{"uid":"u1","name":)" + name +
         R"(,"resourceVersion":"5"},"spec":{"template":)" + skipped +
         R"(},"status":{"active":1}}})";
}

// Fragments that are JSON values, and some that are not, as nlohmann sees them.
const char* const kFragments[] = {
    R"("plain")", R"("")", R"("esc \" \\ \/ \b \f \n \r \t")", R"("\u0041\u00e9\u4e2d")",
    R"("\ud83d\ude00")", R"("\u0000")", "\"caf\xc3\xa9\"", "\"\xe4\xb8\xad\"",
    "\"\xf0\x9f\x98\x80\"", "\"\x7f\"",
    // invalid strings
    R"("\ud83d")", R"("\ude00")", R"("\ud83d\u0041")", R"("\x")", R"("\u12")", R"("\u12g4")",
    "\"a\tb\"", "\"a\nb\"", "\"\xc3\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
    "\"\xe0\x80\xaf\"", "\"\xf5\x80\x80\x80\"", "\"\x80\"", "\"\xff\"", R"("unterminated)",
    // numbers
    "0", "-0", "7", "-7", "1.5", "-1.5e3", "1E+2", "2e-400", "18446744073709551615",
    "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "1e308", "1e309",
    "-1e400", "01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "1.5.2", "NaN", "Infinity",
    // literals and containers
    "true", "false", "null", "tru", "nul", "True", "{}", "[]", R"({"a":[1,{"b":null}],"c":{}})",
    "[1,2,]", R"({"a":1,})", R"({"a"})", R"({"a":})", R"({1:2})", "[", "{", "]", "}", R"({"a":1]})",
    "[1 2]", R"({"a":1 "b":2})", "[[[[[[[[]]]]]]]]", "[[[[[[[[]]]]]]]", " [ 1 , 2 ] ", "\t{\n}\r",
    "\v[]", "/*c*/1", "[1]x", "[]]"};

TEST(JsonReader, SkippedSubtreeSyntaxMatchesNlohmann) {
  for (const char* f : kFragments) {
    std::string line = Line(R"("j")", f);
    WatchEvent ev;
    std::string error;
    bool ok = DecodeWatchEvent(line, Resource::kJobs, DecodeOptions(), &ev, &error);
    bool valid = json::accept(line);
    EXPECT_EQ(valid, ok) << f << " error=" << error;
    if (!ok) {
      EXPECT_EQ(error, kNotJson) << f;
    }
  }
}

TEST(JsonReader, ReadStringsMatchNlohmann) {
  for (const char* f : kFragments) {
    std::string line = Line(f, "{}");
    WatchEvent ev;
    std::string error;
    bool ok = DecodeWatchEvent(line, Resource::kJobs, DecodeOptions(), &ev, &error);
    if (!json::accept(line)) {
      EXPECT_FALSE(ok) << f;
      EXPECT_EQ(error, kNotJson) << f;
      continue;
    }
    json name = json::parse(line)["object"]["metadata"]["name"];
    if (name.is_string() && !name.get<std::string>().empty()) {
      EXPECT_TRUE(ok) << f << " error=" << error;
      EXPECT_EQ(ev.job.name, name.get<std::string>()) << f;
    } else {
      EXPECT_FALSE(ok) << f;  // null/empty name: missing; other types: a type error
      EXPECT_NE(error, kNotJson) << f;
    }
  }
}

TEST(JsonReader, NumbersKeepNlohmannTypes) {
  struct Case {
    const char* active;
    bool ok;
    int32_t want;
  } cases[] = {
      {"3", true, 3},
      {"-0", true, 0},
      {"null", true, 0},
      {"3.0", false, 0},  // a float is not an integer
      {"1e2", false, 0},
      {"18446744073709551616", false, 0},  // overflows: a float, as nlohmann does
  };
  for (const auto& c : cases) {
    std::string line = R"({"type":"MODIFIED","object":{"metadata":{"uid":"u","name":"j"},)"
                       R"("status":{"active":)" +
                       std::string(c.active) + "}}}";
    WatchEvent ev;
    std::string error;
    EXPECT_EQ(DecodeWatchEvent(line, Resource::kJobs, DecodeOptions(), &ev, &error), c.ok)
        << c.active << " " << error;
    if (c.ok) {
      EXPECT_EQ(ev.job.active, c.want) << c.active;
    }
    if (!c.ok) {
      EXPECT_EQ(error, "status.active is not an integer") << c.active;
    }
  }
}

TEST(JsonReader, ByteOrderMarkSpaceAndTrailingBytesAsNlohmann) {
  struct Case {
    std::string prefix, suffix;
  } cases[] = {
      {"\xef\xbb\xbf", ""},
      {" \t", " \n"},
      {"\r\n", ""},
      {"", std::string("\0 ;8 trailing bytes after a NUL are ignored", 43)},
      {"", std::string(" \0", 2)},
      {std::string("\0", 1), ""},
      {"", " x"},
      {"\xef\xbb", ""},
  };
  for (const auto& c : cases) {
    std::string line = c.prefix + Line(R"("j")", "{}") + c.suffix;
    WatchEvent ev;
    std::string error;
    EXPECT_EQ(DecodeWatchEvent(line, Resource::kJobs, DecodeOptions(), &ev, &error),
              json::accept(line))
        << error;
  }
}

// Random single-byte edits of a realistic line: the verdict must match nlohmann's, and when
// both accept, the decoded Job must equal what the DOM path (DecodeJob on the parsed object)
// gives.
TEST(JsonReader, MutatedLinesMatchNlohmann) {
  const std::string base =
      R"({"type":"MODIFIED","object":{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"backup-28000000","namespace":"ops","uid":"9f2c","resourceVersion":"1234","generateName":"backup-","creationTimestamp":"2023-03-28T10:40:00Z","labels":{"app.kubernetes.io/name":"backup","x":"caf\u00e9"},"annotations":{"batch.kubernetes.io/cronjob-scheduled-timestamp":"2023-03-28T10:40:00Z"},"ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"backup","uid":"c1","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"batch/v1","time":"2023-03-28T10:40:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:active":{},"f:ready":{}}},"subresource":"status"}]},"spec":{"parallelism":1,"completions":1,"activeDeadlineSeconds":600,"backoffLimit":6,"template":{"metadata":{"labels":{"job-name":"backup-28000000"}},"spec":{"containers":[{"name":"main","image":"busybox:1.36","args":["sh","-c","echo \"hi\" && sleep 1.5e0"],"resources":{"limits":{"cpu":"100m"}}}],"restartPolicy":"Never"}}},"status":{"startTime":"2023-03-28T10:40:01Z","active":1,"ready":0,"uncountedTerminatedPods":{},"conditions":[{"type":"Complete","status":"True","reason":"Done","lastTransitionTime":"2023-03-28T10:41:00Z"}],"completionTime":"2023-03-28T10:41:00Z","succeeded":1}}})";
  const char edits[] = "{}[]\",:\\ 0-.eE9tfnu\x01\x80\xc3";
  std::mt19937 rnd(7);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line = base;
    size_t at = rnd() % line.size();
    char c = edits[rnd() % (sizeof edits - 1)];
    switch (rnd() % 3) {
      case 0:
        line[at] = c;
        break;
      case 1:
        line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      default:
        line.erase(at, 1);
    }
    WatchEvent ev;
    std::string error;
    bool ok = DecodeWatchEvent(line, Resource::kJobs, DecodeOptions(), &ev, &error);
    bool valid = json::accept(line);
    if (!valid) {
      ASSERT_FALSE(ok) << line;
      ASSERT_EQ(error, kNotJson) << line;
      continue;
    }
    ASSERT_NE(error, kNotJson) << line;
    json doc = json::parse(line);
    if (!ok || !doc.contains("object") || doc["type"] != "MODIFIED") continue;
    Job dom;
    std::string dom_error;
    ASSERT_TRUE(DecodeJob(doc["object"], DecodeOptions(), &dom, &dom_error)) << line;
    ++accepted;
    EXPECT_EQ(ev.job.uid, dom.uid);
    EXPECT_EQ(ev.job.name, dom.name);
    EXPECT_EQ(ev.job.namespace_, dom.namespace_);
    EXPECT_EQ(ev.job.resource_version, dom.resource_version);
    EXPECT_EQ(ev.job.group_label, dom.group_label);
    EXPECT_EQ(ev.job.owner_cronjob_uid, dom.owner_cronjob_uid);
    EXPECT_EQ(ev.job.active, dom.active);
    EXPECT_EQ(ev.job.succeeded, dom.succeeded);
    EXPECT_EQ(ev.job.end_time, dom.end_time);
    EXPECT_EQ(ev.job.terminal_reason, dom.terminal_reason);
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace batchwatch::kube
