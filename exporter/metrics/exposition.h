// A /metrics body as an ordered list of shared pieces of text. The tracker keeps its series in
// pieces (tracker/exposition_blocks.h); a scrape takes references to them under the tracker's
// lock (microseconds) and writes them to the socket after it, so no body of tens of MB is ever
// assembled and a slow client never holds the lock. Each piece also keeps its own deflate form,
// made on first use by a gzip scrape: the gzip body is those forms between a gzip header and
// trailer, so only pieces that changed since the last gzip scrape are compressed again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace batchwatch::metrics {

class PieceSlot;

// A piece of exposition text. Once shared with a scrape it does not change: the owner edits a
// piece in place only while nobody else holds it (PieceSlot::MutableText), and makes a copy
// otherwise.
class Piece {
 public:
  Piece() = default;
  explicit Piece(std::string text) : text_(std::move(text)) {}
  Piece(const Piece&) = delete;
  Piece& operator=(const Piece&) = delete;

  const std::string& text() const { return text_; }

  // Raw deflate (RFC 1951) of the text at level 1, ended by a sync flush (byte-aligned, not
  // final), so that the forms of several pieces concatenate into one deflate stream; and the
  // CRC-32 of the text. Made once, on first use; safe to call from several threads.
  struct Deflated {
    std::string bytes;
    uint32_t crc = 0;
  };
  const Deflated& deflated() const;
  bool has_deflated() const {
    std::lock_guard<std::mutex> lock(mu_);
    return deflated_ready_;
  }

 private:
  friend class PieceSlot;
  std::string text_;
  mutable std::mutex mu_;
  mutable bool deflated_ready_ = false;
  mutable Deflated deflated_;
};

// The owner's handle on a piece (one per block and family in the tracker).
class PieceSlot {
 public:
  // The text to edit: the piece itself when nobody else holds it (its deflate form is dropped),
  // else a fresh copy that replaces it here (scrapes in flight keep the old one).
  std::string& MutableText();
  const std::string* text() const { return piece_ ? &piece_->text_ : nullptr; }
  std::shared_ptr<const Piece> Share() const { return piece_; }

 private:
  std::shared_ptr<Piece> piece_;
};

// What one scrape sends, in order.
class Exposition {
 public:
  // Empty pieces are left out.
  void Add(std::shared_ptr<const Piece> piece);
  // A piece of its own for text made for this scrape only.
  void Add(std::string text);

  const std::vector<std::shared_ptr<const Piece>>& pieces() const { return pieces_; }
  size_t size() const { return bytes_; }  // bytes of text
  // The whole text (tests, benchmarks and callers that need one string).
  void AppendTo(std::string* out) const;

  // The pieces as one gzip member (RFC 1952): `head`, then each piece's deflate bytes
  // (`pieces()[i]->deflated().bytes`), then `tail` (the final empty block, CRC-32, length).
  // Compresses the pieces that have no deflate form yet.
  struct GzipFrame {
    std::string head, tail;
    size_t size = 0;  // head + pieces + tail
  };
  GzipFrame Gzip() const;
  // Makes the deflate form of every piece that has none yet (what Gzip() would compress), so
  // that a later gzip scrape finds them made. Returns the bytes of text compressed.
  size_t Deflate() const;

 private:
  std::vector<std::shared_ptr<const Piece>> pieces_;
  size_t bytes_ = 0;
};

}  // namespace batchwatch::metrics
