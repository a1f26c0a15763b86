// Pods and Events from watch lines and list pages (kube/decode_core.h): the fields read, and a
// defined outcome for every bad input of issue 12.
#include "kube/decode_core.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace batchwatch::kube {
namespace {

using nlohmann::json;

std::string Line(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}";
}

Pod MustPod(const std::string& object) {
  CoreWatchEvent ev;
  std::string error;
  EXPECT_TRUE(DecodeCoreWatchEvent(Line("ADDED", object), Resource::kPods, &ev, &error)) << error;
  EXPECT_EQ(ev.skip, "");
  return ev.pod;
}

// Why a pod cannot be used: the line's error, or (when the object has a resourceVersion, so the
// stream can go on past it) the skip.
std::string PodError(const std::string& object) {
  CoreWatchEvent ev;
  std::string error;
  if (!DecodeCoreWatchEvent(Line("MODIFIED", object), Resource::kPods, &ev, &error)) return error;
  EXPECT_NE(ev.skip, "") << object;
  EXPECT_NE(ev.resource_version, "") << object;
  return ev.skip;
}

Event MustEvent(const std::string& object) {
  CoreWatchEvent ev;
  std::string error;
  EXPECT_TRUE(DecodeCoreWatchEvent(Line("ADDED", object), Resource::kEvents, &ev, &error)) << error;
  EXPECT_EQ(ev.skip, "") << object;
  return ev.event;
}

constexpr char kPodMeta[] =
    R"("metadata":{"name":"backup-28000000-x7k2p","namespace":"ops","uid":"p1",
       "resourceVersion":"42","creationTimestamp":"2023-03-28T10:40:00Z",
       "labels":{"job-name":"backup-28000000"},
       "ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"backup-28000000",
                           "uid":"j1","controller":true,"blockOwnerDeletion":true}]})";

std::string PodWith(const std::string& rest) { return std::string("{") + kPodMeta + rest + "}"; }

TEST(DecodePod, ReadsEveryFieldOfTheView) {
  Pod p = MustPod(PodWith(R"(,
    "spec":{"restartPolicy":"OnFailure","containers":[{"name":"main","image":"x",
            "resources":{"limits":{"memory":"64Mi"}}}],"volumes":[{"name":"v","emptyDir":{}}]},
    "status":{"phase":"Failed","reason":"Evicted","message":"The node was low on memory.",
      "conditions":[{"type":"PodScheduled","status":"True"},
                    {"type":"DisruptionTarget","status":"True","reason":"EvictionByEvictionAPI"}],
      "initContainerStatuses":[{"name":"init","restartCount":0,
          "state":{"terminated":{"reason":"Completed","exitCode":0}},"lastState":{}}],
      "containerStatuses":[
        {"name":"main","restartCount":3,"image":"x","ready":false,
         "state":{"terminated":{"reason":"OOMKilled","exitCode":137,
                                "startedAt":"2023-03-28T10:40:05Z"}},
         "lastState":{"terminated":{"reason":"Error","exitCode":2}}},
        {"name":"side","restartCount":0,"state":{"running":{"startedAt":"2023-03-28T10:40:05Z"}}},
        {"name":"pull","state":{"waiting":{"reason":"ImagePullBackOff","message":"..."}}}]})"));
  EXPECT_EQ(p.uid, "p1");
  EXPECT_EQ(p.namespace_, "ops");
  EXPECT_EQ(p.name, "backup-28000000-x7k2p");
  EXPECT_EQ(p.resource_version, "42");
  EXPECT_EQ(p.creation_time, 1680000000);
  EXPECT_EQ(p.owner_job_uid, "j1");
  EXPECT_EQ(p.owner_job_name, "backup-28000000");
  EXPECT_TRUE(p.restart_on_failure);
  EXPECT_EQ(p.phase, PodPhase::kFailed);
  EXPECT_EQ(p.status_reason, "Evicted");
  EXPECT_EQ(p.disruption_reason, "EvictionByEvictionAPI");
  EXPECT_EQ(p.unscheduled_reason, "");
  ASSERT_EQ(p.init_containers.size(), 1u);
  EXPECT_TRUE(p.init_containers[0].terminated);
  EXPECT_EQ(p.init_containers[0].terminated_reason, "Completed");
  ASSERT_EQ(p.containers.size(), 3u);
  const ContainerStatus& main = p.containers[0];
  EXPECT_EQ(main.name, "main");
  EXPECT_FALSE(main.waiting);
  EXPECT_FALSE(main.running);
  EXPECT_TRUE(main.terminated);
  EXPECT_EQ(main.terminated_reason, "OOMKilled");
  EXPECT_EQ(main.exit_code, 137);
  EXPECT_TRUE(main.last_terminated);
  EXPECT_EQ(main.last_terminated_reason, "Error");
  EXPECT_EQ(main.last_exit_code, 2);
  EXPECT_EQ(main.restart_count, 3);
  EXPECT_TRUE(p.containers[1].running);
  EXPECT_FALSE(p.containers[1].terminated);
  EXPECT_FALSE(p.containers[1].last_terminated);
  EXPECT_TRUE(p.containers[2].waiting);
  EXPECT_EQ(p.containers[2].waiting_reason, "ImagePullBackOff");
}

TEST(DecodePod, PhasesAndScheduling) {
  const std::pair<const char*, PodPhase> phases[] = {
      {"Pending", PodPhase::kPending},     {"Running", PodPhase::kRunning},
      {"Succeeded", PodPhase::kSucceeded}, {"Failed", PodPhase::kFailed},
      {"Unknown", PodPhase::kUnknown},     {"Exploded", PodPhase::kUnknown}};
  for (const auto& [text, phase] : phases) {
    EXPECT_EQ(MustPod(PodWith(std::string(R"(,"status":{"phase":")") + text + "\"}")).phase, phase)
        << text;
  }
  EXPECT_EQ(MustPod(PodWith("")).phase, PodPhase::kPending);  // no status yet
  Pod p = MustPod(PodWith(R"(,"status":{"phase":"Pending","conditions":[
      {"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes"},
      {"type":"DisruptionTarget","status":"False","reason":"PreemptionByScheduler"}]})"));
  EXPECT_EQ(p.unscheduled_reason, "Unschedulable");
  EXPECT_EQ(p.disruption_reason, "");  // status False: not disrupted
  EXPECT_FALSE(p.restart_on_failure);
  EXPECT_FALSE(MustPod(PodWith(R"(,"spec":{"restartPolicy":"Never"})")).restart_on_failure);
}

