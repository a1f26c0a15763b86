// The /metrics body as shared pieces (metrics/exposition.h) and the tracker's blocks of them
// (tracker/exposition_blocks.h): a gzip body made of per-piece deflate forms must inflate to
// exactly the concatenated text; a piece shared with a scrape never changes under it; replacing
// one record's segment leaves every other byte and every untouched piece alone.
#include "metrics/exposition.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

#include "gunzip.h"
#include "tracker/exposition_blocks.h"

namespace batchwatch {
namespace {

using metrics::Exposition;
using metrics::Piece;
using metrics::PieceSlot;

// What a client receives for a gzip scrape: head, each piece's deflate form, tail.
std::string GzipBody(const Exposition& e) {
  Exposition::GzipFrame frame = e.Gzip();
  std::string body = frame.head;
  for (const auto& p : e.pieces()) body += p->deflated().bytes;
  body += frame.tail;
  EXPECT_EQ(body.size(), frame.size);
  return body;
}

// Inflates with zlib, which checks the CRC-32 and ISIZE of the trailer.
std::string Gunzip(const std::string& in, int* rc) {
  size_t left = 0;
  std::string out = testing::Gunzip(in, rc, &left);
  if (*rc == Z_STREAM_END) {
    EXPECT_EQ(left, 0u) << "bytes after the gzip member";
  }
  return out;
}

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rnd(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rnd());
  return s;
}

std::string Series(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) {
    s += "batchwatch_job_active_pods{namespace=\"team-" + std::to_string(i % 7) +
         "\",job_name=\"report-" + std::to_string(i) + "\"} 1\n";
  }
  return s;
}

TEST(Exposition, GzipOfPiecesInflatesToTheConcatenatedText) {
  struct Case {
    const char* name;
    std::vector<std::string> pieces;
  } cases[] = {
      {"no pieces", {}},
      {"only empty pieces (left out)", {"", ""}},
      {"one piece", {Series(0, 1000)}},
      {"many pieces", {Series(0, 10), Series(10, 500), "# HELP x y\n", Series(500, 5000)}},
      {"incompressible pieces", {RandomBytes(1 << 20, 1), RandomBytes(100, 2), "x"}},
      {"one byte", {"a"}},
  };
  for (const auto& c : cases) {
    Exposition e;
    std::string want;
    for (const auto& p : c.pieces) {
      e.Add(p);
      want += p;
    }
    EXPECT_EQ(e.size(), want.size()) << c.name;
    std::string text;
    e.AppendTo(&text);
    EXPECT_EQ(text, want) << c.name;
    int rc = 0;
    EXPECT_EQ(Gunzip(GzipBody(e), &rc), want) << c.name;
    EXPECT_EQ(rc, Z_STREAM_END) << c.name;
  }
}

TEST(Exposition, ACorruptedPieceFailsTheTrailerCheck) {
  // The trailer's CRC is combined from the pieces' own: prove it is checked at all.
  Exposition e;
  e.Add(Series(0, 100));
  e.Add(Series(100, 200));
  std::string body = GzipBody(e);
  body[body.size() - 6] ^= 1;  // a bit of the CRC-32
  int rc = 0;
  Gunzip(body, &rc);
  EXPECT_EQ(rc, Z_DATA_ERROR);
}

TEST(Exposition, DeflateMakesOnlyTheMissingForms) {
  auto made = std::make_shared<const Piece>(Series(0, 10));
  made->deflated();
  auto fresh = std::make_shared<const Piece>(Series(10, 30));
  Exposition e;
  e.Add(made);
  e.Add(fresh);
  EXPECT_FALSE(fresh->has_deflated());
  EXPECT_EQ(e.Deflate(), fresh->text().size());
  EXPECT_TRUE(fresh->has_deflated());
  EXPECT_EQ(e.Deflate(), 0u);
  int rc = 0;
  EXPECT_EQ(Gunzip(GzipBody(e), &rc), made->text() + fresh->text());
}

TEST(Exposition, SharedPieceKeepsItsDeflateFormAcrossScrapes) {
  auto piece = std::make_shared<const Piece>(Series(0, 100));
  Exposition a, b;
  a.Add(piece);
  b.Add(piece);
  int rc = 0;
  EXPECT_EQ(Gunzip(GzipBody(a), &rc), piece->text());
  // The second scrape of the same piece compresses nothing again.
  EXPECT_TRUE(piece->has_deflated());
  EXPECT_EQ(b.Deflate(), 0u);
  EXPECT_EQ(Gunzip(GzipBody(b), &rc), piece->text());
}

