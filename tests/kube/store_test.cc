#include "kube/store.h"

#include <gtest/gtest.h>

namespace batchwatch::kube {
namespace {

class RecordingSink : public EventSink {
 public:
  std::vector<std::string> log;
  void OnJobUpsert(const Job* old, const Job& now) override {
    log.push_back((old ? "update " + old->resource_version + "->" : "add ") + now.name + "@" +
                  now.resource_version);
  }
  void OnJobDelete(const Job& last) override {
    log.push_back("delete " + last.name + "@" + last.resource_version);
  }
  void OnCronJobUpsert(const CronJob* old, const CronJob& now) override {
    log.push_back((old ? "cj update " : "cj add ") + now.name);
  }
  void OnCronJobDelete(const CronJob& last) override { log.push_back("cj delete " + last.name); }
  void OnSynced(Resource) override {}
};

Job J(const std::string& uid, const std::string& ns, const std::string& name,
      const std::string& rv) {
  Job j;
  j.uid = uid;
  j.namespace_ = ns;
  j.name = name;
  j.resource_version = rv;
  return j;
}

TEST(ObjectStore, UpsertDeleteAndUnchangedVersions) {
  RecordingSink sink;
  size_t size = 99;
  ObjectStore store(&sink, [&](Resource, size_t n) { size = n; });
  store.Upsert(J("1", "a", "x", "1"));
  store.Upsert(J("1", "a", "x", "1"));  // same version: nothing
  store.Upsert(J("1", "a", "x", "2"));
  store.Delete(J("2", "a", "never-seen", "3"));  // unknown: ignored
  store.Delete(J("1", "a", "x", "4"));           // final state is passed on
  EXPECT_EQ(sink.log, (std::vector<std::string>{"add x@1", "update 1->x@2", "delete x@4"}));
  EXPECT_EQ(size, 0u);
}

TEST(ObjectStore, RelistDeletesVanishedObjectsOfItsScopeOnly) {
  RecordingSink sink;
  ObjectStore store(&sink);
  store.Upsert(J("1", "a", "keep", "1"));
  store.Upsert(J("2", "a", "gone", "1"));
  store.Upsert(J("3", "b", "other-ns", "1"));
  store.Replace("a", std::vector<Job>{J("1", "a", "keep", "5"), J("4", "a", "new", "6")});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"add keep@1", "add gone@1", "add other-ns@1",
                                                "delete gone@1", "update 1->keep@5", "add new@6"}));
  EXPECT_EQ(store.Size(Resource::kJobs), 3u);
  sink.log.clear();
  store.Replace("", std::vector<Job>{});  // all namespaces
  EXPECT_EQ(sink.log.size(), 3u);
  EXPECT_EQ(store.Size(Resource::kJobs), 0u);
}

TEST(ObjectStore, NameReusedByNewUidIsDeleteThenAdd) {
  RecordingSink sink;
  ObjectStore store(&sink);
  store.Upsert(J("1", "a", "x", "1"));
  store.Replace("a", std::vector<Job>{J("2", "a", "x", "9")});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"add x@1", "delete x@1", "add x@9"}));
}

TEST(ObjectStore, CronJobsAreSeparate) {
  RecordingSink sink;
  ObjectStore store(&sink);
  CronJob c;
  c.uid = "1";
  c.name = "cj";
  c.resource_version = "1";
  store.Upsert(c);
  store.Upsert(J("1", "a", "x", "1"));  // same UID string in another resource
  store.Delete(c);
  EXPECT_EQ(store.Size(Resource::kJobs), 1u);
  EXPECT_EQ(store.Size(Resource::kCronJobs), 0u);
  EXPECT_EQ(sink.log, (std::vector<std::string>{"cj add cj", "add x@1", "cj delete cj"}));
}

}  // namespace
}  // namespace batchwatch::kube
