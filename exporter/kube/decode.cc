#include "kube/decode.h"

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cron/controller.h"

namespace batchwatch::kube {
namespace {

using nlohmann::json;

// A SAX decoder: a tokenizer (JsonReader below) reports keys and values, and this handler tracks
// where it is (a small stack of the containers batchwatch reads) and fills the compact structs
// directly. Subtrees it never reads (pod templates, managedFields, selectors, ...) are only
// validated by the reader, never reported, so decoding allocates little more than the strings
// it keeps. This replaced a DOM decoder that was about 6 times slower (docs/performance.md).
//
// Semantics are those of the DOM decoder it replaced: null is the same as absent; a wrong
// type in a field batchwatch relies on is an error for that object; a wrong type where the
// field is only a hint (owner references, labels, annotations) is ignored.

// Containers the decoder reads.
enum class Ctx : uint8_t {
  kEventRoot,    // {"type":..,"object":..}
  kListRoot,     // {"metadata":..,"items":[..]}
  kListMeta,     // list metadata
  kItems,        // items array
  kObject,       // a Job, CronJob, bookmark object or Status
  kMeta,         // object metadata
  kOwnerRefs,    // metadata.ownerReferences
  kOwnerRef,     // one owner reference
  kLabels,       // metadata.labels
  kAnnotations,  // metadata.annotations
  kSpec,
  kStatus,
  kConditions,  // Job status.conditions
  kCondition,
  kActiveRefs,  // CronJob status.active
  kActiveRef,
};

// Keys the decoder reads, by context. kOther: a key whose value is skipped.
enum class Key : uint8_t {
  kOther,
  kElement,  // an array element
  // event and list roots
  kEvType,
  kEvObject,
  kListMetadata,
  kListItems,
  kListResourceVersion,
  kListContinue,
  // object root
  kMetadata,
  kSpec,
  kStatus,
  kCode,
  kMessage,
  // metadata
  kUid,
  kNamespace,
  kName,
  kGenerateName,
  kResourceVersion,
  kCreationTimestamp,
  kOwnerReferences,
  kLabels,
  kAnnotations,
  // owner reference
  kRefApiVersion,
  kRefKind,
  kRefName,
  kRefUid,
  kRefController,
  // labels and annotations
  kGroupLabel,
  kScheduledTimestamp,
  kInstantiate,
  // Job spec and status
  kActiveDeadlineSeconds,
  kSuspend,
  kStartTime,
  kCompletionTime,
  kActive,
  kReady,
  kSucceeded,
  kFailed,
  kConditions,
  // condition
  kCondType,
  kCondStatus,
  kCondReason,
  kCondTransition,
  // CronJob spec and status
  kSchedule,
  kTimeZone,
  kConcurrencyPolicy,
  kStartingDeadlineSeconds,
  kLastScheduleTime,
  kLastSuccessfulTime,
  kActiveRefs,
  kActiveRefUid,
  kActiveRefName,
};

// The path of a checked field, for error messages ("metadata.uid").
const char* KeyPath(Key k) {
  switch (k) {
    case Key::kEvType:
      return "event.type";
    case Key::kListResourceVersion:
      return "metadata.resourceVersion";
    case Key::kListContinue:
      return "metadata.continue";
    case Key::kMetadata:
    case Key::kListMetadata:
      return "metadata";
    case Key::kSpec:
      return "spec";
    case Key::kStatus:
      return "status";
    case Key::kUid:
      return "metadata.uid";
    case Key::kNamespace:
      return "metadata.namespace";
    case Key::kName:
      return "metadata.name";
    case Key::kGenerateName:
      return "metadata.generateName";
    case Key::kResourceVersion:
      return "metadata.resourceVersion";
    case Key::kCreationTimestamp:
      return "metadata.creationTimestamp";
    case Key::kActiveDeadlineSeconds:
      return "spec.activeDeadlineSeconds";
    case Key::kSuspend:
      return "spec.suspend";
    case Key::kStartTime:
      return "status.startTime";
    case Key::kCompletionTime:
      return "status.completionTime";
    case Key::kActive:
      return "status.active";
    case Key::kReady:
      return "status.ready";
    case Key::kSucceeded:
      return "status.succeeded";
    case Key::kFailed:
      return "status.failed";
    case Key::kCondType:
      return "status.conditions[].type";
    case Key::kCondStatus:
      return "status.conditions[].status";
    case Key::kCondReason:
      return "status.conditions[].reason";
    case Key::kCondTransition:
      return "status.conditions[].lastTransitionTime";
    case Key::kSchedule:
      return "spec.schedule";
    case Key::kTimeZone:
      return "spec.timeZone";
    case Key::kConcurrencyPolicy:
      return "spec.concurrencyPolicy";
    case Key::kStartingDeadlineSeconds:
      return "spec.startingDeadlineSeconds";
    case Key::kLastScheduleTime:
      return "status.lastScheduleTime";
    case Key::kLastSuccessfulTime:
      return "status.lastSuccessfulTime";
    case Key::kActiveRefUid:
      return "status.active[].uid";
    case Key::kActiveRefName:
      return "status.active[].name";
    default:
      return "field";
  }
}

enum class Want : uint8_t { kString, kInt, kBool, kObject };

const char* WantName(Want w) {
  switch (w) {
    case Want::kString:
      return " is not a string";
    case Want::kInt:
      return " is not an integer";
    case Want::kBool:
      return " is not a boolean";
    case Want::kObject:
      return " is not an object";
  }
  return "";
}

std::string TypeError(Key k, Want w) { return std::string(KeyPath(k)) + WantName(w); }

// A scalar as the tokenizer reported it.
struct Scalar {
  enum Type : uint8_t { kNull, kBool, kInt, kFloat, kString } type;
  bool b = false;
  int64_t i = 0;
  std::string* s = nullptr;
};

struct OwnerRef {
  std::string api_version, kind, name, uid;
  bool controller = false;
};

struct Condition {
  std::string type, status, reason;
  std::optional<UnixSeconds> transition;
  std::string error;
};

// Everything read from one object before it is turned into a Job or CronJob.
struct ObjectState {
  std::string error;  // the first error that makes the object undecodable
  // metadata
  std::string uid, namespace_, name, generate_name, resource_version;
  std::optional<UnixSeconds> created;
  bool metadata_bad = false;          // metadata present but not an object
  bool resource_version_bad = false;  // metadata.resourceVersion present but not a string
  // Job
  Job job;  // fields other than metadata
  bool owner_done = false;
  OwnerRef ref;
  bool conditions_done = false;
  Condition cond;
  JobOutcome outcome = JobOutcome::kUnfinished;
  std::string terminal_reason;
  std::optional<UnixSeconds> terminal_transition;
  // CronJob
  CronJob cronjob;  // fields other than metadata
  bool time_zone_set = false;
  std::string policy;
  // Status (watch ERROR events)
  int code = 0;
  std::string message;

