// Turns the stream of Job and CronJob changes into the metric contract (docs/metrics.md):
// run accounting, slot accounting, state gauges, and their pre-rendered exposition text.
// Pure core: time is injected through the clock; no sockets. State files are the only I/O.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "batch/objects.h"
#include "metrics/exposition.h"
#include "tracker/ledger_view.h"
#include "tracker/options.h"

namespace batchwatch::tracker {

struct TrackerImpl;  // tracker_state.h

class Tracker : public batch::EventSink {
 public:
  explicit Tracker(TrackerOptions options);
  ~Tracker() override;

  void OnJobUpsert(const batch::Job& now) override;
  void OnJobDelete(const batch::Job& last) override;
  void OnJobVanished(const batch::VanishedObject& gone) override;
  void OnCronJobUpsert(const batch::CronJob& now) override;
  void OnCronJobDelete(const batch::CronJob& last) override;
  void OnCronJobVanished(const batch::VanishedObject& gone) override;
  void OnPodUpsert(const batch::Pod& now) override;
  void OnPodDelete(const batch::Pod& last) override;
  void OnPodVanished(const batch::VanishedObject& gone) override;
  void OnEventUpsert(const batch::Event& now) override;
  void OnEventDelete(const batch::Event& last) override;
  void OnEventVanished(const batch::VanishedObject& gone) override;
  void OnSynced(batch::Resource r) override;
  void OnDegraded(batch::Resource r, bool degraded) override;

  // Resolves every slot whose outcome became final by `now` and refreshes time-dependent
  // gauges (next schedule, schedule lag). Called about once a second by the app.
  void Tick(UnixSeconds now);

  // Appends every batchwatch_* series of the contract except the exporter's own metrics, in
  // Prometheus text format 0.0.4 (HELP and TYPE lines included), as shared pieces: the lock is
  // held only to take references (metrics/exposition.h).
  void AppendMetrics(metrics::Exposition* out) const;
  // The same as one string (tests, benchmarks).
  void AppendMetrics(std::string* out) const;

  // State file (--state-file). Load before the first event; on any problem returns false with
  // a warning in *message, moves the bad file aside and starts fresh.
  bool LoadState(const std::string& path, std::string* message);
  // Atomic write: temp file, fsync, rename.
  bool SaveState(const std::string& path, std::string* error) const;

  // Number of Jobs and CronJobs held (batchwatch_tracked_objects is rendered by the app).
  size_t TrackedJobs() const;
  size_t TrackedCronJobs() const;

  // The slot ledger (tracker/ledger_view.cc): copies taken under the lock, for the JSON API and
  // the status pages. nullopt: no such CronJob record or job group.
  LedgerSnapshot Snapshot(bool cronjobs, bool groups) const;
  std::optional<CronJobDetail> CronJobLedger(const std::string& ns, const std::string& name,
                                             const LedgerQuery& query) const;
  std::optional<JobGroupDetail> GroupLedger(const std::string& ns, const std::string& group,
                                            const LedgerQuery& query) const;
  // What the ledgers hold (entries and their heap strings), for bench/ and docs.
  LedgerMemory LedgerMemoryUse() const;

 private:
  std::unique_ptr<TrackerImpl> impl_;
};

}  // namespace batchwatch::tracker
