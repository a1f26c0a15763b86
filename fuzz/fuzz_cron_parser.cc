// libFuzzer target: any bytes as a schedule. Parsing must never crash; a parsed schedule's Next()
// (fast path and reference walk) must agree and stay strictly after t, in several zones, and the
// controller math must not crash either.
#include <cctz/time_zone.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cron/controller.h"
#include "cron/schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using batchwatch::cron::Schedule;
  std::string_view spec(reinterpret_cast<const char*>(data), size);
  std::string error;
  std::optional<Schedule> s = Schedule::Parse(spec, &error);
  if (!s) {
    if (error.empty()) std::abort();  // every rejection explains itself
    return 0;
  }
  static const cctz::time_zone zones[] = {
      [] {
        cctz::time_zone z;
        batchwatch::cron::LoadTimeZone("America/New_York", &z, nullptr);
        return z;
      }(),
      [] {
        cctz::time_zone z;
        batchwatch::cron::LoadTimeZone("Australia/Lord_Howe", &z, nullptr);
        return z;
      }(),
      cctz::utc_time_zone(),
  };
  // Instants derived from the input length: around a DST change, a leap day, far past/future.
  const int64_t instants[] = {1730611800 - 3600, 1709164800, 1728142200,
                              -62135596800 + static_cast<int64_t>(size), 253402300000};
  for (const cctz::time_zone& zone : zones) {
    for (int64_t t : instants) {
      std::optional<int64_t> next = s->Next(t, zone);
      if (next != s->NextReference(t, zone)) std::abort();
      if (next && *next <= t) std::abort();
    }
  }
  batchwatch::cron::ResolveSchedule(spec, std::nullopt, "UTC", 1730611800);
  batchwatch::cron::MostRecentUnmetSlot(*s, zones[0], 1700000000, 1730000000, 3600, 1730611800);
  return 0;
}

// UndefinedBehaviorSanitizer findings are crashes too (the libraries are built recoverable).
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