  void Fail(std::string e) {
    if (error.empty()) error = std::move(e);
  }
};

bool ReadTime(Key k, std::string& s, std::optional<UnixSeconds>* out, std::string* error) {
  if (s.empty()) return true;
  auto t = cron::ParseRfc3339(s);
  if (!t) {
    *error = std::string(KeyPath(k)) + " is not an RFC 3339 time: " + s.substr(0, 64);
    return false;
  }
  *out = *t;
  return true;
}

class SaxDecoder {
 public:
  enum class Mode { kWatchLine, kListPage, kObject };

  SaxDecoder(Mode mode, Resource resource, const DecodeOptions& opts, ListPage* page)
      : mode_(mode), jobs_(resource == Resource::kJobs), opts_(opts), page_(page) {
    stack_.reserve(16);
  }

  // Results.
  bool root_bad = false;   // not a JSON object (or not JSON)
  std::string fatal;       // the line or page is unusable
  std::string event_type;  // watch: "type"
  bool has_object = false;
  ObjectState obj;  // watch / single object: the object

  // ---- SAX interface (nlohmann's names and types), called by JsonReader --------------------
  bool null() { return OnScalar(Scalar{Scalar::kNull}); }
  bool boolean(bool v) {
    Scalar s{Scalar::kBool};
    s.b = v;
    return OnScalar(s);
  }
  bool number_integer(json::number_integer_t v) {
    Scalar s{Scalar::kInt};
    s.i = v;
    return OnScalar(s);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    Scalar s{Scalar::kInt};
    s.i = static_cast<int64_t>(v);
    return OnScalar(s);
  }
  bool number_float(json::number_float_t /*v*/, const std::string& /*raw*/) {
    return OnScalar(Scalar{Scalar::kFloat});
  }
  bool string(std::string& v) {
    Scalar s{Scalar::kString};
    s.s = &v;
    return OnScalar(s);
  }
  bool start_object(std::size_t /*n*/) { return Open(true); }
  bool start_array(std::size_t /*n*/) { return Open(false); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(std::string& k) {
    if (skip_ == 0) key_ = Lookup(stack_.back(), k);
    return true;
  }
  // The text is not JSON.
  void SyntaxError() { root_bad = true; }
  // The container just opened is skipped: the reader validates it without reporting it.
  bool skipping() const { return skip_ > 0; }

 private:
  static bool IsArray(Ctx c) {
    return c == Ctx::kItems || c == Ctx::kOwnerRefs || c == Ctx::kConditions ||
           c == Ctx::kActiveRefs;
  }

  Key Lookup(Ctx ctx, const std::string& k) const {
    switch (ctx) {
      case Ctx::kEventRoot:
        if (k == "type") return Key::kEvType;
        if (k == "object") return Key::kEvObject;
        break;
      case Ctx::kListRoot:
        if (k == "metadata") return Key::kListMetadata;
        if (k == "items") return Key::kListItems;
        break;
      case Ctx::kListMeta:
        if (k == "resourceVersion") return Key::kListResourceVersion;
        if (k == "continue") return Key::kListContinue;
        break;
      case Ctx::kObject:
        if (k == "metadata") return Key::kMetadata;
        if (k == "spec") return Key::kSpec;
        if (k == "status") return Key::kStatus;
        if (k == "code") return Key::kCode;
        if (k == "message") return Key::kMessage;
        break;
      case Ctx::kMeta:
        if (k == "uid") return Key::kUid;
        if (k == "namespace") return Key::kNamespace;
        if (k == "name") return Key::kName;
        if (k == "resourceVersion") return Key::kResourceVersion;
        if (k == "creationTimestamp") return Key::kCreationTimestamp;
        if (k == "generateName") return Key::kGenerateName;
        if (k == "ownerReferences") return Key::kOwnerReferences;
        if (k == "labels") return Key::kLabels;
        if (k == "annotations") return Key::kAnnotations;
        break;
      case Ctx::kOwnerRef:
        if (k == "apiVersion") return Key::kRefApiVersion;
        if (k == "kind") return Key::kRefKind;
        if (k == "name") return Key::kRefName;
        if (k == "uid") return Key::kRefUid;
        if (k == "controller") return Key::kRefController;
        break;
      case Ctx::kLabels:
        if (k == opts_.job_group_label) return Key::kGroupLabel;
        break;
      case Ctx::kAnnotations:
        if (k == "batch.kubernetes.io/cronjob-scheduled-timestamp") return Key::kScheduledTimestamp;
        if (k == "cronjob.kubernetes.io/instantiate") return Key::kInstantiate;
        break;
      case Ctx::kSpec:
        if (jobs_) {
          if (k == "activeDeadlineSeconds") return Key::kActiveDeadlineSeconds;
          if (k == "suspend") return Key::kSuspend;
        } else {
          if (k == "schedule") return Key::kSchedule;
          if (k == "timeZone") return Key::kTimeZone;
          if (k == "concurrencyPolicy") return Key::kConcurrencyPolicy;
          if (k == "suspend") return Key::kSuspend;
          if (k == "startingDeadlineSeconds") return Key::kStartingDeadlineSeconds;
        }
        break;
      case Ctx::kStatus:
        if (jobs_) {
          if (k == "startTime") return Key::kStartTime;
          if (k == "completionTime") return Key::kCompletionTime;
          if (k == "active") return Key::kActive;
          if (k == "ready") return Key::kReady;
          if (k == "succeeded") return Key::kSucceeded;
          if (k == "failed") return Key::kFailed;
          if (k == "conditions") return Key::kConditions;
        } else {
          if (k == "lastScheduleTime") return Key::kLastScheduleTime;
          if (k == "lastSuccessfulTime") return Key::kLastSuccessfulTime;
          if (k == "active") return Key::kActiveRefs;
        }
        break;
      case Ctx::kCondition:
        if (k == "type") return Key::kCondType;
        if (k == "status") return Key::kCondStatus;
        if (k == "reason") return Key::kCondReason;
        if (k == "lastTransitionTime") return Key::kCondTransition;
        break;
      case Ctx::kActiveRef:
        if (k == "uid") return Key::kActiveRefUid;
        if (k == "name") return Key::kActiveRefName;
        break;
      case Ctx::kItems:
      case Ctx::kOwnerRefs:
      case Ctx::kConditions:
      case Ctx::kActiveRefs:
        break;
    }
    return Key::kOther;
  }

  // The key the next value belongs to.
  Key Current() const { return IsArray(stack_.back()) ? Key::kElement : key_; }

  bool Push(Ctx c) {
    stack_.push_back(c);
    key_ = Key::kOther;
    return true;
  }
  bool Skip() {
    ++skip_;
    return true;
  }
  void StartObject() {
    obj = ObjectState();
    has_object = true;
  }
  // A type error in the object being decoded: recorded, the subtree skipped.
  bool ObjectError(Key k, Want w) {
    obj.Fail(TypeError(k, w));
    return Skip();
  }

  bool Open(bool is_object) {
    if (skip_ > 0) return Skip();
    if (stack_.empty()) {
      if (!is_object) {
        root_bad = true;
        return false;
      }
      switch (mode_) {
        case Mode::kWatchLine:
          return Push(Ctx::kEventRoot);
        case Mode::kListPage:
          return Push(Ctx::kListRoot);
        case Mode::kObject:
          StartObject();
          return Push(Ctx::kObject);
      }
    }
    const Ctx ctx = stack_.back();
    const Key k = Current();
    switch (ctx) {
      case Ctx::kEventRoot:
        if (k == Key::kEvObject && is_object) {
          StartObject();
          return Push(Ctx::kObject);
        }
        if (k == Key::kEvObject) has_object = false;
        if (k == Key::kEvType) {
          fatal = TypeError(k, Want::kString);
          return false;
        }
        return Skip();
      case Ctx::kListRoot:
        if (k == Key::kListMetadata) {
          if (is_object) return Push(Ctx::kListMeta);
          fatal = "metadata is not an object";
          return false;
        }
        if (k == Key::kListItems) {
          if (!is_object) return Push(Ctx::kItems);
          fatal = "list items is not an array";
          return false;
        }
        return Skip();
      case Ctx::kListMeta:
        if (k == Key::kListResourceVersion || k == Key::kListContinue) {
          fatal = TypeError(k, Want::kString);
          return false;
        }
        return Skip();
      case Ctx::kItems:
        if (is_object) {
          StartObject();
          return Push(Ctx::kObject);
        }
        BadItem("object is not a JSON object");
        return Skip();
      case Ctx::kObject:
        if (k == Key::kMetadata || k == Key::kSpec || k == Key::kStatus) {
          if (!is_object) {
            if (k == Key::kMetadata) obj.metadata_bad = true;
            return ObjectError(k, Want::kObject);
          }
          return Push(k == Key::kMetadata ? Ctx::kMeta
                      : k == Key::kSpec   ? Ctx::kSpec
                                          : Ctx::kStatus);
        }
        return Skip();
      case Ctx::kMeta:
        switch (k) {
          case Key::kOwnerReferences:
            return is_object ? Skip() : Push(Ctx::kOwnerRefs);
          case Key::kLabels:
            return is_object ? Push(Ctx::kLabels) : Skip();
          case Key::kAnnotations:
            return is_object ? Push(Ctx::kAnnotations) : Skip();
          case Key::kResourceVersion:
            obj.resource_version_bad = true;
            return ObjectError(k, Want::kString);
          case Key::kUid:
          case Key::kNamespace:
          case Key::kName:
          case Key::kGenerateName:
          case Key::kCreationTimestamp:
            return ObjectError(k, Want::kString);
          default:
            return Skip();
        }
      case Ctx::kOwnerRefs:
        if (!is_object) return Skip();
        obj.ref = OwnerRef();
        return Push(Ctx::kOwnerRef);
      case Ctx::kConditions:
        if (!is_object) return Skip();
        obj.cond = Condition();
        return Push(Ctx::kCondition);
      case Ctx::kActiveRefs:
        obj.cronjob.active.emplace_back();
        return is_object ? Push(Ctx::kActiveRef) : Skip();
      case Ctx::kSpec:
      case Ctx::kStatus:
        switch (k) {
          case Key::kConditions:
            return is_object ? Skip() : Push(Ctx::kConditions);
          case Key::kActiveRefs:
            return is_object ? Skip() : Push(Ctx::kActiveRefs);
          case Key::kOther:
            return Skip();
          default:
            return ObjectError(k, WantOf(k));
        }
      case Ctx::kCondition:
        if (k != Key::kOther && obj.cond.error.empty())
          obj.cond.error = TypeError(k, Want::kString);
        return Skip();
      case Ctx::kActiveRef:
        if (k != Key::kOther) return ObjectError(k, Want::kString);
        return Skip();
      case Ctx::kOwnerRef:
      case Ctx::kLabels:
      case Ctx::kAnnotations:
        return Skip();
    }
    return Skip();
  }

  static Want WantOf(Key k) {
    switch (k) {
      case Key::kActiveDeadlineSeconds:
      case Key::kStartingDeadlineSeconds:
      case Key::kActive:
      case Key::kReady:
      case Key::kSucceeded:
      case Key::kFailed:
        return Want::kInt;
      case Key::kSuspend:
        return Want::kBool;
      default:
        return Want::kString;
    }
  }

  bool Close() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    const Ctx ctx = stack_.back();
    stack_.pop_back();
    switch (ctx) {
      case Ctx::kObject:
        if (mode_ == Mode::kListPage) FinishListItem();
        break;
      case Ctx::kOwnerRef:
        if (!obj.owner_done && obj.ref.controller) {
          obj.owner_done = true;  // at most one controller reference
          if (obj.ref.api_version == "batch/v1" && obj.ref.kind == "CronJob" &&
              !obj.ref.uid.empty()) {
            obj.job.owner_cronjob_name = std::move(obj.ref.name);
            obj.job.owner_cronjob_uid = std::move(obj.ref.uid);
          }
        }
        break;
      case Ctx::kCondition:
        FinishCondition();
        break;
      default:
        break;
    }
    // Back in the parent: the key of the closed value is done.
    key_ = Key::kOther;
    return true;
  }

