// libFuzzer target: any bytes as a --state-file. LoadState must never crash and either loads
// the file or sets it aside with a message; a loaded state must render, survive a Tick, save,
// and load again (round trip) with the same metrics.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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
  // SaveState fsyncs: on tmpfs (/dev/shm) that costs nothing, on a disk most of the run time.
  char shm[] = "/dev/shm/bw-fuzz-state-XXXXXX";
  char tmp[] = "/tmp/bw-fuzz-state-XXXXXX";
  if (mkdtemp(shm)) {
    g_dir = shm;
  } else if (mkdtemp(tmp)) {
    g_dir = tmp;
  } else {
    std::abort();
  }
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(g_dir, ignored);
  });
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

  // The CronJob of the seed files comes back (same UID: slot accounting resumes from the file's
  // accounted_until), with a Job of one of its slots, then time passes the retention.
  batchwatch::batch::CronJob cj;
  cj.uid = "cj-1";
  cj.namespace_ = "ns";
  cj.name = "nightly";
  cj.schedule = "*/5 * * * *";
  cj.creation_time = now - 86400;
  tracker.OnCronJobUpsert(cj);
  tracker.OnSynced(batchwatch::batch::Resource::kCronJobs);
  batchwatch::batch::Job job;
  job.uid = "job-1";
  job.namespace_ = "ns";
  job.name = "nightly-28843530";
  job.owner_cronjob_name = "nightly";
  job.owner_cronjob_uid = "cj-1";
  job.creation_time = now - 598;
  job.scheduled_timestamp = now - 600;
  tracker.OnJobUpsert(job);
  tracker.OnSynced(batchwatch::batch::Resource::kJobs);
  tracker.Tick(now);
  now += 7200;  // past the deleted-CronJob retention (1 h)
  tracker.Tick(now);
  std::string later;
  tracker.AppendMetrics(&later);
  return 0;
}

// UndefinedBehaviorSanitizer findings are crashes too (the libraries are built recoverable).
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
