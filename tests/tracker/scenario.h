// A small scenario DSL for Tracker tests: a fake cluster that remembers the last state of every
// object (so updates carry `old`), a fixed clock, and queries on the rendered exposition text.
//
//   Cluster c(T0);
//   c.Apply(MakeCronJob("backup", "*/5 * * * *", T0 - 3600)).Synced();
//   c.At(T0 + 300).Run("backup", T0 + 300);
//   c.At(T0 + 330).Finish("backup-28400005", kSucceeded);
//   EXPECT_EQ(c.Sum("batchwatch_cronjob_runs_total", {{"cronjob", "backup"}}), 1);
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "batch/objects.h"
#include "cron/controller.h"
#include "tracker/tracker.h"

namespace batchwatch::tracker::testing {

using batch::CronJob;
using batch::Job;
using batch::JobOutcome;
using Labels = std::vector<std::pair<std::string, std::string>>;

// 2024-01-01T00:00:00Z, a Monday.
inline constexpr UnixSeconds T0 = 1704067200;
inline constexpr const char* kNs = "ns";

inline CronJob MakeCronJob(const std::string& name, const std::string& schedule,
                           UnixSeconds created) {
  CronJob cj;
  cj.uid = "uid-cj-" + name;
  cj.namespace_ = kNs;
  cj.name = name;
  cj.creation_time = created;
  cj.schedule = schedule;
  return cj;
}

// A Job as the CronJob controller creates it for `slot`.
inline Job ScheduledJob(const CronJob& cj, UnixSeconds slot, UnixSeconds created) {
  Job j;
  j.name = cron::JobNameForSlot(cj.name, slot);
  j.uid = "uid-job-" + j.name + "-" + cj.uid;
  j.namespace_ = cj.namespace_;
  j.creation_time = created;
  j.owner_cronjob_name = cj.name;
  j.owner_cronjob_uid = cj.uid;
  j.scheduled_timestamp = slot;
  j.start_time = created;
  j.active = 1;
  return j;
}

// kubectl create job NAME --from=cronjob/CJ
inline Job ManualJob(const CronJob& cj, const std::string& name, UnixSeconds created) {
  Job j;
  j.name = name;
  j.uid = "uid-job-" + name;
  j.namespace_ = cj.namespace_;
  j.creation_time = created;
  j.owner_cronjob_name = cj.name;
  j.owner_cronjob_uid = cj.uid;
  j.manual = true;
  j.start_time = created;
  j.active = 1;
  return j;
}

inline Job StandaloneJob(const std::string& name, UnixSeconds created) {
  Job j;
  j.name = name;
  j.uid = "uid-job-" + name;
  j.namespace_ = kNs;
  j.creation_time = created;
  j.start_time = created;
  j.active = 1;
  return j;
}

inline Job Finished(Job j, JobOutcome outcome, UnixSeconds end, const std::string& reason = "") {
  j.outcome = outcome;
  j.end_time = end;
  if (outcome == JobOutcome::kSucceeded) {
    j.completion_time = end;
    j.succeeded = 1;
    j.terminal_reason = reason.empty() ? "CompletionsReached" : reason;
  } else {
    j.failed = 1;
    j.terminal_reason = reason.empty() ? "BackoffLimitExceeded" : reason;
  }
  j.active = 0;
  return j;
}

struct Series {
  std::string name;
  std::map<std::string, std::string> labels;
  double value;
};

// Parses exposition text (our own output: no timestamps, no comments besides HELP/TYPE).
inline std::vector<Series> ParseExposition(const std::string& text) {
  std::vector<Series> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    Series s;
    size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        size_t eq = line.find('=', i);
        std::string key = line.substr(i, eq - i);
        i = eq + 2;  // skip ="
        std::string value;
        while (line[i] != '"') {
          if (line[i] == '\\') {
            ++i;
            value.push_back(line[i] == 'n' ? '\n' : line[i]);
          } else {
            value.push_back(line[i]);
          }
          ++i;
        }
        ++i;  // closing quote
        if (line[i] == ',') ++i;
        s.labels[key] = value;
      }
      ++i;
    }
    s.value = std::stod(line.substr(i + 1));
    out.push_back(std::move(s));
  }
  return out;
}

class Cluster {
 public:
  explicit Cluster(UnixSeconds start, TrackerOptions options = {}) : now_(start) {
    options.clock = [this] { return now_; };
    options_ = options;
    tracker_ = std::make_unique<Tracker>(options);
  }

  UnixSeconds now() const { return now_; }
  Tracker& tracker() { return *tracker_; }

  // Moves the clock to `t`, ticking every `step` seconds on the way (as the app does about once
  // a second; results must not depend on the tick rate).
  Cluster& At(UnixSeconds t, int64_t step = 7) {
    while (now_ + step < t) {
      now_ += step;
      tracker_->Tick(now_);
    }
    now_ = std::max(now_, t);
    tracker_->Tick(now_);
    return *this;
  }

  Cluster& Synced() {
    tracker_->OnSynced(batch::Resource::kJobs);
    tracker_->OnSynced(batch::Resource::kCronJobs);
    tracker_->Tick(now_);
    return *this;
  }