  // Conditions are read in order up to the first terminal one (Complete or Failed with status
  // "True"); SuccessCriteriaMet / FailureTarget come earlier and do not count.
  void FinishCondition() {
    if (obj.conditions_done) return;
    Condition& c = obj.cond;
    if (!c.error.empty()) {
      obj.Fail(std::move(c.error));
      obj.conditions_done = true;
      return;
    }
    if (c.status != "True") return;
    if (c.type == "Complete" || c.type == "Failed") {
      obj.outcome = c.type == "Complete" ? JobOutcome::kSucceeded : JobOutcome::kFailed;
      obj.terminal_reason = std::move(c.reason);
      obj.terminal_transition = c.transition;
      obj.conditions_done = true;
    }
  }

  void BadItem(const std::string& error) {
    if (page_->bad_items++ == 0) page_->first_item_error = error;
  }

  void FinishListItem();

  bool SetString(Key k, const Scalar& v, std::string* out, std::string* error) {
    if (v.type == Scalar::kNull) return true;
    if (v.type != Scalar::kString) {
      if (error->empty()) *error = TypeError(k, Want::kString);
      return false;
    }
    *out = std::move(*v.s);
    return true;
  }
  template <typename Int>
  void SetInt(Key k, const Scalar& v, Int* out) {
    if (v.type == Scalar::kNull) return;
    if (v.type != Scalar::kInt) return obj.Fail(TypeError(k, Want::kInt));
    *out = static_cast<Int>(v.i);
  }
  template <typename Int>
  void SetOptInt(Key k, const Scalar& v, std::optional<Int>* out) {
    if (v.type == Scalar::kNull) return;
    if (v.type != Scalar::kInt) return obj.Fail(TypeError(k, Want::kInt));
    *out = static_cast<Int>(v.i);
  }
  void SetBool(Key k, const Scalar& v, bool* out) {
    if (v.type == Scalar::kNull) return;
    if (v.type != Scalar::kBool) return obj.Fail(TypeError(k, Want::kBool));
    *out = v.b;
  }
  void SetTime(Key k, const Scalar& v, std::optional<UnixSeconds>* out, std::string* error) {
    if (v.type == Scalar::kNull) return;
    std::string e;
    if (v.type != Scalar::kString) {
      e = TypeError(k, Want::kString);
    } else {
      ReadTime(k, *v.s, out, &e);
    }
    if (!e.empty() && error->empty()) *error = std::move(e);
  }

