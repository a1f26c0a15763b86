// Schedule engine hot paths: Next() for common schedules (goal: under 250 ns median) and the
// controller's MostRecentUnmetSlot as the tracker calls it on every sync.
#include <benchmark/benchmark.h>
#include <cctz/time_zone.h>

#include <cstdint>
#include <string>

#include "cron/controller.h"
#include "cron/schedule.h"

namespace {

using batchwatch::cron::Schedule;

cctz::time_zone Zone(const char* name) {
  cctz::time_zone z;
  batchwatch::cron::LoadTimeZone(name, &z, nullptr);
  return z;
}

void BM_Next(benchmark::State& state, const char* spec, const char* zone_name) {
  const Schedule s = *Schedule::Parse(spec, nullptr);
  const cctz::time_zone zone = Zone(zone_name);
  int64_t t = 1718000000;  // June 2024
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.Next(t, zone));
    t += 97;  // walk through the day so every branch of the walk is exercised
  }
}
BENCHMARK_CAPTURE(BM_Next, every5min_shanghai, "*/5 * * * *", "Asia/Shanghai");
BENCHMARK_CAPTURE(BM_Next, daily2am_shanghai, "0 2 * * *", "Asia/Shanghai");
BENCHMARK_CAPTURE(BM_Next, every5min_new_york, "*/5 * * * *", "America/New_York");
BENCHMARK_CAPTURE(BM_Next, daily2am_new_york, "0 2 * * *", "America/New_York");
BENCHMARK_CAPTURE(BM_Next, weekdays_berlin, "30 6-16/4 * * 1-5", "Europe/Berlin");

void BM_NextReference(benchmark::State& state) {
  const Schedule s = *Schedule::Parse("0 2 * * *", nullptr);
  const cctz::time_zone zone = Zone("Asia/Shanghai");
  int64_t t = 1718000000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.NextReference(t, zone));
    t += 97;
  }
}
BENCHMARK(BM_NextReference);

void BM_MostRecentUnmetSlot(benchmark::State& state) {
  const Schedule s = *Schedule::Parse("*/5 * * * *", nullptr);
  const cctz::time_zone zone = Zone("Asia/Shanghai");
  int64_t now = 1718000000;
  for (auto _ : state) {
    // A CronJob that ran at its last slot; called a little after the next one.
    int64_t last = (now / 300 - 1) * 300;
    benchmark::DoNotOptimize(
        batchwatch::cron::MostRecentUnmetSlot(s, zone, 1700000000, last, std::nullopt, now));
    now += 97;
  }
}
BENCHMARK(BM_MostRecentUnmetSlot);

void BM_Parse(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Schedule::Parse("30 6-16/4 * * 1-5", nullptr));
}
BENCHMARK(BM_Parse);

}  // namespace

BENCHMARK_MAIN();
