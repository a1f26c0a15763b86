// Pods and Events in the store (dedupe, relist vanish, the two Event selectors kept apart) and
// through the watch loop (URLs, skipped Events, the 403 degradation path).
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <set>

#include "kube/core_kinds.h"
#include "kube/store.h"
#include "kube/watch_loop.h"

namespace batchwatch::kube {
namespace {

class CoreSink : public EventSink {
 public:
  std::vector<std::string> log;
  void OnJobUpsert(const Job&) override {}
  void OnJobDelete(const Job&) override {}
  void OnJobVanished(const VanishedObject&) override {}
  void OnCronJobUpsert(const CronJob&) override {}
  void OnCronJobDelete(const CronJob&) override {}
  void OnCronJobVanished(const VanishedObject&) override {}
  void OnPodUpsert(const Pod& p) override {
    log.push_back("pod upsert " + p.name + "@" + p.resource_version);
  }
  void OnPodDelete(const Pod& p) override { log.push_back("pod delete " + p.name); }
  void OnPodVanished(const VanishedObject& v) override {
    log.push_back("pod vanished " + v.uid + " in " + v.namespace_ + " of " + v.owner_job_uid);
  }
  void OnEventUpsert(const Event& e) override {
    log.push_back("event upsert " + e.name + "@" + e.resource_version + " x" +
                  std::to_string(e.count));
  }
  void OnEventDelete(const Event& e) override { log.push_back("event delete " + e.name); }
  void OnEventVanished(const VanishedObject& v) override {
    log.push_back("event vanished " + v.uid + " in " + v.namespace_);
  }
  void OnSynced(Resource) override {}
};

Pod P(const std::string& uid, const std::string& ns, const std::string& rv,
      const std::string& job_uid) {
  Pod p;
  p.uid = uid;
  p.name = "pod-" + uid;
  p.namespace_ = ns;
  p.resource_version = rv;
  p.owner_job_uid = job_uid;
  return p;
}

Event E(const std::string& uid, const std::string& ns, const std::string& rv,
        const std::string& kind) {
  Event e;
  e.uid = uid;
  e.name = "ev-" + uid;
  e.namespace_ = ns;
  e.resource_version = rv;
  e.involved_kind = kind;
  e.involved_uid = "x-" + uid;
  return e;
}

// A streamed list of one scope, page by page.
void RelistPods(ObjectStore* store, const std::string& scope, std::vector<std::vector<Pod>> pages) {
  const ObjectStore::ListId list = store->BeginList();
  for (auto& page : pages) store->UpsertListed(list, std::move(page));
  store->EndList(list, Resource::kPods, scope, "");
}
void RelistEvents(ObjectStore* store, const std::string& scope, const std::string& selector,
                  std::vector<std::vector<Event>> pages) {
  const ObjectStore::ListId list = store->BeginList();
  for (auto& page : pages) store->UpsertListed(list, selector, std::move(page));
  store->EndList(list, Resource::kEvents, scope, selector);
}

TEST(CoreStore, PodsDedupeDeleteAndVanishWithTheirJob) {
  CoreSink sink;
  std::map<Resource, size_t> sizes;
  ObjectStore store(&sink, [&](Resource r, size_t n) { sizes[r] = n; });
  store.Upsert(P("p1", "a", "1", "j1"));
  store.Upsert(P("p1", "a", "1", "j1"));  // same resourceVersion: nothing
  store.Upsert(P("p1", "a", "2", "j1"));
  store.Upsert(P("p2", "b", "3", "j2"));
  store.Upsert(P("p3", "a", "4", ""));
  EXPECT_EQ(sizes[Resource::kPods], 3u);
  store.Delete(P("p3", "a", "5", ""));
  store.Delete(P("zz", "a", "5", ""));  // unknown: nothing
  // Namespace a relists without p1: vanished with its owner Job; b untouched.
  RelistPods(&store, "a", {{P("p4", "a", "6", "j4")}});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"pod upsert pod-p1@1", "pod upsert pod-p1@2",
                                                "pod upsert pod-p2@3", "pod upsert pod-p3@4",
                                                "pod delete pod-p3", "pod upsert pod-p4@6",
                                                "pod vanished p1 in a of j1"}));
  EXPECT_EQ(store.Size(Resource::kPods), 2u);
  EXPECT_EQ(store.Size(Resource::kJobs), 0u);
  VanishedObject kept;
  std::string rv;
  ASSERT_TRUE(store.Find(Resource::kPods, "p2", &kept, &rv));
  EXPECT_EQ(kept.owner_job_uid, "j2");
  EXPECT_EQ(kept.namespace_, "b");
  EXPECT_EQ(rv, "3");
}

