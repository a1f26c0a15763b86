// The pure rules of the "why" metrics (tracker/pod_causes.h) as tables of literal inputs:
// the pod reason rule, the waiting reason of a pod, and the cause of a FailedCreate message
// (messages as Kubernetes' admission plugins and controllers word them).
#include "tracker/pod_causes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "why_scenario.h"

namespace batchwatch::tracker::testing {
namespace {

struct ReasonCase {
  const char* name;
  Pod pod;
  const char* reason;
  std::optional<int32_t> exit_code;
};

Pod Base() {
  Pod p;
  p.phase = PodPhase::kFailed;
  return p;
}
Pod With(Pod p, const std::function<void(Pod&)>& f) {
  f(p);
  return p;
}

TEST(PodReasonRule, EachBranchInOrder) {
  const std::vector<ReasonCase> cases = {
      {"DisruptionTargetWinsOverEverything",
       With(Base(),
            [](Pod& p) {
              p.disruption_reason = "PreemptionByScheduler";
              p.status_reason = "Evicted";
              p.containers = {Terminated("Error", 143)};
            }),
       "PreemptionByScheduler", 143},
      {"StatusReasonWhenNoDisruption",
       With(Base(),
            [](Pod& p) {
              p.status_reason = "Evicted";
              p.containers = {Terminated("OOMKilled", 137)};
            }),
       "Evicted", 137},
      {"DeadlineExceededWithoutContainers",
       With(Base(), [](Pod& p) { p.status_reason = "DeadlineExceeded"; }), "DeadlineExceeded",
       std::nullopt},
      {"TerminatedReasonOfTheNonZeroContainer",
       With(Base(),
            [](Pod& p) {
              p.containers = {Terminated("Completed", 0, "sidecar"), Terminated("OOMKilled", 137)};
            }),
       "OOMKilled", 137},
      {"InitContainersFirst",
       With(Base(),
            [](Pod& p) {
              p.init_containers = {Terminated("StartError", 128, "init")};
              p.containers = {Terminated("OOMKilled", 137)};
            }),
       "StartError", 128},
      {"ErrorWhenTheTerminatedReasonIsEmpty",
       With(Base(), [](Pod& p) { p.containers = {Terminated("", 3)}; }), "Error", 3},
      {"NegativeExitCodeIsNonZero",
       With(Base(), [](Pod& p) { p.containers = {Terminated("ContainerCannotRun", -1)}; }),
       "ContainerCannotRun", -1},
      {"UnknownWhenNothingExitedNonZero",
       With(Base(), [](Pod& p) { p.containers = {Terminated("Completed", 0)}; }), "Unknown",
       std::nullopt},
      {"UnknownWithoutStatuses", Base(), "Unknown", std::nullopt},
  };
  for (const auto& c : cases) {
    PodFailure f = PodFailureReason(c.pod);
    EXPECT_EQ(f.reason, c.reason) << c.name;
    EXPECT_EQ(f.exit_code, c.exit_code) << c.name;
  }
}

TEST(PodReasonRule, RestartReasonFromLastState) {
  ContainerStatus c = Running();
  EXPECT_EQ(RestartReason(c).reason, "Unknown");
  c.last_terminated = true;
  c.last_exit_code = 1;
  EXPECT_EQ(RestartReason(c).reason, "Error");
  c.last_terminated_reason = "OOMKilled";
  c.last_exit_code = 137;
  EXPECT_EQ(RestartReason(c).reason, "OOMKilled");
  EXPECT_EQ(RestartReason(c).exit_code, 137);
}

struct WaitingCase {
  const char* name;
  Pod pod;
  WaitingReason expected;
};

Pod Pending(std::vector<ContainerStatus> containers, std::vector<ContainerStatus> init = {}) {
  Pod p;
  p.phase = PodPhase::kPending;
  p.containers = std::move(containers);
  p.init_containers = std::move(init);
  return p;
}

TEST(WaitingReasonRule, EachReasonAndThePrecedence) {
  const std::vector<WaitingCase> cases = {
      {"Unschedulable", With(Pending({}), [](Pod& p) { p.unscheduled_reason = "Unschedulable"; }),
       WaitingReason::kUnschedulable},
      {"SchedulingGated",
       With(Pending({}), [](Pod& p) { p.unscheduled_reason = "SchedulingGated"; }),
       WaitingReason::kSchedulingGated},
      {"ImagePullBackOff", Pending({Waiting("ImagePullBackOff")}),
       WaitingReason::kImagePullBackOff},
      {"ErrImagePull", Pending({Waiting("ErrImagePull")}), WaitingReason::kErrImagePull},
      {"InvalidImageName", Pending({Waiting("InvalidImageName")}),
       WaitingReason::kInvalidImageName},
      {"CreateContainerConfigError", Pending({Waiting("CreateContainerConfigError")}),
       WaitingReason::kCreateContainerConfigError},
      {"CreateContainerError", Pending({Waiting("CreateContainerError")}),
       WaitingReason::kCreateContainerError},
      {"CrashLoopBackOffOfARunningPod",
       With(Pending({Waiting("CrashLoopBackOff")}), [](Pod& p) { p.phase = PodPhase::kRunning; }),
       WaitingReason::kCrashLoopBackOff},
      {"ContainerCreating", Pending({Waiting("ContainerCreating")}),
       WaitingReason::kContainerCreating},
      {"PodInitializing", Pending({Waiting("PodInitializing")}, {Running("init")}),
       WaitingReason::kPodInitializing},
      {"PendingWithoutStatuses", Pending({}), WaitingReason::kPending},
      {"UnknownWaitingReasonIsPending", Pending({Waiting("PreCreateHookError")}),
       WaitingReason::kPending},
      {"ImageProblemBeatsProgress",
       Pending({Waiting("ContainerCreating", "a"), Waiting("ImagePullBackOff", "b")}),
       WaitingReason::kImagePullBackOff},
      {"InitContainerProblemCounts",
       Pending({Waiting("PodInitializing")}, {Waiting("ErrImagePull", "init")}),
       WaitingReason::kErrImagePull},
      {"SchedulingBeatsContainers",
       With(Pending({Waiting("ContainerCreating")}),
            [](Pod& p) { p.unscheduled_reason = "Unschedulable"; }),
       WaitingReason::kUnschedulable},
      {"RunningPodWithoutWaitingContainer",
       With(Pending({Running()}), [](Pod& p) { p.phase = PodPhase::kRunning; }),
       WaitingReason::kNone},
      {"FailedPodNeverWaits",
       With(Pending({Waiting("ImagePullBackOff")}), [](Pod& p) { p.phase = PodPhase::kFailed; }),
       WaitingReason::kNone},
      {"SucceededPodNeverWaits", With(Pending({}), [](Pod& p) { p.phase = PodPhase::kSucceeded; }),
       WaitingReason::kNone},
      {"UnknownPhaseNeverWaits", With(Pending({}), [](Pod& p) { p.phase = PodPhase::kUnknown; }),
       WaitingReason::kNone},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(PodWaitingReason(c.pod), c.expected) << c.name;
    if (c.expected != WaitingReason::kNone) {
      EXPECT_EQ(std::string(WaitingReasonLabel(c.expected)).empty(), false) << c.name;
    }
  }
  EXPECT_STREQ(WaitingReasonLabel(WaitingReason::kCreateContainerConfigError),
               "CreateContainerConfigError");
}

struct CauseCase {
  const char* message;
  const char* cause;
};

TEST(FailedCreateCause, LiteralMessagesOfTheAdmissionPluginsAndControllers) {
  const std::vector<CauseCase> cases = {
      // plugin/pkg/admission/resourcequota (quota.Mask'ed requested/used/limited).
      {kQuotaMessage, "quota"},
      {"Error creating: pods \"a-1\" is forbidden: exceeded quota: pods, requested: pods=1, "
       "used: pods=10, limited: pods=10",
       "quota"},
      // Older API servers capitalised it.
      {"Error creating: pods \"a-1\" is forbidden: Exceeded quota: q, requested: cpu=1, used: "
       "cpu=4, limited: cpu=4",
       "quota"},
      // The CronJob controller: the Job itself is refused by a count quota.
      {"Error creating job: jobs.batch \"report-28401125\" is forbidden: exceeded quota: jobs, "
       "requested: count/jobs.batch=1, used: count/jobs.batch=5, limited: count/jobs.batch=5",
       "quota"},
      // staging/src/k8s.io/pod-security-admission.
      {"Error creating: pods \"a-1\" is forbidden: violates PodSecurity \"restricted:latest\": "
       "allowPrivilegeEscalation != false (container \"main\" must set "
       "securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true (pod or container "
       "\"main\" must set securityContext.runAsNonRoot=true)",
       "pod_security"},
      // apiserver/pkg/admission/plugin/webhook/errors: ToStatusErr.
      {"Error creating: admission webhook \"validate.kyverno.svc-fail\" denied the request: "
       "policy Pod/ns/a-1 for resource violation: require-labels",
       "webhook"},
      {"Error creating: admission webhook \"deny.example.com\" denied the request without "
       "explanation",
       "webhook"},
      // A webhook quoting a quota is still a webhook's refusal.
      {"Error creating: admission webhook \"q.example.com\" denied the request: exceeded quota",
       "webhook"},
      {"Error creating: Internal error occurred: failed calling webhook \"x.example.com\": "
       "failed to call webhook: Post \"https://x.svc:443/validate\": context deadline exceeded",
       "webhook"},
      // plugin/pkg/admission/limitranger (an aggregate of its constraint errors).
      {"Error creating: pods \"a-1\" is forbidden: [maximum cpu usage per Container is 500m, but "
       "limit is 1, maximum memory usage per Container is 512Mi, but limit is 1Gi]",
       "limit_range"},
      {"Error creating: pods \"a-1\" is forbidden: minimum memory usage per Pod is 64Mi, but "
       "request is 32Mi",
       "limit_range"},
      {"Error creating: pods \"a-1\" is forbidden: cpu max limit to request ratio per Container "
       "is 2, but provided ratio is 4.000000",
       "limit_range"},
      // Another refusal (RBAC of the controller's service account, a namespace terminating).
      {"Error creating: pods \"a-1\" is forbidden: unable to create new content in namespace ns "
       "because it is being terminated",
       "forbidden"},
      {"Error creating: pods \"a-1\" is forbidden: error looking up service account ns/runner: "
       "serviceaccount \"runner\" not found",
       "forbidden"},
      // Validation.
      {"Error creating: Pod \"a-1\" is invalid: spec.containers[0].image: Required value",
       "invalid"},
      {"Error creating job: Job.batch \"a-28401125\" is invalid: metadata.name: Invalid value",
       "invalid"},
      {"Error creating: Timeout: request did not complete within requested timeout", "other"},
      {"", "other"},
  };
  for (const auto& c : cases) {
    EXPECT_STREQ(CreateCauseLabel(FailedCreateCause(c.message)), c.cause) << c.message;
  }
}

}  // namespace
}  // namespace batchwatch::tracker::testing
