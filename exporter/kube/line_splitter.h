// Splits a chunked watch stream into newline-delimited JSON lines, with a cap per line so a
// hostile or broken server cannot make the exporter buffer without bound.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace batchwatch::kube {

class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Calls on_line for each complete non-empty line (without "\n" or a trailing "\r").
  // on_line returns false to stop. Returns false when stopped or when a line grew beyond the
  // cap (overflowed() tells which); the splitter then ignores input until Reset().
  bool Feed(std::string_view data, const std::function<bool(std::string_view)>& on_line);

  bool overflowed() const { return overflowed_; }
  // Bytes of an incomplete last line (non-zero at end of stream means it was truncated).
  size_t pending() const { return partial_.size(); }
  void Reset();

 private:
  const size_t max_line_bytes_;
  std::string partial_;
  bool overflowed_ = false;
  bool stopped_ = false;
};

}  // namespace batchwatch::kube
