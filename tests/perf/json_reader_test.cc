// The decoder (kube/decode.cc, simdjson On-Demand) must give the same values as nlohmann for
// every field batchwatch reads, and reject malformed values in those fields. The oracle is a
// straightforward decoder over nlohmann's DOM written here, field by field from the API schema.
// Documented leniency (kube/json_fields.h): the grammar inside values nobody reads is not
// checked, so a line nlohmann rejects may be accepted when its defect lies in such a value;
// then every decoded field must still equal the reference decode of the well-formed line.
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "cron/controller.h"
#include "kube/decode.h"

namespace batchwatch::kube {
namespace {

using nlohmann::json;

// ---- the reference decoder ------------------------------------------------------------------

const json* Find(const json& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

// *bad is set when the value has a wrong type (bad == nullptr: a hint, ignored).
std::string Str(const json& o, const char* key, bool* bad) {
  const json* v = Find(o, key);
  if (v == nullptr) return "";
  if (v->is_string()) return v->get<std::string>();
  if (bad) *bad = true;
  return "";
}

// An integer outside T (or an unsigned above INT64_MAX) is bad, as a float is: never wrapped.
template <typename T>
std::optional<T> Int(const json& o, const char* key, bool* bad) {
  const json* v = Find(o, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer() &&
      !(v->is_number_unsigned() &&
        v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    const int64_t i = v->get<int64_t>();
    if (i >= std::numeric_limits<T>::min() && i <= std::numeric_limits<T>::max()) {
      return static_cast<T>(i);
    }
  }
  if (bad) *bad = true;
  return std::nullopt;
}

bool Bool(const json& o, const char* key, bool* bad) {
  const json* v = Find(o, key);
  if (v == nullptr) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (bad) *bad = true;
  return false;
}

std::optional<UnixSeconds> Time(const json& o, const char* key, bool* bad) {
  std::string s = Str(o, key, bad);
  if (s.empty()) return std::nullopt;
  auto t = cron::ParseRfc3339(s);
  if (!t && bad) *bad = true;
  return t;
}

const json* Obj(const json& o, const char* key, bool* bad) {
  const json* v = Find(o, key);
  if (v == nullptr) return nullptr;
  if (v->is_object()) return v;
  if (bad) *bad = true;
  return nullptr;
}

const json* Arr(const json& o, const char* key) {
  const json* v = Find(o, key);
  return v && v->is_array() ? v : nullptr;
}

template <typename T>
void RefMeta(const json& m, T* o, bool* bad) {
  o->uid = Str(m, "uid", bad);
  o->namespace_ = Str(m, "namespace", bad);
  o->name = Str(m, "name", bad);
  o->resource_version = Str(m, "resourceVersion", bad);
  o->creation_time = Time(m, "creationTimestamp", bad).value_or(0);
}

bool RefJob(const json& obj, const DecodeOptions& opts, Job* j) {
  *j = Job();
  bool bad = false;
  if (const json* m = Obj(obj, "metadata", &bad)) {
    RefMeta(*m, j, &bad);
    j->generate_name = Str(*m, "generateName", &bad);
    if (const json* refs = Arr(*m, "ownerReferences")) {
      for (const json& r : *refs) {
        if (!r.is_object() || !Bool(r, "controller", nullptr)) continue;
        if (Str(r, "apiVersion", nullptr) == "batch/v1" && Str(r, "kind", nullptr) == "CronJob" &&
            !Str(r, "uid", nullptr).empty()) {
          j->owner_cronjob_name = Str(r, "name", nullptr);
          j->owner_cronjob_uid = Str(r, "uid", nullptr);
        }
        break;
      }
    }
    if (const json* l = Obj(*m, "labels", nullptr)) {
      j->group_label = Str(*l, opts.job_group_label.c_str(), nullptr);
    }
    if (const json* a = Obj(*m, "annotations", nullptr)) {
      j->scheduled_timestamp =
          cron::ParseRfc3339(Str(*a, "batch.kubernetes.io/cronjob-scheduled-timestamp", nullptr));
      j->manual = Str(*a, "cronjob.kubernetes.io/instantiate", nullptr) == "manual";
    }
  }
  if (const json* s = Obj(obj, "spec", &bad)) {
    j->active_deadline_seconds = Int<int64_t>(*s, "activeDeadlineSeconds", &bad);
    j->suspend = Bool(*s, "suspend", &bad);
    j->completions = Int<int32_t>(*s, "completions", &bad);
    j->backoff_limit = Int<int32_t>(*s, "backoffLimit", &bad);
  }
  std::optional<UnixSeconds> transition;
  if (const json* s = Obj(obj, "status", &bad)) {
    j->start_time = Time(*s, "startTime", &bad);
    j->completion_time = Time(*s, "completionTime", &bad);
    j->active = Int<int32_t>(*s, "active", &bad).value_or(0);
    j->ready = Int<int32_t>(*s, "ready", &bad);
    j->succeeded = Int<int32_t>(*s, "succeeded", &bad).value_or(0);
    j->failed = Int<int32_t>(*s, "failed", &bad).value_or(0);
    if (const json* conds = Arr(*s, "conditions")) {
      for (const json& c : *conds) {
        if (!c.is_object()) continue;
        bool cbad = false;
        std::string type = Str(c, "type", &cbad), status = Str(c, "status", &cbad),
                    reason = Str(c, "reason", &cbad);
        auto t = Time(c, "lastTransitionTime", &cbad);
        if (cbad) {
          bad = true;
          break;
        }
        if (status == "True" && (type == "Complete" || type == "Failed")) {
          j->outcome = type == "Complete" ? JobOutcome::kSucceeded : JobOutcome::kFailed;
          j->terminal_reason = reason;
          transition = t;
          break;
        }
      }
    }
  }
  if (bad || j->uid.empty() || j->name.empty()) return false;
  if (j->outcome == JobOutcome::kSucceeded) {
    j->end_time = j->completion_time ? j->completion_time : transition;
  } else if (j->outcome == JobOutcome::kFailed) {
    j->end_time = transition ? transition : j->completion_time;
  }
  return true;
}

bool RefCronJob(const json& obj, CronJob* c) {
  *c = CronJob();
  bool bad = false;
  if (const json* m = Obj(obj, "metadata", &bad)) RefMeta(*m, c, &bad);
  if (const json* s = Obj(obj, "spec", &bad)) {
    c->schedule = Str(*s, "schedule", &bad);
    if (const json* tz = Find(*s, "timeZone")) {
      if (tz->is_string())
        c->time_zone = tz->get<std::string>();
      else
        bad = true;
    }
    std::string policy = Str(*s, "concurrencyPolicy", &bad);
    c->concurrency_policy = policy == "Forbid"    ? ConcurrencyPolicy::kForbid
                            : policy == "Replace" ? ConcurrencyPolicy::kReplace
                                                  : ConcurrencyPolicy::kAllow;
    c->suspend = Bool(*s, "suspend", &bad);
    c->starting_deadline_seconds = Int<int64_t>(*s, "startingDeadlineSeconds", &bad);
  }
  if (const json* s = Obj(obj, "status", &bad)) {
    c->last_schedule_time = Time(*s, "lastScheduleTime", &bad);
    c->last_successful_time = Time(*s, "lastSuccessfulTime", &bad);
    if (const json* active = Arr(*s, "active")) {
      for (const json& a : *active) {
        c->active.emplace_back();
        if (!a.is_object()) continue;
        c->active.back().uid = Str(a, "uid", &bad);
        c->active.back().name = Str(a, "name", &bad);
      }
    }
  }
  return !bad && !c->uid.empty() && !c->name.empty();
}

struct Decoded {
  bool ok = false;
  WatchEvent ev;
  std::string error;
};

Decoded RefWatch(const std::string& line, Resource r, const DecodeOptions& opts) {
  Decoded d;
  json doc = json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return d;
  const json* type = Find(doc, "type");
  if (type && !type->is_string()) return d;
  const json* obj = Obj(doc, "object", nullptr);
  if (obj == nullptr) return d;
  const std::string t = type ? type->get<std::string>() : "";
  WatchEvent& ev = d.ev;
  if (t == "ERROR") {
    ev.type = WatchEventType::kError;
    ev.error_code = Int<int>(*obj, "code", nullptr).value_or(0);
    ev.error_message = Str(*obj, "message", nullptr);
    d.ok = true;
    return d;
  }
  if (t == "BOOKMARK") {
    ev.type = WatchEventType::kBookmark;
    bool bad = false;
    const json* m = Obj(*obj, "metadata", &bad);
    if (m) ev.resource_version = Str(*m, "resourceVersion", &bad);
    d.ok = !bad && !ev.resource_version.empty();
    return d;
  }
  if (t == "ADDED")
    ev.type = WatchEventType::kAdded;
  else if (t == "MODIFIED")
    ev.type = WatchEventType::kModified;
  else if (t == "DELETED")
    ev.type = WatchEventType::kDeleted;
  else
    return d;
  if (r == Resource::kJobs) {
    d.ok = RefJob(*obj, opts, &ev.job);
    ev.resource_version = ev.job.resource_version;
  } else {
    d.ok = RefCronJob(*obj, &ev.cronjob);
    ev.resource_version = ev.cronjob.resource_version;
  }
  return d;
}

Decoded Ours(const std::string& line, Resource r, const DecodeOptions& opts) {
  Decoded d;
  d.ok = DecodeWatchEvent(line, r, opts, &d.ev, &d.error);
  // An object skipped as undecodable is what the reference calls not ok.
  if (d.ok && !d.ev.skip.empty()) {
    d.ok = false;
    d.error = d.ev.skip;
  }
  return d;
}

// ---- comparing every field ------------------------------------------------------------------

void ExpectSameJob(const Job& a, const Job& b, const std::string& what) {
  EXPECT_EQ(a.uid, b.uid) << what;
  EXPECT_EQ(a.namespace_, b.namespace_) << what;
  EXPECT_EQ(a.name, b.name) << what;
  EXPECT_EQ(a.generate_name, b.generate_name) << what;
  EXPECT_EQ(a.resource_version, b.resource_version) << what;
  EXPECT_EQ(a.creation_time, b.creation_time) << what;
  EXPECT_EQ(a.owner_cronjob_name, b.owner_cronjob_name) << what;
  EXPECT_EQ(a.owner_cronjob_uid, b.owner_cronjob_uid) << what;
  EXPECT_EQ(a.group_label, b.group_label) << what;
  EXPECT_EQ(a.scheduled_timestamp, b.scheduled_timestamp) << what;
  EXPECT_EQ(a.manual, b.manual) << what;
  EXPECT_EQ(a.active_deadline_seconds, b.active_deadline_seconds) << what;
  EXPECT_EQ(a.suspend, b.suspend) << what;
  EXPECT_EQ(a.completions, b.completions) << what;
  EXPECT_EQ(a.backoff_limit, b.backoff_limit) << what;
  EXPECT_EQ(a.start_time, b.start_time) << what;
  EXPECT_EQ(a.completion_time, b.completion_time) << what;
  EXPECT_EQ(a.active, b.active) << what;
  EXPECT_EQ(a.ready, b.ready) << what;
  EXPECT_EQ(a.succeeded, b.succeeded) << what;
  EXPECT_EQ(a.failed, b.failed) << what;
  EXPECT_EQ(a.outcome, b.outcome) << what;
  EXPECT_EQ(a.terminal_reason, b.terminal_reason) << what;
  EXPECT_EQ(a.end_time, b.end_time) << what;
}

void ExpectSameCronJob(const CronJob& a, const CronJob& b, const std::string& what) {
  EXPECT_EQ(a.uid, b.uid) << what;
  EXPECT_EQ(a.namespace_, b.namespace_) << what;
  EXPECT_EQ(a.name, b.name) << what;
  EXPECT_EQ(a.resource_version, b.resource_version) << what;
  EXPECT_EQ(a.creation_time, b.creation_time) << what;
  EXPECT_EQ(a.schedule, b.schedule) << what;
  EXPECT_EQ(a.time_zone, b.time_zone) << what;
  EXPECT_EQ(a.concurrency_policy, b.concurrency_policy) << what;
  EXPECT_EQ(a.suspend, b.suspend) << what;
  EXPECT_EQ(a.starting_deadline_seconds, b.starting_deadline_seconds) << what;
  EXPECT_EQ(a.last_schedule_time, b.last_schedule_time) << what;
  EXPECT_EQ(a.last_successful_time, b.last_successful_time) << what;
  ASSERT_EQ(a.active.size(), b.active.size()) << what;
  for (size_t i = 0; i < a.active.size(); ++i) {
    EXPECT_EQ(a.active[i].uid, b.active[i].uid) << what;
    EXPECT_EQ(a.active[i].name, b.active[i].name) << what;
  }
}

void ExpectSame(const Decoded& ours, const Decoded& ref, Resource r, const std::string& what) {
  ASSERT_EQ(ours.ok, ref.ok) << what << "\nour error: " << ours.error;
  if (!ours.ok) {
    EXPECT_FALSE(ours.error.empty()) << what;
    return;
  }
  EXPECT_EQ(ours.ev.type, ref.ev.type) << what;
  EXPECT_EQ(ours.ev.resource_version, ref.ev.resource_version) << what;
  if (ref.ev.type == WatchEventType::kError) {
    EXPECT_EQ(ours.ev.error_code, ref.ev.error_code) << what;
    EXPECT_EQ(ours.ev.error_message, ref.ev.error_message) << what;
  } else if (ref.ev.type != WatchEventType::kBookmark) {
    if (r == Resource::kJobs)
      ExpectSameJob(ours.ev.job, ref.ev.job, what);
    else
      ExpectSameCronJob(ours.ev.cronjob, ref.ev.cronjob, what);
  }
}

void ExpectLikeNlohmann(const std::string& line, Resource r = Resource::kJobs,
                        const DecodeOptions& opts = DecodeOptions()) {
  ExpectSame(Ours(line, r, opts), RefWatch(line, r, opts), r, line);
}

// ---- edge cases -----------------------------------------------------------------------------

std::string JobLine(const std::string& metadata, const std::string& spec = "{}",
                    const std::string& status = "{}") {
  return R"({"type":"MODIFIED","object":{"metadata":)" + metadata + R"(,"spec":)" + spec +
         R"(,"status":)" + status + "}}";
}
const std::string kMeta = R"({"uid":"u1","name":"j","resourceVersion":"5"})";

TEST(DecoderMatchesNlohmann, WrongTypesInReadFields) {
  for (const char* v : {"1", "-1", "1.5", "true", "false", "\"x\"", "\"\"", "{}", "[]", "null",
                        R"({"a":[1]})", "[\"x\"]", "\"2024-03-28T10:40:00Z\"", "0"}) {
    const std::string x(v);
    for (const char* key : {"uid", "name", "namespace", "generateName", "resourceVersion",
                            "creationTimestamp", "ownerReferences", "labels", "annotations"}) {
      ExpectLikeNlohmann(
          JobLine(R"({"uid":"u1","name":"j",")" + std::string(key) + "\":" + x + "}"));
    }
    for (const char* key : {"activeDeadlineSeconds", "suspend", "completions", "backoffLimit"}) {
      ExpectLikeNlohmann(JobLine(kMeta, "{\"" + std::string(key) + "\":" + x + "}"));
    }
    for (const char* key :
         {"startTime", "completionTime", "active", "ready", "succeeded", "failed", "conditions"}) {
      ExpectLikeNlohmann(JobLine(kMeta, "{}", "{\"" + std::string(key) + "\":" + x + "}"));
    }
    for (const char* key : {"type", "status", "reason", "lastTransitionTime"}) {
      ExpectLikeNlohmann(JobLine(kMeta, "{}",
                                 R"({"conditions":[{"type":"Complete","status":"True",")" +
                                     std::string(key) + "\":" + x + "}]}"));
    }
    for (const char* key : {"apiVersion", "kind", "name", "uid", "controller"}) {
      ExpectLikeNlohmann(JobLine(
          R"({"uid":"u1","name":"j","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"c","uid":"c1","controller":true,")" +
          std::string(key) + "\":" + x + "}]}"));
    }
    ExpectLikeNlohmann(
        JobLine(R"({"uid":"u1","name":"j","labels":{"app.kubernetes.io/name":)" + x + "}}"));
    ExpectLikeNlohmann(JobLine(
        R"({"uid":"u1","name":"j","annotations":{"batch.kubernetes.io/cronjob-scheduled-timestamp":)" +
        x + R"(,"cronjob.kubernetes.io/instantiate":)" + x + "}}"));
    ExpectLikeNlohmann(R"({"type":)" + x + R"(,"object":{"metadata":{"uid":"u","name":"j"}}})");
    ExpectLikeNlohmann(R"({"type":"ADDED","object":)" + x + "}");
    ExpectLikeNlohmann(R"({"type":"ERROR","object":{"code":)" + x + R"(,"message":)" + x + "}}");
    ExpectLikeNlohmann(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":)" + x +
                       "}}}");
    ExpectLikeNlohmann(R"({"type":"BOOKMARK","object":{"metadata":)" + x + "}}");
    const std::string cron_meta = R"({"metadata":{"uid":"c","name":"n"},)";
    for (const char* key :
         {"schedule", "timeZone", "concurrencyPolicy", "suspend", "startingDeadlineSeconds"}) {
      ExpectLikeNlohmann(R"({"type":"ADDED","object":)" + cron_meta + "\"spec\":{\"" +
                             std::string(key) + "\":" + x + "}}}",
                         Resource::kCronJobs);
    }
    for (const char* key : {"lastScheduleTime", "lastSuccessfulTime", "active"}) {
      ExpectLikeNlohmann(R"({"type":"ADDED","object":)" + cron_meta + "\"status\":{\"" +
                             std::string(key) + "\":" + x + "}}}",
                         Resource::kCronJobs);
    }
    ExpectLikeNlohmann(R"({"type":"ADDED","object":)" + cron_meta +
                           R"("status":{"active":[{"uid":)" + x + R"(,"name":)" + x + "}," + x +
                           "]}}}",
                       Resource::kCronJobs);
  }
}

TEST(DecoderMatchesNlohmann, Numbers) {
  for (const char* n : {"0",
                        "-0",
                        "7",
                        "-7",
                        "2147483647",
                        "2147483648",
                        "4294967297",
                        "-2147483649",
                        "9223372036854775807",
                        "9223372036854775808",
                        "18446744073709551615",
                        "18446744073709551616",
                        "-9223372036854775808",
                        "-9223372036854775809",
                        "1e2",
                        "1.0",
                        "1E+2",
                        "2e-400",
                        "1e308",
                        "1e309",
                        "-1e400",
                        "01",
                        "1.",
                        ".5",
                        "-",
                        "+1",
                        "1e",
                        "1x",
                        "0x10",
                        "NaN",
                        "123456789012345678901234567890"}) {
    const std::string x(n);
    ExpectLikeNlohmann(JobLine(kMeta,
                               "{\"completions\":" + x + ",\"activeDeadlineSeconds\":" + x +
                                   ",\"backoffLimit\":" + x + "}",
                               "{\"active\":" + x + "}"));
    ExpectLikeNlohmann(R"({"type":"ERROR","object":{"code":)" + x + "}}");
  }
}

TEST(DecoderMatchesNlohmann, StringsEscapesAndUnicode) {
  for (const char* s : {R"("plain")",
                        R"("")",
                        R"("esc \" \\ \/ \b \f \n \r \t")",
                        R"("\u0041\u00e9\u4e2d")",
                        R"("\ud83d\ude00")",
                        R"("\u0000")",
                        "\"caf\xc3\xa9\"",
                        "\"\xe4\xb8\xad\"",
                        "\"\xf0\x9f\x98\x80\"",
                        "\"\x7f\"",
                        R"("\ud83d")",
                        R"("\ude00")",
                        R"("\ud83d\u0041")",
                        R"("\x")",
                        R"("\u12")",
                        R"("\u12g4")",
                        "\"a\tb\"",
                        "\"a\nb\"",
                        "\"\xc3\"",
                        "\"\xc0\x80\"",
                        "\"\xed\xa0\x80\"",
                        "\"\xf4\x90\x80\x80\"",
                        "\"\xe0\x80\xaf\"",
                        "\"\xf5\x80\x80\x80\"",
                        "\"\x80\"",
                        "\"\xff\"",
                        R"("unterminated)"}) {
    const std::string x(s);
    ExpectLikeNlohmann(JobLine(R"({"uid":"u1","name":)" + x + "}"));
    ExpectLikeNlohmann(
        JobLine(R"({"uid":"u1","name":"j","labels":{"app.kubernetes.io/name":)" + x + "}}"));
    // An escaped key is the same key.
    ExpectLikeNlohmann(JobLine(R"({"u\u0069d":"u1","n\u0061me":)" + x + "}"));
  }
  // Invalid UTF-8, raw control characters and open strings are rejected wherever they are.
  for (const char* bad : {"\"\xc3\"", "\"\xff\"", "\"a\tb\"", "\"a\x01\"", R"("open)"}) {
    std::string line = JobLine(kMeta, R"({"template":{"x":)" + std::string(bad) + "}}");
    WatchEvent ev;
    std::string error;
    EXPECT_FALSE(DecodeWatchEvent(line, Resource::kJobs, DecodeOptions(), &ev, &error)) << line;
  }
}

TEST(DecoderMatchesNlohmann, DuplicateKeysLastWins) {
  const char* cases[] = {
      R"({"type":"ADDED","type":"MODIFIED","object":{"metadata":{"uid":"a","uid":"b","name":"j"}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":7,"uid":"b","name":"j"}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"b","uid":7,"name":"j"}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"b","name":"j","uid":null}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"b","name":"j","creationTimestamp":"bad"},"metadata":{"uid":"c","name":"k"}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k"},"metadata":{"uid":"b","name":"j","creationTimestamp":"bad"}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k"},"spec":{"suspend":true,"completions":3},"spec":{"backoffLimit":1}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k"},"status":{"conditions":[{"type":"Complete","status":"True"}],"conditions":[]}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k"},"status":{"conditions":[{"type":1}],"conditions":[{"type":"Failed","status":"True"}]}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","uid":"x","controller":true}],"ownerReferences":[]}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","kind":"Pod","uid":"x","controller":true}]}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k","labels":{"app.kubernetes.io/name":"a"},"labels":{}}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k","annotations":{"cronjob.kubernetes.io/instantiate":"manual","cronjob.kubernetes.io/instantiate":"no"}}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k"}},"object":{"metadata":{"uid":"d","name":"l"}}})",
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"k"}},"object":null})",
      R"({"type":"ADDED","object":{"metadata":{"name":"k"}},"object":{"metadata":{"uid":"d","name":"l"}}})",
  };
  for (const char* c : cases) ExpectLikeNlohmann(c);
  ExpectLikeNlohmann(
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"n"},"status":{"active":[{"uid":"1"}],"active":[{"uid":"2"},{"uid":"3"}]}}})",
      Resource::kCronJobs);
  ExpectLikeNlohmann(
      R"({"type":"ADDED","object":{"metadata":{"uid":"c","name":"n"},"spec":{"timeZone":"UTC","timeZone":null}}})",
      Resource::kCronJobs);
}