  bool OnScalar(const Scalar& v) {
    if (skip_ > 0) return true;
    if (stack_.empty()) {
      root_bad = true;
      return false;
    }
    const Ctx ctx = stack_.back();
    const Key k = Current();
    std::string ignored;
    switch (ctx) {
      case Ctx::kEventRoot:
        if (k == Key::kEvType && !SetString(k, v, &event_type, &fatal)) return false;
        if (k == Key::kEvObject) has_object = false;
        break;
      case Ctx::kListRoot:
        if (v.type == Scalar::kNull) break;
        if (k == Key::kListMetadata) {
          fatal = "metadata is not an object";
          return false;
        }
        if (k == Key::kListItems) {
          fatal = "list items is not an array";
          return false;
        }
        break;
      case Ctx::kListMeta:
        if (k == Key::kListResourceVersion && !SetString(k, v, &page_->resource_version, &fatal)) {
          return false;
        }
        if (k == Key::kListContinue && !SetString(k, v, &page_->continue_token, &fatal)) {
          return false;
        }
        break;
      case Ctx::kItems:
        BadItem("object is not a JSON object");
        break;
      case Ctx::kObject:
        switch (k) {
          case Key::kMetadata:
          case Key::kSpec:
          case Key::kStatus:
            if (v.type != Scalar::kNull) {
              if (k == Key::kMetadata) obj.metadata_bad = true;
              obj.Fail(TypeError(k, Want::kObject));
            }
            break;
          case Key::kCode:
            if (v.type == Scalar::kInt) obj.code = static_cast<int>(v.i);
            break;
          case Key::kMessage:
            SetString(k, v, &obj.message, &ignored);
            break;
          default:
            break;
        }
        break;
      case Ctx::kMeta:
        switch (k) {
          case Key::kUid:
            SetString(k, v, &obj.uid, &obj.error);
            break;
          case Key::kNamespace:
            SetString(k, v, &obj.namespace_, &obj.error);
            break;
          case Key::kName:
            SetString(k, v, &obj.name, &obj.error);
            break;
          case Key::kGenerateName:
            SetString(k, v, &obj.generate_name, &obj.error);
            break;
          case Key::kResourceVersion:
            if (!SetString(k, v, &obj.resource_version, &obj.error)) {
              obj.resource_version_bad = true;
            }
            break;
          case Key::kCreationTimestamp:
            SetTime(k, v, &obj.created, &obj.error);
            break;
          default:
            break;
        }
        break;
      case Ctx::kOwnerRef:
        switch (k) {
          case Key::kRefApiVersion:
            SetString(k, v, &obj.ref.api_version, &ignored);
            break;
          case Key::kRefKind:
            SetString(k, v, &obj.ref.kind, &ignored);
            break;
          case Key::kRefName:
            SetString(k, v, &obj.ref.name, &ignored);
            break;
          case Key::kRefUid:
            SetString(k, v, &obj.ref.uid, &ignored);
            break;
          case Key::kRefController:
            obj.ref.controller = v.type == Scalar::kBool && v.b;
            break;
          default:
            break;
        }
        break;
      case Ctx::kLabels:
        if (k == Key::kGroupLabel && v.type == Scalar::kString) {
          obj.job.group_label = std::move(*v.s);
        }
        break;
      case Ctx::kAnnotations:
        if (v.type != Scalar::kString) break;
        if (k == Key::kScheduledTimestamp) {
          obj.job.scheduled_timestamp = cron::ParseRfc3339(*v.s);  // malformed: absent
        } else if (k == Key::kInstantiate) {
          obj.job.manual = *v.s == "manual";
        }
        break;
      case Ctx::kSpec:
      case Ctx::kStatus:
        OnField(k, v);
        break;
      case Ctx::kCondition:
        switch (k) {
          case Key::kCondType:
            SetString(k, v, &obj.cond.type, &obj.cond.error);
            break;
          case Key::kCondStatus:
            SetString(k, v, &obj.cond.status, &obj.cond.error);
            break;
          case Key::kCondReason:
            SetString(k, v, &obj.cond.reason, &obj.cond.error);
            break;
          case Key::kCondTransition:
            SetTime(k, v, &obj.cond.transition, &obj.cond.error);
            break;
          default:
            break;
        }
        break;
      case Ctx::kActiveRefs:
        obj.cronjob.active.emplace_back();  // not an object: an empty reference
        break;
      case Ctx::kActiveRef:
        if (k == Key::kActiveRefUid) {
          SetString(k, v, &obj.cronjob.active.back().uid, &obj.error);
        } else if (k == Key::kActiveRefName) {
          SetString(k, v, &obj.cronjob.active.back().name, &obj.error);
        }
        break;
      case Ctx::kOwnerRefs:
      case Ctx::kConditions:
        break;
    }
    return true;
  }