// A pod without an owner, with an owner of another kind or group, or with a non-controller
// Job reference: decoded, owner empty (the tracker ignores such pods).
TEST(DecodePod, OwnerIsTheControllerJobOfGroupBatch) {
  const char* owners[] = {
      R"([])",
      R"([{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"r","uid":"r1","controller":true}])",
      R"([{"apiVersion":"example.com/v1","kind":"Job","name":"j","uid":"x1","controller":true}])",
      R"([{"apiVersion":"batch/v1","kind":"Job","name":"j","uid":"j1"}])",
      R"([{"apiVersion":"batch/v1","kind":"Job","name":"j","uid":"","controller":true}])",
      R"("not a list")",
      R"([{"apiVersion":"batch/v1","kind":"CronJob","name":"c","uid":"c1","controller":true}])",
  };
  for (const char* refs : owners) {
    Pod p = MustPod(std::string(R"({"metadata":{"name":"p","uid":"p1","ownerReferences":)") + refs +
                    "}}");
    EXPECT_EQ(p.owner_job_uid, "") << refs;
  }
  Pod none = MustPod(R"({"metadata":{"name":"p","uid":"p1"}})");
  EXPECT_EQ(none.owner_job_uid, "");
  // The first controller reference decides; a later one does not override it.
  Pod first = MustPod(R"({"metadata":{"name":"p","uid":"p1","ownerReferences":[
      {"apiVersion":"batch/v1","kind":"Job","name":"a","uid":"ja","controller":true},
      {"apiVersion":"batch/v1","kind":"Job","name":"b","uid":"jb","controller":true}]}})");
  EXPECT_EQ(first.owner_job_uid, "ja");
}