  Cluster& Apply(const CronJob& cj) {
    CronJob copy = cj;
    tracker_->OnCronJobUpsert(copy);
    cronjobs_[cj.name] = copy;
    return *this;
  }
  CronJob& cronjob(const std::string& name) { return cronjobs_.at(name); }
  // Edits a CronJob and delivers the update.
  Cluster& Edit(const std::string& name, const std::function<void(CronJob&)>& change) {
    CronJob cj = cronjobs_.at(name);
    change(cj);
    return Apply(cj);
  }
  Cluster& DeleteCronJob(const std::string& name) {
    CronJob cj = cronjobs_.at(name);
    cronjobs_.erase(name);
    tracker_->OnCronJobDelete(cj);
    return *this;
  }

  Cluster& Put(const Job& j) {
    Job copy = j;
    tracker_->OnJobUpsert(copy);
    jobs_[j.name] = copy;
    return *this;
  }
  Job& job(const std::string& name) { return jobs_.at(name); }

  // The controller starts the run for `slot` now (creationTimestamp = now): the Job appears and
  // the CronJob's status follows.
  Cluster& Run(const std::string& cronjob, UnixSeconds slot) {
    CronJob& cj = cronjobs_.at(cronjob);
    Job j = ScheduledJob(cj, slot, now_);
    Put(j);
    return Edit(cronjob, [&](CronJob& c) {
      c.last_schedule_time = slot;
      c.active.push_back({j.uid, j.name});
    });
  }
  Cluster& Finish(const std::string& job_name, JobOutcome outcome, const std::string& reason = "") {
    Job j = Finished(jobs_.at(job_name), outcome, now_, reason);
    Put(j);
    if (j.owned_by_cronjob() && cronjobs_.count(j.owner_cronjob_name)) {
      Edit(j.owner_cronjob_name, [&](CronJob& c) {
        auto& a = c.active;
        a.erase(std::remove_if(a.begin(), a.end(), [&](auto& r) { return r.uid == j.uid; }),
                a.end());
        if (outcome == JobOutcome::kSucceeded) c.last_successful_time = now_;
      });
    }
    return *this;
  }
  // DELETED with the given final state (the stored one by default).
  Cluster& Delete(const std::string& job_name) {
    Job j = jobs_.at(job_name);
    jobs_.erase(job_name);
    tracker_->OnJobDelete(j);
    return *this;
  }
  Cluster& DeleteWithFinalState(const Job& last) {
    jobs_.erase(last.name);
    tracker_->OnJobDelete(last);
    return *this;
  }
  // A relist that no longer shows the Job: its DELETED event was missed.
  Cluster& Vanish(const std::string& job_name) {
    Job j = jobs_.at(job_name);
    jobs_.erase(job_name);
    tracker_->OnJobVanished({j.uid, j.namespace_, "", j.owner_cronjob_uid, ""});
    return *this;
  }
  // A relist: every object is delivered again unchanged.
  Cluster& Relist() {
    for (auto& [name, j] : jobs_) tracker_->OnJobUpsert(j);
    for (auto& [name, cj] : cronjobs_) tracker_->OnCronJobUpsert(cj);
    return *this;
  }

  // A new Tracker (batchwatch restarted) that receives the current cluster as its initial list.
  // `load` runs between construction and the first event (e.g. LoadState).
  Cluster& Restart(UnixSeconds at, const std::function<void(Tracker&)>& load = nullptr) {
    now_ = at;
    tracker_ = std::make_unique<Tracker>(options_);
    if (load) load(*tracker_);
    for (auto& [name, cj] : cronjobs_) tracker_->OnCronJobUpsert(cj);
    for (auto& [name, j] : jobs_) tracker_->OnJobUpsert(j);
    return Synced();
  }

  std::string Text() const {
    std::string out;
    tracker_->AppendMetrics(&out);
    return out;
  }

  // Sum of the series of `name` whose labels include `match` (namespace defaults to kNs).
  double Sum(const std::string& name, Labels match = {}) const {
    double total = 0;
    for (const auto& s : Find(name, std::move(match))) total += s.value;
    return total;
  }
  bool Has(const std::string& name, Labels match = {}) const {
    return !Find(name, std::move(match)).empty();
  }
  // The single series' value; NaN (fails EXPECT_EQ) when absent or ambiguous.
  double Value(const std::string& name, Labels match = {}) const {
    auto found = Find(name, std::move(match));
    if (found.size() != 1) {
      ADD_FAILURE() << name << ": " << found.size() << " matching series\n" << Text();
      return std::nan("");
    }
    return found[0].value;
  }
  std::vector<Series> Find(const std::string& name, Labels match) const {
    bool has_ns = false;
    for (auto& [k, v] : match) has_ns |= k == "namespace";
    if (!has_ns) match.emplace_back("namespace", kNs);
    std::vector<Series> out;
    for (auto& s : ParseExposition(Text())) {
      if (s.name != name) continue;
      bool ok = true;
      for (auto& [k, v] : match) {
        auto it = s.labels.find(k);
        ok &= it != s.labels.end() && it->second == v;
      }
      if (ok) out.push_back(s);
    }
    return out;
  }

 private:
  UnixSeconds now_;
  TrackerOptions options_;
  std::unique_ptr<Tracker> tracker_;
  std::map<std::string, Job> jobs_;
  std::map<std::string, CronJob> cronjobs_;
};

// Shorthands for the series tests read most.
inline Labels Cj(const std::string& name) { return {{"cronjob", name}}; }
inline Labels Cj(const std::string& name, Labels more) {
  more.emplace_back("cronjob", name);
  return more;
}

}  // namespace batchwatch::tracker::testing
