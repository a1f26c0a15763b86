// The list/watch state machine against a scripted transport and a fake clock: each case is a
// script of answers and the requests and sleeps the loop must produce.
#include "kube/watch_loop.h"

#include <gtest/gtest.h>

#include <deque>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "kube/batch_kinds.h"

namespace batchwatch::kube {
namespace {

// Time stands still except when the loop sleeps or a scripted call takes time.
class FakeEnv : public LoopEnv {
 public:
  double now = 1000;
  double random = 0;  // Uniform01: 0 = no jitter, the shortest watch timeout
  bool stopped = false;
  std::vector<double> sleeps;
  double MonotonicSeconds() override { return now; }
  double WallSeconds() override { return 1.7e9 + now; }
  bool SleepFor(double s) override {
    sleeps.push_back(s);
    now += s;
    return stopped;
  }
  bool Stopped() const override { return stopped; }
  double Uniform01() override { return random; }
};

struct Step {
  bool watch = false;
  long status = 200;
  double retry_after = -1;
  std::string body;                // list: the page
  std::vector<std::string> lines;  // watch: the stream
  double seconds = 0;              // how long the call takes on the fake clock
  bool ended_inside_line = false;
  size_t line_cap_exceeded = 0;
};

Step Page(std::string body) {
  Step s;
  s.body = std::move(body);
  return s;
}
Step ListStatus(long status, double retry_after = -1) {
  Step s;
  s.status = status;
  s.retry_after = retry_after;
  s.body = "{\"kind\":\"Status\",\"code\":" + std::to_string(status) + "}";
  return s;
}
// A watch the server ends after its timeout (300 s: Uniform01 0).
Step Stream(std::vector<std::string> lines, double seconds = 300) {
  Step s;
  s.watch = true;
  s.lines = std::move(lines);
  s.seconds = seconds;
  return s;
}
Step WatchStatus(long status, double retry_after = -1) {
  Step s;
  s.watch = true;
  s.status = status;
  s.retry_after = retry_after;
  return s;
}

// Plays the script; when it runs out, the loop is stopped (the answer is an abort).
class FakeTransport : public Transport {
 public:
  FakeTransport(FakeEnv* env, std::vector<Step> script)
      : env_(env), script_(script.begin(), script.end()) {}
  std::vector<std::string> paths;

  HttpResponse ListPage(const std::string& path, std::string* body) override {
    paths.push_back(path);
    Step s;
    if (!Next(false, &s)) return Aborted();
    *body = s.status == 200 ? s.body : "";
    HttpResponse r = Answer(s);
    if (s.status != 200) r.body = s.body;
    return r;
  }

  WatchResponse Watch(const std::string& path, double,
                      const std::function<bool(std::string_view)>& on_line) override {
    paths.push_back(path);
    Step s;
    WatchResponse r;
    if (!Next(true, &s)) {
      static_cast<HttpResponse&>(r) = Aborted();
      return r;
    }
    static_cast<HttpResponse&>(r) = Answer(s);
    if (s.status == 200) {
      for (const auto& line : s.lines) {
        if (!on_line(line)) {
          r.aborted = true;
          break;
        }
      }
    }
    r.ended_inside_line = s.ended_inside_line;
    r.line_cap_exceeded = s.line_cap_exceeded;
    return r;
  }

 private:
  bool Next(bool watch, Step* s) {
    if (script_.empty()) {
      env_->stopped = true;
      return false;
    }
    *s = script_.front();
    script_.pop_front();
    EXPECT_EQ(s->watch, watch) << "the loop sent a " << (watch ? "watch" : "list")
                               << " where the script expected the other";
    env_->now += s->seconds;
    return true;
  }
  HttpResponse Answer(const Step& s) {
    HttpResponse r;
    r.status = s.status;
    r.retry_after = s.retry_after;
    return r;
  }
  HttpResponse Aborted() {
    HttpResponse r;
    r.aborted = true;
    return r;
  }
  FakeEnv* env_;
  std::deque<Step> script_;
};

std::string JobJson(const std::string& uid, const std::string& rv) {
  return R"({"metadata":{"name":"job-)" + uid + R"(","namespace":"a","uid":")" + uid +
         R"(","resourceVersion":")" + rv + R"("}})";
}
std::string List(const std::string& rv, const std::string& continue_token,
                 const std::vector<std::string>& items) {
  std::string out =
      R"({"kind":"JobList","apiVersion":"batch/v1","metadata":{"resourceVersion":")" + rv + "\"";
  if (!continue_token.empty()) out += R"(,"continue":")" + continue_token + "\"";
  out += R"(},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}