TEST(DecoderMatchesNlohmann, TruncatedLinesAreRejected) {
  const std::string line =
      JobLine(R"({"uid":"u1","name":"j","labels":{"a":"b"},"managedFields":[{"f:x":{}}]})",
              R"({"completions":3,"template":{"spec":{"containers":[{"name":"m"}]}}})",
              R"({"active":1,"conditions":[{"type":"Complete","status":"True"}]})");
  for (size_t n = 0; n < line.size(); ++n) {
    WatchEvent ev;
    std::string error;
    EXPECT_FALSE(DecodeWatchEvent(line.substr(0, n), Resource::kJobs, DecodeOptions(), &ev, &error))
        << n;
    EXPECT_FALSE(error.empty());
  }
  ExpectLikeNlohmann(line);
}

TEST(DecoderMatchesNlohmann, DeeplyNestedUnknownFields) {
  for (int depth : {1, 100, 1000, 5000}) {
    std::string nested = std::string(depth, '[') + std::string(depth, ']');
    std::string objs;
    for (int i = 0; i < depth; ++i) objs += R"({"a":)";
    objs += "1" + std::string(depth, '}');
    ExpectLikeNlohmann(
        JobLine(R"({"uid":"u1","name":"j","x":)" + nested + "}", R"({"template":)" + objs + "}"));
  }
}

