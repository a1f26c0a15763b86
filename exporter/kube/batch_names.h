// The shared vocabulary (batch/objects.h) under the names the kube client uses: kube code says
// Job and CronJob, as the API does. One list, included by kube's headers.
#pragma once

#include "batch/objects.h"

namespace batchwatch::kube {

using batch::ActiveRef;
using batch::ConcurrencyPolicy;
using batch::ContainerStatus;
using batch::CronJob;
using batch::Event;
using batch::EventSink;
using batch::Job;
using batch::JobOutcome;
using batch::Pod;
using batch::PodPhase;
using batch::Resource;
using batch::ResourceName;
using batch::UnixSeconds;
using batch::VanishedObject;

}  // namespace batchwatch::kube
