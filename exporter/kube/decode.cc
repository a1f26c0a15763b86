#include "kube/decode.h"

#include <nlohmann/json.hpp>

#include "kube/json_fields.h"

namespace batchwatch::kube {
namespace {

using json::Element;
using json::Fields;
using json::kLenient;
using json::Problems;

// ---- the schema: one function per object level, one line per field read --------------------
// Semantics kept from the decoders this replaced: null is absent; a wrong type in a field
// batchwatch relies on makes the object undecodable; a wrong type where the field is only a
// hint (owner references, labels, annotations, a Status) is ignored.

// A Job as read, before the rules that combine fields (FinishJob).
struct JobDoc {
  Job job;
  bool controller_seen = false;  // at most one controller owner reference counts
  // The first terminal condition (Complete or Failed with status "True").
  JobOutcome outcome = JobOutcome::kUnfinished;
  std::string terminal_reason;
  std::optional<UnixSeconds> terminal_transition;
  bool conditions_done = false;
  // A watch ERROR event's object is a metav1.Status.
  int code = 0;
  std::string message;
};

struct CronJobDoc {
  CronJob cronjob;
  std::string concurrency_policy;
  int code = 0;
  std::string message;
};

// metav1.ObjectMeta, the fields both kinds use.
template <typename T>
void ObjectMeta(Fields& f, T* o) {
  f.String("uid", &o->uid);
  f.String("namespace", &o->namespace_);
  f.String("name", &o->name);
  f.String("resourceVersion", &o->resource_version);
  f.Time("creationTimestamp", &o->creation_time);
}

struct OwnerReference {
  std::string api_version, kind, name, uid;
  bool controller = false;
};

// metav1.OwnerReference (hints only: wrong types are ignored).
void OwnerRef(Fields& f, OwnerReference* r) {
  f.String("apiVersion", &r->api_version, kLenient);
  f.String("kind", &r->kind, kLenient);
  f.String("name", &r->name, kLenient);
  f.String("uid", &r->uid, kLenient);
  f.Bool("controller", &r->controller, kLenient);
}

// The controller reference names the owning CronJob only when it is a batch/v1 CronJob.
void OwnerReferences(Element& e, JobDoc* d) {
  OwnerReference r;
  if (!e.Object([&r](Fields& g) { OwnerRef(g, &r); })) return;
  if (d->controller_seen || !r.controller) return;
  d->controller_seen = true;
  if (r.api_version == "batch/v1" && r.kind == "CronJob" && !r.uid.empty()) {
    d->job.owner_cronjob_name = std::move(r.name);
    d->job.owner_cronjob_uid = std::move(r.uid);
  }
}

void JobLabels(Fields& f, Job* j, const DecodeOptions& opts) {
  f.String(opts.job_group_label, &j->group_label);
}

void JobAnnotations(Fields& f, Job* j) {
  f.Time("batch.kubernetes.io/cronjob-scheduled-timestamp", &j->scheduled_timestamp, kLenient);
  f.Equals("cronjob.kubernetes.io/instantiate", "manual", &j->manual);
}

void JobMeta(Fields& f, JobDoc* d, const DecodeOptions& opts) {
  Job* j = &d->job;
  ObjectMeta(f, j);
  f.String("generateName", &j->generate_name);
  f.Array(
      "ownerReferences", [d](Element& e) { OwnerReferences(e, d); },
      [d] {
        d->job.owner_cronjob_name.clear();
        d->job.owner_cronjob_uid.clear();
        d->controller_seen = false;
      },
      kLenient);
  f.Object(
      "labels", [j, &opts](Fields& g) { JobLabels(g, j, opts); }, kLenient);
  f.Object(
      "annotations", [j](Fields& g) { JobAnnotations(g, j); }, kLenient);
}

// batch/v1 JobSpec.
void JobSpec(Fields& f, Job* j) {
  f.Int("activeDeadlineSeconds", &j->active_deadline_seconds);
  f.Bool("suspend", &j->suspend);
  f.Int("completions", &j->completions);
  f.Int("backoffLimit", &j->backoff_limit);
}

struct JobCondition {
  std::string type, status, reason;
  std::optional<UnixSeconds> last_transition;
};

void Condition(Fields& f, JobCondition* c) {
  f.String("type", &c->type);
  f.String("status", &c->status);
  f.String("reason", &c->reason);
  f.Time("lastTransitionTime", &c->last_transition);
}

// Conditions are read in order up to the first terminal one (Complete or Failed with status
// "True"); SuccessCriteriaMet / FailureTarget come earlier and do not count. A malformed
// condition before it makes the Job undecodable; elements that are not objects are ignored.
void Conditions(Element& e, JobDoc* d, Problems* problems) {
  JobCondition c;
  Problems own;
  if (!e.Object([&c](Fields& g) { Condition(g, &c); }, &own)) return;
  if (d->conditions_done) return;
  if (!own.empty()) {
    problems->Set("status.conditions[].", own.First());
    d->conditions_done = true;
    return;
  }
  if (c.status != "True" || (c.type != "Complete" && c.type != "Failed")) return;
  d->outcome = c.type == "Complete" ? JobOutcome::kSucceeded : JobOutcome::kFailed;
  d->terminal_reason = std::move(c.reason);
  d->terminal_transition = c.last_transition;
  d->conditions_done = true;
}

// batch/v1 JobStatus.
void JobStatus(Fields& f, JobDoc* d, Problems* problems) {
  Job* j = &d->job;
  f.Time("startTime", &j->start_time);
  f.Time("completionTime", &j->completion_time);
  f.Int("active", &j->active);
  f.Int("ready", &j->ready);
  f.Int("succeeded", &j->succeeded);
  f.Int("failed", &j->failed);
  f.Array(
      "conditions", [d, problems](Element& e) { Conditions(e, d, problems); },
      [d] {
        d->outcome = JobOutcome::kUnfinished;
        d->terminal_reason.clear();
        d->terminal_transition.reset();
        d->conditions_done = false;
      },
      kLenient);
}

// metav1.Status, the object of a watch ERROR event (hints: wrong types are ignored).
void StatusFields(Fields& f, int* code, std::string* message) {
  f.Int("code", code, kLenient);
  f.String("message", message, kLenient);
}

void JobObject(Fields& f, JobDoc* d, const DecodeOptions& opts, Problems* problems) {
  f.Object("metadata", [d, &opts](Fields& g) { JobMeta(g, d, opts); });
  f.Object("spec", [d](Fields& g) { JobSpec(g, &d->job); });
  f.Object("status", [d, problems](Fields& g) { JobStatus(g, d, problems); });
  StatusFields(f, &d->code, &d->message);
}

// batch/v1 CronJobSpec.
void CronJobSpec(Fields& f, CronJobDoc* d) {
  CronJob* c = &d->cronjob;
  f.String("schedule", &c->schedule);
  f.String("timeZone", &c->time_zone);
  f.String("concurrencyPolicy", &d->concurrency_policy);
  f.Bool("suspend", &c->suspend);
  f.Int("startingDeadlineSeconds", &c->starting_deadline_seconds);
}

void ActiveJobRef(Fields& f, ActiveRef* r) {
  f.String("uid", &r->uid);
  f.String("name", &r->name);
}

// batch/v1 CronJobStatus. Every element of status.active is one running Job (an element that
// is not an object counts as one with no name).
void CronJobStatus(Fields& f, CronJob* c) {
  f.Time("lastScheduleTime", &c->last_schedule_time);
  f.Time("lastSuccessfulTime", &c->last_successful_time);
  f.Array(
      "active",
      [c](Element& e) {
        c->active.emplace_back();
        e.Object([r = &c->active.back()](Fields& g) { ActiveJobRef(g, r); });
      },
      [c] { c->active.clear(); }, kLenient);
}

void CronJobObject(Fields& f, CronJobDoc* d) {
  f.Object("metadata", [d](Fields& g) { ObjectMeta(g, &d->cronjob); });
  f.Object("spec", [d](Fields& g) { CronJobSpec(g, d); });
  f.Object("status", [d](Fields& g) { CronJobStatus(g, &d->cronjob); });
  StatusFields(f, &d->code, &d->message);
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

bool FinishJob(JobDoc& d, const Problems& problems, Job* out, std::string* error) {
  if (!CheckMeta(d.job, problems, error)) return false;
  Job& j = d.job;
  j.outcome = d.outcome;
  // end_time: completionTime for success, the condition's transition time for failure, each
  // falling back to the other.
  if (d.outcome == JobOutcome::kSucceeded) {
    j.terminal_reason = std::move(d.terminal_reason);
    j.end_time = j.completion_time ? j.completion_time : d.terminal_transition;
  } else if (d.outcome == JobOutcome::kFailed) {
    j.terminal_reason = std::move(d.terminal_reason);
    j.end_time = d.terminal_transition ? d.terminal_transition : j.completion_time;
  }
  *out = std::move(j);
  return true;
}

bool FinishCronJob(CronJobDoc& d, const Problems& problems, CronJob* out, std::string* error) {
  if (!CheckMeta(d.cronjob, problems, error)) return false;
  // The API server rejects other values; treat anything unknown as the default.
  d.cronjob.concurrency_policy = d.concurrency_policy == "Forbid"    ? ConcurrencyPolicy::kForbid
                                 : d.concurrency_policy == "Replace" ? ConcurrencyPolicy::kReplace
                                                                     : ConcurrencyPolicy::kAllow;
  *out = std::move(d.cronjob);
  return true;
}

// One object of either kind, read from an Element or as a document root.
struct AnyObject {
  AnyObject(Resource r, const DecodeOptions& o) : resource(r), opts(o) {}
  const Resource resource;
  const DecodeOptions& opts;
  JobDoc job;
  CronJobDoc cronjob;
  Problems problems;

  void Read(Fields& f) {
    if (resource == Resource::kJobs) {
      JobObject(f, &job, opts, &problems);
    } else {
      CronJobObject(f, &cronjob);
    }
  }
  bool ReadFrom(Element& e) {
    return e.Object([this](Fields& f) { Read(f); }, &problems);
  }
  const std::string& resource_version() const {
    return resource == Resource::kJobs ? job.job.resource_version
                                       : cronjob.cronjob.resource_version;
  }
};

// ---- envelopes ------------------------------------------------------------------------------

// A watch event: {"type": "...", "object": {...}}.
struct WatchDoc {
  WatchDoc(Resource r, const DecodeOptions& o) : object(r, o) {}
  std::string type;
  bool has_object = false;
  bool object_read = false;  // "object" seen before: a later one replaces it
  AnyObject object;
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
        d->object.job = JobDoc();
        d->object.cronjob = CronJobDoc();
        d->object.problems = Problems();
      });
}

// A JobList / CronJobList: {"metadata": {...}, "items": [...]}.
struct ListDoc {
  ListDoc(Resource r, const DecodeOptions& o, ListPage* p) : resource(r), opts(o), page(p) {}
  const Resource resource;
  const DecodeOptions& opts;
  ListPage* page;

