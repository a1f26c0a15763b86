#include "kube/line_splitter.h"

#include <gtest/gtest.h>

#include <vector>

namespace batchwatch::kube {
namespace {

struct Result {
  std::vector<std::string> lines;
  bool ok = true;
  bool overflowed = false;
  size_t pending = 0;
};

Result Split(const std::vector<std::string>& chunks, size_t cap, int stop_after = -1) {
  LineSplitter s(cap);
  Result r;
  for (const auto& c : chunks) {
    r.ok = s.Feed(c, [&](std::string_view line) {
      r.lines.emplace_back(line);
      return stop_after < 0 || static_cast<int>(r.lines.size()) < stop_after;
    });
    if (!r.ok) break;
  }
  r.overflowed = s.overflowed();
  r.pending = s.pending();
  return r;
}

TEST(LineSplitter, Table) {
  struct Case {
    const char* name;
    std::vector<std::string> chunks;
    size_t cap;
    std::vector<std::string> want;
    bool ok;
    bool overflowed;
    size_t pending;
  } cases[] = {
      {"one line", {"abc\n"}, 100, {"abc"}, true, false, 0},
      {"two lines in one chunk", {"a\nb\n"}, 100, {"a", "b"}, true, false, 0},
      {"line split across chunks", {"ab", "c", "d\ne"}, 100, {"abcd"}, true, false, 1},
      {"crlf stripped", {"a\r\nb\r\n"}, 100, {"a", "b"}, true, false, 0},
      {"empty lines skipped", {"\n\na\n\n"}, 100, {"a"}, true, false, 0},
      {"line at the cap", {"abcd\n"}, 4, {"abcd"}, true, false, 0},
      {"line over the cap in one chunk", {"abcde\nx\n"}, 4, {}, false, true, 0},
      {"line over the cap across chunks", {"abc", "de", "\n"}, 4, {}, false, true, 0},
      {"good line then oversized", {"ab\nabcdefgh"}, 4, {"ab"}, false, true, 0},
      {"truncated tail is pending", {"a\nbc"}, 100, {"a"}, true, false, 2},
  };
  for (const auto& c : cases) {
    Result r = Split(c.chunks, c.cap);
    EXPECT_EQ(r.lines, c.want) << c.name;
    EXPECT_EQ(r.ok, c.ok) << c.name;
    EXPECT_EQ(r.overflowed, c.overflowed) << c.name;
    EXPECT_EQ(r.pending, c.pending) << c.name;
  }
}

TEST(LineSplitter, StopsWhenCallbackRefusesAndResets) {
  LineSplitter s(100);
  std::vector<std::string> lines;
  auto cb = [&](std::string_view l) {
    lines.emplace_back(l);
    return l != "bad";
  };
  EXPECT_FALSE(s.Feed("a\nbad\nc\n", cb));
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "bad"}));
  EXPECT_FALSE(s.Feed("d\n", cb));  // ignored until Reset
  s.Reset();
  EXPECT_TRUE(s.Feed("e\n", cb));
  EXPECT_EQ(lines.back(), "e");
}

}  // namespace
}  // namespace batchwatch::kube
