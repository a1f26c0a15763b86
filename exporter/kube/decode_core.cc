#include "kube/decode_core.h"

#include <algorithm>
#include <limits>

#include "kube/json_fields.h"

namespace batchwatch::kube {
namespace {

using json::Element;
using json::Fields;
using json::kLenient;
using json::Problems;

// ---- the schema: one function per object level, one line per field read --------------------
// As in decode.cc: null is absent; a wrong type in a field that is read makes the object
// undecodable, except in owner references and times of Events (hints: ignored).

struct PodDoc {
  Pod pod;
  bool controller_seen = false;  // at most one controller owner reference counts
  std::string phase;
  // The first exit code outside int32 or restart count outside 0..INT32_MAX, per list
  // (0 = initContainerStatuses, 1 = containers).
  std::string range_error[2];
  int code = 0;  // a watch ERROR event's metav1.Status
  std::string message;
};

struct EventDoc {
  Event event;
  std::optional<int64_t> count, series_count;
  std::optional<UnixSeconds> first_timestamp, event_time, last_timestamp, series_last;
  int code = 0;  // a watch ERROR event's metav1.Status (its message is event.message)
};

// metav1.ObjectMeta: the fields both kinds keep.
template <typename T>
void CoreMeta(Fields& f, T* o) {
  f.String("uid", &o->uid);
  f.String("namespace", &o->namespace_);
  f.String("name", &o->name);
  f.String("resourceVersion", &o->resource_version);
}

struct OwnerReference {
  std::string api_version, kind, name, uid;
  bool controller = false;
};

void OwnerRef(Fields& f, OwnerReference* r) {
  f.String("apiVersion", &r->api_version, kLenient);
  f.String("kind", &r->kind, kLenient);
  f.String("name", &r->name, kLenient);
  f.String("uid", &r->uid, kLenient);
  f.Bool("controller", &r->controller, kLenient);
}

// The controller reference names the owning Job only when it is a Job of the group batch.
void PodOwnerReferences(Element& e, PodDoc* d) {
  OwnerReference r;
  if (!e.Object([&r](Fields& g) { OwnerRef(g, &r); })) return;
  if (d->controller_seen || !r.controller) return;
  d->controller_seen = true;
  if (r.api_version.compare(0, 6, "batch/") == 0 && r.kind == "Job" && !r.uid.empty()) {
    d->pod.owner_job_name = std::move(r.name);
    d->pod.owner_job_uid = std::move(r.uid);
  }
}

void PodMeta(Fields& f, PodDoc* d) {
  CoreMeta(f, &d->pod);
  f.Time("creationTimestamp", &d->pod.creation_time);
  f.Array(
      "ownerReferences", [d](Element& e) { PodOwnerReferences(e, d); },
      [d] {
        d->pod.owner_job_name.clear();
        d->pod.owner_job_uid.clear();
        d->controller_seen = false;
      },
      kLenient);
}

// core/v1 PodSpec: only the restart policy (containers, volumes, ... are skipped unparsed).
void PodSpec(Fields& f, Pod* p) { f.Equals("restartPolicy", "OnFailure", &p->restart_on_failure); }

struct PodCondition {
  std::string type, status, reason;
};

void PodConditionFields(Fields& f, PodCondition* c) {
  f.String("type", &c->type);
  f.String("status", &c->status);
  f.String("reason", &c->reason);
}

void PodConditions(Element& e, Pod* p) {
  PodCondition c;
  if (!e.Object([&c](Fields& g) { PodConditionFields(g, &c); })) return;
  if (c.type == "DisruptionTarget" && c.status == "True")
    p->disruption_reason = std::move(c.reason);
  if (c.type == "PodScheduled" && c.status == "False") p->unscheduled_reason = std::move(c.reason);
}

// A container status as read: exit codes and the restart count in 64 bits, so that one outside
// int32 is seen (and never wraps).
struct ContainerDoc {
  ContainerStatus c;
  std::optional<int64_t> exit_code, last_exit_code, restart_count;
};

void Terminated(Fields& f, std::string* reason, std::optional<int64_t>* exit_code) {
  f.String("reason", reason);
  f.Int("exitCode", exit_code);
}

// A state's kind is which key is present (waiting, running, terminated), whatever it holds.
template <typename Level, typename Reset>
void StateKind(Fields& f, std::string_view key, bool* present, Level level, Reset reset) {
  f.Value(
      key, [present, &level](Element& e) { *present = e.Object(level); },
      [present, &reset] {
        *present = false;
        reset();
      });
}

void ContainerState(Fields& f, ContainerDoc* d) {
  ContainerStatus* c = &d->c;
  StateKind(
      f, "waiting", &c->waiting, [c](Fields& g) { g.String("reason", &c->waiting_reason); },
      [c] { c->waiting_reason.clear(); });
  StateKind(
      f, "running", &c->running, [](Fields&) {}, [] {});
  StateKind(
      f, "terminated", &c->terminated,
      [d](Fields& g) { Terminated(g, &d->c.terminated_reason, &d->exit_code); },
      [d] {
        d->c.terminated_reason.clear();
        d->exit_code.reset();
      });
}

void LastState(Fields& f, ContainerDoc* d) {
  StateKind(
      f, "terminated", &d->c.last_terminated,
      [d](Fields& g) { Terminated(g, &d->c.last_terminated_reason, &d->last_exit_code); },
      [d] {
        d->c.last_terminated_reason.clear();
        d->last_exit_code.reset();
      });
}

// core/v1 ContainerStatus.
void ContainerStatusFields(Fields& f, ContainerDoc* d) {
  f.String("name", &d->c.name);
  f.Int("restartCount", &d->restart_count);
  f.Object("state", [d](Fields& g) { ContainerState(g, d); });
  f.Object("lastState", [d](Fields& g) { LastState(g, d); });
}

bool Fits(const std::optional<int64_t>& v, int64_t min) {
  return !v || (*v >= min && *v <= std::numeric_limits<int32_t>::max());
}

// *range_error: the first field of the list outside its range ("" when none).
void CheckRanges(const ContainerDoc& d, const char* path, std::string* range_error) {
  if (!range_error->empty()) return;
  constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
  if (!Fits(d.exit_code, kInt32Min)) {
    *range_error = std::string(path) + "[].state.terminated.exitCode " +
                   std::to_string(*d.exit_code) + " is outside int32";
  } else if (!Fits(d.last_exit_code, kInt32Min)) {
    *range_error = std::string(path) + "[].lastState.terminated.exitCode " +
                   std::to_string(*d.last_exit_code) + " is outside int32";
  } else if (!Fits(d.restart_count, 0)) {
    // restartCount is an int32 that only the kubelet raises: negative or larger is no count.
    *range_error = std::string(path) + "[].restartCount " + std::to_string(*d.restart_count) +
                   " is outside 0..2147483647";
  }
}

// Elements that are not objects are ignored.
void ContainerStatuses(Element& e, std::vector<ContainerStatus>* out, std::string* range_error,
                       const char* path) {
  ContainerDoc d;
  if (!e.Object([&d](Fields& g) { ContainerStatusFields(g, &d); })) return;
  CheckRanges(d, path, range_error);
  d.c.exit_code = static_cast<int32_t>(d.exit_code.value_or(0));
  d.c.last_exit_code = static_cast<int32_t>(d.last_exit_code.value_or(0));
  d.c.restart_count = static_cast<int32_t>(d.restart_count.value_or(0));
  out->push_back(std::move(d.c));
}

// core/v1 PodStatus.
void PodStatus(Fields& f, PodDoc* d) {
  Pod* p = &d->pod;
  f.String("phase", &d->phase);
  f.String("reason", &p->status_reason);
  f.Array(
      "conditions", [p](Element& e) { PodConditions(e, p); },
      [p] {
        p->disruption_reason.clear();
        p->unscheduled_reason.clear();
      });
  f.Array(
      "initContainerStatuses",
      [d](Element& e) {
        ContainerStatuses(e, &d->pod.init_containers, &d->range_error[0],
                          "status.initContainerStatuses");
      },
      [d] {
        d->pod.init_containers.clear();
        d->range_error[0].clear();
      });
  f.Array(
      "containerStatuses",
      [d](Element& e) {
        ContainerStatuses(e, &d->pod.containers, &d->range_error[1], "status.containerStatuses");
      },
      [d] {
        d->pod.containers.clear();
        d->range_error[1].clear();
      });
}

void PodObject(Fields& f, PodDoc* d) {
  f.Object("metadata", [d](Fields& g) { PodMeta(g, d); });
  f.Object("spec", [d](Fields& g) { PodSpec(g, &d->pod); });
  f.Object("status", [d](Fields& g) { PodStatus(g, d); });
  f.Int("code", &d->code, kLenient);
  f.String("message", &d->message, kLenient);
}

// core/v1 ObjectReference of an Event.
void InvolvedObject(Fields& f, Event* e) {
  f.String("kind", &e->involved_kind);
  f.String("uid", &e->involved_uid);
  f.String("name", &e->involved_name);
  f.String("namespace", &e->involved_namespace);
}

// core/v1 EventSeries (written by the events.k8s.io recorder).
void EventSeries(Fields& f, EventDoc* d) {
  f.Int("count", &d->series_count);
  f.Time("lastObservedTime", &d->series_last, kLenient);
}

void EventObject(Fields& f, EventDoc* d) {
  Event* e = &d->event;
  f.Object("metadata", [e](Fields& g) { CoreMeta(g, e); });
  f.Object("involvedObject", [e](Fields& g) { InvolvedObject(g, e); });
  f.String("type", &e->type);
  f.String("reason", &e->reason);
  f.String("message", &e->message);
  f.Int("count", &d->count);
  f.Object("series", [d](Fields& g) { EventSeries(g, d); });
  f.Time("firstTimestamp", &d->first_timestamp, kLenient);
  f.Time("eventTime", &d->event_time, kLenient);
  f.Time("lastTimestamp", &d->last_timestamp, kLenient);
  f.Int("code", &d->code, kLenient);
}

// ---- rules that combine fields --------------------------------------------------------------

template <typename T>
bool CheckMeta(const T& o, const Problems& problems, std::string* error) {
  if (!problems.empty()) {
    *error = problems.First();
    return false;
  }
  if (o.uid.empty() || o.name.empty()) {
    *error = "metadata.uid or metadata.name missing";
    return false;
  }
  return true;
}

PodPhase PhaseOf(std::string_view phase) {
  if (phase.empty() || phase == "Pending") return PodPhase::kPending;
  if (phase == "Running") return PodPhase::kRunning;
  if (phase == "Succeeded") return PodPhase::kSucceeded;
  if (phase == "Failed") return PodPhase::kFailed;
  return PodPhase::kUnknown;
}

bool FinishPod(PodDoc& d, const Problems& problems, Pod* out, std::string* error) {
  if (!CheckMeta(d.pod, problems, error)) return false;
  for (const std::string& e : d.range_error) {
    if (!e.empty()) {
      *error = e;
      return false;
    }
  }
  d.pod.phase = PhaseOf(d.phase);
  *out = std::move(d.pod);
  return true;
}

// *skip: why a decodable Event cannot be used.
bool FinishEvent(EventDoc& d, const Problems& problems, Event* out, std::string* skip,
                 std::string* error) {
  if (!CheckMeta(d.event, problems, error)) return false;
  Event& e = d.event;
  const int64_t count = d.series_count ? *d.series_count : d.count.value_or(1);
  e.count = std::max<int64_t>(count, 1);
  e.first_time = d.first_timestamp ? d.first_timestamp : d.event_time;
  e.last_time = d.series_last ? d.series_last : d.last_timestamp;
  TruncateUtf8(&e.message, batch::kMaxEventMessageBytes);
  skip->clear();
  if (e.involved_uid.empty())
    *skip = "event " + e.namespace_ + "/" + e.name + " has no involvedObject.uid";
  *out = std::move(e);
  return true;
}

// One object of either kind, read from an Element or as a document root.
struct CoreObject {
  explicit CoreObject(Resource r) : resource(r) {}
  const Resource resource;
  PodDoc pod;
  EventDoc event;
  Problems problems;