std::string Event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}";
}
std::string Added(const std::string& uid, const std::string& rv) {
  return Event("ADDED", JobJson(uid, rv));
}
std::string Bookmark(const std::string& rv) {
  return Event(
      "BOOKMARK",
      R"({"kind":"Job","apiVersion":"batch/v1","metadata":{"resourceVersion":")" + rv + R"("}})");
}
std::string ErrorEvent(int code) {
  return Event("ERROR", R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":)" +
                            std::to_string(code) + R"(,"reason":"Expired","message":"too old"})");
}

// "list", "list continue=c1", "watch rv=10" (the timeout is checked separately).
std::string Short(const std::string& path) {
  auto param = [&](const std::string& key) -> std::string {
    auto at = path.find("&" + key + "=");
    if (at == std::string::npos) at = path.find("?" + key + "=");
    if (at == std::string::npos) return "";
    auto begin = at + key.size() + 2;
    return path.substr(begin, path.find('&', begin) - begin);
  };
  if (path.find("watch=1") != std::string::npos) return "watch rv=" + param("resourceVersion");
  std::string c = param("continue");
  return c.empty() ? "list" : "list continue=" + c;
}

class CountingSink : public EventSink {
 public:
  std::map<std::string, std::string> jobs;  // uid -> rv
  int vanished = 0;
  void OnJobUpsert(const Job& j) override { jobs[j.uid] = j.resource_version; }
  void OnJobDelete(const Job& j) override { jobs.erase(j.uid); }
  void OnJobVanished(const VanishedObject& v) override {
    jobs.erase(v.uid);
    ++vanished;
  }
  void OnCronJobUpsert(const CronJob&) override {}
  void OnCronJobDelete(const CronJob&) override {}
  void OnCronJobVanished(const VanishedObject&) override {}
  void OnSynced(Resource) override {}
};

struct LoopRun {
  FakeEnv env;
  CountingSink sink;
  ObjectStore store{&sink};
  DecodeOptions decode;
  std::set<std::string> excluded;
  ResourceKind jobs = BatchKind(Resource::kJobs, &store, &decode, &excluded);
  WatchStats stats;
  std::vector<std::string> requests;
  int lists = 0;

  explicit LoopRun(std::vector<Step> script, double random = 0) {
    env.random = random;
    FakeTransport transport(&env, std::move(script));
    WatchLoop loop(WatchTarget{&jobs, "", "", ""}, WatchLoopOptions(), &transport, &env, &stats,
                   [this] { ++lists; });
    loop.Run();
    for (const auto& p : transport.paths) requests.push_back(Short(p));
  }
  uint64_t restarts(RestartReason r) const { return stats.restarts[static_cast<int>(r)]; }
};

struct Case {
  const char* name;
  std::vector<Step> script;
  std::vector<std::string> requests;  // the script's end stops the loop at the last one
  std::vector<double> sleeps;
  double random = 0;
};