TEST(DecodePod, TenContainersNoStatusesAndUnknownFields) {
  std::string statuses;
  for (int i = 0; i < 10; ++i) {
    statuses += std::string(i ? "," : "") + R"({"name":"c)" + std::to_string(i) +
                R"(","restartCount":)" + std::to_string(i) +
                R"(,"state":{"terminated":{"reason":"Error","exitCode":)" + std::to_string(i) +
                "}}}";
  }
  Pod ten =
      MustPod(PodWith(R"(,"status":{"phase":"Failed","containerStatuses":[)" + statuses + "]}"));
  ASSERT_EQ(ten.containers.size(), 10u);
  EXPECT_EQ(ten.containers[9].name, "c9");
  EXPECT_EQ(ten.containers[9].exit_code, 9);
  EXPECT_EQ(ten.containers[9].restart_count, 9);

  Pod bare = MustPod(PodWith(R"(,"status":{"phase":"Pending"})"));
  EXPECT_TRUE(bare.containers.empty());
  EXPECT_TRUE(bare.init_containers.empty());

  Pod odd = MustPod(PodWith(R"(,"futureField":{"deep":[1,2,{"x":null}]},
      "status":{"phase":"Running","newThing":true,"containerStatuses":[
        {"name":"m","state":{"running":{},"hibernating":{"why":"?"}},"allocatedResources":{},
         "lastState":{"terminated":{"exitCode":1,"signal":9}}}, 17, "junk"]})"));
  ASSERT_EQ(odd.containers.size(), 1u);  // elements that are not objects are ignored
  EXPECT_TRUE(odd.containers[0].running);
  EXPECT_TRUE(odd.containers[0].last_terminated);
  EXPECT_EQ(odd.containers[0].last_terminated_reason, "");
  EXPECT_EQ(odd.containers[0].last_exit_code, 1);
}

// An exit code outside int32 cannot come from a container runtime: the pod is undecodable
// (counted as a decode error), never a wrapped or clamped value.
TEST(DecodePod, AbsurdExitCodesAreDecodeErrors) {
  for (const char* code : {"4294967433", "-2147483649", "9223372036854775807"}) {
    EXPECT_NE(PodError(PodWith(std::string(R"(,"status":{"containerStatuses":[{"name":"m",
        "state":{"terminated":{"reason":"Error","exitCode":)") +
                               code + "}}}]}"))
                  .find("exitCode"),
              std::string::npos)
        << code;
    EXPECT_NE(PodError(PodWith(std::string(R"(,"status":{"initContainerStatuses":[{"name":"m",
        "lastState":{"terminated":{"exitCode":)") +
                               code + "}}}]}"))
                  .find("lastState.terminated.exitCode"),
              std::string::npos)
        << code;
  }
  EXPECT_EQ(MustPod(PodWith(R"(,"status":{"containerStatuses":[{"name":"m",
      "state":{"terminated":{"exitCode":-2147483648}}}]})"))
                .containers[0]
                .exit_code,
            INT32_MIN);
  // Not an integer at all: a typed field with the wrong type, as for Jobs.
  EXPECT_NE(PodError(PodWith(R"(,"status":{"containerStatuses":[{"name":"m",
      "state":{"terminated":{"exitCode":"137"}}}]})"))
                .find("is not an integer"),
            std::string::npos);
  EXPECT_NE(PodError(PodWith(R"(,"status":{"containerStatuses":[{"name":"m",
      "state":{"terminated":{"exitCode":1.5}}}]})"))
                .find("is not an integer"),
            std::string::npos);
}

// restartCount is an int32 that only goes up: a negative one or one beyond int32 is no count.
// The pod is undecodable (a decode error), never a wrapped or clamped value that would count
// absurd restarts; the edges of the range decode as they are.
TEST(DecodePod, AbsurdRestartCountsAreDecodeErrors) {
  for (const char* count :
       {"-1", "-2147483648", "2147483648", "4294967297", "9223372036854775807"}) {
    for (const char* list : {"containerStatuses", "initContainerStatuses"}) {
      const std::string error =
          PodError(PodWith(std::string(R"(,"status":{")") + list +
                           R"(":[{"name":"m","restartCount":)" + count + "}]}"));
      EXPECT_NE(
          error.find(std::string(list) + "[].restartCount " + count + " is outside 0..2147483647"),
          std::string::npos)
          << list << " " << count << ": " << error;
    }
  }
  EXPECT_EQ(MustPod(PodWith(R"(,"status":{"containerStatuses":[{"name":"m",
      "restartCount":2147483647}]})"))
                .containers[0]
                .restart_count,
            INT32_MAX);
  EXPECT_EQ(MustPod(PodWith(R"(,"status":{"containerStatuses":[{"name":"m","restartCount":0},
      {"name":"n","restartCount":null}]})"))
                .containers[1]
                .restart_count,
            0);
  EXPECT_NE(PodError(PodWith(R"(,"status":{"containerStatuses":[{"name":"m",
      "restartCount":"3"}]})"))
                .find("is not an integer"),
            std::string::npos);
}

