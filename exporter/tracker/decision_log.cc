#include "tracker/decision_log.h"

#include <cctz/time_zone.h>

#include <algorithm>
#include <string>

#include "cron/controller.h"

namespace batchwatch::tracker {
namespace {

const char* Message(Decision d) {
  switch (d) {
    case Decision::kSucceeded:
      return "cronjob run succeeded";
    case Decision::kFailed:
      return "cronjob run failed";
    case Decision::kMissed:
      return "cronjob slot missed";
    case Decision::kForbidSkipped:
      return "cronjob slot skipped by Forbid";
    case Decision::kReplaced:
      return "cronjob run deleted by Replace";
    case Decision::kScheduleError:
      return "cronjob schedule error";
  }
  return "cronjob decision";
}

// The name of the detail field, so that the line reads like the metric labels.
const char* DetailKey(Decision d) {
  switch (d) {
    case Decision::kMissed:
      return "cause";
    case Decision::kScheduleError:
      return "error";
    default:
      return "reason";
  }
}

}  // namespace

const char* DecisionName(Decision d) {
  switch (d) {
    case Decision::kSucceeded:
      return "succeeded";
    case Decision::kFailed:
      return "failed";
    case Decision::kMissed:
      return "missed";
    case Decision::kForbidSkipped:
      return "forbid_skipped";
    case Decision::kReplaced:
      return "replaced";
    case Decision::kScheduleError:
      return "schedule_error";
  }
  return "";
}

DecisionLog::DecisionLog(DecisionLogOptions options, std::function<double()> now, Sink sink,
                         std::function<bool(log::Level)> enabled)
    : options_(options),
      now_(std::move(now)),
      sink_(sink ? std::move(sink)
                 : Sink([](log::Level l, std::string_view m, std::initializer_list<log::Field> f) {
                     log::Write(l, m, f);
                   })),
      enabled_(enabled ? std::move(enabled) : std::function<bool(log::Level)>(log::Enabled)),
      tokens_(options.burst) {
  last_refill_ = window_start_ = now_();
}

bool DecisionLog::TakeToken(double now) {
  tokens_ = std::min(options_.burst, tokens_ + (now - last_refill_) * options_.lines_per_second);
  last_refill_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool DecisionLog::WithinSlotBound(const DecisionEvent& e) {
  if (!e.slot) return true;
  SlotKey key{std::string(e.namespace_) + "/" + std::string(e.cronjob), *e.slot};
  auto [it, inserted] = lines_per_slot_.try_emplace(key, 0);
  if (inserted) {
    slot_order_.push_back(key);
    if (slot_order_.size() > options_.remembered_slots) {
      lines_per_slot_.erase(slot_order_.front());
      slot_order_.pop_front();
    }
  }
  return it->second++ < options_.per_slot_lines;
}

void DecisionLog::Record(const DecisionEvent& e) {
  const log::Level level = e.decision == Decision::kSucceeded       ? log::Level::kDebug
                           : e.decision == Decision::kScheduleError ? log::Level::kWarn
                                                                    : log::Level::kInfo;
  if (!enabled_(level)) return;
  const double now = now_();
  MaybeSummarize(now);
  // The slot bound first: a line it drops must not spend a fleet token.
  if (!WithinSlotBound(e) || !TakeToken(now)) {
    ++suppressed_[static_cast<int>(e.decision)];
    ++suppressed_total_;
    return;
  }
  const std::string slot =
      e.slot ? cron::FormatRfc3339(*e.slot, cctz::utc_time_zone()) : std::string();
  sink_(level, Message(e.decision),
        {{"namespace", std::string(e.namespace_)},
         {"cronjob", std::string(e.cronjob)},
         {"slot", slot},
         {"job", std::string(e.job)},
         {DetailKey(e.decision), std::string(e.detail)}});
}

void DecisionLog::Flush() { MaybeSummarize(now_()); }

void DecisionLog::MaybeSummarize(double now) {
  if (now - window_start_ < static_cast<double>(options_.summary_interval_seconds)) return;
  uint64_t total = 0;
  for (uint64_t n : suppressed_) total += n;
  if (total > 0) {
    auto count = [&](Decision d) { return std::to_string(suppressed_[static_cast<int>(d)]); };
    sink_(log::Level::kInfo, "cronjob decision lines suppressed",
          {{"suppressed", std::to_string(total)},
           {"window_seconds", std::to_string(static_cast<int64_t>(now - window_start_))},
           {"failed", count(Decision::kFailed)},
           {"missed", count(Decision::kMissed)},
           {"forbid_skipped", count(Decision::kForbidSkipped)},
           {"replaced", count(Decision::kReplaced)},
           {"schedule_error", count(Decision::kScheduleError)},
           {"succeeded", count(Decision::kSucceeded)}});
  }
  std::fill(std::begin(suppressed_), std::end(suppressed_), 0);
  window_start_ = now;
}

}  // namespace batchwatch::tracker