TEST(DecoderMatchesNlohmann, ByteOrderMarkSpaceNulAndTrailingBytes) {
  const std::string line = JobLine(kMeta);
  for (const auto& [prefix, suffix] : std::vector<std::pair<std::string, std::string>>{
           {"\xef\xbb\xbf", ""},
           {" \t", " \n"},
           {"\r\n", ""},
           {"", std::string("\0 ;8 trailing bytes after a NUL are ignored", 43)},
           {"", std::string(" \0", 2)},
           {std::string("\0", 1), ""},
           {"", " x"},
           {"", "}"},
           {"\xef\xbb", ""},
           {"\xef\xbb\xbf\xef\xbb\xbf", ""},
       }) {
    ExpectLikeNlohmann(prefix + line + suffix);
  }
  // A NUL inside a read string is a raw control character.
  ExpectLikeNlohmann(JobLine(std::string(R"({"uid":"u1","name":"a)") + '\0' + "b\"}"));
}

TEST(DecoderMatchesNlohmann, RealisticObjects) {
  DecodeOptions team;
  team.job_group_label = "team";
  for (
      const char* obj : {
          R"({"metadata":{"name":"b","namespace":"ops","uid":"u","resourceVersion":"9","generateName":"b-","creationTimestamp":"2024-02-29T23:59:59Z","labels":{"team":"data"},"annotations":{"batch.kubernetes.io/cronjob-scheduled-timestamp":"2024-02-29T23:59:00+01:00","cronjob.kubernetes.io/instantiate":"manual"},"ownerReferences":[{"apiVersion":"v1","kind":"X","uid":"x","controller":false},{"apiVersion":"batch/v1","kind":"CronJob","name":"b","uid":"c1","controller":true}]},"spec":{"completions":5,"backoffLimit":0,"activeDeadlineSeconds":60,"suspend":false},"status":{"startTime":"2024-02-29T23:59:59.5Z","completionTime":"2024-03-01T00:00:10Z","succeeded":5,"ready":0,"conditions":[{"type":"FailureTarget","status":"True"},{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","lastTransitionTime":"1999-12-31T23:59:60Z"}]}})",
          R"({"metadata":{"name":"b","uid":"u","creationTimestamp":"2023-04-31T00:00:00Z"}})",
          R"({"metadata":{"name":"b","uid":"u","creationTimestamp":"9999-12-31T23:59:59Z"},"status":{"completionTime":"1970-01-01T00:00:00Z","conditions":[{"type":"Complete","status":"True","lastTransitionTime":""}]}})",
      }) {
    ExpectLikeNlohmann(R"({"type":"ADDED","object":)" + std::string(obj) + "}", Resource::kJobs,
                       team);
  }
}

