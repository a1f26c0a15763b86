#include "batch/objects.h"

namespace batchwatch::batch {

const char* ResourceName(Resource r) { return r == Resource::kJobs ? "jobs" : "cronjobs"; }

const char* ConcurrencyPolicyName(ConcurrencyPolicy p) {
  switch (p) {
    case ConcurrencyPolicy::kAllow:
      return "Allow";
    case ConcurrencyPolicy::kForbid:
      return "Forbid";
    case ConcurrencyPolicy::kReplace:
      return "Replace";
  }
  return "Allow";
}

}  // namespace batchwatch::batch