  void BadItem(std::string error) {
    if (page->bad_items++ == 0) page->first_item_error = std::move(error);
  }
  void Item(Element& e) {
    AnyObject item(resource, opts);
    std::string error;
    if (!item.ReadFrom(e)) {
      BadItem("object is not a JSON object");
    } else if (resource == Resource::kJobs) {
      page->jobs.emplace_back();
      if (!FinishJob(item.job, item.problems, &page->jobs.back(), &error)) page->jobs.pop_back();
    } else {
      page->cronjobs.emplace_back();
      if (!FinishCronJob(item.cronjob, item.problems, &page->cronjobs.back(), &error)) {
        page->cronjobs.pop_back();
      }
    }
    if (!error.empty()) BadItem(std::move(error));
  }
};

void ListMeta(Fields& f, ListPage* page) {
  f.String("resourceVersion", &page->resource_version);
  f.String("continue", &page->continue_token);
}

void ListEnvelope(Fields& f, ListDoc* d) {
  f.Object("metadata", [d](Fields& g) { ListMeta(g, d->page); });
  f.Array(
      "items", [d](Element& e) { d->Item(e); },
      [d] {
        d->page->jobs.clear();
        d->page->cronjobs.clear();
        d->page->bad_items = 0;
        d->page->first_item_error.clear();
      });
}

void StatusBody(Fields& f, ApiStatus* s) {
  f.Int("code", &s->code, kLenient);
  f.String("reason", &s->reason, kLenient);
  f.String("message", &s->message, kLenient);
}

// ---- parsing --------------------------------------------------------------------------------

bool DecodeObject(const nlohmann::json& obj, Resource resource, const DecodeOptions& opts, Job* job,
                  CronJob* cronjob, std::string* error) {
  if (!obj.is_object()) {
    *error = "object is not a JSON object";
    return false;
  }
  // Not on a hot path (the API paths decode text): serialise and run the one decoder.
  const std::string text = obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  AnyObject o(resource, opts);
  if (!json::ParseObject(text, &o.problems, [&o](Fields& f) { o.Read(f); })) {
    *error = "object is not a JSON object";
    return false;
  }
  return resource == Resource::kJobs ? FinishJob(o.job, o.problems, job, error)
                                     : FinishCronJob(o.cronjob, o.problems, cronjob, error);
}

}  // namespace