TEST(DecodePod, MalformedPodsAreDecodeErrors) {
  EXPECT_EQ(PodError(R"({"metadata":{"name":"p"}})"), "metadata.uid or metadata.name missing");
  EXPECT_NE(PodError(PodWith(R"(,"status":{"phase":7})")).find("status.phase"), std::string::npos);
  EXPECT_NE(
      PodError(PodWith(R"(,"status":{"containerStatuses":{"name":"m"}})")).find("is not an array"),
      std::string::npos);
  CoreWatchEvent ev;
  std::string error;
  EXPECT_FALSE(DecodeCoreWatchEvent(R"({"type":"ADDED","object":{"metadata":)", Resource::kPods,
                                    &ev, &error));
  EXPECT_FALSE(DecodeCoreWatchEvent("", Resource::kPods, &ev, &error));
  EXPECT_FALSE(DecodeCoreWatchEvent(Line("EXPLODED", PodWith("")), Resource::kPods, &ev, &error));
  EXPECT_NE(error.find("unknown watch event type"), std::string::npos);
}

TEST(DecodePod, BookmarkErrorAndDeleted) {
  CoreWatchEvent ev;
  std::string error;
  ASSERT_TRUE(DecodeCoreWatchEvent(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"99"}}})",
      Resource::kPods, &ev, &error))
      << error;
  EXPECT_EQ(ev.type, WatchEventType::kBookmark);
  EXPECT_EQ(ev.resource_version, "99");
  ASSERT_TRUE(DecodeCoreWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old"}})",
      Resource::kEvents, &ev, &error))
      << error;
  EXPECT_EQ(ev.type, WatchEventType::kError);
  EXPECT_EQ(ev.error_code, 410);
  EXPECT_EQ(ev.error_message, "too old");
  ASSERT_TRUE(DecodeCoreWatchEvent(Line("DELETED", PodWith("")), Resource::kPods, &ev, &error));
  EXPECT_EQ(ev.type, WatchEventType::kDeleted);
  EXPECT_EQ(ev.resource_version, "42");
  EXPECT_EQ(ev.pod.owner_job_uid, "j1");
}

constexpr char kEventHead[] =
    R"({"metadata":{"name":"backup.17a1","namespace":"ops","uid":"e1","resourceVersion":"5"},
        "involvedObject":{"kind":"CronJob","namespace":"ops","name":"backup","uid":"c1",
                          "apiVersion":"batch/v1","resourceVersion":"3"},
        "source":{"component":"cronjob-controller"},"reportingComponent":"cronjob-controller")";

std::string EventWith(const std::string& rest) { return kEventHead + rest + "}"; }

