// The pure rules of the "why" metrics (docs/metrics.md, "Why a run failed and why it has not
// started"): why a pod failed, why a pod has not started, and what refused a FailedCreate. Each
// takes the decoded object or message and returns a label value; no state, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "batch/objects.h"

namespace batchwatch::tracker {

// The pod reason rule (first that applies): the DisruptionTarget condition's reason; else
// status.reason; else the terminated reason of the first container (init containers first) that
// exited non-zero ("Error" when it has none); else "Unknown". `exit_code`: that first non-zero
// exit, whichever branch gave the reason (none when no container exited non-zero).
struct PodFailure {
  std::string_view reason;  // points into the pod or at a literal
  std::optional<int32_t> exit_code;
};
PodFailure PodFailureReason(const batch::Pod& pod);

// The reason of a container restart (restartPolicy OnFailure): lastState.terminated's reason
// ("Error" when empty, "Unknown" without a lastState.terminated) and exit code.
PodFailure RestartReason(const batch::ContainerStatus& c);

// Why a pod of an unfinished Job is not running yet. The order is the precedence: scheduling
// first (nothing else can happen before), then container problems that need a person (image,
// configuration, crash loop), then the progress states, then plain Pending.
enum class WaitingReason : uint8_t {
  kUnschedulable,
  kSchedulingGated,
  kImagePullBackOff,
  kErrImagePull,
  kInvalidImageName,
  kCreateContainerConfigError,
  kCreateContainerError,
  kCrashLoopBackOff,
  kContainerCreating,
  kPodInitializing,
  kPending,
  kNone,  // not waiting: running with no container waiting, or finished
};
inline constexpr size_t kWaitingReasonCount = static_cast<size_t>(WaitingReason::kNone);
const char* WaitingReasonLabel(WaitingReason w);
// A Pending pod waits with the most urgent reason any of its containers (init containers
// included) shows, Pending when none is more specific; a Running pod waits only while one of
// its containers is waiting (a crash loop, a restart pulling its image); a Succeeded, Failed or
// Unknown pod never waits.
WaitingReason PodWaitingReason(const batch::Pod& pod);

// The cause of a FailedCreate event, from its message (the API server's refusal as the Job or
// CronJob controller recorded it). The first that matches: webhook (the refusal is a webhook's,
// whatever words it quotes), quota, pod_security, limit_range, forbidden (another refusal),
// invalid (validation), other.
enum class CreateCause : uint8_t {
  kQuota,
  kPodSecurity,
  kWebhook,
  kLimitRange,
  kForbidden,
  kInvalid,
  kOther,
};
inline constexpr size_t kCreateCauseCount = 7;
const char* CreateCauseLabel(CreateCause c);
CreateCause FailedCreateCause(std::string_view message);

}  // namespace batchwatch::tracker
