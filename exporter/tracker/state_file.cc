// --state-file: counters, histograms, counted Job UIDs, each CronJob's accounted-until point
// and the slot ledger, as versioned JSON. Written atomically (temp file, fsync, rename); a file
// that cannot be used is moved aside and the tracker starts fresh.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "log/log.h"
#include "tracker/tracker.h"
#include "tracker/tracker_state.h"
#include "tracker/why_state_file.h"

namespace batchwatch::tracker {

namespace {

constexpr int kStateVersion = 1;

using nlohmann::json;

// Checked reads: nlohmann's get<int64_t>() of a float (1e78) is an out-of-range conversion,
// undefined behaviour (fuzz-found). A file holding one is malformed.
UnixSeconds Time(const json& j) {
  if (!j.is_number_integer() ||
      (j.is_number_unsigned() &&
       j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<UnixSeconds>::max()))) {
    throw std::runtime_error("a time is not a 64-bit integer");
  }
  return j.get<UnixSeconds>();
}

uint64_t Count(const json& j) {
  if (!j.is_number_unsigned()) throw std::runtime_error("a count is not a non-negative integer");
  return j.get<uint64_t>();
}

template <size_t N>
json HistogramToJson(const Histogram<N>& h) {
  return json{{"buckets", h.counts}, {"sum", h.sum}, {"count", h.count}};
}

template <size_t N>
Histogram<N> HistogramFromJson(const json& j) {
  Histogram<N> h;
  const json& b = j.at("buckets");
  if (!b.is_array() || b.size() != N + 1) throw std::runtime_error("histogram bucket count");
  for (size_t i = 0; i <= N; ++i) h.counts[i] = Count(b.at(i));
  h.sum = j.at("sum").get<double>();
  h.count = Count(j.at("count"));
  return h;
}

json RunsToJson(const RunCounts& rc, const StringPool& reasons) {
  json runs = json::array();
  for (const auto& [key, n] : rc.runs) {
    runs.push_back({{"trigger", TriggerLabel(key.trigger)},
                    {"result", ResultLabel(key.result)},
                    {"reason", reasons.Get(key.reason)},
                    {"count", n}});
  }
  json j{{"runs", runs}};
  if (rc.duration_seen[0]) j["duration_succeeded"] = HistogramToJson(rc.duration[0]);
  if (rc.duration_seen[1]) j["duration_failed"] = HistogramToJson(rc.duration[1]);
  return j;
}

Trigger TriggerFromString(const std::string& s) {
  if (s == "scheduled") return Trigger::kScheduled;
  if (s == "manual") return Trigger::kManual;
  throw std::runtime_error("unknown trigger \"" + s + "\"");
}

Result ResultFromString(const std::string& s) {
  if (s == "succeeded") return Result::kSucceeded;
  if (s == "failed") return Result::kFailed;
  if (s == "deleted") return Result::kDeleted;
  throw std::runtime_error("unknown result \"" + s + "\"");
}

// Reasons are interned by the caller after the whole file validated.
struct LoadedRuns {
  std::vector<std::tuple<Trigger, Result, std::string, uint64_t>> runs;
  RunCounts counts;  // durations only
};

LoadedRuns RunsFromJson(const json& j) {
  LoadedRuns out;
  for (const json& r : j.at("runs")) {
    out.runs.emplace_back(TriggerFromString(r.at("trigger").get<std::string>()),
                          ResultFromString(r.at("result").get<std::string>()),
                          r.at("reason").get<std::string>(), Count(r.at("count")));
  }
  if (j.contains("duration_succeeded")) {
    out.counts.duration[0] = HistogramFromJson<kDurationBuckets.size()>(j["duration_succeeded"]);
    out.counts.duration_seen[0] = true;
  }
  if (j.contains("duration_failed")) {
    out.counts.duration[1] = HistogramFromJson<kDurationBuckets.size()>(j["duration_failed"]);
    out.counts.duration_seen[1] = true;
  }
  return out;
}

// The ledger (tracker/ledger.h) as arrays, not objects: at 200 slots and runs per CronJob the
// key names would be most of the file. Optional on load: files written before it still load.
json LedgerToJson(const Ledger& l, const StringPool& reasons) {
  json slots = json::array();
  for (const SlotEntry& e : l.slots()) {
    slots.push_back({e.slot, static_cast<int>(e.outcome), static_cast<int>(e.reason), e.evidence,
                     e.evidence_end, e.decided_after});
  }
  json runs = json::array();
  for (const RunEntry& e : l.runs()) {
    runs.push_back({std::string(e.job()), std::string(e.uid()), e.slot, e.created, e.started,
                    e.ended, e.counted_at, reasons.Get(e.reason), TriggerLabel(Trigger(e.trigger)),
                    ResultLabel(Result(e.result)), e.counted, e.replaced});
  }
  return json{{"slots", slots}, {"runs", runs}};
}

struct LoadedLedger {
  std::vector<SlotEntry> slots;
  std::vector<std::pair<RunEntry, std::string>> runs;  // with its reason, interned later
};

LoadedLedger LedgerFromJson(const json& j) {
  LoadedLedger out;
  for (const json& a : j.at("slots")) {
    if (!a.is_array() || a.size() != 6) throw std::runtime_error("a ledger slot is not 6 values");
    SlotEntry e;
    e.slot = Time(a[0]);
    uint64_t outcome = Count(a[1]), reason = Count(a[2]);
    if (outcome > static_cast<uint64_t>(SlotOutcome::kUnobserved) || reason > kSuperseded) {
      throw std::runtime_error("a ledger slot has an unknown outcome or reason");
    }
    e.outcome = SlotOutcome(outcome);
    e.reason = MissReason(reason);
    e.evidence = Time(a[3]);
    e.evidence_end = Time(a[4]);
    uint64_t after = Count(a[5]);
    if (after > std::numeric_limits<uint32_t>::max()) throw std::runtime_error("ledger slot age");
    e.decided_after = static_cast<uint32_t>(after);
    out.slots.push_back(e);
  }
  for (const json& a : j.at("runs")) {
    if (!a.is_array() || a.size() != 12) throw std::runtime_error("a ledger run is not 12 values");
    RunEntry e;
    e.job_and_uid = a[0].get<std::string>() + "\n" + a[1].get<std::string>();
    e.slot = Time(a[2]);
    e.created = Time(a[3]);
    e.started = Time(a[4]);
    e.ended = Time(a[5]);
    e.counted_at = Time(a[6]);
    e.trigger = static_cast<uint8_t>(TriggerFromString(a[8].get<std::string>()));
    e.result = static_cast<uint8_t>(ResultFromString(a[9].get<std::string>()));
    e.counted = a[10].get<bool>();
    e.replaced = a[11].get<bool>();
    out.runs.emplace_back(std::move(e), a[7].get<std::string>());
  }
  return out;
}

std::string Errno() { return std::strerror(errno); }

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool Tracker::SaveState(const std::string& path, std::string* error) const {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    const TrackerImpl& m = *impl_;
    UnixSeconds now = m.Now();
    json cronjobs = json::array();
    for (const auto& r : m.cronjobs) {
      if (!r.live) continue;
      json c{{"namespace", m.strings.Get(r.ns)},
             {"name", m.strings.Get(r.name)},
             {"counts", RunsToJson(r.history.runs, m.reasons)},
             {"start_delay", HistogramToJson(r.history.start_delay)},
             {"missed_deadline_exceeded", r.history.missed[kDeadlineExceeded]},
             {"missed_superseded", r.history.missed[kSuperseded]},
             {"forbid_skipped", r.history.forbid_skipped},
             {"replaced", r.history.replaced},
             {"ledger", LedgerToJson(r.ledger, m.reasons)}};
      if (r.exists && r.slots.accounting()) {
        c["uid"] = r.spec.uid;
        c["accounted_until"] = r.slots.accounted_until();
      }
      if (r.gauges.last_success_observed) c["last_success"] = *r.gauges.last_success_observed;
      if (r.gauges.last_failure_observed) c["last_failure"] = *r.gauges.last_failure_observed;
      // The consecutive failures: their Jobs may be gone (history limits) by the next start.
      if (r.gauges.last_success_creation != kDawn) {
        c["last_success_creation"] = r.gauges.last_success_creation;
      }
      if (!r.gauges.failures_since_success.empty()) {
        c["failures_since_success"] = r.gauges.failures_since_success;
      }
      if (r.gauges.failures_overflow > 0) c["failures_overflow"] = r.gauges.failures_overflow;
      if (!r.exists) c["deleted_at"] = r.deleted_at == 0 ? now : r.deleted_at;
      if (r.why.Counted()) c["why"] = CronJobWhyToJson(r.why, m.reasons);
      cronjobs.push_back(std::move(c));
    }
    // Slot accounting of CronJobs not seen since the state was loaded stays as it was.
    for (const auto& [key, saved] : m.saved_slots) {
      auto slash = key.find('/');
      cronjobs.push_back({{"namespace", key.substr(0, slash)},
                          {"name", key.substr(slash + 1)},
                          {"uid", saved.uid},
                          {"accounted_until", saved.accounted_until},
                          {"counts", RunsToJson(RunCounts{}, m.reasons)},
                          {"start_delay", HistogramToJson(Histogram<kStartDelayBuckets.size()>{})},
                          {"missed_deadline_exceeded", 0},
                          {"missed_superseded", 0},
                          {"forbid_skipped", 0},
                          {"replaced", 0},
                          {"slots_only", true}});
    }
    json groups = json::array();
    for (const auto& g : m.groups) {
      groups.push_back({{"namespace", m.strings.Get(g.ns)},
                        {"group", m.strings.Get(g.group)},
                        {"counts", RunsToJson(g.runs, m.reasons)},
                        {"why", GroupWhyToJson(g.why, m.reasons)},
                        {"ledger", LedgerToJson(g.ledger, m.reasons)}});
    }
    json counted = json::array();
    for (const auto& [uid, index] : m.job_index) {
      if (m.jobs[index].counted) counted.push_back({{"uid", uid}, {"deleted_at", 0}});
    }
    for (const auto& [uid, deleted_at] : m.counted_gone) {
      counted.push_back({{"uid", uid}, {"deleted_at", deleted_at}});
    }
    json doc{{"version", kStateVersion},
             {"saved_at", now},
             {"counting_since", m.counting_since},
             {"cronjobs", cronjobs},
             {"job_groups", groups},
             {"counted_jobs", counted},
             {"event_marks", EventMarksToJson(m.why)}};
    text = doc.dump();
  }

  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot create state file " + tmp + ": " + Errno();
    return false;
  }
  if (!WriteAll(fd, text) || ::fsync(fd) != 0) {
    *error = "cannot write state file " + tmp + ": " + Errno();
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::close(fd) != 0) {
    *error = "cannot write state file " + tmp + ": " + Errno();
    ::unlink(tmp.c_str());
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot rename " + tmp + " to " + path + ": " + Errno();
    ::unlink(tmp.c_str());
    return false;
  }
  // Make the rename itself durable.
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