// ---- mutated lines --------------------------------------------------------------------------

// A realistic line assembled from parts, remembering where the values nobody reads are.
struct Line {
  std::string text;
  std::vector<std::pair<size_t, size_t>> skipped;  // [begin, end) of unread values
  void Read(const std::string& s) { text += s; }
  void Skipped(const std::string& s) {
    skipped.emplace_back(text.size(), text.size() + s.size());
    text += s;
  }
  bool InSkipped(size_t at) const {
    for (auto [b, e] : skipped) {
      if (at >= b && at <= e) return true;  // an insertion at e extends the value
    }
    return false;
  }
};

Line RealisticJobLine() {
  Line l;
  l.Read(R"({"type":"MODIFIED","object":{"kind":)");
  l.Skipped(R"("Job")");
  l.Read(
      R"(,"metadata":{"name":"backup-28000000","namespace":"ops","uid":"9f2c","resourceVersion":"1234","generateName":"backup-","creationTimestamp":"2023-03-28T10:40:00Z","labels":{"app.kubernetes.io/name":"backup","x":)");
  l.Skipped(R"("caf\u00e9")");
  l.Read(
      R"(},"annotations":{"batch.kubernetes.io/cronjob-scheduled-timestamp":"2023-03-28T10:40:00Z"},"ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"backup","uid":"c1","controller":true,"blockOwnerDeletion":)");
  l.Skipped("true");
  l.Read(R"(}],"managedFields":)");
  l.Skipped(
      R"([{"manager":"kube-controller-manager","operation":"Update","time":"2023-03-28T10:40:00Z","fieldsV1":{"f:status":{"f:active":{},"f:ready":{}}},"n":[1.5e3,-2,true,null]}])");
  l.Read(R"(},"spec":{"parallelism":)");
  l.Skipped("1");
  l.Read(R"(,"completions":1,"activeDeadlineSeconds":600,"backoffLimit":6,"template":)");
  l.Skipped(
      R"({"metadata":{"labels":{"job-name":"backup-28000000"}},"spec":{"containers":[{"name":"main","image":"busybox:1.36","args":["sh","-c","echo \"hi\" && sleep 1.5e0"],"resources":{"limits":{"cpu":"100m"}}}],"restartPolicy":"Never"}})");
  l.Read(
      R"(},"status":{"startTime":"2023-03-28T10:40:01Z","active":1,"ready":0,"uncountedTerminatedPods":)");
  l.Skipped("{}");
  l.Read(
      R"(,"conditions":[{"type":"Complete","status":"True","reason":"Done","lastTransitionTime":"2023-03-28T10:41:00Z"}],"completionTime":"2023-03-28T10:41:00Z","succeeded":1}}})");
  return l;
}