// Two watches (involvedObject.kind=Job and =CronJob) share the resource: a relist of one must
// not vanish the other's Events, in one namespace or in all.
TEST(CoreStore, EventSelectorsRelistApart) {
  CoreSink sink;
  ObjectStore store(&sink);
  const std::string jobs = EventFieldSelector("Job"), cronjobs = EventFieldSelector("CronJob");
  store.Upsert(E("e1", "a", "1", "Job"), jobs);
  store.Upsert(E("e2", "a", "2", "CronJob"), cronjobs);
  store.Upsert(E("e3", "b", "3", "CronJob"), cronjobs);
  store.Upsert(E("e2", "a", "2", "CronJob"), cronjobs);  // dedupe
  sink.log.clear();
  RelistEvents(&store, "", jobs, {});  // the Job watch relists: only e1 goes
  EXPECT_EQ(sink.log, (std::vector<std::string>{"event vanished e1 in a"}));
  sink.log.clear();
  RelistEvents(&store, "a", cronjobs, {{E("e2", "a", "4", "CronJob")}});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"event upsert ev-e2@4 x1"}));
  sink.log.clear();
  RelistEvents(&store, "", cronjobs, {});
  EXPECT_EQ(sink.log.size(), 2u);
  EXPECT_EQ(store.Size(Resource::kEvents), 0u);
  store.Upsert(E("e5", "a", "9", "Job"), jobs);
  sink.log.clear();
  store.Delete(E("e5", "a", "10", "Job"));
  EXPECT_EQ(sink.log, (std::vector<std::string>{"event delete ev-e5"}));
}

// A relist across several pages: each page is upserted as it arrives, an unchanged object is
// no event, a changed one is one upsert, and only the end of the list vanishes the objects no
// page showed, each once; the same list again reports nothing.
TEST(CoreStore, PagedRelistUpsertsAsItGoesAndVanishesAtTheEnd) {
  CoreSink sink;
  ObjectStore store(&sink);
  for (const Pod& p : {P("p1", "a", "1", "j1"), P("p2", "a", "2", "j2"), P("p3", "b", "3", "j3"),
                       P("p4", "b", "4", "j4"), P("p5", "c", "5", "j5")}) {
    store.Upsert(p);
  }
  sink.log.clear();
  const ObjectStore::ListId list = store.BeginList();
  store.UpsertListed(list, {P("p1", "a", "1", "j1"), P("p2", "a", "7", "j2")});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"pod upsert pod-p2@7"}));
  store.UpsertListed(list, {P("p4", "b", "4", "j4")});
  store.UpsertListed(list, {P("p6", "c", "8", "j6")});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"pod upsert pod-p2@7", "pod upsert pod-p6@8"}));
  EXPECT_EQ(store.Size(Resource::kPods), 6u);  // nothing vanishes before the list is complete
  store.EndList(list, Resource::kPods, "", "");
  std::vector<std::string> vanished(sink.log.begin() + 2, sink.log.end());
  std::sort(vanished.begin(), vanished.end());
  EXPECT_EQ(vanished,
            (std::vector<std::string>{"pod vanished p3 in b of j3", "pod vanished p5 in c of j5"}));
  EXPECT_EQ(store.Size(Resource::kPods), 4u);

  sink.log.clear();
  RelistPods(&store, "",
             {{P("p1", "a", "1", "j1"), P("p2", "a", "7", "j2")},
              {P("p4", "b", "4", "j4"), P("p6", "c", "8", "j6")}});
  EXPECT_TRUE(sink.log.empty());  // nothing counted twice
  VanishedObject kept;
  std::string rv;
  ASSERT_TRUE(store.Find(Resource::kPods, "p2", &kept, &rv));
  EXPECT_EQ(rv, "7");
}