  // A scalar in spec or status.
  void OnField(Key k, const Scalar& v) {
    Job& j = obj.job;
    CronJob& c = obj.cronjob;
    switch (k) {
      case Key::kActiveDeadlineSeconds:
        return SetOptInt(k, v, &j.active_deadline_seconds);
      case Key::kSuspend:
        return SetBool(k, v, jobs_ ? &j.suspend : &c.suspend);
      case Key::kStartTime:
        return SetTime(k, v, &j.start_time, &obj.error);
      case Key::kCompletionTime:
        return SetTime(k, v, &j.completion_time, &obj.error);
      case Key::kActive:
        return SetInt(k, v, &j.active);
      case Key::kReady:
        return SetOptInt(k, v, &j.ready);
      case Key::kSucceeded:
        return SetInt(k, v, &j.succeeded);
      case Key::kFailed:
        return SetInt(k, v, &j.failed);
      case Key::kSchedule:
        SetString(k, v, &c.schedule, &obj.error);
        return;
      case Key::kTimeZone: {
        std::string tz;
        if (v.type != Scalar::kNull && SetString(k, v, &tz, &obj.error)) {
          c.time_zone = std::move(tz);
        }
        return;
      }
      case Key::kConcurrencyPolicy:
        SetString(k, v, &obj.policy, &obj.error);
        return;
      case Key::kStartingDeadlineSeconds:
        return SetOptInt(k, v, &c.starting_deadline_seconds);
      case Key::kLastScheduleTime:
        return SetTime(k, v, &c.last_schedule_time, &obj.error);
      case Key::kLastSuccessfulTime:
        return SetTime(k, v, &c.last_successful_time, &obj.error);
      default:
        return;
    }
  }

