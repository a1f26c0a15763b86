// Sharding: every object has exactly one shard, a CronJob's Jobs follow it, standalone Jobs
// follow their job group, the hash is pinned (changing it would move every CronJob to another
// shard on upgrade), and the filter forwards only what the shard owns.
#include "batch/shard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace batchwatch::batch {
namespace {

Job CronJobRun(const std::string& ns, const std::string& cronjob, const std::string& name) {
  Job j;
  j.uid = "uid-" + name;
  j.namespace_ = ns;
  j.name = name;
  j.owner_cronjob_name = cronjob;
  j.owner_cronjob_uid = "uid-" + cronjob;
  return j;
}

Job Standalone(const std::string& ns, const std::string& name, const std::string& generate_name,
               const std::string& group_label) {
  Job j;
  j.uid = "uid-" + name;
  j.namespace_ = ns;
  j.name = name;
  j.generate_name = generate_name;
  j.group_label = group_label;
  return j;
}

TEST(JobGroup, LabelThenGenerateNameThenName) {
  EXPECT_EQ(JobGroup(Standalone("a", "migrate-x1", "migrate-", "db")), "db");
  EXPECT_EQ(JobGroup(Standalone("a", "migrate-x1", "migrate-", "")), "migrate");
  EXPECT_EQ(JobGroup(Standalone("a", "migrate-x1", "migrate--", "")), "migrate");
  EXPECT_EQ(JobGroup(Standalone("a", "once", "", "")), "once");
  EXPECT_EQ(JobGroup(Standalone("a", "once", "-", "")), "once");
}

TEST(ShardSpec, UnshardedOwnsEverything) {
  ShardSpec one;
  EXPECT_FALSE(one.sharded());
  EXPECT_TRUE(one.Owns("ns", "anything"));
}

TEST(ShardSpec, EachKeyHasExactlyOneShardAndShardsAreBalanced) {
  for (uint32_t total : {2u, 3u, 7u}) {
    std::vector<int> per_shard(total, 0);
    for (int i = 0; i < 3000; ++i) {
      std::string ns = "ns-" + std::to_string(i % 17), name = "cronjob-" + std::to_string(i);
      int owners = 0;
      for (uint32_t s = 0; s < total; ++s) {
        if (ShardSpec{s, total}.Owns(ns, name)) {
          ++owners;
          ++per_shard[s];
        }
      }
      ASSERT_EQ(owners, 1) << ns << "/" << name << " of " << total;
    }
    for (uint32_t s = 0; s < total; ++s) {
      EXPECT_GT(per_shard[s], 3000 / static_cast<int>(total) / 2) << "shard " << s << "/" << total;
    }
  }
}

TEST(ShardSpec, HashIsPinned) {
  // FNV-1a 64 of "namespace/key" modulo total. These values must never change: a different
  // hash would move CronJobs between shards on upgrade and split their history.
  struct Case {
    const char* ns;
    const char* key;
    uint32_t total;
    uint32_t shard;
  };
  for (const Case& c : std::vector<Case>{{"default", "backup", 3, 2},
                                         {"default", "report", 3, 1},
                                         {"team-a", "backup", 3, 1},
                                         {"default", "backup", 2, 1},
                                         {"kube-system", "cleanup", 5, 3}}) {
    uint32_t owner = c.total;
    for (uint32_t s = 0; s < c.total; ++s) {
      if (ShardSpec{s, c.total}.Owns(c.ns, c.key)) owner = s;
    }
    EXPECT_EQ(owner, c.shard) << c.ns << "/" << c.key << " of " << c.total;
  }
}

TEST(ShardSpec, JobsFollowTheirCronJobOrJobGroup) {
  for (uint32_t s = 0; s < 3; ++s) {
    ShardSpec spec{s, 3};
    CronJob cj;
    cj.namespace_ = "default";
    cj.name = "backup";
    EXPECT_EQ(spec.Owns(CronJobRun("default", "backup", "backup-29000000")), spec.Owns(cj));
    EXPECT_EQ(spec.Owns(Standalone("default", "migrate-x1", "migrate-", "")),
              spec.Owns("default", "migrate"));
    EXPECT_EQ(spec.Owns(Standalone("default", "one-off", "", "db")), spec.Owns("default", "db"));
  }
}

TEST(ParsePodOrdinal, StatefulSetNames) {
  uint32_t n = 99;
  EXPECT_TRUE(ParsePodOrdinal("batchwatch-0", &n));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(ParsePodOrdinal("batchwatch-shard-12", &n));
  EXPECT_EQ(n, 12u);
  for (const char* bad : {"", "batchwatch", "batchwatch-", "batchwatch-x1", "batchwatch-1a", "-",
                          "batchwatch-12345678901"}) {
    EXPECT_FALSE(ParsePodOrdinal(bad, &n)) << bad;
  }
}

class Recorder : public EventSink {
 public:
  void OnJobUpsert(const Job& now) override { seen.push_back("job+" + now.name); }
  void OnJobDelete(const Job& last) override { seen.push_back("job-" + last.name); }
  void OnJobVanished(const VanishedObject& gone) override { seen.push_back("job~" + gone.uid); }
  void OnCronJobUpsert(const CronJob& now) override { seen.push_back("cj+" + now.name); }
  void OnCronJobDelete(const CronJob& last) override { seen.push_back("cj-" + last.name); }
  void OnCronJobVanished(const VanishedObject& gone) override { seen.push_back("cj~" + gone.name); }
  void OnSynced(Resource r) override { seen.push_back(std::string("synced ") + ResourceName(r)); }
  std::vector<std::string> seen;
};

TEST(ShardFilter, ForwardsOnlyOwnedObjectsAndAlwaysSync) {
  CronJob cj;
  cj.namespace_ = "default";
  cj.name = "backup";  // shard 2 of 3 (pinned above)
  CronJob other = cj;
  other.name = "report";  // shard 1 of 3
  Job run = CronJobRun("default", "backup", "backup-1");
  Job other_run = CronJobRun("default", "report", "report-1");
  Recorder rec;
  ShardFilter filter(ShardSpec{2, 3}, &rec);
  filter.OnCronJobUpsert(cj);
  filter.OnCronJobUpsert(other);
  filter.OnJobUpsert(run);
  filter.OnJobUpsert(other_run);
  filter.OnJobDelete(run);
  filter.OnJobDelete(other_run);
  filter.OnJobVanished(VanishedObject{"uid-x", "default", "", "uid-report", ""});
  filter.OnCronJobVanished(VanishedObject{"uid-report", "default", "report", "", ""});
  filter.OnCronJobVanished(VanishedObject{"uid-backup", "default", "backup", "", ""});
  filter.OnCronJobDelete(other);
  filter.OnCronJobDelete(cj);
  filter.OnSynced(Resource::kJobs);
  EXPECT_EQ(rec.seen,
            (std::vector<std::string>{"cj+backup", "job+backup-1", "job-backup-1", "job~uid-x",
                                      "cj~backup", "cj-backup", "synced jobs"}));
}

}  // namespace
}  // namespace batchwatch::batch
