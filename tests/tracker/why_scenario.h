// Pods and Events for Tracker scenarios (scenario.h): makers for the decoded views of
// batch/objects.h as the Job controller, the kubelet and the controllers' event recorder produce
// them.
#pragma once

#include <string>
#include <utility>

#include "batch/objects.h"
#include "scenario.h"

namespace batchwatch::tracker::testing {

using batch::ContainerStatus;
using batch::Event;
using batch::Pod;
using batch::PodPhase;

// A pod of `job` (controller ownerReference), Pending with no statuses yet.
inline Pod MakePod(const Job& job, const std::string& suffix, UnixSeconds created) {
  Pod p;
  p.name = job.name + "-" + suffix;
  p.uid = "uid-pod-" + p.name;
  p.namespace_ = job.namespace_;
  p.creation_time = created;
  p.owner_job_uid = job.uid;
  p.owner_job_name = job.name;
  return p;
}

inline ContainerStatus Terminated(const std::string& reason, int32_t exit_code,
                                  const std::string& name = "main") {
  ContainerStatus c;
  c.name = name;
  c.terminated = true;
  c.terminated_reason = reason;
  c.exit_code = exit_code;
  return c;
}

inline ContainerStatus Waiting(const std::string& reason, const std::string& name = "main") {
  ContainerStatus c;
  c.name = name;
  c.waiting = true;
  c.waiting_reason = reason;
  return c;
}

inline ContainerStatus Running(const std::string& name = "main") {
  ContainerStatus c;
  c.name = name;
  c.running = true;
  return c;
}

// The pod failed with its main container terminated as given.
inline Pod FailedPod(Pod p, const std::string& reason, int32_t exit_code) {
  p.phase = PodPhase::kFailed;
  p.containers = {Terminated(reason, exit_code)};
  return p;
}

inline Pod WaitingPod(Pod p, const std::string& reason) {
  p.phase = PodPhase::kPending;
  p.containers = {Waiting(reason)};
  return p;
}

// A restartPolicy OnFailure pod running again after `restarts` restarts, the last one ended
// as given.
inline Pod RestartedPod(Pod p, int32_t restarts, const std::string& reason, int32_t exit_code) {
  p.restart_on_failure = true;
  p.phase = PodPhase::kRunning;
  ContainerStatus c = Running();
  c.restart_count = restarts;
  c.last_terminated = true;
  c.last_terminated_reason = reason;
  c.last_exit_code = exit_code;
  p.containers = {c};
  return p;
}

// An event about a Job or CronJob; `count` occurrences, the first at `first`.
inline Event MakeEvent(const std::string& uid, const std::string& kind,
                       const std::string& involved_uid, const std::string& involved_name,
                       const std::string& reason, const std::string& message, int64_t count,
                       UnixSeconds first) {
  Event e;
  e.uid = uid;
  e.name = involved_name + "." + uid;
  e.namespace_ = kNs;
  e.involved_kind = kind;
  e.involved_uid = involved_uid;
  e.involved_name = involved_name;
  e.involved_namespace = kNs;
  e.type = reason == "FailedCreate" ? "Warning" : "Normal";
  e.reason = reason;
  e.message = message;
  e.count = count;
  e.first_time = first;
  e.last_time = first;
  return e;
}

inline Event JobEvent(const std::string& uid, const Job& job, const std::string& reason,
                      const std::string& message, int64_t count, UnixSeconds first) {
  return MakeEvent(uid, "Job", job.uid, job.name, reason, message, count, first);
}

inline Event CronJobEvent(const std::string& uid, const CronJob& cj, const std::string& reason,
                          const std::string& message, int64_t count, UnixSeconds first) {
  return MakeEvent(uid, "CronJob", cj.uid, cj.name, reason, message, count, first);
}

// Literal messages as the controllers record them (the API server's refusal after "Error
// creating: " or "Error creating job: ").
inline constexpr const char* kQuotaMessage =
    "Error creating: pods \"report-28401125-x7k2p\" is forbidden: exceeded quota: compute, "
    "requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi";

}  // namespace batchwatch::tracker::testing