bool DecodeJob(const nlohmann::json& obj, const DecodeOptions& opts, Job* out, std::string* error) {
  return DecodeObject(obj, Resource::kJobs, opts, out, nullptr, error);
}

bool DecodeCronJob(const nlohmann::json& obj, CronJob* out, std::string* error) {
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

bool ParseWatchEventType(std::string_view type, WatchEventType* out) {
  for (WatchEventType t :
       {WatchEventType::kAdded, WatchEventType::kModified, WatchEventType::kDeleted,
        WatchEventType::kBookmark, WatchEventType::kError}) {
    if (type == WatchEventTypeName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

bool DecodeWatchEvent(std::string_view line, Resource resource, const DecodeOptions& opts,
                      WatchEvent* out, std::string* error) {
  WatchDoc d(resource, opts);
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
  AnyObject& obj = d.object;
  const bool jobs = resource == Resource::kJobs;
  if (out->type == WatchEventType::kError) {
    out->error_code = jobs ? obj.job.code : obj.cronjob.code;
    out->error_message = std::move(jobs ? obj.job.message : obj.cronjob.message);
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
  // Taken before Finish* moves the object out; the name says in the log which object it is.
  const std::string resource_version = obj.resource_version();
  const std::string& ns = jobs ? obj.job.job.namespace_ : obj.cronjob.cronjob.namespace_;
  const std::string& name = jobs ? obj.job.job.name : obj.cronjob.cronjob.name;
  const std::string who = name.empty() ? std::string() : ns + "/" + name + ": ";
  std::string undecodable;
  const bool decoded = jobs ? FinishJob(obj.job, obj.problems, &out->job, &undecodable)
                            : FinishCronJob(obj.cronjob, obj.problems, &out->cronjob, &undecodable);
  if (!decoded) {
    if (resource_version.empty()) {
      *error = std::move(undecodable);
      return false;
    }
    // A well-formed event whose object cannot be used: skipped (a decode error) and the stream
    // goes on past it. Reopening from the last good version would replay it forever.
    out->skip = who + undecodable;
    // A failed Finish* leaves the object in place.
    if (!obj.problems.Has("metadata") && !obj.problems.Has("metadata.uid")) {
      out->skipped_uid = jobs ? obj.job.job.uid : obj.cronjob.cronjob.uid;
    }
  }
  out->resource_version = resource_version;
  return true;
}

bool DecodeListPage(std::string_view body, Resource resource, const DecodeOptions& opts,
                    ListPage* out, std::string* error) {
  ListDoc d(resource, opts, out);
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

ApiStatus DecodeStatus(std::string_view body) {
  ApiStatus s;
  Problems ignored;
  if (!json::ParseObject(body, &ignored, [&s](Fields& f) { StatusBody(f, &s); }))
    return ApiStatus();
  return s;
}

}  // namespace batchwatch::kube
