#include "tracker/why_state_file.h"

#include <limits>
#include <stdexcept>

#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

using nlohmann::json;

// As state_file.cc's checked reads: a float or a negative number where a count belongs makes
// the file malformed (nlohmann's conversions of those are undefined behaviour).
uint64_t CheckedCount(const json& j) {
  if (!j.is_number_unsigned()) throw std::runtime_error("a count is not a non-negative integer");
  return j.get<uint64_t>();
}

int64_t CheckedInt(const json& j) {
  if (!j.is_number_integer() ||
      (j.is_number_unsigned() &&
       j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    throw std::runtime_error("a value is not a 64-bit integer");
  }
  return j.get<int64_t>();
}

json ReasonsToJson(const ReasonCounts& rc, const StringPool& reasons) {
  json out = json::array();
  for (const auto& [reason, n] : rc.counts) {
    out.push_back({{"reason", reasons.Get(reason)}, {"count", n}});
  }
  return out;
}

std::vector<std::pair<std::string, uint64_t>> ReasonsFromJson(const json& j) {
  std::vector<std::pair<std::string, uint64_t>> out;
  if (!j.is_array()) throw std::runtime_error("reason counts are not a list");
  for (const json& r : j) {
    out.emplace_back(r.at("reason").get<std::string>(), CheckedCount(r.at("count")));
  }
  return out;
}

json CausesToJson(const uint64_t (&counts)[kCreateCauseCount]) {
  json out = json::object();
  for (size_t c = 0; c < kCreateCauseCount; ++c) {
    if (counts[c] > 0) out[CreateCauseLabel(static_cast<CreateCause>(c))] = counts[c];
  }
  return out;
}

void CausesFromJson(const json& j, uint64_t (&counts)[kCreateCauseCount]) {
  if (!j.is_object()) throw std::runtime_error("create failures are not an object");
  for (const auto& [name, value] : j.items()) {
    size_t c = 0;
    while (c < kCreateCauseCount && name != CreateCauseLabel(static_cast<CreateCause>(c))) ++c;
    if (c == kCreateCauseCount) throw std::runtime_error("unknown create failure cause " + name);
    counts[c] = CheckedCount(value);
  }
}

uint8_t ResultId(const std::string& s) {
  for (Result r : {Result::kSucceeded, Result::kFailed, Result::kDeleted}) {
    if (s == ResultLabel(r)) return static_cast<uint8_t>(r);
  }
  throw std::runtime_error("unknown result \"" + s + "\"");
}

}  // namespace

json CronJobWhyToJson(const CronJobWhy& w, const StringPool& reasons) {
  json j{{"pod_failures", ReasonsToJson(w.pod_failures, reasons)},
         {"create_failures_job", CausesToJson(w.create_failures[kCreateJob])},
         {"create_failures_pod", CausesToJson(w.create_failures[kCreatePod])},
         {"controller_events", ReasonsToJson(w.controller_events, reasons)}};
  if (w.last_run.set) {
    const LastRun& l = w.last_run;
    json run{{"job_key", l.job_key},
             {"creation", l.creation},
             {"result", ResultLabel(static_cast<Result>(l.result))},
             {"reason", reasons.Get(l.reason)},
             {"pod_reason", reasons.Get(l.pod_reason)},
             {"pod_created", l.pod_created}};
    if (l.exit_code != kNoExitCode) run["exit_code"] = l.exit_code;
    j["last_run"] = std::move(run);
  }
  return j;
}

json GroupWhyToJson(const GroupWhy& w, const StringPool& reasons) {
  return json{{"pod_failures", ReasonsToJson(w.pod_failures, reasons)},
              {"create_failures_pod", CausesToJson(w.create_failures)}};
}

json EventMarksToJson(const WhyState& why) {
  json out = json::array();
  for (const auto& [uid, mark] : why.event_marks) {
    out.push_back({{"uid", uid}, {"count", mark.count}});
  }
  return out;
}

LoadedWhy WhyFromJson(const json& j) {
  LoadedWhy out;
  if (!j.is_object()) throw std::runtime_error("\"why\" is not an object");
  if (j.contains("pod_failures")) out.pod_failures = ReasonsFromJson(j["pod_failures"]);
  if (j.contains("controller_events")) {
    out.controller_events = ReasonsFromJson(j["controller_events"]);
  }
  if (j.contains("create_failures_job")) {
    CausesFromJson(j["create_failures_job"], out.create_failures[kCreateJob]);
  }
  if (j.contains("create_failures_pod")) {
    CausesFromJson(j["create_failures_pod"], out.create_failures[kCreatePod]);
  }
  if (j.contains("last_run")) {
    const json& r = j["last_run"];
    LoadedWhy::Run run;
    run.run.set = true;
    run.run.job_key = CheckedCount(r.at("job_key"));
    run.run.creation = CheckedInt(r.at("creation"));
    run.run.result = ResultId(r.at("result").get<std::string>());
    run.reason = r.at("reason").get<std::string>();
    run.pod_reason = r.at("pod_reason").get<std::string>();
    run.run.pod_created = CheckedInt(r.at("pod_created"));
    if (r.contains("exit_code")) {
      int64_t code = CheckedInt(r["exit_code"]);
      if (code <= kNoExitCode || code > std::numeric_limits<int32_t>::max()) {
        throw std::runtime_error("an exit code is not a 32-bit integer");
      }
      run.run.exit_code = static_cast<int32_t>(code);
    }
    out.last_run = std::move(run);
  }
  return out;
}

std::vector<std::pair<std::string, int64_t>> EventMarksFromJson(const json& j) {
  std::vector<std::pair<std::string, int64_t>> out;
  if (!j.is_array()) throw std::runtime_error("event marks are not a list");
  for (const json& e : j) {
    int64_t count = CheckedInt(e.at("count"));
    if (count < 0) throw std::runtime_error("an event count is negative");
    out.emplace_back(e.at("uid").get<std::string>(), count);
  }
  return out;
}

void ApplyWhy(TrackerImpl& m, const LoadedWhy& from, CronJobWhy* cronjob, GroupWhy* group) {
  ReasonCounts& pod_failures = cronjob ? cronjob->pod_failures : group->pod_failures;
  for (const auto& [reason, n] : from.pod_failures) {
    pod_failures.Add(m.WhyReasonId(m.why.pod_reasons, reason), n);
  }
  if (!cronjob) {
    for (size_t c = 0; c < kCreateCauseCount; ++c) {
      group->create_failures[c] += from.create_failures[kCreatePod][c];
    }
    return;
  }
  for (int o : {kCreateJob, kCreatePod}) {
    for (size_t c = 0; c < kCreateCauseCount; ++c) {
      cronjob->create_failures[o][c] += from.create_failures[o][c];
    }
  }
  for (const auto& [reason, n] : from.controller_events) {
    cronjob->controller_events.Add(m.WhyReasonId(m.why.event_reasons, reason), n);
  }
  if (from.last_run) {
    LastRun l = from.last_run->run;
    l.reason = m.ReasonId(from.last_run->reason);
    l.pod_reason = from.last_run->pod_reason.empty()
                       ? 0
                       : m.WhyReasonId(m.why.pod_reasons, from.last_run->pod_reason);
    cronjob->last_run = l;
  }
}

}  // namespace batchwatch::tracker
