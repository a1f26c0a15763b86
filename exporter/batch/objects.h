// Compact views of batch/v1 Jobs and CronJobs: only the fields batchwatch uses. The raw JSON is
// never kept. Times are Unix seconds (Kubernetes timestamps have whole-second resolution).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace batchwatch::batch {

using UnixSeconds = int64_t;

enum class Resource { kJobs, kCronJobs, kPods, kEvents };
const char* ResourceName(Resource r);  // "jobs", "cronjobs", "pods", "events"

enum class JobOutcome { kUnfinished, kSucceeded, kFailed };

struct Job {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string generate_name;
  std::string resource_version;
  UnixSeconds creation_time = 0;

  // The controller owner reference when it is a batch/v1 CronJob; empty otherwise.
  std::string owner_cronjob_name;
  std::string owner_cronjob_uid;

  // Value of the label named by --job-group-label ("" when absent).
  std::string group_label;
  // Annotation batch.kubernetes.io/cronjob-scheduled-timestamp, parsed.
  std::optional<UnixSeconds> scheduled_timestamp;
  // Annotation cronjob.kubernetes.io/instantiate == "manual" (kubectl create job --from).
  bool manual = false;

  // spec
  std::optional<int64_t> active_deadline_seconds;
  bool suspend = false;
  std::optional<int32_t> completions;
  std::optional<int32_t> backoff_limit;

  // status
  std::optional<UnixSeconds> start_time;
  std::optional<UnixSeconds> completion_time;
  int32_t active = 0;
  std::optional<int32_t> ready;  // absent when the API server does not report it
  int32_t succeeded = 0;
  int32_t failed = 0;

  // Terminal condition (Complete or Failed with status "True"; never SuccessCriteriaMet or
  // FailureTarget). end_time: completionTime for success, else the condition's
  // lastTransitionTime (falls back to completionTime / the transition time of the other).
  JobOutcome outcome = JobOutcome::kUnfinished;
  std::string terminal_reason;
  std::optional<UnixSeconds> end_time;

  bool finished() const { return outcome != JobOutcome::kUnfinished; }
  bool owned_by_cronjob() const { return !owner_cronjob_uid.empty(); }
};

enum class ConcurrencyPolicy { kAllow, kForbid, kReplace };
const char* ConcurrencyPolicyName(ConcurrencyPolicy p);  // "Allow", "Forbid", "Replace"

struct ActiveRef {
  std::string uid;
  std::string name;
};

struct CronJob {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string resource_version;
  UnixSeconds creation_time = 0;

  // spec
  std::string schedule;
  std::optional<std::string> time_zone;
  ConcurrencyPolicy concurrency_policy = ConcurrencyPolicy::kAllow;
  bool suspend = false;
  std::optional<int64_t> starting_deadline_seconds;

  // status
  std::optional<UnixSeconds> last_schedule_time;
  std::optional<UnixSeconds> last_successful_time;
  std::vector<ActiveRef> active;
};

enum class PodPhase { kPending, kRunning, kSucceeded, kFailed, kUnknown };

// One entry of status.containerStatuses or status.initContainerStatuses.
struct ContainerStatus {
  std::string name;
  std::string waiting_reason;  // state.waiting.reason ("" when not waiting or no reason)
  bool waiting = false;        // state.waiting present
  bool running = false;        // state.running present
  bool terminated = false;     // state.terminated present
  std::string terminated_reason;
  int32_t exit_code = 0;
  bool last_terminated = false;  // lastState.terminated present (a restart happened)
  std::string last_terminated_reason;
  int32_t last_exit_code = 0;
  int32_t restart_count = 0;
};

