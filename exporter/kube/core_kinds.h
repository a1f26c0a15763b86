// Pods of Jobs and Events about Jobs and CronJobs as watch loop kinds (core group, /api/v1),
// decoded by decode_core.h and kept in the ObjectStore. Objects of excluded namespaces are
// dropped before the store, as batch_kinds.h does.
//
//   pods    labelSelector=job-name                   (the Job controller's label, every version)
//   events  fieldSelector=involvedObject.kind=Job     two watches over one resource; the store
//   events  fieldSelector=involvedObject.kind=CronJob keeps each selector's Events apart
#pragma once

#include <set>
#include <string>

#include "kube/store.h"
#include "kube/watch_loop.h"

namespace batchwatch::kube {

inline constexpr const char kPodLabelSelector[] = "job-name";
// The involvedObject kinds whose Events are watched, one watch each.
inline constexpr const char* kEventInvolvedKinds[] = {"Job", "CronJob"};
std::string EventFieldSelector(const std::string& involved_kind);  // involvedObject.kind=Job

// The descriptors; store and excluded must outlive the loops that use them. A WatchTarget of
// EventKind(k) must carry the field selector EventFieldSelector(k).
ResourceKind PodKind(ObjectStore* store, const std::set<std::string>* excluded_namespaces);
ResourceKind EventKind(const std::string& involved_kind, ObjectStore* store,
                       const std::set<std::string>* excluded_namespaces);

}  // namespace batchwatch::kube
