#include "kube/decode.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace batchwatch::kube {
namespace {

using nlohmann::json;

Job MustDecodeJob(const std::string& text, const std::string& label = "app.kubernetes.io/name") {
  Job j;
  std::string error;
  DecodeOptions opts;
  opts.job_group_label = label;
  EXPECT_TRUE(DecodeJob(json::parse(text), opts, &j, &error)) << error;
  return j;
}

constexpr char kMeta[] =
    R"("metadata":{"name":"backup-28000000","namespace":"ops","uid":"u1","resourceVersion":"7",
       "creationTimestamp":"2023-03-28T10:40:00Z","generateName":"backup-"})";

TEST(DecodeJob, ReadsMetadataSpecAndStatus) {
  Job j = MustDecodeJob(std::string("{") + kMeta + R"(,
    "spec":{"activeDeadlineSeconds":600,"suspend":true,"completions":5,"backoffLimit":0,
            "template":{"spec":{}}},
    "status":{"startTime":"2023-03-28T10:40:01Z","active":2,"ready":1,"failed":3,"succeeded":4}})");
  EXPECT_EQ(j.uid, "u1");
  EXPECT_EQ(j.namespace_, "ops");
  EXPECT_EQ(j.name, "backup-28000000");
  EXPECT_EQ(j.generate_name, "backup-");
  EXPECT_EQ(j.resource_version, "7");
  EXPECT_EQ(j.creation_time, 1680000000);
  EXPECT_EQ(j.active_deadline_seconds, 600);
  EXPECT_TRUE(j.suspend);
  EXPECT_EQ(j.completions, 5);
  EXPECT_EQ(j.backoff_limit, 0);
  EXPECT_EQ(j.start_time, 1680000001);
  EXPECT_EQ(j.active, 2);
  EXPECT_EQ(j.ready, 1);
  EXPECT_EQ(j.failed, 3);
  EXPECT_EQ(j.succeeded, 4);
  EXPECT_FALSE(j.finished());
}

// status.ready exists from Kubernetes 1.24 (JobReadyPods): absent or null is "not reported",
// which is not 0 pods ready.
TEST(DecodeJob, ReadyIsAbsentUnlessReported) {
  for (const char* status : {R"({"active":2})", R"({"active":2,"ready":null})"}) {
    Job j = MustDecodeJob(std::string("{") + kMeta + R"(,"status":)" + status + "}");
    EXPECT_FALSE(j.ready.has_value()) << status;
  }
  Job zero = MustDecodeJob(std::string("{") + kMeta + R"(,"status":{"active":2,"ready":0}})");
  EXPECT_EQ(zero.ready, 0);
}

TEST(DecodeJob, ControllerOwnerMustBeBatchV1CronJob) {
  struct Case {
    const char* name;
    const char* refs;
    std::string want_owner;
  } cases[] = {
      {"controller cronjob",
       R"([{"apiVersion":"batch/v1","kind":"CronJob","name":"backup","uid":"c1","controller":true}])",
       "c1"},
      {"not controller",
       R"([{"apiVersion":"batch/v1","kind":"CronJob","name":"backup","uid":"c1"}])", ""},
      {"other kind",
       R"([{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"x","uid":"r1","controller":true}])",
       ""},
      {"old api version",
       R"([{"apiVersion":"batch/v1beta1","kind":"CronJob","name":"b","uid":"c2","controller":true}])",
       ""},
      {"second ref is controller",
       R"([{"apiVersion":"v1","kind":"ConfigMap","name":"x","uid":"m"},{"apiVersion":"batch/v1","kind":"CronJob","name":"b","uid":"c3","controller":true}])",
       "c3"},
  };
  for (const auto& c : cases) {
    Job j = MustDecodeJob(R"({"metadata":{"name":"j","uid":"u","ownerReferences":)" +
                          std::string(c.refs) + "}}");
    EXPECT_EQ(j.owner_cronjob_uid, c.want_owner) << c.name;
    EXPECT_EQ(j.owned_by_cronjob(), !c.want_owner.empty()) << c.name;
  }
}

