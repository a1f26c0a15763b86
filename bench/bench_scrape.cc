// A whole /metrics scrape over HTTP at the scale of issue 7 (100k Jobs, 10k CronJobs: about
// 300k series, 30 MB): http::Server with the app's handler (Tracker::AppendMetrics followed by
// the prometheus-cpp self metrics), and a plain-socket client on 127.0.0.1 in the same
// process that reads the whole response into a reused buffer. Wall time is what a scraper
// sees (p50/p99 counters); server_cpu_ms is the process CPU minus the client thread's.
//   bench_scrape [--benchmark_filter=...]   env BW_SCRAPE_CRONJOBS / BW_SCRAPE_JOBS_PER_CRONJOB
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "http/server.h"
#include "tracker/tracker.h"

namespace bb = batchwatch::bench;
namespace bt = batchwatch::tracker;
namespace bh = batchwatch::http;

namespace {

struct Exporter {
  std::unique_ptr<bt::Tracker> tracker;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  bh::Server server;

  int cronjobs = bb::EnvInt("BW_SCRAPE_CRONJOBS", 10000);
  int churn_round = 0;

  Exporter() {
    const int jobs_per = bb::EnvInt("BW_SCRAPE_JOBS_PER_CRONJOB", 10);
    // As in scripts/scale.py: one Job in ten running, the others succeeded.
    tracker = bb::MakeLoadedTracker(cronjobs, jobs_per, [](int k) { return k != 0; });
    tracker->OnSynced(batchwatch::batch::Resource::kCronJobs);
    tracker->OnSynced(batchwatch::batch::Resource::kJobs);
    tracker->Tick(bb::kNow);
    prometheus::BuildGauge()
        .Name("batchwatch_build_info")
        .Help("h")
        .Register(*registry)
        .Add({{"version", "bench"}})
        .Set(1);
    bh::Handlers handlers;
    // The same work as the app's handler (app/cli.cc).
    handlers.metrics = [this](batchwatch::metrics::Exposition* out) {
      prometheus::TextSerializer serializer;
      std::ostringstream self;
      serializer.Serialize(self, registry->Collect());
      out->Add(self.str());
      tracker->AppendMetrics(out);
    };
    handlers.unsynced = [] { return std::vector<std::string>(); };
    bh::ServerOptions so;
    so.listen_address = "127.0.0.1:0";
    std::string error;
    if (!server.Start(so, handlers, &error)) {
      std::fprintf(stderr, "bench_scrape: cannot start the server: %s\n", error.c_str());
      std::exit(1);
    }
  }
};

Exporter& TheExporter() {
  static Exporter e;
  return e;
}

// One GET; returns the bytes received (headers included), 0 on failure.
size_t Get(int port, const char* extra_headers, std::vector<char>* buf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  size_t total = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string req = std::string("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n") + extra_headers +
                      "Connection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
      for (;;) {
        ssize_t n = recv(fd, buf->data(), buf->size(), 0);
        if (n <= 0) break;
        total += static_cast<size_t>(n);
      }
    }
  }
  close(fd);
  return total;
}

double CpuSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<size_t>(p / 100 * static_cast<double>(v.size() - 1) + 0.5))];
}

// Reports, besides the mean wall time: p50/p99 of the wall time and the server's CPU per
// scrape (process CPU minus this client thread's CPU).
void Scrape(benchmark::State& state, const char* headers) {
  Exporter& e = TheExporter();
  std::vector<char> buf(1 << 20);
  std::vector<double> walls;
  size_t bytes = 0;
  const double process0 = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  const double thread0 = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
  const int changed = static_cast<int>(state.range(0));
  for (auto _ : state) {
    // Churn between scrapes, spread over the CronJobs: each one's running Job changes its
    // active pods, so the pieces holding them are replaced (and deflated again for gzip). This
    // thread's CPU is not the server's: it is subtracted below.
    ++e.churn_round;
    for (int n = 0; n < changed; ++n) {
      const int i = static_cast<int>(
          (static_cast<int64_t>(n) * e.cronjobs / changed + e.churn_round) % e.cronjobs);
      batchwatch::batch::Job job = bb::MakeJob(i, 0);
      job.active = 1 + (e.churn_round & 1);
      job.resource_version = std::to_string(200000 + e.churn_round);
      e.tracker->OnJobUpsert(job);
    }
    auto t0 = std::chrono::steady_clock::now();
    bytes = Get(e.server.port(), headers, &buf);
    walls.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (bytes == 0) state.SkipWithError("scrape failed");
  }
  const double server_cpu = (CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process0) -
                            (CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - thread0);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["MiB"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["p50_ms"] = Percentile(walls, 50);
  state.counters["p99_ms"] = Percentile(walls, 99);
  state.counters["server_cpu_ms"] = server_cpu * 1000 / static_cast<double>(walls.size());
}

// Argument: Jobs changed between two scrapes (0: a steady cluster).
void ChurnArgs(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5)->Arg(0)->Arg(1000)->Arg(10000);
}

void BM_ScrapePlain(benchmark::State& state) { Scrape(state, ""); }
BENCHMARK(BM_ScrapePlain)->Apply(ChurnArgs);

void BM_ScrapeGzip(benchmark::State& state) { Scrape(state, "Accept-Encoding: gzip\r\n"); }
BENCHMARK(BM_ScrapeGzip)->Apply(ChurnArgs);

}  // namespace

BENCHMARK_MAIN();