TEST(PieceSlot, EditsInPlaceWhenNobodyHoldsThePieceAndCopiesWhenAScrapeDoes) {
  PieceSlot slot;
  EXPECT_EQ(slot.text(), nullptr);
  slot.MutableText() = "a 1\n";
  std::shared_ptr<const Piece> held = slot.Share();
  const std::string deflated_before = held->deflated().bytes;

  // A scrape holds the piece: the edit goes to a copy, the scrape's text and form are intact.
  slot.MutableText() += "b 2\n";
  EXPECT_EQ(held->text(), "a 1\n");
  EXPECT_EQ(held->deflated().bytes, deflated_before);
  EXPECT_EQ(*slot.text(), "a 1\nb 2\n");
  EXPECT_NE(slot.Share().get(), held.get());

  // Once released, the next edit is in place and the stale deflate form is dropped.
  held.reset();
  const Piece* current = slot.Share().get();
  slot.MutableText() = "c 3\n";
  EXPECT_EQ(slot.Share().get(), current);
  Exposition e;
  e.Add(slot.Share());
  int rc = 0;
  EXPECT_EQ(Gunzip(GzipBody(e), &rc), "c 3\n");
}

// Families of 2, blocks of 4 records: small enough to cross block boundaries in a test.
using Blocks = tracker::ExpositionBlocks<2, 4>;

void SetRecord(Blocks* blocks, uint32_t index, const std::string& a, const std::string& b) {
  blocks->Set(index, a + b,
              {0, static_cast<uint32_t>(a.size()), static_cast<uint32_t>(a.size() + b.size())});
}

std::string Family(const Blocks& blocks, size_t f) {
  Exposition e;
  blocks.Share(f, &e);
  std::string out;
  e.AppendTo(&out);
  return out;
}

TEST(ExpositionBlocks, SegmentsStayInRecordOrderThroughGrowShrinkAndClear) {
  Blocks blocks;
  // Records set out of order, leaving holes (records 3 and 5..8 never set), across 3 blocks.
  SetRecord(&blocks, 9, "a9\n", "b9\n");
  SetRecord(&blocks, 0, "a0\n", "b0\n");
  SetRecord(&blocks, 4, "a4\n", "");
  SetRecord(&blocks, 1, "a1\n", "b1\n");
  SetRecord(&blocks, 2, "", "b2\n");
  EXPECT_EQ(Family(blocks, 0), "a0\na1\na4\na9\n");
  EXPECT_EQ(Family(blocks, 1), "b0\nb1\nb2\nb9\n");

  // Grow, shrink and clear in the middle of a block: the neighbours' bytes are unchanged.
  SetRecord(&blocks, 1, "a1 longer\n", "b\n");
  EXPECT_EQ(Family(blocks, 0), "a0\na1 longer\na4\na9\n");
  EXPECT_EQ(Family(blocks, 1), "b0\nb\nb2\nb9\n");
  EXPECT_EQ(blocks.Segment(1, 0), "a1 longer\n");
  EXPECT_EQ(blocks.Segment(2, 1), "b2\n");
  blocks.Clear(1);
  EXPECT_EQ(Family(blocks, 0), "a0\na4\na9\n");
  EXPECT_EQ(Family(blocks, 1), "b0\nb2\nb9\n");
  EXPECT_EQ(blocks.Segment(1, 0), "");
  blocks.Clear(100);  // never set, beyond the last block: nothing happens
  SetRecord(&blocks, 3, "a3\n", "b3\n");
  EXPECT_EQ(Family(blocks, 0), "a0\na3\na4\na9\n");
}

TEST(ExpositionBlocks, AnUnchangedSetKeepsThePieceAndOnlyTheChangedBlockIsCopied) {
  Blocks blocks;
  for (uint32_t i = 0; i < 8; ++i) {
    SetRecord(&blocks, i, "a" + std::to_string(i) + "\n", "b" + std::to_string(i) + "\n");
  }
  Exposition scrape;  // a scrape in flight holds every piece
  blocks.Share(0, &scrape);
  blocks.Share(1, &scrape);
  ASSERT_EQ(scrape.pieces().size(), 4u);
  std::string before;
  scrape.AppendTo(&before);

  SetRecord(&blocks, 5, "a5\n", "b5\n");      // same text: nothing replaced
  SetRecord(&blocks, 6, "a6 new\n", "b6\n");  // family 0 of block 1 only

  Exposition next;
  blocks.Share(0, &next);
  blocks.Share(1, &next);
  EXPECT_EQ(next.pieces()[0].get(), scrape.pieces()[0].get());  // family 0, block 0
  EXPECT_NE(next.pieces()[1].get(), scrape.pieces()[1].get());  // family 0, block 1: copied
  EXPECT_EQ(next.pieces()[2].get(), scrape.pieces()[2].get());  // family 1, block 0
  EXPECT_EQ(next.pieces()[3].get(), scrape.pieces()[3].get());  // family 1, block 1
  std::string after_old;
  scrape.AppendTo(&after_old);
  EXPECT_EQ(after_old, before);  // the scrape in flight sees the old text
  EXPECT_EQ(Family(blocks, 0), "a0\na1\na2\na3\na4\na5\na6 new\na7\n");
}

}  // namespace
}  // namespace batchwatch