  void Read(Fields& f) {
    if (resource == Resource::kPods) {
      PodObject(f, &pod);
    } else {
      EventObject(f, &event);
    }
  }
  bool ReadFrom(Element& e) {
    return e.Object([this](Fields& f) { Read(f); }, &problems);
  }
  const std::string& resource_version() const {
    return resource == Resource::kPods ? pod.pod.resource_version : event.event.resource_version;
  }
};

// ---- envelopes ------------------------------------------------------------------------------

struct WatchDoc {
  explicit WatchDoc(Resource r) : object(r) {}
  std::string type;
  bool has_object = false;
  bool object_read = false;  // "object" seen before: a later one replaces it
  CoreObject object;
};

void WatchEnvelope(Fields& f, WatchDoc* d) {
  f.String("type", &d->type);
  f.Value(
      "object",
      [d](Element& e) {
        d->has_object = d->object.ReadFrom(e);
        d->object_read = true;
      },
      [d] {
        d->has_object = false;
        if (!d->object_read) return;
        d->object.pod = PodDoc();
        d->object.event = EventDoc();
        d->object.problems = Problems();
      });
}

struct ListDoc {
  ListDoc(Resource r, CoreListPage* p) : resource(r), page(p) {}
  const Resource resource;
  CoreListPage* page;