TEST(DecodeEvent, ReadsEveryFieldOfTheView) {
  Event e = MustEvent(EventWith(R"(,"type":"Warning","reason":"FailedCreate",
      "message":"Error creating: pods \"x\" is forbidden: exceeded quota: q","count":4,
      "firstTimestamp":"2023-03-28T10:40:00Z","lastTimestamp":"2023-03-28T10:45:00Z",
      "eventTime":null)"));
  EXPECT_EQ(e.uid, "e1");
  EXPECT_EQ(e.namespace_, "ops");
  EXPECT_EQ(e.name, "backup.17a1");
  EXPECT_EQ(e.resource_version, "5");
  EXPECT_EQ(e.involved_kind, "CronJob");
  EXPECT_EQ(e.involved_uid, "c1");
  EXPECT_EQ(e.involved_name, "backup");
  EXPECT_EQ(e.involved_namespace, "ops");
  EXPECT_EQ(e.type, "Warning");
  EXPECT_EQ(e.reason, "FailedCreate");
  EXPECT_EQ(e.message, "Error creating: pods \"x\" is forbidden: exceeded quota: q");
  EXPECT_EQ(e.count, 4);
  EXPECT_EQ(e.first_time, 1680000000);
  EXPECT_EQ(e.last_time, 1680000300);
}

// events.k8s.io writes series and eventTime (MicroTime) instead of count and the timestamps.
TEST(DecodeEvent, SeriesCountAndMicroTimes) {
  Event e = MustEvent(EventWith(R"(,"reason":"FailedCreate","count":0,
      "eventTime":"2023-03-28T10:40:00.123456Z",
      "series":{"count":7,"lastObservedTime":"2023-03-28T10:50:00.654321Z"})"));
  EXPECT_EQ(e.count, 7);
  EXPECT_EQ(e.first_time, 1680000000);
  EXPECT_EQ(e.last_time, 1680000600);
  // Malformed times are hints: absent, the event still counts.
  Event bad_time = MustEvent(EventWith(R"(,"firstTimestamp":"yesterday","lastTimestamp":5)"));
  EXPECT_FALSE(bad_time.first_time.has_value());
  EXPECT_FALSE(bad_time.last_time.has_value());
}

TEST(DecodeEvent, CountIsAtLeastOne) {
  const std::pair<const char*, int64_t> cases[] = {
      {"", 1},
      {R"(,"count":0)", 1},
      {R"(,"count":-3)", 1},
      {R"(,"count":null)", 1},
      {R"(,"count":12)", 12},
      {R"(,"count":12,"series":{"count":0})", 1},  // series present: its count decides
      {R"(,"count":2,"series":{"count":5})", 5},
      {R"(,"count":2,"series":{})", 2},
      {R"(,"count":2,"series":null)", 2},
  };
  for (const auto& [rest, want] : cases) {
    EXPECT_EQ(MustEvent(EventWith(rest)).count, want) << rest;
  }
}

TEST(DecodeEvent, LongMessagesAreCutOnACharacterBoundary) {
  const std::string mb(1 << 20, 'x');
  Event e = MustEvent(EventWith(R"(,"message":")" + mb + "\""));
  EXPECT_EQ(e.message.size(), batch::kMaxEventMessageBytes);
  // "é" is two bytes: one starting at kMax - 1 would be split, so it is dropped whole.
  std::string text(batch::kMaxEventMessageBytes - 1, 'a');
  text += "\xc3\xa9tail";
  Event cut = MustEvent(EventWith(R"(,"message":")" + text + "\""));
  EXPECT_EQ(cut.message, std::string(batch::kMaxEventMessageBytes - 1, 'a'));
  // A four-byte character ending exactly at the limit stays.
  std::string emoji(batch::kMaxEventMessageBytes - 4, 'b');
  emoji += "\xf0\x9f\x99\x82";
  EXPECT_EQ(MustEvent(EventWith(R"(,"message":")" + emoji + "zz\"")).message, emoji);
  std::string s = "h\xc3\xa9";
  TruncateUtf8(&s, 2);
  EXPECT_EQ(s, "h");
}

// An Event that cannot be tied to a Job or CronJob: decoded but skipped (the loop counts it
// as a decode error and the stream goes on); unknown kinds pass (the tracker ignores them).
TEST(DecodeEvent, MissingInvolvedObjectIsASkip) {
  for (const char* object :
       {R"({"metadata":{"name":"e","uid":"e1","namespace":"ops"},"reason":"FailedCreate"})",
        R"({"metadata":{"name":"e","uid":"e1"},"involvedObject":{},"reason":"X"})",
        R"({"metadata":{"name":"e","uid":"e1"},"involvedObject":null})",
        R"({"metadata":{"name":"e","uid":"e1"},"involvedObject":{"kind":"Job","name":"j"}})"}) {
    CoreWatchEvent ev;
    std::string error;
    ASSERT_TRUE(DecodeCoreWatchEvent(Line("ADDED", object), Resource::kEvents, &ev, &error))
        << object << ": " << error;
    EXPECT_NE(ev.skip.find("no involvedObject.uid"), std::string::npos) << object;
  }
  Event pod_event = MustEvent(
      R"({"metadata":{"name":"e","uid":"e1"},"involvedObject":{"kind":"Pod","uid":"p1"}})");
  EXPECT_EQ(pod_event.involved_kind, "Pod");
  CoreWatchEvent ev;
  std::string error;
  EXPECT_FALSE(DecodeCoreWatchEvent(
      Line("ADDED", R"({"metadata":{"name":"e","uid":"e1"},"involvedObject":"Job/x"})"),
      Resource::kEvents, &ev, &error));
  EXPECT_NE(error.find("involvedObject is not an object"), std::string::npos) << error;
  // With a resourceVersion the line is skipped and the stream goes on past it.
  for (const char* rest : {R"(,"count":"3")", R"(,"message":{"text":"x"})"}) {
    ASSERT_TRUE(
        DecodeCoreWatchEvent(Line("ADDED", EventWith(rest)), Resource::kEvents, &ev, &error))
        << rest;
    EXPECT_NE(ev.skip, "") << rest;
    EXPECT_EQ(ev.resource_version, "5");
  }
}

