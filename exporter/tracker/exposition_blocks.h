// Where the tracker keeps its rendered series: records (CronJobs, job groups, Jobs) in blocks of
// B consecutive record indices, and per block one piece of text per family holding that family's
// segments of the block's records in index order. A scrape shares the pieces
// (metrics/exposition.h) family by family, so all series of a family stay contiguous, the
// tracker's lock is held only to copy a few thousand references, and the text is read as a few
// thousand contiguous runs instead of once per record and family. A record's new text replaces
// only the family segments that changed: a piece whose segments are unchanged keeps its deflate
// form for the next gzip scrape.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/exposition.h"

namespace batchwatch::tracker {

template <size_t F, uint32_t B>
class ExpositionBlocks {
 public:
  // Record `index`'s segments: family f is text[offsets[f], offsets[f + 1]).
  void Set(uint32_t index, std::string_view text, const std::array<uint32_t, F + 1>& offsets) {
    Block& b = BlockOf(index);
    const uint32_t k = index % B;
    for (size_t f = 0; f < F; ++f) {
      Replace(b, f, k, text.substr(offsets[f], offsets[f + 1] - offsets[f]));
    }
  }
  // Record `index` has no series.
  void Clear(uint32_t index) {
    if (index / B >= blocks_.size() || !blocks_[index / B]) return;
    Block& b = *blocks_[index / B];
    for (size_t f = 0; f < F; ++f) Replace(b, f, index % B, {});
  }
  // Family f's segment of record `index` (tests).
  std::string_view Segment(uint32_t index, size_t f) const {
    if (index / B >= blocks_.size() || !blocks_[index / B]) return {};
    const Block& b = *blocks_[index / B];
    const std::string* t = b.text[f].text();
    if (t == nullptr) return {};
    const uint32_t k = index % B;
    return std::string_view(*t).substr(Begin(b, f, k), Length(b, f, k));
  }
  // Appends family f's pieces, in record order.
  void Share(size_t f, metrics::Exposition* out) const {
    for (const auto& b : blocks_) {
      if (b) out->Add(b->text[f].Share());
    }
  }

 private:
  struct Block {
    std::array<metrics::PieceSlot, F> text;
    // ends[f][k]: where record k's segment of family f ends in text[f] (it begins where record
    // k - 1's ends).
    std::array<std::array<uint32_t, B>, F> ends{};
  };

  Block& BlockOf(uint32_t index) {
    const size_t n = index / B;
    if (n >= blocks_.size()) blocks_.resize(n + 1);
    if (!blocks_[n]) blocks_[n] = std::make_unique<Block>();
    return *blocks_[n];
  }
  static uint32_t Begin(const Block& b, size_t f, uint32_t k) {
    return k == 0 ? 0 : b.ends[f][k - 1];
  }
  static uint32_t Length(const Block& b, size_t f, uint32_t k) {
    return b.ends[f][k] - Begin(b, f, k);
  }

  static void Replace(Block& b, size_t f, uint32_t k, std::string_view segment) {
    const uint32_t begin = Begin(b, f, k), length = b.ends[f][k] - begin;
    if (length == segment.size()) {
      // Unchanged segments leave the piece (and its deflate form) alone.
      const std::string* t = b.text[f].text();
      if (length == 0 || std::memcmp(t->data() + begin, segment.data(), length) == 0) return;
    }
    b.text[f].MutableText().replace(begin, length, segment);
    const auto delta = static_cast<uint32_t>(segment.size() - length);  // modulo 2^32
    for (uint32_t j = k; j < B; ++j) b.ends[f][j] += delta;
  }

  std::vector<std::unique_ptr<Block>> blocks_;
};

}  // namespace batchwatch::tracker