TEST(DecodeJob, TerminalConditionOnlyCompleteOrFailedTrue) {
  struct Case {
    const char* name;
    const char* status;
    JobOutcome outcome;
    std::string reason;
    std::optional<UnixSeconds> end;
  } cases[] = {
      {"complete",
       R"({"completionTime":"2023-03-28T10:41:00Z","conditions":[{"type":"Complete","status":"True","reason":"CompletionsReached","lastTransitionTime":"2023-03-28T10:41:05Z"}]})",
       JobOutcome::kSucceeded, "CompletionsReached", 1680000060},
      {"failed uses transition time",
       R"({"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","lastTransitionTime":"2023-03-28T10:42:00Z"}]})",
       JobOutcome::kFailed, "BackoffLimitExceeded", 1680000120},
      {"success criteria met is not terminal",
       R"({"conditions":[{"type":"SuccessCriteriaMet","status":"True","reason":"CompletionsReached"}]})",
       JobOutcome::kUnfinished, "", std::nullopt},
      {"failure target is not terminal",
       R"({"conditions":[{"type":"FailureTarget","status":"True","reason":"DeadlineExceeded"}]})",
       JobOutcome::kUnfinished, "", std::nullopt},
      {"complete false", R"({"conditions":[{"type":"Complete","status":"False"}]})",
       JobOutcome::kUnfinished, "", std::nullopt},
      {"failed after failure target",
       R"({"conditions":[{"type":"FailureTarget","status":"True","reason":"DeadlineExceeded","lastTransitionTime":"2023-03-28T10:41:00Z"},{"type":"Failed","status":"True","reason":"DeadlineExceeded","lastTransitionTime":"2023-03-28T10:43:00Z"}]})",
       JobOutcome::kFailed, "DeadlineExceeded", 1680000180},
      {"complete without completionTime",
       R"({"conditions":[{"type":"Complete","status":"True","lastTransitionTime":"2023-03-28T10:41:00Z"}]})",
       JobOutcome::kSucceeded, "", 1680000060},
  };
  for (const auto& c : cases) {
    Job j = MustDecodeJob(R"({"metadata":{"name":"j","uid":"u"},"status":)" +
                          std::string(c.status) + "}");
    EXPECT_EQ(j.outcome, c.outcome) << c.name;
    EXPECT_EQ(j.terminal_reason, c.reason) << c.name;
    EXPECT_EQ(j.end_time, c.end) << c.name;
  }
}

TEST(DecodeJob, LabelsAndAnnotations) {
  Job j = MustDecodeJob(
      R"({"metadata":{"name":"j","uid":"u","labels":{"team":"data","template":"t1"},
          "annotations":{"batch.kubernetes.io/cronjob-scheduled-timestamp":"2023-03-28T12:40:00+02:00",
                         "cronjob.kubernetes.io/instantiate":"manual"}}})",
      "team");
  EXPECT_EQ(j.group_label, "data");
  EXPECT_EQ(j.scheduled_timestamp, 1680000000);
  EXPECT_TRUE(j.manual);
  // A label named like a dropped subtree is still read when it is the group label.
  std::string text =
      R"({"type":"ADDED","object":{"metadata":{"name":"j","uid":"u","labels":{"template":"t1"}}}})";
  WatchEvent ev;
  std::string error;
  DecodeOptions opts;
  opts.job_group_label = "template";
  ASSERT_TRUE(DecodeWatchEvent(text, Resource::kJobs, opts, &ev, &error)) << error;
  EXPECT_EQ(ev.job.group_label, "t1");
}