bool Tracker::LoadState(const std::string& path, std::string* message) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  TrackerImpl& m = *impl_;
  UnixSeconds now = m.Now();

  auto set_aside = [&](const std::string& problem) {
    std::string aside = path + ".corrupt-" + std::to_string(now);
    if (::rename(path.c_str(), aside.c_str()) == 0) {
      *message = "state file " + path + " " + problem + "; moved to " + aside + ", starting fresh";
    } else {
      *message = "state file " + path + " " + problem + "; could not move it aside (" + Errno() +
                 "), starting fresh";
    }
    BW_LOG_WARN("state file unusable", {{"path", path}, {"problem", problem}});
    return false;
  };

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      *message = "state file " + path + " does not exist yet; starting fresh";
      return true;
    }
    return set_aside("cannot be read (" + Errno() + ")");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return set_aside("cannot be read (" + Errno() + ")");
  json doc = json::parse(buf.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return set_aside("is not valid JSON");

  struct LoadedCronJob {
    std::string ns, name;
    LoadedRuns runs;
    Histogram<kStartDelayBuckets.size()> start_delay;
    uint64_t missed[2], forbid_skipped, replaced;
    std::optional<SavedSlots> slots;
    std::optional<UnixSeconds> last_success, last_failure;
    UnixSeconds last_success_creation = kDawn;
    std::vector<UnixSeconds> failures_since_success;
    uint64_t failures_overflow = 0;
    std::optional<UnixSeconds> deleted_at;
    bool slots_only = false;
    std::optional<LoadedWhy> why;
    LoadedLedger ledger;
  };
  struct LoadedGroup {
    std::string ns, group;
    LoadedRuns runs;
    std::optional<LoadedWhy> why;
    LoadedLedger ledger;
  };
  std::vector<std::pair<std::string, int64_t>> event_marks;
  std::vector<LoadedCronJob> cronjobs;
  std::vector<LoadedGroup> groups;
  std::vector<std::pair<std::string, UnixSeconds>> counted;
  UnixSeconds counting_since;
  try {
    if (!doc.contains("version") || !doc["version"].is_number_integer()) {
      return set_aside("has no version");
    }
    int version = doc["version"].get<int>();
    if (version != kStateVersion) {
      return set_aside("has version " + std::to_string(version) + " (this build reads " +
                       std::to_string(kStateVersion) + ")");
    }
    counting_since = Time(doc.at("counting_since"));
    for (const json& c : doc.at("cronjobs")) {
      LoadedCronJob l;
      l.ns = c.at("namespace").get<std::string>();
      l.name = c.at("name").get<std::string>();
      l.runs = RunsFromJson(c.at("counts"));
      l.start_delay = HistogramFromJson<kStartDelayBuckets.size()>(c.at("start_delay"));
      l.missed[kDeadlineExceeded] = Count(c.at("missed_deadline_exceeded"));
      l.missed[kSuperseded] = Count(c.at("missed_superseded"));
      l.forbid_skipped = Count(c.at("forbid_skipped"));
      l.replaced = Count(c.at("replaced"));
      if (c.contains("uid")) {
        l.slots = SavedSlots{c["uid"].get<std::string>(), Time(c.at("accounted_until"))};
      }
      if (c.contains("last_success")) l.last_success = Time(c["last_success"]);
      if (c.contains("last_failure")) l.last_failure = Time(c["last_failure"]);
      if (c.contains("last_success_creation")) {
        l.last_success_creation = Time(c["last_success_creation"]);
      }
      if (c.contains("failures_since_success")) {
        const json& f = c["failures_since_success"];
        if (!f.is_array() || f.size() > kMaxFailureTimes) {
          throw std::runtime_error("failures_since_success: not an array of at most " +
                                   std::to_string(kMaxFailureTimes) + " times");
        }
        for (const json& t : f) l.failures_since_success.push_back(Time(t));
      }
      l.failures_overflow = c.contains("failures_overflow") ? Count(c["failures_overflow"]) : 0;
      if (c.contains("deleted_at")) l.deleted_at = Time(c["deleted_at"]);
      l.slots_only = c.value("slots_only", false);
      if (c.contains("why")) l.why = WhyFromJson(c["why"]);
      if (c.contains("ledger")) l.ledger = LedgerFromJson(c["ledger"]);
      cronjobs.push_back(std::move(l));
    }
    for (const json& g : doc.at("job_groups")) {
      groups.push_back({g.at("namespace").get<std::string>(), g.at("group").get<std::string>(),
                        RunsFromJson(g.at("counts")), std::nullopt,
                        g.contains("ledger") ? LedgerFromJson(g["ledger"]) : LoadedLedger{}});
      if (g.contains("why")) groups.back().why = WhyFromJson(g["why"]);
    }
    for (const json& c : doc.at("counted_jobs")) {
      counted.emplace_back(c.at("uid").get<std::string>(), Time(c.at("deleted_at")));
    }
    if (doc.contains("event_marks")) event_marks = EventMarksFromJson(doc["event_marks"]);
  } catch (const std::exception& e) {
    return set_aside(std::string("is malformed (") + e.what() + ")");
  }

  // The whole file validated: apply it.
  auto apply_runs = [&](RunCounts& into, const LoadedRuns& from) {
    for (const auto& [trigger, result, reason, n] : from.runs) {
      into.Add(RunKey{trigger, result, m.ReasonId(reason)}, n);
    }
    for (int i = 0; i < 2; ++i) {
      into.duration[i] = from.counts.duration[i];
      into.duration_seen[i] = from.counts.duration_seen[i];
    }
  };
  // Entries beyond the bounds of this run's flags are dropped (the oldest first).
  auto apply_ledger = [&](Ledger& into, LoadedLedger& from) {
    for (const SlotEntry& e : from.slots) into.AddSlotEntry(e, m.options.ledger);
    for (auto& [e, reason] : from.runs) {
      e.reason = m.ReasonId(reason);
      into.AddRun(std::move(e), m.options.ledger);
    }
    into.Trim(now, m.options.ledger);
  };
  m.counting_since = counting_since;
  m.state_loaded = true;
  for (auto& l : cronjobs) {
    if (l.slots) m.saved_slots[l.ns + "/" + l.name] = *l.slots;
    if (l.slots_only) continue;
    uint32_t idx = m.CronJobIndex(m.strings.Intern(l.ns), m.strings.Intern(l.name));
    CronJobRecord& r = m.cronjobs[idx];
    apply_runs(r.history.runs, l.runs);
    r.history.start_delay = l.start_delay;
    r.history.missed[0] = l.missed[0];
    r.history.missed[1] = l.missed[1];
    r.history.forbid_skipped = l.forbid_skipped;
    r.history.replaced = l.replaced;
    r.gauges.last_success_observed = l.last_success;
    r.gauges.last_failure_observed = l.last_failure;
    r.gauges.last_success_creation = l.last_success_creation;
    r.gauges.failures_since_success = std::move(l.failures_since_success);
    r.gauges.failures_overflow = l.failures_overflow;
    apply_ledger(r.ledger, l.ledger);
    // Until the CronJob shows up again it counts as deleted (history kept for the retention).
    r.deleted_at = l.deleted_at.value_or(now);
    if (l.why) ApplyWhy(m, *l.why, &r.why, nullptr);
    m.RenderCronJob(r);
  }
  for (auto& l : groups) {
    uint32_t idx = m.GroupIndex(m.strings.Intern(l.ns), l.group);
    apply_runs(m.groups[idx].runs, l.runs);
    if (l.why) ApplyWhy(m, *l.why, nullptr, &m.groups[idx].why);
    apply_ledger(m.groups[idx].ledger, l.ledger);
    m.RenderGroup(m.groups[idx]);
  }
  for (const auto& [uid, deleted_at] : counted) m.counted_gone[uid] = deleted_at;
  for (const auto& [uid, count] : event_marks) m.why.event_marks[uid] = {count, false};
  *message = "state file " + path + " loaded";
  return true;
}

}  // namespace batchwatch::tracker
