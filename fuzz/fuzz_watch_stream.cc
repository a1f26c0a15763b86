// libFuzzer target: any bytes as a watch stream (or a list page) from a hostile API server.
// The first byte picks the resource and how the stream is chunked; the rest is fed through
// LineSplitter -> DecodeWatchEvent -> ObjectStore -> Tracker, then Tick() and AppendMetrics().
// Nothing may crash; every rejected line explains itself; decoded objects must be sane enough
// for the tracker (no overflow, no unbounded work) whatever their times and counts are.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kube/decode.h"
#include "kube/line_splitter.h"
#include "kube/store.h"
#include "log/log.h"
#include "tracker/tracker.h"

namespace bk = batchwatch::kube;
namespace bt = batchwatch::tracker;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  batchwatch::log::SetLevel(batchwatch::log::Level::kError);  // keep the fuzzer's output readable
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const bk::Resource resource = (control & 1) ? bk::Resource::kCronJobs : bk::Resource::kJobs;
  const size_t chunk = 1 + ((control >> 1) & 0x3f);  // 1..64 bytes per read
  const bool as_list = (control & 0x80) != 0;

  bt::TrackerOptions options;
  bt::UnixSeconds now = 1730611800;
  options.clock = [&now] { return now; };
  bt::Tracker tracker(options);
  bk::ObjectStore store(&tracker);
  bk::DecodeOptions decode;

  if (as_list) {
    bk::ListPage page;
    std::string error;
    if (!bk::DecodeListPage(stream, resource, decode, &page, &error)) {
      if (error.empty()) std::abort();
    } else {
      if (page.bad_items > 0 && page.first_item_error.empty()) std::abort();
      if (resource == bk::Resource::kJobs)
        store.Replace("", std::move(page.jobs));
      else
        store.Replace("", std::move(page.cronjobs));
      tracker.OnSynced(resource);
    }
    bk::DecodeStatus(stream);
  } else {
    bk::LineSplitter splitter(4096);
    auto on_line = [&](std::string_view line) {
      bk::WatchEvent ev;
      std::string error;
      if (!bk::DecodeWatchEvent(line, resource, decode, &ev, &error)) {
        if (error.empty()) std::abort();
        return true;
      }
      if (!ev.skip.empty()) return true;  // undecodable object: the watch loop skips it too
      if (ev.type == bk::WatchEventType::kError || ev.type == bk::WatchEventType::kBookmark) {
        return true;
      }
      bool deleted = ev.type == bk::WatchEventType::kDeleted;
      if (resource == bk::Resource::kJobs) {
        if (deleted)
          store.Delete(ev.job);
        else
          store.Upsert(std::move(ev.job));
      } else {
        if (deleted)
          store.Delete(ev.cronjob);
        else
          store.Upsert(std::move(ev.cronjob));
      }
      now += 7;
      tracker.Tick(now);
      return true;
    };
    for (size_t at = 0; at < stream.size(); at += chunk) {
      if (!splitter.Feed(stream.substr(at, chunk), on_line)) {
        if (!splitter.overflowed()) std::abort();  // on_line never asks to stop
        splitter.Reset();
      }
    }
  }
  tracker.OnSynced(bk::Resource::kJobs);
  tracker.OnSynced(bk::Resource::kCronJobs);
  for (bt::UnixSeconds step : {60, 3600}) {
    now += step;
    tracker.Tick(now);
  }
  std::string text;
  tracker.AppendMetrics(&text);
  return 0;
}

// UndefinedBehaviorSanitizer findings are crashes too (the libraries are built recoverable).
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