TEST(DecodeJob, BadObjectsAreErrorsNotCrashes) {
  const char* cases[] = {
      R"([])",
      R"({"metadata":{"name":"j"}})",
      R"({"metadata":{"uid":"u"}})",
      R"({"metadata":"x"})",
      R"({"metadata":{"name":"j","uid":7}})",
      R"({"metadata":{"name":"j","uid":"u","creationTimestamp":"yesterday"}})",
      R"({"metadata":{"name":"j","uid":"u"},"status":{"active":"2"}})",
      R"({"metadata":{"name":"j","uid":"u"},"status":{"startTime":5}})",
      R"({"metadata":{"name":"j","uid":"u"},"spec":[]})",
      R"({"metadata":{"name":"j","uid":"u"},"status":{"conditions":[{"type":1}]}})",
      R"({"metadata":{"name":"j","uid":"u"},"spec":{"completions":1.5}})",
      R"({"metadata":{"name":"j","uid":"u"},"spec":{"backoffLimit":"6"}})",
  };
  for (const char* text : cases) {
    Job j;
    std::string error;
    EXPECT_FALSE(DecodeJob(json::parse(text), DecodeOptions(), &j, &error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(DecodeJob, MissingOptionalFieldsAndUnknownFieldsAreFine) {
  Job j = MustDecodeJob(
      R"({"metadata":{"name":"j","uid":"u","futureField":{"x":1}},"spec":null,"status":{"newThing":[1,2]}})");
  EXPECT_EQ(j.name, "j");
  EXPECT_EQ(j.creation_time, 0);
  EXPECT_FALSE(j.start_time);
  EXPECT_FALSE(j.completions);
  EXPECT_FALSE(j.backoff_limit);
  EXPECT_EQ(j.group_label, "");
}

TEST(DecodeCronJob, ReadsSpecAndStatus) {
  struct Case {
    const char* name;
    const char* spec;
    ConcurrencyPolicy policy;
    std::optional<std::string> tz;
  } cases[] = {
      {"defaults", R"({"schedule":"*/5 * * * *"})", ConcurrencyPolicy::kAllow, std::nullopt},
      {"forbid with zone",
       R"({"schedule":"0 3 * * *","concurrencyPolicy":"Forbid","timeZone":"Europe/Berlin"})",
       ConcurrencyPolicy::kForbid, "Europe/Berlin"},
      {"replace", R"({"schedule":"@hourly","concurrencyPolicy":"Replace"})",
       ConcurrencyPolicy::kReplace, std::nullopt},
      {"unknown policy is Allow", R"({"schedule":"@hourly","concurrencyPolicy":"Sometimes"})",
       ConcurrencyPolicy::kAllow, std::nullopt},
  };
  for (const auto& c : cases) {
    CronJob cj;
    std::string error;
    ASSERT_TRUE(DecodeCronJob(
        json::parse(R"({"metadata":{"name":"b","uid":"c","namespace":"ops"},"spec":)" +
                    std::string(c.spec) + "}"),
        &cj, &error))
        << c.name << ": " << error;
    EXPECT_EQ(cj.concurrency_policy, c.policy) << c.name;
    EXPECT_EQ(cj.time_zone, c.tz) << c.name;
  }
  CronJob cj;
  std::string error;
  ASSERT_TRUE(DecodeCronJob(json::parse(R"({"metadata":{"name":"b","uid":"c"},
      "spec":{"schedule":"0 * * * *","suspend":true,"startingDeadlineSeconds":200,"jobTemplate":{}},
      "status":{"lastScheduleTime":"2023-03-28T10:40:00Z","lastSuccessfulTime":"2023-03-28T10:41:00Z",
                "active":[{"name":"b-1","uid":"j1"},{"name":"b-2","uid":"j2"}]}})"),
                            &cj, &error))
      << error;
  EXPECT_TRUE(cj.suspend);
  EXPECT_EQ(cj.starting_deadline_seconds, 200);
  EXPECT_EQ(cj.last_schedule_time, 1680000000);
  EXPECT_EQ(cj.last_successful_time, 1680000060);
  ASSERT_EQ(cj.active.size(), 2u);
  EXPECT_EQ(cj.active[1].uid, "j2");
}

TEST(DecodeWatchEvent, Types) {
  struct Case {
    const char* name;
    const char* line;
    bool ok;
    WatchEventType type;
    std::string rv;
    int code;
  } cases[] = {
      {"added",
       R"({"type":"ADDED","object":{"metadata":{"name":"j","uid":"u","resourceVersion":"12"}}})",
       true, WatchEventType::kAdded, "12", 0},
      {"deleted",
       R"({"type":"DELETED","object":{"metadata":{"name":"j","uid":"u","resourceVersion":"13"}}})",
       true, WatchEventType::kDeleted, "13", 0},
      {"bookmark",
       R"({"type":"BOOKMARK","object":{"kind":"Job","metadata":{"resourceVersion":"99"}}})", true,
       WatchEventType::kBookmark, "99", 0},
      {"error 410",
       R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}})",
       true, WatchEventType::kError, "", 410},
      {"not json", R"({"type":"ADDED","object":{"metadata":)", false, WatchEventType::kAdded, "",
       0},
      {"unknown type", R"({"type":"SYNC","object":{}})", false, WatchEventType::kAdded, "", 0},
      {"no object", R"({"type":"ADDED"})", false, WatchEventType::kAdded, "", 0},
      // Without a resourceVersion an undecodable object is an error (with one it is skipped).
      {"bad object", R"({"type":"ADDED","object":{"metadata":{"name":"j"}}})", false,
       WatchEventType::kAdded, "", 0},
      {"bookmark without rv", R"({"type":"BOOKMARK","object":{"metadata":{}}})", false,
       WatchEventType::kAdded, "", 0},
      {"array", R"([1,2])", false, WatchEventType::kAdded, "", 0},
      {"empty", "", false, WatchEventType::kAdded, "", 0},
  };
  for (const auto& c : cases) {
    WatchEvent ev;
    std::string error;
    bool ok = DecodeWatchEvent(c.line, Resource::kJobs, DecodeOptions(), &ev, &error);
    EXPECT_EQ(ok, c.ok) << c.name << ": " << error;
    if (!ok || !c.ok) continue;
    EXPECT_EQ(ev.skip, "") << c.name;
    EXPECT_EQ(ev.type, c.type) << c.name;
    EXPECT_EQ(ev.resource_version, c.rv) << c.name;
    EXPECT_EQ(ev.error_code, c.code) << c.name;
  }
}