// A list that starts over (expired continue token): objects only the abandoned pages showed
// vanish at the end of the new list, once; a list of one namespace leaves the others alone.
TEST(CoreStore, RestartedListVanishesWhatOnlyTheAbandonedPagesShowed) {
  CoreSink sink;
  ObjectStore store(&sink);
  store.Upsert(P("p1", "a", "1", "j1"));
  store.Upsert(P("p8", "b", "2", "j8"));
  sink.log.clear();
  const ObjectStore::ListId abandoned = store.BeginList();
  store.UpsertListed(abandoned, {P("p1", "a", "1", "j1"), P("p7", "a", "3", "j7")});
  const ObjectStore::ListId list = store.BeginList();
  EXPECT_NE(list, abandoned);
  store.UpsertListed(list, {P("p1", "a", "1", "j1")});
  store.EndList(list, Resource::kPods, "a", "");
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"pod upsert pod-p7@3", "pod vanished p7 in a of j7"}));
  EXPECT_EQ(store.Size(Resource::kPods), 2u);  // p1, and p8 of namespace b
}

// Pages of one Event selector mark only that selector's Events.
TEST(CoreStore, PagedEventRelistKeepsTheOtherSelector) {
  CoreSink sink;
  ObjectStore store(&sink);
  const std::string jobs = EventFieldSelector("Job"), cronjobs = EventFieldSelector("CronJob");
  store.Upsert(E("e1", "a", "1", "Job"), jobs);
  store.Upsert(E("e2", "a", "2", "Job"), jobs);
  store.Upsert(E("e3", "a", "3", "CronJob"), cronjobs);
  sink.log.clear();
  RelistEvents(&store, "", jobs, {{E("e1", "a", "1", "Job")}, {E("e4", "a", "5", "Job")}});
  EXPECT_EQ(sink.log,
            (std::vector<std::string>{"event upsert ev-e4@5 x1", "event vanished e2 in a"}));
  EXPECT_EQ(store.Size(Resource::kEvents), 3u);
}

// ---- the loop ------------------------------------------------------------------------------

class FakeEnv : public LoopEnv {
 public:
  double now = 1000;
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
  double Uniform01() override { return 0; }
};

struct Answer {
  bool watch = false;
  long status = 200;
  std::string body;
  std::vector<std::string> lines;
};

class ScriptTransport : public Transport {
 public:
  ScriptTransport(FakeEnv* env, std::vector<Answer> script)
      : env_(env), script_(script.begin(), script.end()) {}
  std::vector<std::string> paths;
  HttpResponse ListPage(const std::string& path, std::string* body) override {
    paths.push_back(path);
    HttpResponse r;
    Answer a;
    if (!Next(false, &a)) {
      r.aborted = true;
      return r;
    }
    r.status = a.status;
    *body = a.status == 200 ? a.body : "";
    if (a.status != 200) r.body = a.body;
    return r;
  }
  WatchResponse Watch(const std::string& path, double,
                      const std::function<bool(std::string_view)>& on_line) override {
    paths.push_back(path);
    WatchResponse r;
    Answer a;
    if (!Next(true, &a)) {
      r.aborted = true;
      return r;
    }
    r.status = a.status;
    if (a.status == 200) {
      for (const auto& l : a.lines) {
        if (!on_line(l)) break;
      }
      env_->now += 300;
    }
    return r;
  }