TEST(WatchLoop, Table) {
  const std::string page = List("10", "", {JobJson("u1", "5")});
  const Case cases[] = {
      {"200, 200, 410 -> relist",
       {Page(page), Stream({Added("u2", "11")}), WatchStatus(410), Page(List("20", "", {}))},
       {"list", "watch rv=10", "watch rv=11", "list", "watch rv=20"},
       {}},
      {"429 with Retry-After: 7 -> waits 7 s on the fake clock",
       {ListStatus(429, 7), Page(page)},
       {"list", "list", "watch rv=10"},
       {7}},
      {"503 with Retry-After beyond 10 minutes -> waits 10 minutes",
       {ListStatus(503, 86400), Page(page)},
       {"list", "list", "watch rv=10"},
       {600}},
      {"403 ignores Retry-After -> backoff",
       {ListStatus(403, 7), Page(page)},
       {"list", "list", "watch rv=10"},
       {0.8}},
      {"expired continue token -> full relist",
       {Page(List("", "c1", {JobJson("u1", "5")})), ListStatus(410),
        Page(List("", "c2", {JobJson("u1", "6")})), Page(List("30", "", {JobJson("u3", "7")}))},
       {"list", "list continue=c1", "list", "list continue=c2", "watch rv=30"},
       {}},
      {"ERROR event 410 in the stream -> relist from scratch",
       {Page(page), Stream({Added("u2", "11"), ErrorEvent(410), Added("u3", "12")}),
        Page(List("40", "", {}))},
       {"list", "watch rv=10", "list", "watch rv=40"},
       {}},
      {"ERROR event 500 in the stream -> backoff, watch again from the last RV",
       {Page(page), Stream({Added("u2", "11"), ErrorEvent(500)}), Stream({})},
       {"list", "watch rv=10", "watch rv=11", "watch rv=11"},
       {0.8}},
      {"decode error line -> stream restarted from the last RV",
       {Page(page), Stream({Added("u2", "11"), "{not json", Added("u3", "12")})},
       {"list", "watch rv=10", "watch rv=11"},
       {0.8}},
      {"undecodable Job in a well-formed event -> skipped, the stream goes on",
       {Page(page),
        Stream({Added("u2", "11"),
                Event("ADDED", R"({"metadata":{"name":"j","uid":"u3","resourceVersion":"12"},)"
                               R"("spec":{"completions":1.5}})"),
                Added("u4", "13")})},
       {"list", "watch rv=10", "watch rv=13"},
       {}},
      {"bookmark updates RV",
       {Page(page), Stream({Bookmark("15")})},
       {"list", "watch rv=10", "watch rv=15"},
       {}},
      {"a watch that closes at once with nothing in it is a failure",
       {Page(page), Stream({}, 0)},
       {"list", "watch rv=10", "watch rv=10"},
       {0.8}},
      {"500 x 8 -> backoff doubling with jitter up to the cap",
       {ListStatus(500), ListStatus(500), ListStatus(500), ListStatus(500), ListStatus(500),
        ListStatus(500), ListStatus(500), ListStatus(500), Page(page)},
       {"list", "list", "list", "list", "list", "list", "list", "list", "list", "watch rv=10"},
       // 0.8 * 2^n times jitter 1.25 (Uniform01 0.5), capped at 30
       {1, 2, 4, 8, 16, 30, 30, 30},
       0.5},
      {"backoff resets after a healthy period",
       {ListStatus(500), ListStatus(500), ListStatus(500), Page(page), Stream({}, 200),
        WatchStatus(500), WatchStatus(500)},
       {"list", "list", "list", "list", "watch rv=10", "watch rv=10", "watch rv=10", "watch rv=10"},
       {0.8, 1.6, 3.2, 0.8, 1.6}},
      {"list page that is not JSON -> counted, backoff, list again",
       {Page("<html>"), Page(page)},
       {"list", "list", "watch rv=10"},
       {0.8}},
  };
  for (const auto& c : cases) {
    LoopRun run(c.script, c.random);
    EXPECT_EQ(run.requests, c.requests) << c.name;
    ASSERT_EQ(run.env.sleeps.size(), c.sleeps.size()) << c.name;
    for (size_t i = 0; i < c.sleeps.size(); ++i) {
      EXPECT_NEAR(run.env.sleeps[i], c.sleeps[i], 1e-9) << c.name << " sleep " << i;
    }
  }
}

TEST(WatchLoop, RelistOn410ReplacesTheStoreAndCountsGone) {
  LoopRun run({Page(List("10", "", {JobJson("u1", "5"), JobJson("u2", "5")})),
               Stream({Added("u3", "11")}), WatchStatus(410),
               Page(List("20", "", {JobJson("u1", "5"), JobJson("u3", "11")}))});
  EXPECT_EQ(run.sink.jobs, (std::map<std::string, std::string>{{"u1", "5"}, {"u3", "11"}}));
  EXPECT_EQ(run.sink.vanished, 1);  // u2 was deleted while the watch was gone
  EXPECT_EQ(run.lists, 2);
  EXPECT_EQ(run.restarts(RestartReason::kTimeout), 1u);
  EXPECT_EQ(run.restarts(RestartReason::kGone), 1u);
  EXPECT_EQ(run.stats.events[static_cast<int>(WatchEventType::kAdded)], 1u);
  auto requests = run.stats.Requests();
  EXPECT_EQ((requests[{"list", "200"}]), 2u);
  EXPECT_EQ((requests[{"watch", "200"}]), 1u);
  EXPECT_EQ((requests[{"watch", "410"}]), 1u);
}