  const Mode mode_;
  const bool jobs_;
  const DecodeOptions& opts_;
  ListPage* const page_;
  std::vector<Ctx> stack_;
  Key key_ = Key::kOther;
  int skip_ = 0;  // depth inside a skipped subtree
};

// Metadata shared by both kinds; false + *error when the object is unusable.
bool FinishMeta(ObjectState& s, std::string* error) {
  if (!s.error.empty()) {
    *error = std::move(s.error);
    return false;
  }
  if (s.uid.empty() || s.name.empty()) {
    *error = "metadata.uid or metadata.name missing";
    return false;
  }
  return true;
}

bool FinishJob(ObjectState& s, Job* out, std::string* error) {
  if (!FinishMeta(s, error)) return false;
  Job& j = s.job;
  j.uid = std::move(s.uid);
  j.namespace_ = std::move(s.namespace_);
  j.name = std::move(s.name);
  j.generate_name = std::move(s.generate_name);
  j.resource_version = std::move(s.resource_version);
  j.creation_time = s.created.value_or(0);
  j.outcome = s.outcome;
  if (s.outcome == JobOutcome::kSucceeded) {
    j.terminal_reason = std::move(s.terminal_reason);
    j.end_time = j.completion_time ? j.completion_time : s.terminal_transition;
  } else if (s.outcome == JobOutcome::kFailed) {
    j.terminal_reason = std::move(s.terminal_reason);
    j.end_time = s.terminal_transition ? s.terminal_transition : j.completion_time;
  }
  *out = std::move(j);
  return true;
}

bool FinishCronJob(ObjectState& s, CronJob* out, std::string* error) {
  if (!FinishMeta(s, error)) return false;
  CronJob& c = s.cronjob;
  c.uid = std::move(s.uid);
  c.namespace_ = std::move(s.namespace_);
  c.name = std::move(s.name);
  c.resource_version = std::move(s.resource_version);
  c.creation_time = s.created.value_or(0);
  // The API server rejects other values; treat anything unknown as the default.
  if (s.policy == "Forbid")
    c.concurrency_policy = ConcurrencyPolicy::kForbid;
  else if (s.policy == "Replace")
    c.concurrency_policy = ConcurrencyPolicy::kReplace;
  *out = std::move(c);
  return true;
}

void SaxDecoder::FinishListItem() {
  std::string error;
  if (jobs_) {
    page_->jobs.emplace_back();
    if (!FinishJob(obj, &page_->jobs.back(), &error)) page_->jobs.pop_back();
  } else {
    page_->cronjobs.emplace_back();
    if (!FinishCronJob(obj, &page_->cronjobs.back(), &error)) page_->cronjobs.pop_back();
  }
  if (!error.empty()) BadItem(error);
}

// How JsonReader treats each byte inside a string.
enum class Char : uint8_t { kPlain, kQuote, kEscape, kControl, kUtf8 };
struct CharTable {
  Char c[256];
  constexpr CharTable() : c() {
    for (int i = 0; i < 256; ++i) {
      c[i] = i < 0x20    ? Char::kControl
             : i == '"'  ? Char::kQuote
             : i == '\\' ? Char::kEscape
             : i >= 0x80 ? Char::kUtf8
                         : Char::kPlain;
    }
  }
};
constexpr CharTable kChars{};

// A strict JSON reader (RFC 8259, with nlohmann's rules: UTF-8 checked in strings, surrogate
// pairs checked in \u escapes, a leading UTF-8 BOM allowed, integers that overflow become
// floats, a float that overflows is an error) driving the SaxDecoder. It exists because most
// bytes of an API object are in subtrees the decoder never reads (managedFields, the pod
// template): when the decoder opens a container it skips, the reader validates that subtree
// without unescaping a string or calling the decoder, which nlohmann's lexer cannot do (it
// copies every string into its token buffer). Iterative, so nesting depth costs no stack.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text)
      : p_(reinterpret_cast<const unsigned char*>(text.data())), end_(p_ + text.size()) {}

  // false when the text is not one JSON value or the decoder stopped; syntax errors call
  // d->SyntaxError().
  bool Parse(SaxDecoder* d) {
    if (end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) p_ += 3;
    const bool ok = Run(d);
    if (!ok && syntax_error_) d->SyntaxError();
    return ok;
  }

