// Decoding speed of the kube client: watch event lines and list pages of realistic Jobs
// (managedFields, pod template, conditions), as the API server sends them.
#include <benchmark/benchmark.h>

#include <string>

#include "kube/decode.h"
#include "kube/line_splitter.h"

namespace bk = batchwatch::kube;

namespace {

std::string JobJson(int i) {
  std::string n = std::to_string(i);
  return R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"backup-)" + n +
         R"(","namespace":"ops","uid":"8d0c1a2e-5f43-4c5e-9b8a-)" + std::to_string(100000000 + i) +
         R"(","resourceVersion":")" + n +
         R"(","generation":1,"creationTimestamp":"2024-03-28T10:40:00Z",
"labels":{"app.kubernetes.io/name":"backup","batch.kubernetes.io/controller-uid":"8d0c1a2e","controller-uid":"8d0c1a2e","job-name":"backup-)" +
         n + R"("},
"annotations":{"batch.kubernetes.io/cronjob-scheduled-timestamp":"2024-03-28T10:40:00Z","batch.kubernetes.io/job-tracking":""},
"ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"backup","uid":"1b2c3d4e-0000-4000-8000-000000000001","controller":true,"blockOwnerDeletion":true}],
"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"batch/v1","time":"2024-03-28T10:40:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:batch.kubernetes.io/cronjob-scheduled-timestamp":{}},"f:labels":{".":{},"f:app.kubernetes.io/name":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"1b2c3d4e\"}":{}}},"f:spec":{"f:backoffLimit":{},"f:completionMode":{},"f:completions":{},"f:manualSelector":{},"f:parallelism":{},"f:podReplacementPolicy":{},"f:suspend":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"main\"}":{".":{},"f:command":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}}},
{"manager":"kube-controller-manager","operation":"Update","apiVersion":"batch/v1","time":"2024-03-28T10:41:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:completionTime":{},"f:conditions":{},"f:ready":{},"f:startTime":{},"f:succeeded":{},"f:terminating":{},"f:uncountedTerminatedPods":{}}},"subresource":"status"}]},
"spec":{"parallelism":1,"completions":1,"backoffLimit":6,"selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"8d0c1a2e"}},"manualSelector":false,
"template":{"metadata":{"creationTimestamp":null,"labels":{"batch.kubernetes.io/controller-uid":"8d0c1a2e","batch.kubernetes.io/job-name":"backup-)" +
         n +
         R"(","controller-uid":"8d0c1a2e","job-name":"backup"}},"spec":{"containers":[{"name":"main","image":"registry.example.com/tools/backup:1.4.2","command":["sh","-c","pg_dump --format=custom --file=/backup/db.dump && upload /backup/db.dump"],"env":[{"name":"PGHOST","value":"db.ops.svc"},{"name":"PGUSER","valueFrom":{"secretKeyRef":{"name":"db","key":"user"}}}],"resources":{"limits":{"memory":"512Mi"},"requests":{"cpu":"100m","memory":"256Mi"}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"OnFailure","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}},
"completionMode":"NonIndexed","suspend":false,"podReplacementPolicy":"TerminatingOrFailed"},
"status":{"conditions":[{"type":"SuccessCriteriaMet","status":"True","lastProbeTime":"2024-03-28T10:41:00Z","lastTransitionTime":"2024-03-28T10:41:00Z","reason":"CompletionsReached","message":"Reached expected number of succeeded pods"},{"type":"Complete","status":"True","lastProbeTime":"2024-03-28T10:41:00Z","lastTransitionTime":"2024-03-28T10:41:00Z","reason":"CompletionsReached","message":"Reached expected number of succeeded pods"}],
"startTime":"2024-03-28T10:40:00Z","completionTime":"2024-03-28T10:41:00Z","succeeded":1,"terminating":0,"uncountedTerminatedPods":{},"ready":0}})";
}

void BM_DecodeWatchEvent(benchmark::State& state) {
  std::string line = R"({"type":"MODIFIED","object":)" + JobJson(1) + "}";
  bk::DecodeOptions opts;
  bk::WatchEvent ev;
  std::string error;
  for (auto _ : state) {
    if (!bk::DecodeWatchEvent(line, bk::Resource::kJobs, opts, &ev, &error)) {
      state.SkipWithError(error.c_str());
      break;
    }
    benchmark::DoNotOptimize(ev.job.uid.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(line.size()));
  state.counters["line_bytes"] = static_cast<double>(line.size());
}
BENCHMARK(BM_DecodeWatchEvent);

void BM_SplitAndDecodeStream(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 1000; ++i) stream += R"({"type":"ADDED","object":)" + JobJson(i) + "}\n";
  bk::DecodeOptions opts;
  for (auto _ : state) {
    bk::LineSplitter splitter(16 << 20);
    bk::WatchEvent ev;
    std::string error;
    int n = 0;
    for (size_t off = 0; off < stream.size(); off += 16384) {  // curl-sized chunks
      splitter.Feed(std::string_view(stream).substr(off, 16384), [&](std::string_view l) {
        n += bk::DecodeWatchEvent(l, bk::Resource::kJobs, opts, &ev, &error);
        return true;
      });
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_SplitAndDecodeStream)->Unit(benchmark::kMillisecond);

void BM_DecodeListPage500(benchmark::State& state) {
  std::string body =
      R"({"kind":"JobList","apiVersion":"batch/v1","metadata":{"resourceVersion":"99","continue":"x"},"items":[)";
  for (int i = 0; i < 500; ++i) body += (i ? "," : "") + JobJson(i);
  body += "]}";
  bk::DecodeOptions opts;
  for (auto _ : state) {
    bk::ListPage page;
    std::string error;
    if (!bk::DecodeListPage(body, bk::Resource::kJobs, opts, &page, &error)) {
      state.SkipWithError(error.c_str());
      break;
    }
    benchmark::DoNotOptimize(page.jobs.data());
  }
  state.SetItemsProcessed(state.iterations() * 500);
}
BENCHMARK(BM_DecodeListPage500)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
