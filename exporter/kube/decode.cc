#include "kube/decode.h"

#include <nlohmann/json.hpp>

#include "cron/controller.h"

namespace batchwatch::kube {
namespace {

using nlohmann::json;

// Big subtrees batchwatch never reads; dropping them while parsing saves most allocations
// (a Job's pod template and managedFields dominate its size).
bool DropKey(const std::string& key) {
  return key == "managedFields" || key == "template" || key == "jobTemplate" ||
         key == "podFailurePolicy" || key == "selector" || key == "uncountedTerminatedPods";
}

json ParseLean(std::string_view text, const std::string& keep_key) {
  return json::parse(
      text.begin(), text.end(),
      [&keep_key](int /*depth*/, json::parse_event_t event, json& parsed) {
        if (event != json::parse_event_t::key) return true;
        const auto& key = parsed.get_ref<const std::string&>();
        return !DropKey(key) || key == keep_key;
      },
      /*allow_exceptions=*/false);
}

const json* Field(const json& obj, const char* name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

bool GetString(const json& obj, const char* name, std::string* out, std::string* error,
               const char* where) {
  const json* v = Field(obj, name);
  if (!v) return true;
  if (!v->is_string()) {
    *error = std::string(where) + name + " is not a string";
    return false;
  }
  *out = v->get<std::string>();
  return true;
}

template <typename Int>
bool GetInt(const json& obj, const char* name, Int* out, std::string* error, const char* where) {
  const json* v = Field(obj, name);
  if (!v) return true;
  if (!v->is_number_integer()) {
    *error = std::string(where) + name + " is not an integer";
    return false;
  }
  *out = static_cast<Int>(v->get<int64_t>());
  return true;
}

bool GetOptInt(const json& obj, const char* name, std::optional<int64_t>* out, std::string* error,
               const char* where) {
  if (!Field(obj, name)) return true;
  int64_t v = 0;
  if (!GetInt(obj, name, &v, error, where)) return false;
  *out = v;
  return true;
}

bool GetBool(const json& obj, const char* name, bool* out, std::string* error, const char* where) {
  const json* v = Field(obj, name);
  if (!v) return true;
  if (!v->is_boolean()) {
    *error = std::string(where) + name + " is not a boolean";
    return false;
  }
  *out = v->get<bool>();
  return true;
}

bool GetTime(const json& obj, const char* name, std::optional<UnixSeconds>* out, std::string* error,
             const char* where) {
  const json* v = Field(obj, name);
  if (!v) return true;
  if (!v->is_string()) {
    *error = std::string(where) + name + " is not a string";
    return false;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.empty()) return true;
  auto t = cron::ParseRfc3339(s);
  if (!t) {
    *error = std::string(where) + name + " is not an RFC 3339 time: " + s.substr(0, 64);
    return false;
  }
  *out = *t;
  return true;
}

const json& Section(const json& obj, const char* name, bool* ok, std::string* error) {
  static const json kEmpty = json::object();
  const json* v = Field(obj, name);
  if (!v) return kEmpty;
  if (!v->is_object()) {
    *error = std::string(name) + " is not an object";
    *ok = false;
    return kEmpty;
  }
  return *v;
}

struct Meta {
  std::string uid, namespace_, name, generate_name, resource_version;
  UnixSeconds creation_time = 0;
};

bool DecodeMeta(const json& obj, Meta* m, const json** metadata, std::string* error) {
  if (!obj.is_object()) {
    *error = "object is not a JSON object";
    return false;
  }
  bool ok = true;
  const json& md = Section(obj, "metadata", &ok, error);
  *metadata = &md;
  if (!ok) return false;
  const char* w = "metadata.";
  std::optional<UnixSeconds> created;
  if (!GetString(md, "uid", &m->uid, error, w) ||
      !GetString(md, "namespace", &m->namespace_, error, w) ||
      !GetString(md, "name", &m->name, error, w) ||
      !GetString(md, "generateName", &m->generate_name, error, w) ||
      !GetString(md, "resourceVersion", &m->resource_version, error, w) ||
      !GetTime(md, "creationTimestamp", &created, error, w)) {
    return false;
  }
  if (m->uid.empty() || m->name.empty()) {
    *error = "metadata.uid or metadata.name missing";
    return false;
  }
  m->creation_time = created.value_or(0);
  return true;
}

bool StringMapValue(const json& md, const char* map, const std::string& key, std::string* out) {
  const json* m = Field(md, map);
  if (!m || !m->is_object()) return false;
  auto it = m->find(key);
  if (it == m->end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

}  // namespace

bool DecodeJob(const json& obj, const DecodeOptions& opts, Job* out, std::string* error) {
  Job j;
  Meta m;
  const json* md = nullptr;
  if (!DecodeMeta(obj, &m, &md, error)) return false;
  j.uid = std::move(m.uid);
  j.namespace_ = std::move(m.namespace_);
  j.name = std::move(m.name);
  j.generate_name = std::move(m.generate_name);
  j.resource_version = std::move(m.resource_version);
  j.creation_time = m.creation_time;

  if (const json* refs = Field(*md, "ownerReferences"); refs && refs->is_array()) {
    for (const auto& ref : *refs) {
      const json* controller = Field(ref, "controller");
      if (!controller || !controller->is_boolean() || !controller->get<bool>()) continue;
      std::string api, kind, name, uid;
      std::string ignored;
      GetString(ref, "apiVersion", &api, &ignored, "");
      GetString(ref, "kind", &kind, &ignored, "");
      GetString(ref, "name", &name, &ignored, "");
      GetString(ref, "uid", &uid, &ignored, "");
      if (api == "batch/v1" && kind == "CronJob" && !uid.empty()) {
        j.owner_cronjob_name = std::move(name);
        j.owner_cronjob_uid = std::move(uid);
      }
      break;  // at most one controller reference
    }
  }
  StringMapValue(*md, "labels", opts.job_group_label, &j.group_label);
  std::string value;
  if (StringMapValue(*md, "annotations", "batch.kubernetes.io/cronjob-scheduled-timestamp",
                     &value)) {
    j.scheduled_timestamp = cron::ParseRfc3339(value);  // malformed: treated as absent
  }
  if (StringMapValue(*md, "annotations", "cronjob.kubernetes.io/instantiate", &value)) {
    j.manual = value == "manual";
  }

  bool ok = true;
  const json& spec = Section(obj, "spec", &ok, error);
  if (!ok) return false;
  if (!GetOptInt(spec, "activeDeadlineSeconds", &j.active_deadline_seconds, error, "spec.") ||
      !GetBool(spec, "suspend", &j.suspend, error, "spec.")) {
    return false;
  }
  const json& st = Section(obj, "status", &ok, error);
  if (!ok) return false;
  const char* w = "status.";
  if (!GetTime(st, "startTime", &j.start_time, error, w) ||
      !GetTime(st, "completionTime", &j.completion_time, error, w) ||
      !GetInt(st, "active", &j.active, error, w) || !GetInt(st, "ready", &j.ready, error, w) ||
      !GetInt(st, "succeeded", &j.succeeded, error, w) ||
      !GetInt(st, "failed", &j.failed, error, w)) {
    return false;
  }
  if (const json* conds = Field(st, "conditions"); conds && conds->is_array()) {
    for (const auto& c : *conds) {
      std::string type, status, reason;
      std::optional<UnixSeconds> transition;
      if (!GetString(c, "type", &type, error, "status.conditions[].") ||
          !GetString(c, "status", &status, error, "status.conditions[].") ||
          !GetString(c, "reason", &reason, error, "status.conditions[].") ||
          !GetTime(c, "lastTransitionTime", &transition, error, "status.conditions[].")) {
        return false;
      }
      if (status != "True") continue;
      // Only the terminal conditions count; SuccessCriteriaMet / FailureTarget come earlier.
      if (type == "Complete") {
        j.outcome = JobOutcome::kSucceeded;
        j.terminal_reason = std::move(reason);
        j.end_time = j.completion_time ? j.completion_time : transition;
        break;
      }
      if (type == "Failed") {
        j.outcome = JobOutcome::kFailed;
        j.terminal_reason = std::move(reason);
        j.end_time = transition ? transition : j.completion_time;
        break;
      }
    }
  }
  *out = std::move(j);
  return true;
}

bool DecodeCronJob(const json& obj, CronJob* out, std::string* error) {
  CronJob c;
  Meta m;
  const json* md = nullptr;
  if (!DecodeMeta(obj, &m, &md, error)) return false;
  c.uid = std::move(m.uid);
  c.namespace_ = std::move(m.namespace_);
  c.name = std::move(m.name);
  c.resource_version = std::move(m.resource_version);
  c.creation_time = m.creation_time;

  bool ok = true;
  const json& spec = Section(obj, "spec", &ok, error);
  if (!ok) return false;
  const char* w = "spec.";
  std::string tz, policy;
  if (!GetString(spec, "schedule", &c.schedule, error, w) ||
      !GetString(spec, "timeZone", &tz, error, w) ||
      !GetString(spec, "concurrencyPolicy", &policy, error, w) ||
      !GetBool(spec, "suspend", &c.suspend, error, w) ||
      !GetOptInt(spec, "startingDeadlineSeconds", &c.starting_deadline_seconds, error, w)) {
    return false;
  }
  if (Field(spec, "timeZone")) c.time_zone = std::move(tz);
  // The API server rejects other values; treat anything unknown as the default.
  if (policy == "Forbid")
    c.concurrency_policy = ConcurrencyPolicy::kForbid;
  else if (policy == "Replace")
    c.concurrency_policy = ConcurrencyPolicy::kReplace;

  const json& st = Section(obj, "status", &ok, error);
  if (!ok) return false;
  if (!GetTime(st, "lastScheduleTime", &c.last_schedule_time, error, "status.") ||
      !GetTime(st, "lastSuccessfulTime", &c.last_successful_time, error, "status.")) {
    return false;
  }
  if (const json* active = Field(st, "active"); active && active->is_array()) {
    for (const auto& ref : *active) {
      ActiveRef a;
      if (!GetString(ref, "uid", &a.uid, error, "status.active[].") ||
          !GetString(ref, "name", &a.name, error, "status.active[].")) {
        return false;
      }
      c.active.push_back(std::move(a));
    }
  }
  *out = std::move(c);
  return true;
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
  json ev = ParseLean(line, opts.job_group_label);
  if (ev.is_discarded() || !ev.is_object()) {
    *error = "watch line is not a JSON object";
    return false;
  }
  std::string type;
  if (!GetString(ev, "type", &type, error, "event.")) return false;
  const json* obj = Field(ev, "object");
  if (!obj || !obj->is_object()) {
    *error = "watch event has no object";
    return false;
  }
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
  if (out->type == WatchEventType::kError) {
    out->error_code = 0;
    std::string ignored;
    GetInt(*obj, "code", &out->error_code, &ignored, "");
    out->error_message.clear();
    GetString(*obj, "message", &out->error_message, &ignored, "");
    return true;
  }
  if (out->type == WatchEventType::kBookmark) {
    bool ok = true;
    const json& md = Section(*obj, "metadata", &ok, error);
    if (!ok || !GetString(md, "resourceVersion", &out->resource_version, error, "metadata.")) {
      return false;
    }
    if (out->resource_version.empty()) {
      *error = "bookmark without metadata.resourceVersion";
      return false;
    }
    return true;
  }
  if (resource == Resource::kJobs) {
    if (!DecodeJob(*obj, opts, &out->job, error)) return false;
    out->resource_version = out->job.resource_version;
  } else {
    if (!DecodeCronJob(*obj, &out->cronjob, error)) return false;
    out->resource_version = out->cronjob.resource_version;
  }
  return true;
}

bool DecodeListPage(std::string_view body, Resource resource, const DecodeOptions& opts,
                    ListPage* out, std::string* error) {
  json doc = ParseLean(body, opts.job_group_label);
  if (doc.is_discarded() || !doc.is_object()) {
    *error = "list response is not a JSON object";
    return false;
  }
  bool ok = true;
  const json& md = Section(doc, "metadata", &ok, error);
  if (!ok || !GetString(md, "resourceVersion", &out->resource_version, error, "metadata.") ||
      !GetString(md, "continue", &out->continue_token, error, "metadata.")) {
    return false;
  }
  const json* items = Field(doc, "items");
  if (items && !items->is_array()) {
    *error = "list items is not an array";
    return false;
  }
  if (!items) return true;
  for (const auto& item : *items) {
    std::string item_error;
    bool item_ok;
    if (resource == Resource::kJobs) {
      Job j;
      item_ok = DecodeJob(item, opts, &j, &item_error);
      if (item_ok) out->jobs.push_back(std::move(j));
    } else {
      CronJob c;
      item_ok = DecodeCronJob(item, &c, &item_error);
      if (item_ok) out->cronjobs.push_back(std::move(c));
    }
    if (!item_ok) {
      if (out->bad_items++ == 0) out->first_item_error = item_error;
    }
  }
  return true;
}

ApiStatus DecodeStatus(std::string_view body) {
  ApiStatus s;
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return s;
  std::string ignored;
  GetInt(doc, "code", &s.code, &ignored, "");
  GetString(doc, "reason", &s.reason, &ignored, "");
  GetString(doc, "message", &s.message, &ignored, "");
  return s;
}

}  // namespace batchwatch::kube
