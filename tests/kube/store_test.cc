#include "kube/store.h"

#include <gtest/gtest.h>

namespace batchwatch::kube {
namespace {

class RecordingSink : public EventSink {
 public:
  std::vector<std::string> log;
  void OnJobUpsert(const Job& now) override {
    log.push_back("upsert " + now.name + "@" + now.resource_version);
  }
  void OnJobDelete(const Job& last) override {
    log.push_back("delete " + last.name + "@" + last.resource_version);
  }
  void OnJobVanished(const VanishedObject& gone) override {
    log.push_back("vanished " + gone.uid + " in " + gone.namespace_ +
                  (gone.owner_cronjob_uid.empty() ? "" : " of " + gone.owner_cronjob_uid));
  }
  void OnCronJobUpsert(const CronJob& now) override { log.push_back("cj upsert " + now.name); }
  void OnCronJobDelete(const CronJob& last) override { log.push_back("cj delete " + last.name); }
  void OnCronJobVanished(const VanishedObject& gone) override {
    log.push_back("cj vanished " + gone.uid + " " + gone.namespace_ + "/" + gone.name);
  }
  void OnSynced(Resource) override {}
};

Job J(const std::string& uid, const std::string& ns, const std::string& name, const std::string& rv,
      const std::string& owner_uid = "") {
  Job j;
  j.uid = uid;
  j.namespace_ = ns;
  j.name = name;
  j.resource_version = rv;
  j.owner_cronjob_uid = owner_uid;
  return j;
}

CronJob C(const std::string& uid, const std::string& ns, const std::string& name,
          const std::string& rv) {
  CronJob c;
  c.uid = uid;
  c.namespace_ = ns;
  c.name = name;
  c.resource_version = rv;
  return c;
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
  EXPECT_EQ(sink.log, (std::vector<std::string>{"upsert x@1", "upsert x@2", "delete x@4"}));
  EXPECT_EQ(size, 0u);
}

TEST(ObjectStore, RelistVanishesObjectsOfItsScopeOnly) {
  RecordingSink sink;
  ObjectStore store(&sink);
  store.Upsert(J("1", "a", "keep", "1"));
  store.Upsert(J("2", "a", "gone", "1", "cj-uid"));
  store.Upsert(J("3", "b", "other-ns", "1"));
  store.Replace("a", std::vector<Job>{J("1", "a", "keep", "5"), J("4", "a", "new", "6")});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"upsert keep@1", "upsert gone@1",
                                                "upsert other-ns@1", "vanished 2 in a of cj-uid",
                                                "upsert keep@5", "upsert new@6"}));
  EXPECT_EQ(store.Size(Resource::kJobs), 3u);
  sink.log.clear();
  store.Replace("", std::vector<Job>{});  // all namespaces
  EXPECT_EQ(sink.log.size(), 3u);
  EXPECT_EQ(store.Size(Resource::kJobs), 0u);
}

TEST(ObjectStore, NameReusedByNewUidIsVanishThenAdd) {
  RecordingSink sink;
  ObjectStore store(&sink);
  store.Upsert(J("1", "a", "x", "1"));
  store.Replace("a", std::vector<Job>{J("2", "a", "x", "9")});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"upsert x@1", "vanished 1 in a", "upsert x@9"}));
}

// A vanished Job is accounted to the owner of its last version (an orphaned Job has none).
TEST(ObjectStore, VanishedJobCarriesItsLatestOwner) {
  RecordingSink sink;
  ObjectStore store(&sink);
  store.Upsert(J("1", "a", "x", "1", "cj-uid"));
  store.Upsert(J("1", "a", "x", "2", ""));
  store.Replace("", std::vector<Job>{});
  EXPECT_EQ(sink.log.back(), "vanished 1 in a");
}

TEST(ObjectStore, CronJobsAreSeparateAndVanishWithTheirName) {
  RecordingSink sink;
  ObjectStore store(&sink);
  store.Upsert(C("1", "ns", "cj", "1"));
  store.Upsert(J("1", "a", "x", "1"));  // same UID string in another resource
  store.Delete(C("1", "ns", "cj", "2"));
  EXPECT_EQ(store.Size(Resource::kJobs), 1u);
  EXPECT_EQ(store.Size(Resource::kCronJobs), 0u);
  store.Upsert(C("7", "ns", "nightly", "3"));
  store.Replace("", std::vector<CronJob>{});
  EXPECT_EQ(sink.log, (std::vector<std::string>{"cj upsert cj", "upsert x@1", "cj delete cj",
                                                "cj upsert nightly", "cj vanished 7 ns/nightly"}));
}

}  // namespace
}  // namespace batchwatch::kube
