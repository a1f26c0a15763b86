#include "metrics/exposition.h"

#include <zlib.h>

#include <atomic>
#include <stdexcept>

namespace batchwatch::metrics {

namespace {

// One raw-deflate stream per thread, reset for every piece (deflateInit allocates ~256 KiB).
class Deflater {
 public:
  Deflater() {
    // windowBits -15: raw deflate, no zlib or gzip wrapper (the frame adds the gzip one).
    if (deflateInit2(&zs_, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("deflateInit2 failed");
    }
  }
  ~Deflater() { deflateEnd(&zs_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  void Compress(std::string_view in, std::string* out) {
    deflateReset(&zs_);
    out->resize(deflateBound(&zs_, in.size()) + 16);
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    size_t done = 0;
    for (;;) {
      zs_.next_out = reinterpret_cast<Bytef*>(out->data() + done);
      zs_.avail_out = static_cast<uInt>(out->size() - done);
      // Z_SYNC_FLUSH ends with an empty stored block: byte-aligned and not final.
      const int rc = deflate(&zs_, Z_SYNC_FLUSH);
      done = out->size() - zs_.avail_out;
      if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("deflate failed");
      if (zs_.avail_in == 0 && zs_.avail_out != 0) break;
      out->resize(out->size() * 2);
    }
    out->resize(done);
    out->shrink_to_fit();
  }

 private:
  z_stream zs_{};
};

void PutLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

const Piece::Deflated& Piece::deflated() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!deflated_ready_) {
    thread_local Deflater deflater;
    deflater.Compress(text_, &deflated_.bytes);
    deflated_.crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(text_.data()), static_cast<uInt>(text_.size())));
    deflated_ready_ = true;
  }
  return deflated_;
}

std::string& PieceSlot::MutableText() {
  if (!piece_) {
    piece_ = std::make_shared<Piece>();
  } else if (piece_.use_count() > 1) {
    // A scrape holds it: it keeps the old text, this slot goes on with a copy. (use_count can
    // only be too high here, never too low: copies are made under the owner's lock.)
    piece_ = std::make_shared<Piece>(piece_->text_);
  } else {
    // The last scrape that held the piece released it with an acq_rel decrement; this fence
    // orders its reads of the text before the writes that follow.
    std::atomic_thread_fence(std::memory_order_acquire);
    piece_->deflated_ready_ = false;
    piece_->deflated_.bytes.clear();
  }
  return piece_->text_;
}

void Exposition::Add(std::shared_ptr<const Piece> piece) {
  if (!piece || piece->text().empty()) return;
  bytes_ += piece->text().size();
  pieces_.push_back(std::move(piece));
}

void Exposition::Add(std::string text) { Add(std::make_shared<const Piece>(std::move(text))); }

void Exposition::AppendTo(std::string* out) const {
  out->reserve(out->size() + bytes_);
  for (const auto& p : pieces_) *out += p->text();
}

size_t Exposition::Deflate() const {
  size_t compressed = 0;
  for (const auto& p : pieces_) {
    if (!p->has_deflated()) compressed += p->text().size();
    p->deflated();
  }
  return compressed;
}

Exposition::GzipFrame Exposition::Gzip() const {
  GzipFrame frame;
  // ID1 ID2, CM deflate, no flags, no mtime, XFL 4 (fastest), OS 3 (Unix).
  frame.head.assign("\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\x03", 10);
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t deflated = 0;
  for (const auto& p : pieces_) {
    const Piece::Deflated& d = p->deflated();
    crc = crc32_combine(crc, d.crc, static_cast<z_off_t>(p->text().size()));
    deflated += d.bytes.size();
  }
  // A final empty block with fixed codes (BFINAL 1, BTYPE 01, end of block): 0x03 0x00.
  frame.tail.assign("\x03\x00", 2);
  PutLe32(&frame.tail, static_cast<uint32_t>(crc));
  PutLe32(&frame.tail, static_cast<uint32_t>(bytes_ & 0xffffffffu));  // ISIZE: size mod 2^32
  frame.size = frame.head.size() + deflated + frame.tail.size();
  return frame;
}

}  // namespace batchwatch::metrics