Line RealisticCronJobLine() {
  Line l;
  l.Read(
      R"({"type":"ADDED","object":{"metadata":{"name":"report","namespace":"data","uid":"c1","resourceVersion":"77","creationTimestamp":"2024-01-02T03:04:05Z","annotations":)");
  l.Skipped(
      R"({"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"schedule\":\"*/15 * * * *\"}}\n"})");
  l.Read(
      R"(},"spec":{"schedule":"*/15 * * * *","timeZone":"Europe/Berlin","concurrencyPolicy":"Forbid","suspend":false,"startingDeadlineSeconds":300,"jobTemplate":)");
  l.Skipped(
      R"({"spec":{"backoffLimit":2,"template":{"spec":{"containers":[{"name":"main","args":["--since","15m"]}]}}}})");
  l.Read(R"(},"status":{"active":[{"kind":)");
  l.Skipped(R"("Job")");
  l.Read(
      R"(,"name":"report-1","uid":"j1"},{"name":"report-2","uid":"j2"}],"lastScheduleTime":"2024-03-28T10:45:00Z","lastSuccessfulTime":"2024-03-28T10:31:10Z"}}})");
  return l;
}

// Random single-byte edits. nlohmann accepts: same verdict and values. nlohmann rejects: we
// reject too, unless the edit lies in a value nobody reads; then every field must equal the
// reference decode of the unedited line.
void MutationsMatchNlohmann(const Line& base, Resource r, uint32_t seed) {
  const DecodeOptions opts;
  const Decoded base_ref = RefWatch(base.text, r, opts);
  ASSERT_TRUE(base_ref.ok);
  ExpectSame(Ours(base.text, r, opts), base_ref, r, base.text);
  const char edits[] = "{}[]\",:\\ 0-.eE9tfnu\x01\x80\xc3";
  std::mt19937 rnd(seed);
  int accepted = 0, lenient = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line = base.text;
    const size_t at = rnd() % line.size();
    const char c = edits[rnd() % (sizeof edits - 1)];
    switch (rnd() % 3) {
      case 0:
        line[at] = c;
        break;
      case 1:
        line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c);
        break;
      default:
        line.erase(at, 1);
    }
    const Decoded ours = Ours(line, r, opts);
    if (json::accept(line)) {
      ExpectSame(ours, RefWatch(line, r, opts), r, line);
      if (::testing::Test::HasFatalFailure()) return;
      accepted += ours.ok;
      continue;
    }
    if (!ours.ok) continue;
    ASSERT_TRUE(base.InSkipped(at)) << "accepted a line nlohmann rejects: " << line;
    ++lenient;
    ExpectSame(ours, base_ref, r, line);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(accepted, 1000);
  std::printf("accepted %d like nlohmann, %d with a defect in an unread value\n", accepted,
              lenient);
}

