#include "tracker/pod_causes.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace batchwatch::tracker {

namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Case-insensitive: older API servers wrote "Exceeded quota".
bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

constexpr std::array<const char*, kWaitingReasonCount> kWaitingLabels = {
    "Unschedulable",        "SchedulingGated",  "ImagePullBackOff",
    "ErrImagePull",         "InvalidImageName", "CreateContainerConfigError",
    "CreateContainerError", "CrashLoopBackOff", "ContainerCreating",
    "PodInitializing",      "Pending",
};

// A container's waiting reason in the vocabulary; kPending for a reason outside it.
WaitingReason ContainerWaiting(const batch::ContainerStatus& c) {
  for (size_t i = static_cast<size_t>(WaitingReason::kImagePullBackOff);
       i < static_cast<size_t>(WaitingReason::kPending); ++i) {
    if (c.waiting_reason == kWaitingLabels[i]) return static_cast<WaitingReason>(i);
  }
  return WaitingReason::kPending;
}

}  // namespace

PodFailure PodFailureReason(const batch::Pod& pod) {
  std::optional<int32_t> exit_code;
  std::string_view container_reason;
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    for (const auto& c : *list) {
      if (exit_code || !c.terminated || c.exit_code == 0) continue;
      exit_code = c.exit_code;
      container_reason = c.terminated_reason.empty() ? std::string_view("Error")
                                                     : std::string_view(c.terminated_reason);
    }
  }
  if (!pod.disruption_reason.empty()) return {pod.disruption_reason, exit_code};
  if (!pod.status_reason.empty()) return {pod.status_reason, exit_code};
  if (exit_code) return {container_reason, exit_code};
  return {"Unknown", std::nullopt};
}

PodFailure RestartReason(const batch::ContainerStatus& c) {
  if (!c.last_terminated) return {"Unknown", std::nullopt};
  return {c.last_terminated_reason.empty() ? std::string_view("Error") : c.last_terminated_reason,
          c.last_exit_code};
}

const char* WaitingReasonLabel(WaitingReason w) {
  auto i = static_cast<size_t>(w);
  return i < kWaitingReasonCount ? kWaitingLabels[i] : "";
}

WaitingReason PodWaitingReason(const batch::Pod& pod) {
  if (pod.phase != batch::PodPhase::kPending && pod.phase != batch::PodPhase::kRunning) {
    return WaitingReason::kNone;
  }
  if (pod.unscheduled_reason == "SchedulingGated") return WaitingReason::kSchedulingGated;
  if (!pod.unscheduled_reason.empty()) return WaitingReason::kUnschedulable;
  WaitingReason best = WaitingReason::kNone;
  for (const auto* list : {&pod.init_containers, &pod.containers}) {
    for (const auto& c : *list) {
      if (c.waiting) best = std::min(best, ContainerWaiting(c));
    }
  }
  if (best == WaitingReason::kNone && pod.phase == batch::PodPhase::kPending) {
    return WaitingReason::kPending;
  }
  return best;
}

const char* CreateCauseLabel(CreateCause c) {
  switch (c) {
    case CreateCause::kQuota:
      return "quota";
    case CreateCause::kPodSecurity:
      return "pod_security";
    case CreateCause::kWebhook:
      return "webhook";
    case CreateCause::kLimitRange:
      return "limit_range";
    case CreateCause::kForbidden:
      return "forbidden";
    case CreateCause::kInvalid:
      return "invalid";
    case CreateCause::kOther:
      return "other";
  }
  return "other";
}

CreateCause FailedCreateCause(std::string_view m) {
  // Webhook refusals: `admission webhook "NAME" denied the request: ...` (or "... without
  // explanation"), and a webhook that could not be called with failurePolicy Fail.
  if ((Contains(m, "admission webhook") && Contains(m, "denied the request")) ||
      Contains(m, "failed calling webhook")) {
    return CreateCause::kWebhook;
  }
  // ResourceQuota admission: `... is forbidden: exceeded quota: NAME, requested: ..., used: ...,
  // limited: ...`.
  if (ContainsNoCase(m, "exceeded quota")) return CreateCause::kQuota;
  // Pod Security admission: `... is forbidden: violates PodSecurity "restricted:latest": ...`.
  if (Contains(m, "violates PodSecurity")) return CreateCause::kPodSecurity;
  // LimitRanger: `maximum cpu usage per Container is 500m, but limit is 1`, `minimum memory usage
  // per Pod is ...`, `cpu max limit to request ratio per Container is 2, but provided ratio is
  // 4.000000`, and refusals that name the LimitRange.
  if (Contains(m, "usage per Container is") || Contains(m, "usage per Pod is") ||
      Contains(m, "max limit to request ratio per") || Contains(m, "LimitRange")) {
    return CreateCause::kLimitRange;
  }
  if (Contains(m, "is forbidden")) return CreateCause::kForbidden;
  if (Contains(m, "is invalid")) return CreateCause::kInvalid;
  return CreateCause::kOther;
}

}  // namespace batchwatch::tracker
