// Decoding speed of the kube client: watch event lines and list pages of realistic Jobs
// (managedFields, pod template, conditions), as the API server sends them. Each benchmark runs
// the decoder (kube/decode.h, simdjson On-Demand) and, as /legacy, the SAX decoder it replaced
// (legacy_decode.inc), on the same input in the same run, so their ratio is the figure to quote.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>

#include "kube/decode.h"
#include "kube/line_splitter.h"
#include "legacy_decode.inc"

namespace bk = batchwatch::kube;
namespace legacy = batchwatch::legacy_kube;

namespace {

// The decoder under test: 0 = kube/decode.h, 1 = the legacy one.
bool DecodeWatchEventWith(int which, std::string_view line, bk::WatchEvent* ev,
                          std::string* error) {
  const bk::DecodeOptions opts;
  return which == 0 ? bk::DecodeWatchEvent(line, bk::Resource::kJobs, opts, ev, error)
                    : legacy::DecodeWatchEvent(line, bk::Resource::kJobs, opts, ev, error);
}

bool DecodeListPageWith(int which, std::string_view body, bk::Resource r, bk::ListPage* page,
                        std::string* error) {
  const bk::DecodeOptions opts;
  return which == 0 ? bk::DecodeListPage(body, r, opts, page, error)
                    : legacy::DecodeListPage(body, r, opts, page, error);
}

void Name(benchmark::State& state) { state.SetLabel(state.range(0) == 0 ? "new" : "legacy"); }

}  // namespace

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

// One watch line: the API server sends each event on a single line.
std::string WatchLine(const char* type, int i) {
  std::string line = std::string(R"({"type":")") + type + R"(","object":)" + JobJson(i) + "}";
  line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
  return line;
}

void BM_DecodeWatchEvent(benchmark::State& state) {
  Name(state);
  std::string line = WatchLine("MODIFIED", 1);
  bk::WatchEvent ev;
  std::string error;
  for (auto _ : state) {
    if (!DecodeWatchEventWith(static_cast<int>(state.range(0)), line, &ev, &error)) {
      state.SkipWithError(error.c_str());
      break;
    }
    benchmark::DoNotOptimize(ev.job.uid.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(line.size()));
  state.counters["line_bytes"] = static_cast<double>(line.size());
}
BENCHMARK(BM_DecodeWatchEvent)->Arg(0)->Arg(1);

void BM_SplitAndDecodeStream(benchmark::State& state) {
  std::string stream;
  Name(state);
  for (int i = 0; i < 1000; ++i) stream += WatchLine("ADDED", i) + "\n";
  const int which = static_cast<int>(state.range(0));
  for (auto _ : state) {
    bk::LineSplitter splitter(16 << 20);
    bk::WatchEvent ev;
    std::string error;
    int n = 0;
    for (size_t off = 0; off < stream.size(); off += 16384) {  // curl-sized chunks
      splitter.Feed(std::string_view(stream).substr(off, 16384), [&](std::string_view l) {
        n += DecodeWatchEventWith(which, l, &ev, &error);
        return true;
      });
    }
    if (n != 1000) {
      state.SkipWithError("a watch line did not decode");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_SplitAndDecodeStream)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_DecodeListPage500(benchmark::State& state) {
  std::string body =
      R"({"kind":"JobList","apiVersion":"batch/v1","metadata":{"resourceVersion":"99","continue":"x"},"items":[)";
  for (int i = 0; i < 500; ++i) body += (i ? "," : "") + JobJson(i);
  body += "]}";
  Name(state);
  for (auto _ : state) {
    bk::ListPage page;
    std::string error;
    if (!DecodeListPageWith(static_cast<int>(state.range(0)), body, bk::Resource::kJobs, &page,
                            &error)) {
      state.SkipWithError(error.c_str());
      break;
    }
    if (page.jobs.size() != 500) {
      state.SkipWithError("a list item did not decode");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 500);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_DecodeListPage500)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

std::string CronJobJson(int i) {
  std::string n = std::to_string(i);
  return R"({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"report-)" + n +
         R"(","namespace":"team-)" + std::to_string(i % 50) +
         R"(","uid":"1b2c3d4e-0000-4000-8000-)" + std::to_string(100000000000 + i) +
         R"(","resourceVersion":")" + n + R"(","generation":3,"creationTimestamp":"2024-01-02T03:04:05Z","labels":{"app.kubernetes.io/name":"report","team":"data"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"annotations\":{},\"name\":\"report\",\"namespace\":\"data\"},\"spec\":{\"schedule\":\"*/15 * * * *\"}}\n"},"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"batch/v1","time":"2024-01-02T03:04:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},"f:spec":{"f:concurrencyPolicy":{},"f:failedJobsHistoryLimit":{},"f:jobTemplate":{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"main\"}":{".":{},"f:image":{},"f:name":{}}}}}}},"f:schedule":{},"f:successfulJobsHistoryLimit":{},"f:suspend":{},"f:timeZone":{}}}},{"manager":"kube-controller-manager","operation":"Update","apiVersion":"batch/v1","time":"2024-03-28T10:41:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:active":{},"f:lastScheduleTime":{},"f:lastSuccessfulTime":{}}},"subresource":"status"}]},"spec":{"schedule":"*/15 * * * *","timeZone":"Europe/Berlin","concurrencyPolicy":"Forbid","suspend":false,"startingDeadlineSeconds":300,"jobTemplate":{"metadata":{"creationTimestamp":null},"spec":{"backoffLimit":2,"template":{"metadata":{"creationTimestamp":null,"labels":{"app.kubernetes.io/name":"report"}},"spec":{"containers":[{"name":"main","image":"registry.example.com/data/report:2.1.0","args":["--since","15m"],"resources":{"requests":{"cpu":"200m","memory":"128Mi"}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"OnFailure","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}}}},"successfulJobsHistoryLimit":3,"failedJobsHistoryLimit":1},"status":{"active":[{"kind":"Job","namespace":"data","name":"report-28531290","uid":"5e6f7a8b-0000-4000-8000-000000000002","apiVersion":"batch/v1","resourceVersion":"123456"}],"lastScheduleTime":"2024-03-28T10:45:00Z","lastSuccessfulTime":"2024-03-28T10:31:10Z"}})";
}

void BM_DecodeCronJobListPage500(benchmark::State& state) {
  std::string body =
      R"({"kind":"CronJobList","apiVersion":"batch/v1","metadata":{"resourceVersion":"99","continue":"x"},"items":[)";
  for (int i = 0; i < 500; ++i) body += (i ? "," : "") + CronJobJson(i);
  body += "]}";
  Name(state);
  for (auto _ : state) {
    bk::ListPage page;
    std::string error;
    if (!DecodeListPageWith(static_cast<int>(state.range(0)), body, bk::Resource::kCronJobs, &page,
                            &error) ||
        page.cronjobs.size() != 500) {
      state.SkipWithError(error.empty() ? "a list item did not decode" : error.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 500);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_DecodeCronJobListPage500)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
