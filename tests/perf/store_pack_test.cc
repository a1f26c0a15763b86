// The ObjectStore keeps per UID only the namespace, the resourceVersion and one identity field,
// packed in one allocation: each must come back unchanged (empty, long, with NUL bytes), for
// the unchanged-version check and for the delete of an object a relist shows vanished.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kube/store.h"

namespace batchwatch::kube {
namespace {

class Vanishings : public EventSink {
 public:
  int upserts = 0;
  std::vector<VanishedObject> jobs, cronjobs;
  void OnJobUpsert(const Job&) override { ++upserts; }
  void OnJobDelete(const Job&) override {}
  void OnJobVanished(const VanishedObject& gone) override { jobs.push_back(gone); }
  void OnCronJobUpsert(const CronJob&) override { ++upserts; }
  void OnCronJobDelete(const CronJob&) override {}
  void OnCronJobVanished(const VanishedObject& gone) override { cronjobs.push_back(gone); }
  void OnSynced(Resource) override {}
};

TEST(StoreEntry, KeptFieldsRoundTrip) {
  const std::string with_nul("team\0a", 6);
  const std::string long_text(70000, 'x');  // beyond 16 bits of offset
  struct Case {
    std::string ns, rv, owner;
  } cases[] = {
      {"team-a", "12345", "1b2c3d4e-0000-4000-8000-000000000001"},
      {"", "", ""},
      {with_nul, long_text, with_nul},
      {long_text, "1", ""},
  };
  for (const auto& c : cases) {
    Vanishings sink;
    ObjectStore store(&sink);
    Job j;
    j.uid = "8d0c1a2e-5f43-4c5e-9b8a-000000000001";
    j.namespace_ = c.ns;
    j.resource_version = c.rv;
    j.owner_cronjob_uid = c.owner;
    j.name = "report-28000000";
    store.Upsert(j);
    VanishedObject kept;
    std::string rv;
    ASSERT_TRUE(store.Find(Resource::kJobs, j.uid, &kept, &rv));
    EXPECT_EQ(rv, c.rv);
    EXPECT_EQ(kept.namespace_, c.ns);
    EXPECT_EQ(kept.owner_cronjob_uid, c.owner);
    store.Upsert(j);  // same resourceVersion: no event
    EXPECT_EQ(sink.upserts, 1);
    store.Replace("", std::vector<Job>{});
    ASSERT_EQ(sink.jobs.size(), 1u);
    EXPECT_EQ(sink.jobs[0].uid, j.uid);
    EXPECT_EQ(sink.jobs[0].namespace_, c.ns);
    EXPECT_EQ(sink.jobs[0].owner_cronjob_uid, c.owner);
    EXPECT_EQ(sink.jobs[0].name, "");

    CronJob cj;
    cj.uid = "cj-uid";
    cj.namespace_ = c.ns;
    cj.resource_version = c.rv;
    cj.name = c.owner;  // the CronJob's identity field is its name
    store.Upsert(cj);
    store.Replace(c.ns, std::vector<CronJob>{});
    ASSERT_EQ(sink.cronjobs.size(), 1u);
    EXPECT_EQ(sink.cronjobs[0].namespace_, c.ns);
    EXPECT_EQ(sink.cronjobs[0].name, c.owner);
    EXPECT_FALSE(store.Find(Resource::kCronJobs, "cj-uid", &kept, &rv));
  }
}

}  // namespace
}  // namespace batchwatch::kube