TEST(WatchLoop, ExpiredContinueTokenKeepsNoItemsOfTheAbandonedList) {
  LoopRun run({Page(List("", "c1", {JobJson("stale", "1")})), ListStatus(410),
               Page(List("30", "", {JobJson("u1", "2")}))});
  EXPECT_EQ(run.sink.jobs, (std::map<std::string, std::string>{{"u1", "2"}}));
  EXPECT_EQ(run.lists, 1);
}

TEST(WatchLoop, FourExpiredContinueTokensInARowAreAFailure) {
  const Step first = Page(List("", "c1", {}));
  LoopRun run({first, ListStatus(410), first, ListStatus(410), first, ListStatus(410), first,
               ListStatus(410), Page(List("9", "", {}))});
  EXPECT_EQ(run.env.sleeps, (std::vector<double>{0.8}));
  EXPECT_EQ(run.lists, 1);
}

TEST(WatchLoop, DecodeErrorsAreCountedAndTheStreamRestarts) {
  LoopRun run({Page(List("10", "", {JobJson("u1", "5"), R"({"metadata":{"name":"no-uid"}})"})),
               Stream({Added("u2", "11"), "{not json"}), Stream({Added("u3", "12")})});
  EXPECT_EQ(run.stats.decode_errors, 2u);  // the list item and the line
  EXPECT_EQ(run.restarts(RestartReason::kError), 1u);
  EXPECT_EQ(run.sink.jobs.size(), 3u);
  EXPECT_EQ(run.requests.back(), "watch rv=12");
}

// A Job event that is a well-formed watch event but whose object cannot be decoded (a field of
// the wrong type): counted and skipped, and the stream goes on past it. Reopening from the last
// good version (what the loop did) made the server deliver the same event again, forever.
TEST(WatchLoop, UndecodableJobBetweenGoodOnesIsSkippedWithoutReopening) {
  const std::string bad =
      Event("MODIFIED",
            R"({"metadata":{"name":"job-u1","namespace":"a","uid":"u1","resourceVersion":"11"},)"
            R"("status":{"active":"2"}})");
  LoopRun run({Page(List("10", "", {JobJson("u1", "5")})),
               Stream({Added("u2", "11"), bad, Event("MODIFIED", JobJson("u1", "12"))})});
  EXPECT_EQ(run.stats.decode_errors, 1u);
  EXPECT_EQ(run.restarts(RestartReason::kError), 0u);
  EXPECT_EQ(run.restarts(RestartReason::kTimeout), 1u);
  // The later good update of the same Job is applied: the skipped one left u1 at 5 until then.
  EXPECT_EQ(run.sink.jobs, (std::map<std::string, std::string>{{"u1", "12"}, {"u2", "11"}}));
  EXPECT_EQ(run.requests, (std::vector<std::string>{"list", "watch rv=10", "watch rv=12"}));
  EXPECT_TRUE(run.env.sleeps.empty());
  // The skipped line is still a watch event handled (it is counted by type).
  EXPECT_EQ(run.stats.events[static_cast<int>(WatchEventType::kModified)], 2u);
}

// When the skipped event is the last one, the next watch starts after it, not before it.
TEST(WatchLoop, TheResourceVersionAdvancesPastASkippedJob) {
  const std::string bad = Event(
      "ADDED", R"({"metadata":{"name":"job-u2","namespace":"a","uid":"u2","resourceVersion":"11"},)"
               R"("spec":{"backoffLimit":"6"}})");
  LoopRun run({Page(List("10", "", {})), Stream({bad})});
  EXPECT_EQ(run.stats.decode_errors, 1u);
  EXPECT_TRUE(run.sink.jobs.empty());
  EXPECT_EQ(run.requests, (std::vector<std::string>{"list", "watch rv=10", "watch rv=11"}));
  EXPECT_EQ(run.restarts(RestartReason::kError), 0u);
}

