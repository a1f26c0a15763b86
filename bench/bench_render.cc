// /metrics rendering at about 1M series, three ways over the same series in one run:
//   BM_TrackerAppendMetrics   what a scrape does: concatenate the records' pre-rendered text
//   BM_Memcpy                 copy the same bytes into a fresh buffer (the floor)
//   BM_PrometheusCppCollect   prometheus-cpp Registry::Collect + TextSerializer, same series
// Compare the ratios, not the absolute figures (the machine is shared and noisy).
//   bench_render [--benchmark_filter=...]   env BW_RENDER_CRONJOBS / BW_RENDER_JOBS_PER_CRONJOB
#include <benchmark/benchmark.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "tracker/tracker.h"

namespace bb = batchwatch::bench;
namespace bt = batchwatch::tracker;

namespace {

size_t CountSeries(const std::string& text) {
  size_t n = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (text[pos] != '#') ++n;
    pos = end + 1;
  }
  return n;
}

// One Tracker holding the cluster, built once for every benchmark of this program.
struct Cluster {
  std::unique_ptr<bt::Tracker> tracker;
  std::string text;  // one rendering, for memcpy and prometheus-cpp
  size_t series = 0;

  Cluster() {
    const int cronjobs = bb::EnvInt("BW_RENDER_CRONJOBS", 10000);
    const int jobs_per = bb::EnvInt("BW_RENDER_JOBS_PER_CRONJOB", 20);
    // A few finished runs feed the counters and histograms; the rest are running.
    tracker = bb::MakeLoadedTracker(cronjobs, jobs_per, [](int k) { return k < 2; });
    tracker->OnSynced(batchwatch::batch::Resource::kCronJobs);
    tracker->OnSynced(batchwatch::batch::Resource::kJobs);
    tracker->Tick(bb::kNow);
    tracker->AppendMetrics(&text);
    series = CountSeries(text);
  }
};

Cluster& TheCluster() {
  static Cluster c;
  return c;
}

void Report(benchmark::State& state, const Cluster& c) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(c.text.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.series));
  state.counters["series"] = static_cast<double>(c.series);
  state.counters["MiB"] = static_cast<double>(c.text.size()) / (1 << 20);
}

void BM_TrackerAppendMetrics(benchmark::State& state) {
  Cluster& c = TheCluster();
  for (auto _ : state) {
    std::string out;
    out.reserve(1 << 16);  // as http::Server does
    c.tracker->AppendMetrics(&out);
    benchmark::DoNotOptimize(out.data());
  }
  Report(state, c);
}
BENCHMARK(BM_TrackerAppendMetrics)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Memcpy(benchmark::State& state) {
  Cluster& c = TheCluster();
  for (auto _ : state) {
    std::unique_ptr<char[]> out(new char[c.text.size()]);
    std::memcpy(out.get(), c.text.data(), c.text.size());
    benchmark::DoNotOptimize(out.get());
    benchmark::ClobberMemory();
  }
  Report(state, c);
}
BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same series registered as prometheus-cpp gauges (histogram lines as gauges of their
// _bucket/_sum/_count names: the same series count and nearly the same bytes).
struct PromRegistry {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

  explicit PromRegistry(const std::string& text) {
    std::map<std::string, prometheus::Family<prometheus::Gauge>*> families;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      if (line.empty() || line[0] == '#') continue;
      size_t brace = line.find('{');
      size_t close = line.rfind('}');
      std::string name(line.substr(0, brace));
      prometheus::Labels labels;
      std::string_view ls = line.substr(brace + 1, close - brace - 1);
      while (!ls.empty()) {  // key="value" pairs; benchmark values have no escapes
        size_t eq = ls.find('=');
        size_t q2 = ls.find('"', eq + 2);
        labels.emplace(std::string(ls.substr(0, eq)), std::string(ls.substr(eq + 2, q2 - eq - 2)));
        ls = q2 + 1 < ls.size() ? ls.substr(q2 + 2) : std::string_view();
      }
      double value = std::strtod(std::string(line.substr(close + 2)).c_str(), nullptr);
      auto& fam = families[name];
      if (!fam) fam = &prometheus::BuildGauge().Name(name).Help("h").Register(*registry);
      fam->Add(labels).Set(value);
    }
  }
};

void BM_PrometheusCppCollect(benchmark::State& state) {
  Cluster& c = TheCluster();
  static PromRegistry prom(c.text);
  size_t bytes = 0;
  for (auto _ : state) {
    prometheus::TextSerializer serializer;
    std::ostringstream os;
    serializer.Serialize(os, prom.registry->Collect());
    std::string out = os.str();
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  Report(state, c);
  state.counters["prom_MiB"] = static_cast<double>(bytes) / (1 << 20);
}
BENCHMARK(BM_PrometheusCppCollect)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
