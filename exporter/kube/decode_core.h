// Decodes core/v1 Pods and Events (list pages and watch lines) into batch::Pod / batch::Event,
// with the field cursor of json_fields.h, as decode.h does for Jobs and CronJobs. Only the
// fields of objects.h are read; the rest (spec.containers, volumes, managedFields, ...) is
// skipped unparsed. Never throws.
//
// Outcomes of bad input:
//   - not JSON, no uid or name, a field read with the wrong type, an exit code outside int32,
//     a restartCount outside 0..INT32_MAX (no kubelet writes one; never wrapped or clamped):
//     the object is undecodable. A list page skips the item and counts it; a watch line with
//     the object's metadata.resourceVersion sets `skip` (counted as a decode error; the stream
//     goes on past it, as a reopened one would replay it forever); without one, *error;
//   - a pod without a controller ownerReference of kind Job in group batch: decoded, with
//     owner_job_uid "" (the tracker ignores it);
//   - an Event whose involvedObject is missing or has no uid cannot be tied to a Job or a
//     CronJob: decoded but `skip` is set (the watch loop counts it as a decode error and goes
//     on; it is never stored nor handed to the sink);
//   - an Event's count 0, negative or absent: 1; a message longer than kMaxEventMessageBytes:
//     cut at the last UTF-8 character boundary before the limit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kube/decode.h"

namespace batchwatch::kube {

struct CoreWatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  std::string resource_version;  // of the object or bookmark ("" for ERROR)
  int error_code = 0;            // ERROR: the Status code (410 = Gone)
  std::string error_message;     // ERROR: the Status message
  Pod pod;                       // ADDED/MODIFIED/DELETED of pods
  Event event;                   // ... of events
  std::string skip;              // why the object is unusable and skipped ("" = usable)
  std::string skipped_uid;       // a skipped object's metadata.uid, when it has a readable one
};

// One watch line of `resource` (kPods or kEvents).
bool DecodeCoreWatchEvent(std::string_view line, Resource resource, CoreWatchEvent* out,
                          std::string* error);

struct CoreListPage {
  std::string resource_version;
  std::string continue_token;
  std::vector<Pod> pods;
  std::vector<Event> events;
  int bad_items = 0;  // undecodable items and skipped events
  std::string first_item_error;
};

// A PodList / EventList body. false only when the page itself is unusable.
bool DecodeCoreListPage(std::string_view body, Resource resource, CoreListPage* out,
                        std::string* error);

// `text` cut to at most `max` bytes without splitting a UTF-8 character.
void TruncateUtf8(std::string* text, size_t max);

}  // namespace batchwatch::kube