// A well-formed event whose object cannot be decoded is skipped (with its resourceVersion, so
// the watch loop goes on past it); only a line that is not a watch event is an error.
TEST(DecodeWatchEvent, UndecodableObjectsWithAResourceVersionAreSkipped) {
  struct Case {
    const char* name;
    Resource resource;
    const char* line;
    const char* skip_contains;
  } cases[] = {
      {"job: status.active a string", Resource::kJobs,
       R"({"type":"MODIFIED","object":{"metadata":{"name":"j","uid":"u","resourceVersion":"12"},"status":{"active":"2"}}})",
       "status.active is not an integer"},
      {"job: no uid", Resource::kJobs,
       R"({"type":"ADDED","object":{"metadata":{"name":"j","resourceVersion":"12"}}})",
       "metadata.uid or metadata.name missing"},
      {"job deleted: bad startTime", Resource::kJobs,
       R"({"type":"DELETED","object":{"metadata":{"name":"j","uid":"u","resourceVersion":"12"},"status":{"startTime":5}}})",
       "status.startTime is not a string"},
      {"cronjob: suspend a string", Resource::kCronJobs,
       R"({"type":"MODIFIED","object":{"metadata":{"name":"c","uid":"u","resourceVersion":"12"},"spec":{"suspend":"yes"}}})",
       "spec.suspend is not a boolean"},
  };
  for (const auto& c : cases) {
    WatchEvent ev;
    std::string error;
    ASSERT_TRUE(DecodeWatchEvent(c.line, c.resource, DecodeOptions(), &ev, &error))
        << c.name << ": " << error;
    EXPECT_NE(ev.skip.find(c.skip_contains), std::string::npos) << c.name << ": " << ev.skip;
    EXPECT_EQ(ev.resource_version, "12") << c.name;
  }
  // The next, good line clears the skip of the reused event.
  WatchEvent ev;
  std::string error;
  ASSERT_TRUE(DecodeWatchEvent(cases[0].line, Resource::kJobs, DecodeOptions(), &ev, &error));
  ASSERT_TRUE(DecodeWatchEvent(
      R"({"type":"ADDED","object":{"metadata":{"name":"j","uid":"u","resourceVersion":"13"}}})",
      Resource::kJobs, DecodeOptions(), &ev, &error));
  EXPECT_EQ(ev.skip, "");
  EXPECT_EQ(ev.job.resource_version, "13");
}

