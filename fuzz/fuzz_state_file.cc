// libFuzzer target: any bytes as a --state-file. LoadState must never crash and either loads
// the file or sets it aside with a message; a loaded state must render, survive a Tick, save,
// and load again (round trip) with the same metrics.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "log/log.h"
#include "tracker/tracker.h"

namespace bt = batchwatch::tracker;

namespace {

std::string g_dir;

bool WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  batchwatch::log::SetLevel(batchwatch::log::Level::kError);
  char tmpl[] = "/tmp/bw-fuzz-state-XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  g_dir = tmpl;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = g_dir + "/state.json";
  const std::string saved = g_dir + "/saved.json";
  if (!WriteFile(path, data, size)) std::abort();

  bt::UnixSeconds now = 1730611800;
  bt::TrackerOptions options;
  options.clock = [&now] { return now; };
  bt::Tracker tracker(options);
  std::string message;
  bool loaded = tracker.LoadState(path, &message);
  if (message.empty()) std::abort();  // both outcomes explain themselves
  if (!loaded) {
    // A rejected file is moved aside as <path>.corrupt-<now>.
    if (::unlink((path + ".corrupt-" + std::to_string(now)).c_str()) != 0) std::abort();
    return 0;
  }
  ::unlink(path.c_str());

  std::string before;
  tracker.AppendMetrics(&before);
  std::string error;
  if (!tracker.SaveState(saved, &error)) std::abort();
  bt::Tracker again(options);
  if (!again.LoadState(saved, &message)) std::abort();  // our own output must load
  std::string after;
  again.AppendMetrics(&after);
  if (before != after) std::abort();
  ::unlink(saved.c_str());

  now += 86400 * 2;  // past the deleted-CronJob retention
  tracker.Tick(now);
  std::string later;
  tracker.AppendMetrics(&later);
  return 0;
}

// UndefinedBehaviorSanitizer findings are crashes too (the libraries are built recoverable).
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