 private:
  bool Fail() {
    syntax_error_ = true;
    return false;
  }
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool Literal(const char* word, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }
  static int Hex(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // Four hex digits after "\u"; -1 when malformed.
  long Hex4() {
    if (end_ - p_ < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = Hex(p_[i]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    p_ += 4;
    return v;
  }
  // One well-formed UTF-8 sequence starting at p_ (a byte >= 0x80); appended to out if set.
  bool Utf8(std::string* out) {
    const unsigned char c = *p_;
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end_ - p_ <= n) return false;
    if (p_[1] < lo || p_[1] > hi) return false;
    for (int i = 2; i <= n; ++i) {
      if (p_[i] < 0x80 || p_[i] > 0xBF) return false;
    }
    if (out) out->append(reinterpret_cast<const char*>(p_), static_cast<size_t>(n + 1));
    p_ += n + 1;
    return true;
  }
  static void AppendCodePoint(std::string* out, long cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  // An escape sequence after the backslash.
  bool Escape(std::string* out) {
    if (p_ >= end_) return false;
    char c;
    switch (*p_++) {
      case '"':
        c = '"';
        break;
      case '\\':
        c = '\\';
        break;
      case '/':
        c = '/';
        break;
      case 'b':
        c = '\b';
        break;
      case 'f':
        c = '\f';
        break;
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case 't':
        c = '\t';
        break;
      case 'u': {
        long cp = Hex4();
        if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
          p_ += 2;
          long low = Hex4();
          if (low < 0xDC00 || low > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out) AppendCodePoint(out, cp);
        return true;
      }
      default:
        return false;
    }
    if (out) out->push_back(c);
    return true;
  }
  // True when none of the 8 bytes at p is a quote, a backslash, a control character or part of
  // a multi-byte UTF-8 sequence (the usual zero-byte bit tricks, exact for "any byte").
  static bool EightPlain(const unsigned char* p) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
    uint64_t v;
    std::memcpy(&v, p, 8);
    const uint64_t quote = v ^ (kOnes * '"'), backslash = v ^ (kOnes * '\\');
    const uint64_t special = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) |
                             ((v - kOnes * 0x20) & ~v) | v;
    return (special & kHigh) == 0;
  }
  // A string after its opening quote; unescaped into *out when out is set.
  bool String(std::string* out) {
    for (;;) {
      const unsigned char* run = p_;
      while (end_ - p_ >= 8 && EightPlain(p_)) p_ += 8;
      while (p_ < end_ && kChars.c[*p_] == Char::kPlain) ++p_;
      if (out) out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(p_ - run));
      if (p_ >= end_) return false;
      switch (kChars.c[*p_]) {
        case Char::kQuote:
          ++p_;
          return true;
        case Char::kEscape:
          ++p_;
          if (!Escape(out)) return false;
          break;
        case Char::kUtf8:
          if (!Utf8(out)) return false;
          break;
        default:
          return false;  // a control character
      }
    }
  }
  static bool Digit(unsigned char c) { return c >= '0' && c <= '9'; }
  // A number; reported to d unless it is null. Integers that fit are reported as nlohmann
  // does (unsigned without a minus, else signed); others are floats, which must be finite.
  bool Number(SaxDecoder* d) {
    const unsigned char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ >= end_ || !Digit(*p_)) return Fail();
    uint64_t value = 0;
    bool overflow = false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && Digit(*p_)) {
        const unsigned digit = *p_++ - '0';
        if (value > (UINT64_MAX - digit) / 10) overflow = true;
        value = value * 10 + digit;
      }
    }
    bool is_float = false, exponent = false;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ >= end_ || !Digit(*p_)) return Fail();
      while (p_ < end_ && Digit(*p_)) ++p_;
      is_float = true;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || !Digit(*p_)) return Fail();
      while (p_ < end_ && Digit(*p_)) ++p_;
      is_float = exponent = true;
    }
    if (!is_float && !overflow) {
      if (!negative) return d == nullptr || d->number_unsigned(value);
      if (value <= static_cast<uint64_t>(INT64_MAX) + 1) {
        return d == nullptr || d->number_integer(static_cast<int64_t>(0 - value));
      }
    }
    // Only an exponent or more than 308 integer digits can leave the range of a double.
    if (exponent || p_ - start > 300) {
      std::string token(reinterpret_cast<const char*>(start), static_cast<size_t>(p_ - start));
      const char point = *std::localeconv()->decimal_point;
      if (point != '.') std::replace(token.begin(), token.end(), '.', point);
      if (!std::isfinite(std::strtod(token.c_str(), nullptr))) return Fail();
    }
    return d == nullptr || d->number_float(0, std::string());
  }

  // One scalar value at p_ (not a container); reported to d unless it is null.
  bool Scalar(SaxDecoder* d) {
    switch (*p_) {
      case '"': {
        ++p_;
        if (d == nullptr) return String(nullptr) || Fail();
        string_.clear();
        if (!String(&string_)) return Fail();
        return d->string(string_);
      }
      case 't':
        if (!Literal("true", 4)) return Fail();
        return d == nullptr || d->boolean(true);
      case 'f':
        if (!Literal("false", 5)) return Fail();
        return d == nullptr || d->boolean(false);
      case 'n':
        if (!Literal("null", 4)) return Fail();
        return d == nullptr || d->null();
      default:
        if (*p_ == '-' || Digit(*p_)) return Number(d);
        return Fail();
    }
  }

  // A key and its colon, inside an object; reported to d unless it is null.
  bool Key(SaxDecoder* d) {
    SkipSpace();
    if (p_ >= end_ || *p_ != '"') return Fail();
    ++p_;
    if (d == nullptr) {
      if (!String(nullptr)) return Fail();
    } else {
      string_.clear();
      if (!String(&string_)) return Fail();
      if (!d->key(string_)) return false;
    }
    SkipSpace();
    if (p_ >= end_ || *p_ != ':') return Fail();
    ++p_;
    return true;
  }

  bool Run(SaxDecoder* d) {
    // Open containers: true = object. Containers from index `skip_from` on are skipped
    // (validated only); the decoder saw the opening of the first of them and will see its
    // closing.
    std::vector<bool> open;
    open.reserve(32);
    size_t skip_from = SIZE_MAX;
    for (;;) {
      // A value.
      SaxDecoder* sink = open.size() > skip_from ? nullptr : d;
      SkipSpace();
      if (p_ >= end_) return Fail();
      if (*p_ == '{' || *p_ == '[') {
        const bool object = *p_++ == '{';
        if (sink != nullptr) {
          if (!(object ? sink->start_object(0) : sink->start_array(0))) return false;
          if (sink->skipping()) skip_from = open.size();
        }
        open.push_back(object);
        sink = open.size() > skip_from ? nullptr : d;
        SkipSpace();
        if (p_ < end_ && *p_ == (object ? '}' : ']')) {
          ++p_;
          // An empty container: closed below.
        } else {
          if (object && !Key(sink)) return false;
          continue;
        }
      } else {
        if (!Scalar(sink)) return false;
        if (open.empty()) break;
        // After a value: a comma and the next one, or the end of containers.
        SkipSpace();
        if (p_ >= end_) return Fail();
        if (*p_ == ',') {
          ++p_;
          if (open.back() && !Key(sink)) return false;
          continue;
        }
        if (*p_ != (open.back() ? '}' : ']')) return Fail();
        ++p_;
      }
      // The container at open.back() just closed; close more while the next byte says so.
      for (;;) {
        const bool object = open.back();
        open.pop_back();
        if (open.size() <= skip_from) {
          if (open.size() == skip_from) skip_from = SIZE_MAX;
          if (!(object ? d->end_object() : d->end_array())) return false;
        }
        if (open.empty()) break;
        SkipSpace();
        if (p_ >= end_) return Fail();
        if (*p_ == ',') {
          ++p_;
          if (open.back() && !Key(open.size() > skip_from ? nullptr : d)) return false;
          break;
        }
        if (*p_ != (open.back() ? '}' : ']')) return Fail();
        ++p_;
      }
      if (open.empty()) break;
    }
    SkipSpace();
    // nlohmann reads a NUL byte as the end of the input (for C strings): what follows is ignored.
    return p_ == end_ || *p_ == '\0' || Fail();
  }

  const unsigned char* p_;
  const unsigned char* const end_;
  bool syntax_error_ = false;
  std::string string_;
};