TEST(DecoderMatchesNlohmann, MutatedJobLines) {
  MutationsMatchNlohmann(RealisticJobLine(), Resource::kJobs, 7);
}

TEST(DecoderMatchesNlohmann, MutatedCronJobLines) {
  MutationsMatchNlohmann(RealisticCronJobLine(), Resource::kCronJobs, 11);
}

// List pages: the same rules per item; a bad item is counted, a bad page rejected.
TEST(DecoderMatchesNlohmann, ListPages) {
  const std::string items[] = {
      R"({"metadata":{"uid":"a","name":"a"},"spec":{"completions":2}})",
      R"({"metadata":{"uid":"b"}})",
      R"({"metadata":{"uid":"c","name":"c"},"status":{"active":"x"}})",
      R"(7)",
      R"(null)",
      R"({"metadata":{"uid":"d","name":"d"},"status":{"conditions":[{"type":"Complete","status":"True"}]}})",
  };
  std::string body =
      R"({"kind":"JobList","metadata":{"resourceVersion":"40","continue":"t"},"items":[)";
  for (size_t i = 0; i < std::size(items); ++i) body += (i ? "," : "") + items[i];
  body += "]}";
  ListPage page;
  std::string error;
  ASSERT_TRUE(DecodeListPage(body, Resource::kJobs, DecodeOptions(), &page, &error)) << error;
  EXPECT_EQ(page.resource_version, "40");
  EXPECT_EQ(page.continue_token, "t");
  std::vector<Job> want;
  int bad = 0;
  for (const std::string& item : items) {
    Job j;
    json obj = json::parse(item);
    if (obj.is_object() && RefJob(obj, DecodeOptions(), &j))
      want.push_back(j);
    else
      ++bad;
  }
  EXPECT_EQ(page.bad_items, bad);
  ASSERT_EQ(page.jobs.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ExpectSameJob(page.jobs[i], want[i], want[i].uid);
  for (const char* broken :
       {"", "{", "[]", R"({"items":{}})", R"({"metadata":[]})",
        R"({"metadata":{"resourceVersion":5}})", R"({"metadata":{"continue":{}}})",
        R"({"items":[{"metadata":{"uid":"a","name":"a"}}])", R"({"items":[]} x)"}) {
    ListPage p;
    EXPECT_FALSE(DecodeListPage(broken, Resource::kJobs, DecodeOptions(), &p, &error)) << broken;
  }
}

TEST(DecoderMatchesNlohmann, StatusBodies) {
  for (const char* body : {R"({"kind":"Status","code":403,"reason":"Forbidden","message":"no"})",
                           R"({"code":"403","reason":5,"message":null})", R"({"code":1.5})",
                           "<html>", "", R"({"code":410} x)", R"([{"code":1}])"}) {
    ApiStatus s = DecodeStatus(body);
    json doc = json::parse(body, nullptr, false);
    ApiStatus want;
    if (!doc.is_discarded() && doc.is_object()) {
      want.code = Int<int>(doc, "code", nullptr).value_or(0);
      want.reason = Str(doc, "reason", nullptr);
      want.message = Str(doc, "message", nullptr);
    }
    EXPECT_EQ(s.code, want.code) << body;
    EXPECT_EQ(s.reason, want.reason) << body;
    EXPECT_EQ(s.message, want.message) << body;
  }
}

}  // namespace
}  // namespace batchwatch::kube
