#include "batch/objects.h"

namespace batchwatch::batch {

const char* ResourceName(Resource r) {
  switch (r) {
    case Resource::kJobs:
      return "jobs";
    case Resource::kCronJobs:
      return "cronjobs";
    case Resource::kPods:
      return "pods";
    case Resource::kEvents:
      return "events";
  }
  return "unknown";
}

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

std::string_view JobGroup(const Job& job) {
  if (!job.group_label.empty()) return job.group_label;
  std::string_view g = job.generate_name;
  while (!g.empty() && g.back() == '-') g.remove_suffix(1);
  if (!g.empty()) return g;
  return job.name;
}

}  // namespace batchwatch::batch
