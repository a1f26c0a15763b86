// The "why" parts of the --state-file (state_file.cc): per CronJob and job group an optional
// "why" object (pod failures, create failures, controller events, the last run), and the
// per-event high-water marks at the top ("event_marks"). All keys are optional, so files written
// before them load unchanged. Reads validate into Loaded* values; nothing is applied until the
// whole file validated.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tracker/why.h"

namespace batchwatch::tracker {

class StringPool;
struct TrackerImpl;

struct LoadedWhy {
  std::vector<std::pair<std::string, uint64_t>> pod_failures, controller_events;
  uint64_t create_failures[2][kCreateCauseCount] = {};
  struct Run {
    LastRun run;  // reason ids unset
    std::string reason, pod_reason;
  };
  std::optional<Run> last_run;
};

nlohmann::json CronJobWhyToJson(const CronJobWhy& w, const StringPool& reasons);
nlohmann::json GroupWhyToJson(const GroupWhy& w, const StringPool& reasons);
nlohmann::json EventMarksToJson(const WhyState& why);
// Throw std::runtime_error (or nlohmann's exceptions) on a malformed value.
LoadedWhy WhyFromJson(const nlohmann::json& j);
std::vector<std::pair<std::string, int64_t>> EventMarksFromJson(const nlohmann::json& j);

void ApplyWhy(TrackerImpl& m, const LoadedWhy& from, CronJobWhy* cronjob, GroupWhy* group);

}  // namespace batchwatch::tracker
