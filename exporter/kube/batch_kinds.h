// Jobs and CronJobs as watch loop kinds: /apis/batch/v1/{jobs,cronjobs}, decoded by decode.h,
// kept in the ObjectStore. Objects of excluded namespaces are dropped before the store.
#pragma once

#include <set>
#include <string>

#include "kube/decode.h"
#include "kube/store.h"
#include "kube/watch_loop.h"

namespace batchwatch::kube {

// The descriptor of `r`; store, options and excluded must outlive the loops that use it.
ResourceKind BatchKind(Resource r, ObjectStore* store, const DecodeOptions* options,
                       const std::set<std::string>* excluded_namespaces);

}  // namespace batchwatch::kube