// Integer fields of Jobs and CronJobs, as the API types them (int32 or int64): a value in range
// is read as written (negative ones too: the API server's validation, not its decoder, rejects
// those); anything else makes the object undecodable with a message naming the field, never a
// wrapped or clamped value. Fields batchwatch does not read cannot matter, whatever they hold.
TEST(DecodeIntegers, OutOfRangeValuesAreDecodeErrorsNeverWrapped) {
  struct Field {
    Resource resource;
    const char* level;  // "spec" or "status"
    const char* key;
    bool int32;
  };
  const Field fields[] = {
      {Resource::kJobs, "spec", "completions", true},
      {Resource::kJobs, "spec", "backoffLimit", true},
      {Resource::kJobs, "spec", "activeDeadlineSeconds", false},
      {Resource::kJobs, "status", "active", true},
      {Resource::kJobs, "status", "ready", true},
      {Resource::kJobs, "status", "succeeded", true},
      {Resource::kJobs, "status", "failed", true},
      {Resource::kCronJobs, "spec", "startingDeadlineSeconds", false},
  };
  struct Value {
    const char* text;
    std::optional<int64_t> int32;  // what an int32 field reads (nullopt: undecodable)
    std::optional<int64_t> int64;  // ... an int64 field
    const char* why;               // the message's end when undecodable
  };
  const Value values[] = {
      {"0", 0, 0, ""},
      {"-1", -1, -1, ""},
      {"2147483647", 2147483647, 2147483647, ""},
      {"-2147483648", INT32_MIN, INT32_MIN, ""},
      {"2147483648", std::nullopt, 2147483648, " 2147483648 is outside int32"},
      {"-2147483649", std::nullopt, -2147483649, " -2147483649 is outside int32"},
      {"4294967297", std::nullopt, 4294967297, " 4294967297 is outside int32"},
      {"9223372036854775807", std::nullopt, INT64_MAX, " 9223372036854775807 is outside int32"},
      {"9223372036854775808", std::nullopt, std::nullopt, " 9223372036854775808 is outside int"},
      {"18446744073709551615", std::nullopt, std::nullopt, " 18446744073709551615 is outside int"},
      {"18446744073709551616", std::nullopt, std::nullopt, " is not an integer"},
      {"1e300", std::nullopt, std::nullopt, " is not an integer"},
      {"1.5", std::nullopt, std::nullopt, " is not an integer"},
      {"5.0", std::nullopt, std::nullopt, " is not an integer"},
      {R"("5")", std::nullopt, std::nullopt, " is not an integer"},
      {"true", std::nullopt, std::nullopt, " is not an integer"},
  };
  for (const Field& f : fields) {
    for (const Value& v : values) {
      const std::string what = std::string(f.level) + "." + f.key + " = " + v.text;
      const std::string line = R"({"type":"MODIFIED","object":{"metadata":{"name":"n","uid":"u",)"
                               R"("namespace":"ops","resourceVersion":"9"},")" +
                               std::string(f.level) + R"(":{")" + f.key + R"(":)" + v.text + "}}}";
      WatchEvent ev;
      std::string error;
      ASSERT_TRUE(DecodeWatchEvent(line, f.resource, DecodeOptions(), &ev, &error))
          << what << ": " << error;
      const std::optional<int64_t> want = f.int32 ? v.int32 : v.int64;
      if (!want) {
        EXPECT_EQ(ev.skip.rfind(std::string("ops/n: ") + f.level + "." + f.key + v.why, 0), 0u)
            << what << ": " << ev.skip;
        continue;
      }
      ASSERT_EQ(ev.skip, "") << what;
      const Job& j = ev.job;
      const std::string key = f.key;
      std::optional<int64_t> got;
      if (key == "completions") got = j.completions;
      if (key == "backoffLimit") got = j.backoff_limit;
      if (key == "activeDeadlineSeconds") got = j.active_deadline_seconds;
      if (key == "active") got = j.active;
      if (key == "ready") got = j.ready;
      if (key == "succeeded") got = j.succeeded;
      if (key == "failed") got = j.failed;
      if (key == "startingDeadlineSeconds") got = ev.cronjob.starting_deadline_seconds;
      EXPECT_EQ(got, want) << what;
    }
  }
  // Not read, so never a reason to drop the object (the API server checks their ranges).
  for (const char* v : {"2147483648", "-1", "1e300", R"("5")", "18446744073709551616"}) {
    const std::string meta =
        R"({"type":"MODIFIED","object":{"metadata":{"name":"n","uid":"u","resourceVersion":"9"},)";
    for (const auto& [resource, object] : std::vector<std::pair<Resource, std::string>>{
             {Resource::kJobs, std::string(R"("spec":{"parallelism":)") + v +
                                   R"(,"ttlSecondsAfterFinished":)" + v + "}"},
             {Resource::kCronJobs, std::string(R"("spec":{"successfulJobsHistoryLimit":)") + v +
                                       R"(,"failedJobsHistoryLimit":)" + v + "}"}}) {
      WatchEvent ev;
      std::string error;
      ASSERT_TRUE(DecodeWatchEvent(meta + object + "}}", resource, DecodeOptions(), &ev, &error))
          << object << ": " << error;
      EXPECT_EQ(ev.skip, "") << object;
    }
  }
  // A watch ERROR event's code is only a hint: out of range it is 0 (not 410), not a wrap.
  WatchEvent ev;
  std::string error;
  ASSERT_TRUE(DecodeWatchEvent(R"({"type":"ERROR","object":{"kind":"Status","code":4294967706}})",
                               Resource::kJobs, DecodeOptions(), &ev, &error))
      << error;
  EXPECT_EQ(ev.error_code, 0);
}