TEST(DecodeCoreList, PagesSkipAndCountBadItems) {
  CoreListPage page;
  std::string error;
  ASSERT_TRUE(DecodeCoreListPage(
      std::string(R"({"kind":"PodList","apiVersion":"v1",
        "metadata":{"resourceVersion":"77","continue":"c1","remainingItemCount":3},
        "items":[)") +
          PodWith("") + R"(,{"metadata":{"name":"no-uid"}},7,)" +
          PodWith(
              R"(,"status":{"containerStatuses":[{"state":{"terminated":{"exitCode":99999999999}}}]})") +
          "," + PodWith(R"(,"status":{"containerStatuses":[{"restartCount":-3}]})") + "]}",
      Resource::kPods, &page, &error))
      << error;
  EXPECT_EQ(page.resource_version, "77");
  EXPECT_EQ(page.continue_token, "c1");
  ASSERT_EQ(page.pods.size(), 1u);
  EXPECT_EQ(page.pods[0].owner_job_uid, "j1");
  EXPECT_EQ(page.bad_items, 4);
  EXPECT_EQ(page.first_item_error, "metadata.uid or metadata.name missing");

  CoreListPage events;
  ASSERT_TRUE(DecodeCoreListPage(
      std::string(R"({"kind":"EventList","metadata":{"resourceVersion":"8"},"items":[)") +
          EventWith(R"(,"count":3)") +
          R"(,{"metadata":{"name":"lost","uid":"e9"},"reason":"FailedCreate"}]})",
      Resource::kEvents, &events, &error))
      << error;
  ASSERT_EQ(events.events.size(), 1u);
  EXPECT_EQ(events.events[0].count, 3);
  EXPECT_EQ(events.bad_items, 1);
  EXPECT_NE(events.first_item_error.find("no involvedObject.uid"), std::string::npos);

  EXPECT_FALSE(DecodeCoreListPage("[1,2]", Resource::kPods, &page, &error));
  EXPECT_FALSE(DecodeCoreListPage(R"({"items":{}})", Resource::kEvents, &page, &error));
}

// The same documents through nlohmann: the fields the view keeps agree (a reference reading
// written from the API schema, independent of the field cursor).
Pod ReferencePod(const json& o) {
  Pod p;
  const json& md = o.value("metadata", json::object());
  p.uid = md.value("uid", "");
  p.name = md.value("name", "");
  p.namespace_ = md.value("namespace", "");
  p.resource_version = md.value("resourceVersion", "");
  for (const json& r : md.value("ownerReferences", json::array())) {
    if (!r.value("controller", false)) continue;
    if (r.value("kind", "") == "Job" && r.value("apiVersion", "").rfind("batch/", 0) == 0) {
      p.owner_job_uid = r.value("uid", "");
      p.owner_job_name = r.value("name", "");
    }
    break;
  }
  p.restart_on_failure = o.value("spec", json::object()).value("restartPolicy", "") == "OnFailure";
  const json& st = o.value("status", json::object());
  p.status_reason = st.value("reason", "");
  for (const json& c : st.value("conditions", json::array())) {
    if (c.value("type", "") == "DisruptionTarget" && c.value("status", "") == "True")
      p.disruption_reason = c.value("reason", "");
    if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False")
      p.unscheduled_reason = c.value("reason", "");
  }
  auto read = [](const json& list, std::vector<ContainerStatus>* out) {
    for (const json& c : list) {
      ContainerStatus s;
      s.name = c.value("name", "");
      s.restart_count = c.value("restartCount", 0);
      const json& state = c.value("state", json::object());
      s.waiting = state.contains("waiting") && state["waiting"].is_object();
      if (s.waiting) s.waiting_reason = state["waiting"].value("reason", "");
      s.running = state.contains("running") && state["running"].is_object();
      s.terminated = state.contains("terminated") && state["terminated"].is_object();
      if (s.terminated) {
        s.terminated_reason = state["terminated"].value("reason", "");
        s.exit_code = state["terminated"].value("exitCode", 0);
      }
      const json& last = c.value("lastState", json::object());
      s.last_terminated = last.contains("terminated") && last["terminated"].is_object();
      if (s.last_terminated) {
        s.last_terminated_reason = last["terminated"].value("reason", "");
        s.last_exit_code = last["terminated"].value("exitCode", 0);
      }
      out->push_back(s);
    }
  };
  read(st.value("initContainerStatuses", json::array()), &p.init_containers);
  read(st.value("containerStatuses", json::array()), &p.containers);
  return p;
}

void ExpectSame(const ContainerStatus& a, const ContainerStatus& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.waiting, b.waiting);
  EXPECT_EQ(a.waiting_reason, b.waiting_reason);
  EXPECT_EQ(a.running, b.running);
  EXPECT_EQ(a.terminated, b.terminated);
  EXPECT_EQ(a.terminated_reason, b.terminated_reason);
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.last_terminated, b.last_terminated);
  EXPECT_EQ(a.last_terminated_reason, b.last_terminated_reason);
  EXPECT_EQ(a.last_exit_code, b.last_exit_code);
  EXPECT_EQ(a.restart_count, b.restart_count);
}