bool Parse(std::string_view text, SaxDecoder* d) {
  return JsonReader(text).Parse(d) && !d->root_bad && d->fatal.empty();
}

bool DecodeObject(const json& obj, Resource resource, const DecodeOptions& opts, Job* job,
                  CronJob* cronjob, std::string* error) {
  if (!obj.is_object()) {
    *error = "object is not a JSON object";
    return false;
  }
  // Not on a hot path (the API paths decode text): serialise and run the one decoder.
  std::string text = obj.dump(-1, ' ', false, json::error_handler_t::replace);
  SaxDecoder d(SaxDecoder::Mode::kObject, resource, opts, nullptr);
  if (!Parse(text, &d)) {
    *error = "object is not a JSON object";
    return false;
  }
  return resource == Resource::kJobs ? FinishJob(d.obj, job, error)
                                     : FinishCronJob(d.obj, cronjob, error);
}

}  // namespace

bool DecodeJob(const json& obj, const DecodeOptions& opts, Job* out, std::string* error) {
  return DecodeObject(obj, Resource::kJobs, opts, out, nullptr, error);
}

bool DecodeCronJob(const json& obj, CronJob* out, std::string* error) {
  return DecodeObject(obj, Resource::kCronJobs, DecodeOptions(), nullptr, out, error);
}

const char* WatchEventTypeName(WatchEventType t) {
  switch (t) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "ERROR";
}

bool DecodeWatchEvent(std::string_view line, Resource resource, const DecodeOptions& opts,
                      WatchEvent* out, std::string* error) {
  SaxDecoder d(SaxDecoder::Mode::kWatchLine, resource, opts, nullptr);
  if (!Parse(line, &d)) {
    *error = d.fatal.empty() ? "watch line is not a JSON object" : d.fatal;
    return false;
  }
  if (!d.has_object) {
    *error = "watch event has no object";
    return false;
  }
  const std::string& type = d.event_type;
  if (type == "ADDED")
    out->type = WatchEventType::kAdded;
  else if (type == "MODIFIED")
    out->type = WatchEventType::kModified;
  else if (type == "DELETED")
    out->type = WatchEventType::kDeleted;
  else if (type == "BOOKMARK")
    out->type = WatchEventType::kBookmark;
  else if (type == "ERROR")
    out->type = WatchEventType::kError;
  else {
    *error = "unknown watch event type \"" + type.substr(0, 32) + "\"";
    return false;
  }
  out->resource_version.clear();
  ObjectState& obj = d.obj;
  if (out->type == WatchEventType::kError) {
    out->error_code = obj.code;
    out->error_message = std::move(obj.message);
    return true;
  }
  if (out->type == WatchEventType::kBookmark) {
    if (obj.metadata_bad) {
      *error = "metadata is not an object";
      return false;
    }
    if (obj.resource_version_bad) {
      *error = "metadata.resourceVersion is not a string";
      return false;
    }
    if (obj.resource_version.empty()) {
      *error = "bookmark without metadata.resourceVersion";
      return false;
    }
    out->resource_version = std::move(obj.resource_version);
    return true;
  }
  if (resource == Resource::kJobs) {
    if (!FinishJob(obj, &out->job, error)) return false;
    out->resource_version = out->job.resource_version;
  } else {
    if (!FinishCronJob(obj, &out->cronjob, error)) return false;
    out->resource_version = out->cronjob.resource_version;
  }
  return true;
}

bool DecodeListPage(std::string_view body, Resource resource, const DecodeOptions& opts,
                    ListPage* out, std::string* error) {
  SaxDecoder d(SaxDecoder::Mode::kListPage, resource, opts, out);
  if (!Parse(body, &d)) {
    *error = d.fatal.empty() ? "list response is not a JSON object" : d.fatal;
    return false;
  }
  return true;
}

namespace {

bool GetString(const json& obj, const char* name, std::string* out) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

}  // namespace

ApiStatus DecodeStatus(std::string_view body) {
  ApiStatus s;
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return s;
  if (auto it = doc.find("code"); it != doc.end() && it->is_number_integer()) {
    s.code = it->get<int>();
  }
  GetString(doc, "reason", &s.reason);
  GetString(doc, "message", &s.message);
  return s;
}

}  // namespace batchwatch::kube