// A DELETED event whose object cannot be decoded still deletes: the Job is reported as vanished
// (as a relist that no longer shows it would) instead of staying active until the next relist.
// Without a readable uid there is nothing to delete and the Job stays.
TEST(WatchLoop, AnUndecodableDeletedJobVanishes) {
  const std::string bad =
      Event("DELETED",
            R"({"metadata":{"name":"job-u1","namespace":"a","uid":"u1","resourceVersion":"11"},)"
            R"("status":{"active":"2"}})");
  LoopRun run({Page(List("10", "", {JobJson("u1", "5"), JobJson("u2", "6")})), Stream({bad})});
  EXPECT_EQ(run.stats.decode_errors, 1u);
  EXPECT_EQ(run.sink.jobs, (std::map<std::string, std::string>{{"u2", "6"}}));
  EXPECT_EQ(run.sink.vanished, 1);
  EXPECT_EQ(run.requests, (std::vector<std::string>{"list", "watch rv=10", "watch rv=11"}));

  const std::string no_uid =
      Event("DELETED",
            R"({"metadata":{"name":"job-u1","namespace":"a","uid":7,"resourceVersion":"11"}})");
  LoopRun kept({Page(List("10", "", {JobJson("u1", "5")})), Stream({no_uid})});
  EXPECT_EQ(kept.stats.decode_errors, 1u);
  EXPECT_EQ(kept.sink.jobs, (std::map<std::string, std::string>{{"u1", "5"}}));
  EXPECT_EQ(kept.sink.vanished, 0);
}

// A line that is not a watch event at all still reopens the stream from the last good version,
// and so does an undecodable object without a resourceVersion (nothing to go on past).
TEST(WatchLoop, LinesThatAreNotWatchEventsStillReopen) {
  for (const std::string& line :
       {std::string("{not json"), std::string(R"({"type":"ADDED","object":{"metadata":)"),
        std::string(R"({"type":"ADDED"})"), std::string(R"({"type":"SYNC","object":{}})"),
        Event("ADDED", R"({"metadata":{"name":"job-u3","uid":"u3"},"status":{"active":"2"}})")}) {
    LoopRun run({Page(List("10", "", {})), Stream({Added("u2", "11"), line, Added("u4", "13")}),
                 Stream({})});
    EXPECT_EQ(run.stats.decode_errors, 1u) << line;
    EXPECT_EQ(run.restarts(RestartReason::kError), 1u) << line;
    EXPECT_EQ(run.sink.jobs, (std::map<std::string, std::string>{{"u2", "11"}})) << line;
    EXPECT_EQ(run.requests,
              (std::vector<std::string>{"list", "watch rv=10", "watch rv=11", "watch rv=11"}))
        << line;
  }
}

TEST(WatchLoop, CutAndTruncatedLinesAreDecodeErrors) {
  Step too_long = Stream({Added("u2", "11")});
  too_long.line_cap_exceeded = 64;
  Step truncated = Stream({});
  truncated.ended_inside_line = true;
  LoopRun run({Page(List("10", "", {})), too_long, truncated});
  EXPECT_EQ(run.stats.decode_errors, 2u);
  EXPECT_EQ(run.restarts(RestartReason::kError), 2u);
  EXPECT_EQ(run.requests,
            (std::vector<std::string>{"list", "watch rv=10", "watch rv=11", "watch rv=11"}));
}

TEST(WatchLoop, EventsAndBookmarksStampTheLastEventTime) {
  LoopRun run({Page(List("10", "", {})), Stream({Bookmark("11")}, 300)});
  EXPECT_EQ(run.stats.events[static_cast<int>(WatchEventType::kBookmark)], 1u);
  EXPECT_DOUBLE_EQ(run.stats.last_event_seconds, 1.7e9 + 1300);  // the fake call ran 300 s
}

// A fake kind that reads "rv|continue" pages and "TYPE rv" lines: enough to see the requests.
class LineKind : public KindHandler {
 public:
  bool AddListPage(std::string_view body, ListPageMeta* meta, std::string*) override {
    auto bar = body.find('|');
    meta->resource_version = std::string(body.substr(0, bar));
    meta->continue_token = std::string(body.substr(bar + 1));
    return true;
  }
  void StartList() override {}
  void CommitList() override {}
  bool ApplyWatchLine(std::string_view line, WatchLineMeta* meta, std::string*) override {
    meta->type = WatchEventType::kBookmark;
    meta->resource_version = std::string(line.substr(line.find(' ') + 1));
    return true;
  }
};

std::vector<std::string> Paths(const WatchTarget& target, std::vector<Step> script,
                               double random = 0) {
  FakeEnv env;
  env.random = random;
  WatchStats stats;
  FakeTransport transport(&env, std::move(script));
  WatchLoop loop(target, WatchLoopOptions(), &transport, &env, &stats);
  loop.Run();
  return transport.paths;
}