TEST(DecodeListPage, SkipsBadItemsAndReadsContinue) {
  ListPage page;
  std::string error;
  ASSERT_TRUE(
      DecodeListPage(R"({"kind":"CronJobList","metadata":{"resourceVersion":"40","continue":"abc"},
      "items":[{"metadata":{"name":"a","uid":"1"}},{"metadata":{"name":"b"}},{"metadata":{"name":"c","uid":"3"}}]})",
                     Resource::kCronJobs, DecodeOptions(), &page, &error))
      << error;
  EXPECT_EQ(page.resource_version, "40");
  EXPECT_EQ(page.continue_token, "abc");
  EXPECT_EQ(page.cronjobs.size(), 2u);
  EXPECT_EQ(page.bad_items, 1);
  EXPECT_FALSE(page.first_item_error.empty());

  for (const char* bad : {"", "{", "[]", R"({"items":{}})"}) {
    ListPage p;
    EXPECT_FALSE(DecodeListPage(bad, Resource::kJobs, DecodeOptions(), &p, &error)) << bad;
  }
}

TEST(DecodeStatus, ReadsCodeAndMessage) {
  ApiStatus s = DecodeStatus(R"({"kind":"Status","code":403,"reason":"Forbidden","message":"no"})");
  EXPECT_EQ(s.code, 403);
  EXPECT_EQ(s.reason, "Forbidden");
  EXPECT_EQ(s.message, "no");
  EXPECT_EQ(DecodeStatus("<html>").code, 0);
}

}  // namespace
}  // namespace batchwatch::kube