// A pod of a Job (watched with the label selector job-name): only what the "why" metrics need.
struct Pod {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string resource_version;
  UnixSeconds creation_time = 0;
  // The controller ownerReference when it is a batch Job; empty otherwise.
  std::string owner_job_uid;
  std::string owner_job_name;
  bool restart_on_failure = false;  // spec.restartPolicy == OnFailure
  PodPhase phase = PodPhase::kPending;
  std::string status_reason;  // status.reason (Evicted, DeadlineExceeded, ...)
  // The reason of the condition DisruptionTarget when its status is True ("" otherwise).
  std::string disruption_reason;
  // The reason of the condition PodScheduled when its status is False (Unschedulable,
  // SchedulingGated; "" otherwise).
  std::string unscheduled_reason;
  std::vector<ContainerStatus> init_containers;
  std::vector<ContainerStatus> containers;
};

// A core/v1 Event about a Job or a CronJob (field selector involvedObject.kind).
struct Event {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::string resource_version;
  std::string involved_kind;  // "Job", "CronJob", or what the server sent
  std::string involved_uid;
  std::string involved_name;
  std::string involved_namespace;
  std::string type;     // Normal, Warning
  std::string reason;   // FailedCreate, SuccessfulCreate, MissSchedule, ...
  std::string message;  // truncated by the decoder (kMaxEventMessageBytes)
  // Occurrences the object stands for: series.count when present, else count; at least 1.
  int64_t count = 1;
  std::optional<UnixSeconds> first_time;  // firstTimestamp, else eventTime
  std::optional<UnixSeconds> last_time;   // series.lastObservedTime, else lastTimestamp
};
inline constexpr size_t kMaxEventMessageBytes = 4096;

// What a relist still knows of an object that vanished between two lists (its DELETED event
// was missed): the identity, and for a Job the owner the delete is accounted to. The sink's
// last upsert of the object was its final state as far as anyone saw it.
// The group a standalone Job is counted under: its group label (--job-group-label), else
// generateName without the trailing '-', else its name.
std::string_view JobGroup(const Job& job);

struct VanishedObject {
  std::string uid;
  std::string namespace_;
  std::string name;               // CronJobs only ("" for Jobs: the sink knows it by UID)
  std::string owner_cronjob_uid;  // Jobs only
  std::string owner_job_uid;      // Pods only
};

// Receives every change of the cluster view, in order, from the store. Calls may come from
// several threads (one watch per resource and namespace); implementations synchronise.
// Each side keeps its own copy of what it needs: the store keeps per UID only the
// resourceVersion (dedupe), the namespace (scoped relists) and the VanishedObject fields, so an
// upsert carries the new state only.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // An object seen for the first time or at a new resourceVersion.
  virtual void OnJobUpsert(const Job& now) = 0;
  // A DELETED event: `last` is the object's final state.
  virtual void OnJobDelete(const Job& last) = 0;
  // A relist did not show a stored Job any more.
  virtual void OnJobVanished(const VanishedObject& gone) = 0;
  virtual void OnCronJobUpsert(const CronJob& now) = 0;
  virtual void OnCronJobDelete(const CronJob& last) = 0;
  virtual void OnCronJobVanished(const VanishedObject& gone) = 0;
  // Pods of Jobs and Events about Jobs and CronJobs (--watch-pods, --watch-events). Sinks that
  // do not care keep the defaults.
  virtual void OnPodUpsert(const Pod& /*now*/) {}
  virtual void OnPodDelete(const Pod& /*last*/) {}
  virtual void OnPodVanished(const VanishedObject& /*gone*/) {}
  virtual void OnEventUpsert(const Event& /*now*/) {}
  virtual void OnEventDelete(const Event& /*last*/) {}
  virtual void OnEventVanished(const VanishedObject& /*gone*/) {}
  // The initial list of `r` (every watched namespace) completed.
  virtual void OnSynced(Resource r) = 0;
  // The watch of `r` cannot run for lack of RBAC (403): its objects are not seen. Sent once
  // per change; the rest of the view keeps working.
  virtual void OnDegraded(Resource /*r*/, bool /*degraded*/) {}
};

}  // namespace batchwatch::batch