// Pods of Jobs and Events about Jobs are a descriptor and a selector each.
TEST(WatchLoop, SelectorsAndScopeAreEncodedInEveryRequest) {
  const ResourceKind pods{"pods", "/api/v1",
                          [](const std::string&) { return std::make_unique<LineKind>(); }};
  const ResourceKind events{"events", "/api/v1",
                            [](const std::string&) { return std::make_unique<LineKind>(); }};
  EXPECT_EQ(Paths(WatchTarget{&pods, "team-a", "job-name", ""},
                  {Page("|a b/c=="), Page("7|"), Stream({"BOOKMARK 8"})}),
            (std::vector<std::string>{
                "/api/v1/namespaces/team-a/pods?limit=500&labelSelector=job-name",
                "/api/v1/namespaces/team-a/"
                "pods?limit=500&continue=a%20b%2Fc%3D%3D&labelSelector=job-name",
                "/api/v1/namespaces/team-a/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=300"
                "&resourceVersion=7&labelSelector=job-name",
                "/api/v1/namespaces/team-a/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=300"
                "&resourceVersion=8&labelSelector=job-name"}));
  EXPECT_EQ(
      Paths(WatchTarget{&events, "", "", "involvedObject.kind=Job"}, {Page("3|")}),
      (std::vector<std::string>{"/api/v1/events?limit=500&fieldSelector=involvedObject.kind%3DJob",
                                "/api/v1/events?watch=1&allowWatchBookmarks=true&timeoutSeconds=300"
                                "&resourceVersion=3&fieldSelector=involvedObject.kind%3DJob"}));
  EXPECT_EQ(Paths(WatchTarget{&pods, "", "job-name in (a,b),!x", "status.phase!=Running"},
                  {Page("1|")})[0],
            "/api/v1/pods?limit=500&labelSelector=job-name%20in%20%28a%2Cb%29%2C%21x"
            "&fieldSelector=status.phase%21%3DRunning");
}

TEST(WatchLoop, WatchTimeoutsAreRandomInTheConfiguredRange) {
  const ResourceKind pods{"pods", "/api/v1",
                          [](const std::string&) { return std::make_unique<LineKind>(); }};
  for (auto [random, timeout] :
       std::vector<std::pair<double, std::string>>{{0, "300"}, {0.5, "450"}, {0.999999, "600"}}) {
    auto paths = Paths(WatchTarget{&pods, "", "", ""}, {Page("1|")}, random);
    ASSERT_EQ(paths.size(), 2u);
    EXPECT_NE(paths[1].find("timeoutSeconds=" + timeout + "&"), std::string::npos)
        << random << " " << paths[1];
  }
}

// Always 500 with a long Retry-After: the loop sleeps for an hour unless Stop() wakes it.
class FailingTransport : public Transport {
 public:
  HttpResponse ListPage(const std::string&, std::string*) override {
    HttpResponse r;
    r.status = 500;
    r.retry_after = 3600;
    return r;
  }
  WatchResponse Watch(const std::string&, double,
                      const std::function<bool(std::string_view)>&) override {
    return WatchResponse();
  }
};

// The real environment, telling when the loop has begun to sleep.
class SignallingEnv : public RealLoopEnv {
 public:
  std::promise<void> sleeping;
  bool SleepFor(double seconds) override {
    if (!signalled_) {
      signalled_ = true;
      sleeping.set_value();
    }
    return RealLoopEnv::SleepFor(seconds);
  }

 private:
  bool signalled_ = false;
};

TEST(WatchLoop, StopInterruptsASleepingBackoff) {
  SignallingEnv env;
  FailingTransport transport;
  WatchStats stats;
  const ResourceKind pods{"pods", "/api/v1",
                          [](const std::string&) { return std::make_unique<LineKind>(); }};
  WatchLoop loop(WatchTarget{&pods, "", "", ""}, WatchLoopOptions(), &transport, &env, &stats);
  auto started = env.sleeping.get_future();
  auto done = std::async(std::launch::async, [&] { loop.Run(); });
  started.wait();
  env.Stop();
  // Not a performance bound: without the wake-up the loop would sleep for an hour.
  EXPECT_EQ(done.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(env.RealLoopEnv::SleepFor(3600));  // stopped: returns at once
}

}  // namespace
}  // namespace batchwatch::kube
