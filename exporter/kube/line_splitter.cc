#include "kube/line_splitter.h"

namespace batchwatch::kube {

bool LineSplitter::Feed(std::string_view data,
                        const std::function<bool(std::string_view)>& on_line) {
  if (overflowed_ || stopped_) return false;
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      if (partial_.size() + data.size() > max_line_bytes_) {
        overflowed_ = true;
        partial_.clear();
        return false;
      }
      partial_.append(data);
      return true;
    }
    std::string_view line;
    if (partial_.empty()) {
      line = data.substr(0, nl);  // common case: no copy
    } else {
      partial_.append(data.substr(0, nl));
      line = partial_;
    }
    data.remove_prefix(nl + 1);
    if (line.size() > max_line_bytes_) {
      overflowed_ = true;
      partial_.clear();
      return false;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool keep_going = line.empty() || on_line(line);
    partial_.clear();
    if (!keep_going) {
      stopped_ = true;
      return false;
    }
  }
  return true;
}

void LineSplitter::Reset() {
  partial_.clear();
  overflowed_ = false;
  stopped_ = false;
}

}  // namespace batchwatch::kube
