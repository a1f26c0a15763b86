// libFuzzer target: any bytes as a Pod or Event watch stream (or list page) from a hostile API
// server. The first byte picks the resource, the chunking and list vs stream; the rest goes
// through LineSplitter -> DecodeCoreWatchEvent / DecodeCoreListPage -> ObjectStore.
// Nothing may crash; every rejected line explains itself; a decoded Event has count >= 1, a
// message within kMaxEventMessageBytes and valid UTF-8 cut points.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kube/core_kinds.h"
#include "kube/decode_core.h"
#include "kube/line_splitter.h"
#include "kube/store.h"
#include "log/log.h"

namespace bk = batchwatch::kube;

namespace {

// Every character complete (the parser checked the input; the cut must not break one).
bool CompleteUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xE  ? 3
                     : (c >> 3) == 0x1E ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

void CheckEvent(const bk::Event& e) {
  if (e.count < 1) std::abort();
  if (e.message.size() > batchwatch::batch::kMaxEventMessageBytes) std::abort();
  if (!CompleteUtf8(e.message)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  batchwatch::log::SetLevel(batchwatch::log::Level::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const bk::Resource resource = (control & 1) ? bk::Resource::kEvents : bk::Resource::kPods;
  const size_t chunk = 1 + ((control >> 1) & 0x3f);  // 1..64 bytes per read
  const bool as_list = (control & 0x80) != 0;
  bk::ObjectStore store(nullptr);
  const std::string selector = bk::EventFieldSelector("Job");

  if (as_list) {
    bk::CoreListPage page;
    std::string error;
    if (!bk::DecodeCoreListPage(stream, resource, &page, &error)) {
      if (error.empty()) std::abort();
      return 0;
    }
    if (page.bad_items > 0 && page.first_item_error.empty()) std::abort();
    for (const auto& e : page.events) CheckEvent(e);
    const bk::ObjectStore::ListId list = store.BeginList();
    if (resource == bk::Resource::kPods) {
      store.UpsertListed(list, std::move(page.pods));
    } else {
      store.UpsertListed(list, selector, std::move(page.events));
    }
    store.EndList(list, resource, "", resource == bk::Resource::kPods ? "" : selector);
    return 0;
  }

  bk::LineSplitter splitter(64 * 1024);
  bk::CoreWatchEvent ev;
  auto on_line = [&](std::string_view line) {
    std::string error;
    if (!bk::DecodeCoreWatchEvent(line, resource, &ev, &error)) {
      if (error.empty()) std::abort();
      return true;
    }
    if (!ev.skip.empty()) return true;
    if (ev.type == bk::WatchEventType::kAdded || ev.type == bk::WatchEventType::kModified) {
      if (resource == bk::Resource::kPods) {
        store.Upsert(ev.pod);
      } else {
        CheckEvent(ev.event);
        store.Upsert(ev.event, selector);
      }
    } else if (ev.type == bk::WatchEventType::kDeleted) {
      if (resource == bk::Resource::kPods) {
        store.Delete(ev.pod);
      } else {
        store.Delete(ev.event);
      }
    }
    return true;
  };
  for (size_t at = 0; at < stream.size(); at += chunk) {
    if (!splitter.Feed(stream.substr(at, chunk), on_line)) {
      if (!splitter.overflowed()) std::abort();  // on_line never asks to stop
      splitter.Reset();
    }
  }
  return 0;
}
