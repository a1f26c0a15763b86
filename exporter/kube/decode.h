// Decodes API server JSON (objects, list pages, watch event lines) into the compact structs of
// objects.h. Unknown fields are ignored, optional fields may be missing; a malformed object is
// reported through *error (or, on a watch line, `skip`) and never throws.
//
// Outcomes of bad input on a watch line (as decode_core.h does for Pods and Events):
//   - not a watch event at all (not JSON, cut short, no object, an unknown type): false +
//     *error; the watch loop counts it and reopens the stream from the last good version;
//   - a well-formed event whose object cannot be decoded (a field batchwatch reads has the
//     wrong type, no uid or name) but carries metadata.resourceVersion: true with `skip` set
//     and resource_version the object's. The loop counts a decode error, logs it, applies
//     nothing and goes on past it: reopening from the last good version would deliver the same
//     event again and again, and the object's later good updates would never be seen. The
//     store keeps the object's previous state until its next decodable update or relist;
//   - the same without a resourceVersion (no API server writes one): false + *error.
// An integer field outside its API type (int32: completions, backoffLimit, the status counts;
// int64: activeDeadlineSeconds, startingDeadlineSeconds), a float or a string where an integer
// belongs makes the object undecodable ("spec.completions 2147483648 is outside int32"): never
// wrapped or clamped. Fields batchwatch does not read (parallelism, ttlSecondsAfterFinished,
// the history limits) are not checked and cannot make an object undecodable.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kube/batch_names.h"

namespace batchwatch::kube {

struct DecodeOptions {
  std::string job_group_label = "app.kubernetes.io/name";
};

bool DecodeJob(const nlohmann::json& obj, const DecodeOptions& opts, Job* out, std::string* error);
bool DecodeCronJob(const nlohmann::json& obj, CronJob* out, std::string* error);

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
const char* WatchEventTypeName(WatchEventType t);  // "ADDED", ...
// The inverse of WatchEventTypeName; false for any other text.
bool ParseWatchEventType(std::string_view type, WatchEventType* out);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  std::string resource_version;  // of the object or bookmark ("" for ERROR)
  int error_code = 0;            // ERROR: the Status code (410 = Gone)
  std::string error_message;     // ERROR: the Status message
  Job job;                       // ADDED/MODIFIED/DELETED of jobs
  CronJob cronjob;               // ... of cronjobs
  std::string skip;              // why the object is unusable and skipped ("" = usable)
  std::string skipped_uid;       // a skipped object's metadata.uid, when it has a readable one
};

// One line of a watch stream. false + *error when the line is not JSON, has no known type,
// or its object cannot be decoded and has no resourceVersion; an undecodable object with one
// sets `skip` instead (see above).
bool DecodeWatchEvent(std::string_view line, Resource resource, const DecodeOptions& opts,
                      WatchEvent* out, std::string* error);

struct ListPage {
  std::string resource_version;
  std::string continue_token;
  std::vector<Job> jobs;
  std::vector<CronJob> cronjobs;
  int bad_items = 0;             // items skipped because they could not be decoded
  std::string first_item_error;  // the first such item's error
};

// A JobList / CronJobList body. false only when the page itself is unusable.
bool DecodeListPage(std::string_view body, Resource resource, const DecodeOptions& opts,
                    ListPage* out, std::string* error);

// A metav1.Status body ("" fields when it is not one).
struct ApiStatus {
  int code = 0;
  std::string reason, message;
};
ApiStatus DecodeStatus(std::string_view body);

}  // namespace batchwatch::kube
