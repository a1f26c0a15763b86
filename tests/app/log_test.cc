#include "log/log.h"

#include <gtest/gtest.h>

namespace batchwatch::log {
namespace {

constexpr long long kMillis = 1700000000123;  // 2023-11-14T22:13:20.123Z

TEST(Log, TextIsLogfmtWithQuotingWhereNeeded) {
  EXPECT_EQ(FormatLine(Format::kText, Level::kInfo, "watch opened",
                       {{"resource", "jobs"}, {"err", "a \"b\"=c"}, {"empty", ""}}, kMillis),
            "ts=2023-11-14T22:13:20.123Z level=info msg=\"watch opened\" resource=jobs "
            "err=\"a \\\"b\\\"=c\" empty=\"\"\n");
}

TEST(Log, JsonEscapesControlCharacters) {
  EXPECT_EQ(FormatLine(Format::kJson, Level::kWarn, "x\ny", {{"k", "\x01\t"}}, kMillis),
            "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"warn\",\"msg\":\"x\\ny\","
            "\"k\":\"\\u0001\\t\"}\n");
}

TEST(Log, LevelsAndFormatsParse) {
  Level l;
  Format f;
  EXPECT_TRUE(ParseLevel("debug", &l));
  EXPECT_EQ(l, Level::kDebug);
  EXPECT_FALSE(ParseLevel("verbose", &l));
  EXPECT_TRUE(ParseFormat("json", &f));
  EXPECT_EQ(f, Format::kJson);
  EXPECT_FALSE(ParseFormat("xml", &f));
}

}  // namespace
}  // namespace batchwatch::log