  void BadItem(std::string error) {
    if (page->bad_items++ == 0) page->first_item_error = std::move(error);
  }
  void Item(Element& e) {
    CoreObject item(resource);
    std::string error, skip;
    if (!item.ReadFrom(e)) {
      BadItem("object is not a JSON object");
    } else if (resource == Resource::kPods) {
      page->pods.emplace_back();
      if (!FinishPod(item.pod, item.problems, &page->pods.back(), &error)) page->pods.pop_back();
    } else {
      page->events.emplace_back();
      if (!FinishEvent(item.event, item.problems, &page->events.back(), &skip, &error) ||
          !skip.empty()) {
        page->events.pop_back();
      }
    }
    if (!error.empty()) BadItem(std::move(error));
    if (!skip.empty()) BadItem(std::move(skip));
  }
};

void ListMeta(Fields& f, CoreListPage* page) {
  f.String("resourceVersion", &page->resource_version);
  f.String("continue", &page->continue_token);
}

void ListEnvelope(Fields& f, ListDoc* d) {
  f.Object("metadata", [d](Fields& g) { ListMeta(g, d->page); });
  f.Array(
      "items", [d](Element& e) { d->Item(e); },
      [d] {
        d->page->pods.clear();
        d->page->events.clear();
        d->page->bad_items = 0;
        d->page->first_item_error.clear();
      });
}

}  // namespace

void TruncateUtf8(std::string* text, size_t max) {
  if (text->size() <= max) return;
  size_t cut = max;
  // Back over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (cut > 0 && (static_cast<unsigned char>((*text)[cut]) & 0xC0) == 0x80) --cut;
  text->resize(cut);
}

bool DecodeCoreWatchEvent(std::string_view line, Resource resource, CoreWatchEvent* out,
                          std::string* error) {
  WatchDoc d(resource);
  Problems envelope;
  if (!json::ParseObject(line, &envelope, [&d](Fields& f) { WatchEnvelope(f, &d); })) {
    *error = "watch line is not a JSON object";
    return false;
  }
  if (!envelope.empty()) {
    *error = "event." + envelope.First();
    return false;
  }
  if (!d.has_object) {
    *error = "watch event has no object";
    return false;
  }
  if (!ParseWatchEventType(d.type, &out->type)) {
    *error = "unknown watch event type \"" + d.type.substr(0, 32) + "\"";
    return false;
  }
  out->resource_version.clear();
  out->skip.clear();
  out->skipped_uid.clear();
  CoreObject& obj = d.object;
  const bool pods = resource == Resource::kPods;
  if (out->type == WatchEventType::kError) {
    out->error_code = pods ? obj.pod.code : obj.event.code;
    out->error_message = std::move(pods ? obj.pod.message : obj.event.event.message);
    return true;
  }
  if (out->type == WatchEventType::kBookmark) {
    // A bookmark carries only metadata.resourceVersion; other fields' problems do not matter.
    if (obj.problems.Has("metadata")) {
      *error = "metadata is not an object";
      return false;
    }
    if (obj.problems.Has("metadata.resourceVersion")) {
      *error = "metadata.resourceVersion is not a string";
      return false;
    }
    if (obj.resource_version().empty()) {
      *error = "bookmark without metadata.resourceVersion";
      return false;
    }
    out->resource_version = obj.resource_version();
    return true;
  }
  // Taken before Finish* moves the object out.
  const std::string resource_version = obj.resource_version();
  std::string undecodable;
  const bool decoded =
      pods ? FinishPod(obj.pod, obj.problems, &out->pod, &undecodable)
           : FinishEvent(obj.event, obj.problems, &out->event, &out->skip, &undecodable);
  if (!decoded) {
    if (resource_version.empty()) {
      *error = std::move(undecodable);
      return false;
    }
    // A whole JSON line whose object cannot be used: skipped (a decode error) and the stream
    // goes on past it. Reopening from the last good version would replay it forever.
    out->skip = std::move(undecodable);
  }
  if (!out->skip.empty() && !obj.problems.Has("metadata") && !obj.problems.Has("metadata.uid")) {
    // A failed Finish* leaves the object in place; a skipped Event was moved out.
    out->skipped_uid = !decoded ? (pods ? obj.pod.pod.uid : obj.event.event.uid) : out->event.uid;
  }
  out->resource_version = resource_version;
  return true;
}

bool DecodeCoreListPage(std::string_view body, Resource resource, CoreListPage* out,
                        std::string* error) {
  ListDoc d(resource, out);
  Problems problems;
  if (!json::ParseObject(body, &problems, [&d](Fields& f) { ListEnvelope(f, &d); })) {
    *error = "list response is not a JSON object";
    return false;
  }
  if (!problems.empty()) {
    *error = problems.First();
    return false;
  }
  return true;
}

}  // namespace batchwatch::kube