 private:
  bool Next(bool watch, Answer* a) {
    if (script_.empty()) {
      env_->stopped = true;
      return false;
    }
    *a = script_.front();
    script_.pop_front();
    EXPECT_EQ(a->watch, watch);
    return true;
  }
  FakeEnv* env_;
  std::deque<Answer> script_;
};

// One list page; `next` is its continue token ("" for the last page).
Answer Page(const std::string& rv, const std::string& items, const std::string& next = "") {
  return {false,
          200,
          R"({"metadata":{"resourceVersion":")" + rv + R"(","continue":")" + next +
              R"("},"items":[)" + items + "]}",
          {}};
}
Answer Status(bool watch, long code) {
  return {watch, code, R"({"kind":"Status","code":)" + std::to_string(code) + "}", {}};
}
Answer Stream(std::vector<std::string> lines) { return {true, 200, "", std::move(lines)}; }

std::string EventJson(const std::string& uid, const std::string& rv, bool involved = true) {
  return R"({"metadata":{"name":"ev-)" + uid + R"(","namespace":"a","uid":")" + uid +
         R"(","resourceVersion":")" + rv + R"("})" +
         (involved ? R"(,"involvedObject":{"kind":"Job","uid":"j1","name":"j"})" : "") +
         R"(,"reason":"FailedCreate","count":2})";
}

TEST(CoreWatchLoop, PathsCarryTheSelectors) {
  CoreSink sink;
  ObjectStore store(&sink);
  std::set<std::string> excluded;
  ResourceKind pods = PodKind(&store, &excluded);
  ResourceKind events = EventKind("CronJob", &store, &excluded);
  WatchTarget all_pods{&pods, "", kPodLabelSelector, ""};
  EXPECT_EQ(all_pods.ListPath(500, ""), "/api/v1/pods?limit=500&labelSelector=job-name");
  WatchTarget ns_events{&events, "ops", "", EventFieldSelector("CronJob")};
  EXPECT_EQ(ns_events.ListPath(500, "c1"),
            "/api/v1/namespaces/ops/events?limit=500&continue=c1"
            "&fieldSelector=involvedObject.kind%3DCronJob");
  EXPECT_EQ(ns_events.WatchPath(300, "7"),
            "/api/v1/namespaces/ops/events?watch=1&allowWatchBookmarks=true&timeoutSeconds=300"
            "&resourceVersion=7&fieldSelector=involvedObject.kind%3DCronJob");
}

std::string PodJson(const std::string& uid, const std::string& rv, const std::string& ns = "a") {
  return R"({"metadata":{"name":"pod-)" + uid + R"(","namespace":")" + ns + R"(","uid":")" + uid +
         R"(","resourceVersion":")" + rv +
         R"(","ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j","uid":"j-)" +
         uid + R"(","controller":true}]},"status":{"phase":"Running"}})";
}

// One watch loop of Events (involvedObject.kind=Job) or Pods over a scripted transport, run
// until the script ends.
struct CoreRun {
  FakeEnv env;
  CoreSink sink;
  ObjectStore store{&sink};
  std::set<std::string> excluded{"hidden"};
  ResourceKind kind;
  WatchStats stats;
  std::vector<std::string> forbidden;  // "true list ..." / "false"
  std::vector<std::string> paths;
  int lists = 0;
  std::vector<size_t> log_size_when_listed;  // sink.log.size() at each completed list

