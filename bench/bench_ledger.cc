// The slot ledger at fleet scale (issue 13): memory per slot and per run with every CronJob's
// ledger full, and the server CPU of the status pages and the JSON API.
//   BM_FleetSnapshot   Tracker::Snapshot (the part under the tracker's lock), nothing changed
//                      since the last request (the per-ledger window counts are reused)
//   BM_FleetSnapshotAllChanged   the same after every CronJob decided a new slot (every
//                      ledger's counts are recomputed: the cost of a busy fleet)
//   BM_FleetJson       /api/v1/cronjobs: snapshot + JSON (rows unchanged: their text is kept)
//   BM_FleetPage       `/`: snapshot + HTML (likewise)
//   BM_FleetJsonAllChanged, BM_FleetPageAllChanged   the same after every CronJob decided a new
//                      slot (every row rendered anew)
//   BM_FleetJsonAllChangedWords   BM_FleetJsonAllChanged through a Site with the schedule-in-words
//                      hook the binary uses (cron::ExplainSchedule)
//   BM_FleetRowTextMemory   heap the kept row texts (web/row_texts.h) hold after one fleet JSON
//                      and one fleet page request to a new Site (malloc's in-use bytes before
//                      and after; the rows themselves are the Tracker's and exist already)
//   BM_CronJobPage     /cronjobs/NS/NAME: one CronJob's ledger + HTML
//   BM_CronJobJson     /api/v1/cronjobs/NS/NAME
//   BM_Scrape / BM_ScrapeWhilePagesServed   AppendMetrics alone, and while another thread
//                      renders the fleet page in a loop (the lock is shared)
// Size: BW_LEDGER_CRONJOBS (default 10000) CronJobs x BW_LEDGER_SLOTS (default 200) minutes,
// one run per minute each (the ledger fills to its default bounds of 200 slots and 200 runs).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>

#include "cron/controller.h"
#include "cron/explain.h"
#include "fixtures.h"
#include "web/web.h"

namespace bb = batchwatch::bench;
namespace bt = batchwatch::tracker;
namespace bw = batchwatch::web;
namespace http = batchwatch::http;
using batchwatch::batch::UnixSeconds;