TEST(DecodePod, AgreesWithNlohmann) {
  const std::string docs[] = {
      PodWith(""),
      PodWith(R"(,"spec":{"restartPolicy":"OnFailure"},"status":{"phase":"Running",
          "containerStatuses":[{"name":"a","restartCount":2,"state":{"running":{}},
          "lastState":{"terminated":{"reason":"OOMKilled","exitCode":137}}}]})"),
      PodWith(R"(,"status":{"phase":"Pending","conditions":[{"type":"PodScheduled",
          "status":"False","reason":"SchedulingGated"}],"initContainerStatuses":[{"name":"i",
          "state":{"waiting":{"reason":"PodInitializing"}}}],"containerStatuses":[{"name":"m",
          "state":{"waiting":{}}}]})"),
      PodWith(R"(,"status":{"phase":"Failed","reason":"DeadlineExceeded","conditions":[
          {"type":"DisruptionTarget","status":"True","reason":"DeletionByTaintManager"}],
          "containerStatuses":[{"name":"m","state":{"terminated":{"exitCode":143,
          "reason":"Error"}}},{"name":"n","state":{"terminated":{"exitCode":0}}}]})"),
      R"({"metadata":{"uid":"u","name":"n","ownerReferences":[{"apiVersion":"batch/v1",
          "kind":"Job","uid":"j","name":"jn"}]},"status":{"reason":"NodeLost"}})",
  };
  for (const std::string& doc : docs) {
    Pod got = MustPod(doc);
    Pod want = ReferencePod(json::parse(doc));
    EXPECT_EQ(got.uid, want.uid);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.namespace_, want.namespace_);
    EXPECT_EQ(got.resource_version, want.resource_version);
    EXPECT_EQ(got.owner_job_uid, want.owner_job_uid) << doc;
    EXPECT_EQ(got.owner_job_name, want.owner_job_name);
    EXPECT_EQ(got.restart_on_failure, want.restart_on_failure);
    EXPECT_EQ(got.status_reason, want.status_reason);
    EXPECT_EQ(got.disruption_reason, want.disruption_reason);
    EXPECT_EQ(got.unscheduled_reason, want.unscheduled_reason);
    ASSERT_EQ(got.init_containers.size(), want.init_containers.size());
    ASSERT_EQ(got.containers.size(), want.containers.size());
    for (size_t i = 0; i < got.init_containers.size(); ++i) {
      ExpectSame(got.init_containers[i], want.init_containers[i]);
    }
    for (size_t i = 0; i < got.containers.size(); ++i) {
      ExpectSame(got.containers[i], want.containers[i]);
    }
  }
}

}  // namespace
}  // namespace batchwatch::kube