  CoreRun(std::vector<Answer> script, bool with_hook = true, Resource resource = Resource::kEvents)
      : kind(resource == Resource::kPods ? PodKind(&store, &excluded)
                                         : EventKind("Job", &store, &excluded)) {
    ScriptTransport transport(&env, std::move(script));
    WatchLoopOptions options;
    options.forbidden_retry_seconds = 42;
    std::function<void(bool, const std::string&, const std::string&)> hook;
    if (with_hook) {
      hook = [this](bool f, const std::string& verb, const std::string&) {
        forbidden.push_back(f ? "forbidden " + verb : "admitted");
      };
    }
    const bool pods = resource == Resource::kPods;
    WatchLoop loop(
        WatchTarget{&kind, "", pods ? kPodLabelSelector : "",
                    pods ? "" : EventFieldSelector("Job")},
        options, &transport, &env, &stats,
        [this] {
          ++lists;
          log_size_when_listed.push_back(sink.log.size());
        },
        nullptr, hook);
    loop.Run();
    paths = transport.paths;
  }
};

// An Event without involvedObject.uid is counted as a decode error, but the stream goes on
// (reopening would only bring it back) and the resourceVersion advances past it.
TEST(CoreWatchLoop, SkippedEventsAreCountedAndTheStreamGoesOn) {
  CoreRun run({Page("10", EventJson("e1", "5") + "," + EventJson("e0", "6", false)),
               Stream({R"({"type":"ADDED","object":)" + EventJson("e2", "11", false) + "}",
                       R"({"type":"ADDED","object":)" + EventJson("e3", "12") + "}"}),
               Stream({})});
  EXPECT_EQ(run.stats.decode_errors, 2u);  // one list item, one watch event
  EXPECT_EQ(run.sink.log,
            (std::vector<std::string>{"event upsert ev-e1@5 x2", "event upsert ev-e3@12 x2"}));
  ASSERT_GE(run.paths.size(), 3u);
  EXPECT_NE(run.paths[2].find("resourceVersion=12"), std::string::npos) << run.paths[2];
  EXPECT_EQ(run.stats.restarts[static_cast<int>(RestartReason::kError)], 0u);
}

// A pod that parses but cannot be used (a restartCount no kubelet writes) is skipped the same
// way: counted, and the stream goes on past it instead of reopening into it again and again.
TEST(CoreWatchLoop, UndecodablePodsOnAWatchAreSkippedAndTheStreamGoesOn) {
  std::string bad = PodJson("p2", "11");
  bad.replace(bad.find(R"("phase":"Running")"), std::string(R"("phase":"Running")").size(),
              R"("phase":"Running","containerStatuses":[{"name":"m","restartCount":-1}])");
  CoreRun run({Page("10", PodJson("p1", "5")),
               Stream({R"({"type":"MODIFIED","object":)" + bad + "}",
                       R"({"type":"ADDED","object":)" + PodJson("p3", "12") + "}"}),
               Stream({})},
              /*with_hook=*/true, Resource::kPods);
  EXPECT_EQ(run.stats.decode_errors, 1u);
  EXPECT_EQ(run.sink.log,
            (std::vector<std::string>{"pod upsert pod-p1@5", "pod upsert pod-p3@12"}));
  ASSERT_GE(run.paths.size(), 3u);
  EXPECT_NE(run.paths[2].find("resourceVersion=12"), std::string::npos) << run.paths[2];
  EXPECT_EQ(run.stats.restarts[static_cast<int>(RestartReason::kError)], 0u);
}

// A DELETED pod whose last state cannot be decoded vanishes (with its owner Job, as a relist
// would report it) instead of staying until the next relist.
TEST(CoreWatchLoop, AnUndecodableDeletedPodVanishes) {
  std::string bad = PodJson("p1", "11");
  bad.replace(bad.find(R"("phase":"Running")"), std::string(R"("phase":"Running")").size(),
              R"("phase":"Running","containerStatuses":[{"name":"m","restartCount":-1}])");
  CoreRun run({Page("10", PodJson("p1", "5")),
               Stream({R"({"type":"DELETED","object":)" + bad + "}"}), Stream({})},
              /*with_hook=*/true, Resource::kPods);
  EXPECT_EQ(run.stats.decode_errors, 1u);
  ASSERT_EQ(run.sink.log.size(), 2u);
  EXPECT_EQ(run.sink.log[0], "pod upsert pod-p1@5");
  EXPECT_EQ(run.sink.log[1].rfind("pod vanished p1 in ", 0), 0u) << run.sink.log[1];
}

