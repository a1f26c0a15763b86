// Watch-event throughput of the whole path a watch line takes: decode (kube/decode) -> object
// store (kube/store) -> Tracker accounting and re-rendering. Each Job of a CronJob goes through
// ADDED (running), MODIFIED (succeeded) and DELETED, as realistic watch lines.
//   BM_WatchPipeline   decode + store + tracker, events/s and MB/s of watch lines
//   BM_WatchPipelineNewSecondPerEvent   the same with the clock advancing a second per event
//   BM_StoreTracker    the same events pre-decoded: store + tracker only
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fixtures.h"
#include "kube/decode.h"
#include "kube/store.h"
#include "tracker/tracker.h"

namespace bb = batchwatch::bench;
namespace bk = batchwatch::kube;
namespace bt = batchwatch::tracker;
using nlohmann::json;

namespace {

constexpr int kCronJobs = 1000;
constexpr int kJobsPerCronJob = 10;

std::string Rfc3339(bk::UnixSeconds t) {
  char buf[32];
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The API server's JSON for a Job (with the managedFields and pod template it always carries).
json JobObject(const bk::Job& j) {
  json status = json::object();
  status["startTime"] = Rfc3339(*j.start_time);
  if (j.active) status["active"] = j.active;
  status["ready"] = j.active;
  status["uncountedTerminatedPods"] = json::object();
  if (j.finished()) {
    status["succeeded"] = j.succeeded;
    status["completionTime"] = Rfc3339(*j.completion_time);
    status["conditions"] =
        json::array({{{"type", "SuccessCriteriaMet"},
                      {"status", "True"},
                      {"reason", j.terminal_reason},
                      {"lastProbeTime", Rfc3339(*j.end_time)},
                      {"lastTransitionTime", Rfc3339(*j.end_time)},
                      {"message", "Reached expected number of succeeded pods"}},
                     {{"type", "Complete"},
                      {"status", "True"},
                      {"reason", j.terminal_reason},
                      {"lastProbeTime", Rfc3339(*j.end_time)},
                      {"lastTransitionTime", Rfc3339(*j.end_time)},
                      {"message", "Reached expected number of succeeded pods"}}});
  }
  return {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata",
       {{"name", j.name},
        {"namespace", j.namespace_},
        {"uid", j.uid},
        {"resourceVersion", j.resource_version},
        {"generation", 1},
        {"creationTimestamp", Rfc3339(j.creation_time)},
        {"labels",
         {{"batch.kubernetes.io/controller-uid", j.uid},
          {"batch.kubernetes.io/job-name", j.name},
          {"controller-uid", j.uid},
          {"job-name", j.name}}},
        {"annotations",
         {{"batch.kubernetes.io/cronjob-scheduled-timestamp", Rfc3339(*j.scheduled_timestamp)},
          {"batch.kubernetes.io/job-tracking", ""}}},
        {"ownerReferences", json::array({{{"apiVersion", "batch/v1"},
                                          {"kind", "CronJob"},
                                          {"name", j.owner_cronjob_name},
                                          {"uid", j.owner_cronjob_uid},
                                          {"controller", true},
                                          {"blockOwnerDeletion", true}}})},
        {"managedFields", json::array({{{"manager", "kube-controller-manager"},
                                        {"operation", "Update"},
                                        {"apiVersion", "batch/v1"},
                                        {"time", Rfc3339(j.creation_time)},
                                        {"fieldsType", "FieldsV1"},
                                        {"fieldsV1",
                                         {{"f:status",
                                           {{"f:active", json::object()},
                                            {"f:ready", json::object()},
                                            {"f:startTime", json::object()},
                                            {"f:uncountedTerminatedPods", json::object()}}}}},
                                        {"subresource", "status"}}})}}},
      {"spec",
       {{"parallelism", 1},
        {"completions", 1},
        {"activeDeadlineSeconds", *j.active_deadline_seconds},
        {"backoffLimit", 6},
        {"selector", {{"matchLabels", {{"batch.kubernetes.io/controller-uid", j.uid}}}}},
        {"manualSelector", false},
        {"template",
         {{"metadata", {{"labels", {{"job-name", j.name}, {"controller-uid", j.uid}}}}},
          {"spec",
           {{"containers",
             json::array({{{"name", "main"},
                           {"image", "registry.example.com/data/report:2.1.0"},
                           {"args", json::array({"--since", "15m"})},
                           {"resources", {{"requests", {{"cpu", "200m"}, {"memory", "128Mi"}}}}},
                           {"terminationMessagePath", "/dev/termination-log"},
                           {"terminationMessagePolicy", "File"},
                           {"imagePullPolicy", "IfNotPresent"}}})},
            {"restartPolicy", "OnFailure"},
            {"terminationGracePeriodSeconds", 30},
            {"dnsPolicy", "ClusterFirst"},
            {"securityContext", json::object()},
            {"schedulerName", "default-scheduler"}}}}},
        {"completionMode", "NonIndexed"},
        {"suspend", false},
        {"podReplacementPolicy", "TerminatingOrFailed"}}},
      {"status", status}};
}

struct Events {
  std::vector<std::string> lines;
  size_t bytes = 0;
  Events() {
    for (int k = 0; k < kJobsPerCronJob; ++k) {
      for (int i = 0; i < kCronJobs; ++i) {
        bk::Job running = bb::MakeJob(i, k);
        bk::Job done = bb::MakeJob(i, k, /*succeeded=*/true);
        lines.push_back(json{{"type", "ADDED"}, {"object", JobObject(running)}}.dump());
        lines.push_back(json{{"type", "MODIFIED"}, {"object", JobObject(done)}}.dump());
        done.resource_version += "9";
        lines.push_back(json{{"type", "DELETED"}, {"object", JobObject(done)}}.dump());
      }
    }
    for (const auto& l : lines) bytes += l.size();
  }
};

const Events& TheEvents() {
  static Events e;
  return e;
}

// A fresh store and tracker that already hold the CronJobs. The clock stands still (a burst:
// at 50k events/s every event of a second sees the same now), or advances a second per event
// (the worst case for the tracker's per-second schedule memo: every refresh walks the schedule).
struct Pipeline {
  std::unique_ptr<bt::Tracker> tracker;
  std::unique_ptr<bk::ObjectStore> store;
  std::shared_ptr<bk::UnixSeconds> now = std::make_shared<bk::UnixSeconds>(bb::kNow);
  explicit Pipeline(bool second_per_event = false) {
    bt::TrackerOptions opts;
    if (second_per_event) {
      opts.clock = [now = now] { return (*now)++; };
    } else {
      opts.clock = [] { return bb::kNow; };
    }
    tracker = std::make_unique<bt::Tracker>(opts);
    store = std::make_unique<bk::ObjectStore>(tracker.get());
    std::vector<bk::CronJob> cronjobs;
    for (int i = 0; i < kCronJobs; ++i) cronjobs.push_back(bb::MakeCronJob(i));
    store->Replace("", std::move(cronjobs));
    store->Replace("", std::vector<bk::Job>());
    tracker->OnSynced(bk::Resource::kCronJobs);
    tracker->OnSynced(bk::Resource::kJobs);
  }
  void Apply(bk::WatchEvent& ev) {
    if (ev.type == bk::WatchEventType::kDeleted)
      store->Delete(ev.job);
    else
      store->Upsert(std::move(ev.job));
  }
};

void WatchPipeline(benchmark::State& state, bool second_per_event) {
  const Events& events = TheEvents();
  bk::DecodeOptions opts;
  for (auto _ : state) {
    state.PauseTiming();
    Pipeline p(second_per_event);
    state.ResumeTiming();
    bk::WatchEvent ev;
    std::string error;
    for (const auto& line : events.lines) {
      if (!bk::DecodeWatchEvent(line, bk::Resource::kJobs, opts, &ev, &error)) {
        state.SkipWithError(error.c_str());
        return;
      }
      p.Apply(ev);
    }
    state.PauseTiming();
    p = Pipeline();  // destruction outside the timing
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(events.lines.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(events.bytes));
  state.counters["line_bytes"] = static_cast<double>(events.bytes) / events.lines.size();
}
void BM_WatchPipeline(benchmark::State& state) { WatchPipeline(state, false); }
BENCHMARK(BM_WatchPipeline)->Unit(benchmark::kMillisecond);
void BM_WatchPipelineNewSecondPerEvent(benchmark::State& state) { WatchPipeline(state, true); }
BENCHMARK(BM_WatchPipelineNewSecondPerEvent)->Unit(benchmark::kMillisecond);

void BM_DecodeOnly(benchmark::State& state) {
  const Events& events = TheEvents();
  bk::DecodeOptions opts;
  for (auto _ : state) {
    bk::WatchEvent ev;
    std::string error;
    for (const auto& line : events.lines) {
      bk::DecodeWatchEvent(line, bk::Resource::kJobs, opts, &ev, &error);
      benchmark::DoNotOptimize(ev.job.uid.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(events.lines.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(events.bytes));
}
BENCHMARK(BM_DecodeOnly)->Unit(benchmark::kMillisecond);

void BM_StoreTracker(benchmark::State& state) {
  const Events& events = TheEvents();
  std::vector<bk::WatchEvent> decoded(events.lines.size());
  std::string error;
  for (size_t i = 0; i < events.lines.size(); ++i) {
    bk::DecodeWatchEvent(events.lines[i], bk::Resource::kJobs, bk::DecodeOptions(), &decoded[i],
                         &error);
  }
  for (auto _ : state) {
    state.PauseTiming();
    Pipeline p;
    std::vector<bk::WatchEvent> evs = decoded;
    state.ResumeTiming();
    for (auto& ev : evs) p.Apply(ev);
    state.PauseTiming();
    p = Pipeline();
    evs.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(events.lines.size()));
}
BENCHMARK(BM_StoreTracker)->Unit(benchmark::kMillisecond);

// Heap held per Job (malloc's in-use bytes before and after adding 100k running Jobs), for the
// Tracker alone and for the ObjectStore feeding it; the Tracker's figure is also given without
// the rendered text. Reported as counters; the timing is meaningless.
void BM_BytesPerJob(benchmark::State& state) {
  constexpr int kJobs = 100000;
  for (auto _ : state) {
    bt::TrackerOptions opts;
    opts.clock = [] { return bb::kNow; };
    auto tracker = std::make_unique<bt::Tracker>(opts);
    for (int i = 0; i < kCronJobs; ++i) tracker->OnCronJobUpsert(bb::MakeCronJob(i));
    std::vector<bk::Job> jobs;
    jobs.reserve(kJobs);
    for (int k = 0; k < kJobs; ++k) jobs.push_back(bb::MakeJob(k % kCronJobs, k / kCronJobs));
    size_t before = mallinfo2().uordblks;
    for (const auto& j : jobs) tracker->OnJobUpsert(j);
    size_t tracker_bytes = mallinfo2().uordblks - before;
    std::string text;
    tracker->AppendMetrics(&text);
    std::string cronjob_only;
    {
      bt::Tracker empty(opts);
      for (int i = 0; i < kCronJobs; ++i) empty.OnCronJobUpsert(bb::MakeCronJob(i));
      empty.AppendMetrics(&cronjob_only);
    }
    before = mallinfo2().uordblks;
    {
      bk::ObjectStore store(nullptr);
      for (const auto& j : jobs) store.Upsert(j);
      state.counters["store_bytes_per_job"] =
          static_cast<double>(mallinfo2().uordblks - before) / kJobs;
    }
    state.counters["tracker_bytes_per_job"] = static_cast<double>(tracker_bytes) / kJobs;
    // Rendered text is kept per Job with its allocation rounded up; count it as its length.
    state.counters["rendered_bytes_per_job"] =
        static_cast<double>(text.size() - cronjob_only.size()) / kJobs;
    state.counters["job_struct_bytes"] = sizeof(bk::Job);
  }
}
BENCHMARK(BM_BytesPerJob)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
