// The operator's log of the tracker's decisions: one info line per problem (a run failed, a slot
// missed, a slot skipped by Forbid, a run deleted by Replace), a warning when a schedule cannot
// run (on each change of the spec that leaves it broken), successes at debug. Bounded twice, so a
// failing fleet cannot flood the log:
// - per CronJob and slot: at most `per_slot_lines` lines (a slot can fail, be replaced, ...);
// - across the fleet: a token bucket (`burst` lines at once, then `lines_per_second`).
// What either bound drops is counted, and one summary line per `summary_interval_seconds`
// says how many lines of which decision were left out. Clock injected; not thread-safe (the
// tracker calls it under its own lock).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "log/log.h"

namespace batchwatch::tracker {

enum class Decision {
  kSucceeded,      // debug
  kFailed,         // detail: the terminal condition's reason (BackoffLimitExceeded, ...)
  kMissed,         // detail: deadline_exceeded or superseded
  kForbidSkipped,  // job: the active run that blocked the slot
  kReplaced,       // job: the run Replace deleted
  kScheduleError,  // detail: the schedule_error label and message
};
constexpr int kDecisionKinds = 6;
const char* DecisionName(Decision d);  // "failed", "missed", ...

struct DecisionEvent {
  Decision decision;
  std::string_view namespace_;
  std::string_view cronjob;
  std::optional<int64_t> slot;  // Unix seconds of the nominal slot, when the decision has one
  std::string_view job;         // "" when none
  std::string_view detail;      // "" when none
};

struct DecisionLogOptions {
  int per_slot_lines = 3;
  double lines_per_second = 1.0;
  double burst = 30;
  int64_t summary_interval_seconds = 60;
  size_t remembered_slots = 4096;  // per-slot counts kept for this many (CronJob, slot) keys
};

class DecisionLog {
 public:
  using Sink =
      std::function<void(log::Level, std::string_view msg, std::initializer_list<log::Field>)>;
  // `now` in Unix seconds (fractions allowed). Defaults: log::Enabled and log::Write.
  DecisionLog(DecisionLogOptions options, std::function<double()> now, Sink sink = nullptr,
              std::function<bool(log::Level)> enabled = nullptr);

  void Record(const DecisionEvent& event);
  // Writes the summary of suppressed lines when one is due; call from the periodic tick.
  void Flush();

  uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  bool TakeToken(double now);
  bool WithinSlotBound(const DecisionEvent& event);
  void MaybeSummarize(double now);

  const DecisionLogOptions options_;
  std::function<double()> now_;
  Sink sink_;
  std::function<bool(log::Level)> enabled_;
  double tokens_;
  double last_refill_;
  double window_start_;
  uint64_t suppressed_[kDecisionKinds] = {};
  uint64_t suppressed_total_ = 0;
  using SlotKey = std::pair<std::string, int64_t>;  // "namespace/cronjob", slot
  std::map<SlotKey, int> lines_per_slot_;
  std::deque<SlotKey> slot_order_;  // oldest first, for the bound on remembered keys
};

}  // namespace batchwatch::tracker