// 403 on the first list: reported once, retried every forbidden_retry_seconds (not with the
// backoff), admitted when a list succeeds; 403 later on the watch: reported again, relist.
TEST(CoreWatchLoop, ForbiddenIsAStateWithARareRetry) {
  CoreRun run({Status(false, 403), Status(false, 403), Page("10", EventJson("e1", "5")),
               Status(true, 403), Status(false, 403), Page("20", ""), Stream({})});
  EXPECT_EQ(run.forbidden, (std::vector<std::string>{"forbidden list", "admitted",
                                                     "forbidden watch", "admitted"}));
  EXPECT_EQ(run.env.sleeps, (std::vector<double>{42, 42, 42, 42}));
  EXPECT_EQ(run.lists, 2);
  // The relist after access came back saw e1 gone.
  EXPECT_EQ(run.sink.log.back(), "event vanished e1 in a");
  EXPECT_EQ(run.stats.decode_errors, 0u);
}

TEST(CoreWatchLoop, WithoutTheHookA403IsAnOrdinaryFailure) {
  CoreRun run({Status(false, 403), Page("10", ""), Stream({})}, /*with_hook=*/false);
  EXPECT_TRUE(run.forbidden.empty());
  EXPECT_EQ(run.env.sleeps, (std::vector<double>{0.8}));
}

// Pods listed over two pages, then a relist (the watch got 410) over two pages where p1
// changed and p2 is gone: p1 is upserted once more, p3 not at all, p2 vanishes once before
// the relist counts as complete; objects of an excluded namespace never reach the store.
TEST(CoreWatchLoop, PagedPodRelistChangesOneAndVanishesOne) {
  CoreRun run(
      {Page("10", PodJson("p1", "1") + "," + PodJson("p2", "2"), "c1"),
       Page("10", PodJson("p3", "3") + "," + PodJson("px", "4", "hidden")), Status(true, 410),
       Page("20", PodJson("p1", "15"), "c2"), Page("20", PodJson("p3", "3")), Stream({})},
      /*with_hook=*/true, Resource::kPods);
  EXPECT_EQ(run.sink.log, (std::vector<std::string>{"pod upsert pod-p1@1", "pod upsert pod-p2@2",
                                                    "pod upsert pod-p3@3", "pod upsert pod-p1@15",
                                                    "pod vanished p2 in a of j-p2"}));
  EXPECT_EQ(run.log_size_when_listed, (std::vector<size_t>{3, 5}));
  EXPECT_EQ(run.store.Size(Resource::kPods), 2u);
  ASSERT_GE(run.paths.size(), 4u);
  EXPECT_NE(run.paths[1].find("continue=c1"), std::string::npos) << run.paths[1];
  EXPECT_EQ(run.stats.decode_errors, 0u);
}

// The continue token expires in the middle of the initial list: the list starts over, and the
// pod only the abandoned page showed vanishes when the new list completes.
TEST(CoreWatchLoop, ListThatStartsOverVanishesWhatItNoLongerShows) {
  CoreRun run({Page("10", PodJson("p1", "1") + "," + PodJson("p9", "2"), "c1"), Status(false, 410),
               Page("11", PodJson("p1", "1"), "c2"), Page("11", PodJson("p3", "3")), Stream({})},
              /*with_hook=*/true, Resource::kPods);
  EXPECT_EQ(run.sink.log,
            (std::vector<std::string>{"pod upsert pod-p1@1", "pod upsert pod-p9@2",
                                      "pod upsert pod-p3@3", "pod vanished p9 in a of j-p9"}));
  EXPECT_EQ(run.log_size_when_listed, (std::vector<size_t>{4}));
  EXPECT_EQ(run.lists, 1);
}

}  // namespace
}  // namespace batchwatch::kube