namespace {

struct Fleet {
  UnixSeconds now = bb::kNow;
  std::unique_ptr<bt::Tracker> tracker;
  std::unique_ptr<bw::Site> site;
  std::unique_ptr<bw::Site> site_with_words;  // SiteOptions as the binary sets them
};

Fleet& Loaded() {
  static Fleet* fleet = [] {
    auto* f = new Fleet;
    int cronjobs = bb::EnvInt("BW_LEDGER_CRONJOBS", 10000);
    int minutes = bb::EnvInt("BW_LEDGER_SLOTS", 200);
    bt::TrackerOptions opts;
    opts.clock = [f] { return f->now; };
    f->tracker = std::make_unique<bt::Tracker>(opts);
    UnixSeconds start = bb::kNow - bb::kNow % 60;
    f->now = start;
    std::vector<batchwatch::batch::CronJob> cjs;
    for (int i = 0; i < cronjobs; ++i) {
      auto c = bb::MakeCronJob(i);
      c.schedule = "* * * * *";
      c.concurrency_policy = batchwatch::batch::ConcurrencyPolicy::kAllow;
      c.creation_time = start - 3600;
      c.last_schedule_time.reset();
      cjs.push_back(c);
      f->tracker->OnCronJobUpsert(c);
    }
    f->tracker->OnSynced(batchwatch::batch::Resource::kJobs);
    f->tracker->OnSynced(batchwatch::batch::Resource::kCronJobs);
    for (int m = 1; m <= minutes; ++m) {
      UnixSeconds slot = start + 60 * m;
      f->now = slot + 3;
      for (int i = 0; i < cronjobs; ++i) {
        batchwatch::batch::Job j = bb::MakeJob(i, m, /*succeeded=*/i % 17 != 0 || m % 3 != 0);
        j.name = batchwatch::cron::JobNameForSlot(cjs[i].name, slot);
        j.creation_time = slot + 1;
        j.scheduled_timestamp = slot;
        j.start_time = slot + 2;
        if (!j.finished()) {  // every 17th CronJob fails every third run
          j.outcome = batchwatch::batch::JobOutcome::kFailed;
          j.failed = 1;
          j.active = 0;
          j.terminal_reason = "BackoffLimitExceeded";
        }
        j.end_time = slot + 3;
        // One event: the DELETED of a finished Job counts its run and forgets the Job.
        f->tracker->OnJobDelete(j);
      }
      f->tracker->Tick(f->now);
    }
    f->now += 120;
    f->tracker->Tick(f->now);
    f->site = std::make_unique<bw::Site>(f->tracker.get(), bw::SiteOptions{});
    bw::SiteOptions with_words;
    with_words.explain_schedule = batchwatch::cron::ExplainSchedule;
    f->site_with_words = std::make_unique<bw::Site>(f->tracker.get(), with_words);
    bt::LedgerMemory mem = f->tracker->LedgerMemoryUse();
    std::fprintf(stderr,
                 "ledger: %d CronJobs, %zu slots in %zu bytes (%.1f B/slot), %zu runs in %zu "
                 "bytes (%.1f B/run)\n",
                 cronjobs, mem.slots, mem.slot_bytes,
                 mem.slots ? double(mem.slot_bytes) / double(mem.slots) : 0.0, mem.runs,
                 mem.run_bytes, mem.runs ? double(mem.run_bytes) / double(mem.runs) : 0.0);
    return f;
  }();
  return *fleet;
}

void Serve(benchmark::State& state, const std::string& path) {
  Fleet& f = Loaded();
  size_t bytes = 0;
  for (auto _ : state) {
    http::Response r;
    f.site->Handle({"GET", path, ""}, &r);
    bytes = r.body.size();
    benchmark::DoNotOptimize(r.body.data());
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}

void BM_FleetSnapshot(benchmark::State& state) {
  Fleet& f = Loaded();
  for (auto _ : state) {
    auto s = f.tracker->Snapshot(true, true);
    benchmark::DoNotOptimize(s.cronjobs.data());
  }
  bt::LedgerMemory mem = f.tracker->LedgerMemoryUse();
  state.counters["bytes_per_slot"] = mem.slots ? double(mem.slot_bytes) / double(mem.slots) : 0;
  state.counters["bytes_per_run"] = mem.runs ? double(mem.run_bytes) / double(mem.runs) : 0;
  state.counters["ledger_MB"] = double(mem.slot_bytes + mem.run_bytes) / 1e6;
}
// Before each measured request, one more slot of every CronJob is decided (missed: no Job), so
// every fleet row changes and nothing kept from the last request applies.
template <typename Request>
void AllChanged(benchmark::State& state, Request request) {
  Fleet& f = Loaded();
  for (auto _ : state) {
    state.PauseTiming();
    f.now += 60;
    f.tracker->Tick(f.now);
    state.ResumeTiming();
    request(f);
  }
}
void BM_FleetSnapshotAllChanged(benchmark::State& state) {
  AllChanged(state, [](Fleet& f) {
    auto s = f.tracker->Snapshot(true, true);
    benchmark::DoNotOptimize(s.cronjobs.data());
  });
}
void ServeAllChanged(benchmark::State& state, const std::string& path) {
  AllChanged(state, [&](Fleet& f) {
    http::Response r;
    f.site->Handle({"GET", path, ""}, &r);
    benchmark::DoNotOptimize(r.body.data());
  });
}
void BM_FleetJsonAllChangedWords(benchmark::State& state) {
  AllChanged(state, [](Fleet& f) {
    http::Response r;
    f.site_with_words->Handle({"GET", "/api/v1/cronjobs", ""}, &r);
    benchmark::DoNotOptimize(r.body.data());
  });
}
void BM_FleetJson(benchmark::State& state) { Serve(state, "/api/v1/cronjobs"); }
void BM_FleetPage(benchmark::State& state) { Serve(state, "/"); }
void BM_FleetJsonAllChanged(benchmark::State& state) { ServeAllChanged(state, "/api/v1/cronjobs"); }
void BM_FleetPageAllChanged(benchmark::State& state) { ServeAllChanged(state, "/"); }
void BM_FleetRowTextMemory(benchmark::State& state) {
  Fleet& f = Loaded();
  benchmark::DoNotOptimize(f.tracker->Snapshot(true, true).cronjobs.data());  // rows made
  size_t rows = 0, bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto site = std::make_unique<bw::Site>(f.tracker.get(), bw::SiteOptions{});
    malloc_trim(0);
    const size_t before = mallinfo2().uordblks;
    for (const char* path : {"/api/v1/cronjobs", "/"}) {
      http::Response r;
      site->Handle({"GET", path, ""}, &r);
    }
    bytes = mallinfo2().uordblks - before;
    rows = f.tracker->Snapshot(true, false).cronjobs.size();
    site.reset();
    state.ResumeTiming();
  }
  state.counters["row_text_MB"] = double(bytes) / 1e6;
  state.counters["bytes_per_row"] = rows ? double(bytes) / double(rows) : 0;
}
void BM_CronJobPage(benchmark::State& state) { Serve(state, "/cronjobs/team-7/report-7"); }
void BM_CronJobJson(benchmark::State& state) { Serve(state, "/api/v1/cronjobs/team-7/report-7"); }

void Scrape(benchmark::State& state, bool pages) {
  Fleet& f = Loaded();
  std::atomic<bool> stop{false};
  std::atomic<int> served{0};
  std::thread renderer;
  if (pages) {
    renderer = std::thread([&] {
      while (!stop) {
        http::Response r;
        f.site->Handle({"GET", "/", ""}, &r);
        ++served;
      }
    });
  }
  for (auto _ : state) {
    std::string out;
    f.tracker->AppendMetrics(&out);
    benchmark::DoNotOptimize(out.data());
  }
  stop = true;
  if (renderer.joinable()) renderer.join();
  state.counters["pages_served"] = served.load();
}
void BM_Scrape(benchmark::State& state) { Scrape(state, false); }
void BM_ScrapeWhilePagesServed(benchmark::State& state) { Scrape(state, true); }

BENCHMARK(BM_FleetSnapshot)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetSnapshotAllChanged)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetPage)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetJsonAllChanged)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetPageAllChanged)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetJsonAllChangedWords)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FleetRowTextMemory)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_CronJobPage)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CronJobJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Scrape)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ScrapeWhilePagesServed)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
