// What Pods cost the Tracker (tracker/why.cc): heap held per pod and the time of a pod's
// MODIFIED beside a Job's, at 100k Jobs of 1000 CronJobs with one pod each (a tenth of them
// waiting, a tenth failed with an OOMKilled container, a tenth OnFailure pods that restarted).
//   BM_BytesPerPod     malloc's in-use bytes before and after the pods, per pod (counters)
//   BM_PodModified     pod upserts per second (each pod flips between two states)
//   BM_JobModified     Job upserts per second on the same tracker, for the ratio
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "fixtures.h"
#include "tracker/tracker.h"

namespace bb = batchwatch::bench;
namespace batch = batchwatch::batch;
namespace bt = batchwatch::tracker;

namespace {

constexpr int kCronJobs = 1000;
constexpr int kJobs = 100000;

batch::ContainerStatus Container(const std::string& name) {
  batch::ContainerStatus c;
  c.name = name;
  c.running = true;
  return c;
}

batch::Pod MakePod(const batch::Job& job, int k, int variant) {
  batch::Pod p;
  p.uid = "5e6f7a8b-1c2d-4e3f-8a9b-" + std::to_string(1000000 + k);
  p.namespace_ = job.namespace_;
  p.name = job.name + "-x7k2p";
  p.resource_version = std::to_string(500000 + k);
  p.creation_time = job.creation_time + 1;
  p.owner_job_uid = job.uid;
  p.owner_job_name = job.name;
  p.phase = batch::PodPhase::kRunning;
  p.containers = {Container("main"), Container("sidecar")};
  switch ((k + variant) % 10) {
    case 0:  // waiting for its image
      p.phase = batch::PodPhase::kPending;
      p.containers[0].running = false;
      p.containers[0].waiting = true;
      p.containers[0].waiting_reason = "ImagePullBackOff";
      break;
    case 1:  // failed: OOMKilled
      p.phase = batch::PodPhase::kFailed;
      p.containers[0].running = false;
      p.containers[0].terminated = true;
      p.containers[0].terminated_reason = "OOMKilled";
      p.containers[0].exit_code = 137;
      break;
    case 2:  // OnFailure, restarted
      p.restart_on_failure = true;
      p.containers[0].restart_count = 1 + variant;
      p.containers[0].last_terminated = true;
      p.containers[0].last_terminated_reason = "Error";
      p.containers[0].last_exit_code = 1;
      break;
    default:
      break;
  }
  return p;
}

struct Loaded {
  std::unique_ptr<bt::Tracker> tracker;
  std::vector<batch::Job> jobs;
  std::vector<batch::Pod> pods[2];  // two states of every pod
};

Loaded Load() {
  Loaded l;
  bt::TrackerOptions opts;
  opts.clock = [] { return bb::kNow; };
  l.tracker = std::make_unique<bt::Tracker>(opts);
  for (int i = 0; i < kCronJobs; ++i) l.tracker->OnCronJobUpsert(bb::MakeCronJob(i));
  l.jobs.reserve(kJobs);
  for (int k = 0; k < kJobs; ++k) l.jobs.push_back(bb::MakeJob(k % kCronJobs, k / kCronJobs));
  for (const auto& j : l.jobs) l.tracker->OnJobUpsert(j);
  for (auto r : {batch::Resource::kJobs, batch::Resource::kCronJobs, batch::Resource::kPods,
                 batch::Resource::kEvents}) {
    l.tracker->OnSynced(r);
  }
  for (int v = 0; v < 2; ++v) {
    l.pods[v].reserve(kJobs);
    for (int k = 0; k < kJobs; ++k) l.pods[v].push_back(MakePod(l.jobs[k], k, v));
  }
  return l;
}

void BM_BytesPerPod(benchmark::State& state) {
  for (auto _ : state) {
    Loaded l = Load();
    std::string before_text;
    l.tracker->AppendMetrics(&before_text);
    size_t before = mallinfo2().uordblks;
    for (const auto& p : l.pods[0]) l.tracker->OnPodUpsert(p);
    size_t after = mallinfo2().uordblks;
    std::string text;
    l.tracker->AppendMetrics(&text);
    state.counters["tracker_bytes_per_pod"] = static_cast<double>(after - before) / kJobs;
    state.counters["rendered_bytes_per_pod"] =
        static_cast<double>(text.size() - before_text.size()) / kJobs;
  }
}
BENCHMARK(BM_BytesPerPod)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_PodModified(benchmark::State& state) {
  Loaded l = Load();
  for (const auto& p : l.pods[0]) l.tracker->OnPodUpsert(p);
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i % kJobs, v = (i / kJobs + 1) % 2;
    l.tracker->OnPodUpsert(l.pods[v][k]);
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_PodModified);

void BM_JobModified(benchmark::State& state) {
  Loaded l = Load();
  for (const auto& p : l.pods[0]) l.tracker->OnPodUpsert(p);
  size_t i = 0;
  for (auto _ : state) {
    batch::Job& j = l.jobs[i % kJobs];
    j.active = j.active == 1 ? 2 : 1;
    l.tracker->OnJobUpsert(j);
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_JobModified);

}  // namespace

BENCHMARK_MAIN();
