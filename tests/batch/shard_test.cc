// Sharding: every object has exactly one shard, a CronJob's Jobs follow it, standalone Jobs
// follow their job group, the hash is pinned (changing it would move every CronJob to another
// shard on upgrade), and the filter forwards only what the shard owns.
#include "batch/shard.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
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
  void OnPodUpsert(const Pod& now) override { seen.push_back("pod+" + now.name); }
  void OnPodDelete(const Pod& last) override { seen.push_back("pod-" + last.name); }
  void OnPodVanished(const VanishedObject& gone) override { seen.push_back("pod~" + gone.uid); }
  void OnEventUpsert(const Event& now) override { seen.push_back("ev+" + now.name); }
  void OnEventDelete(const Event& last) override { seen.push_back("ev-" + last.name); }
  void OnEventVanished(const VanishedObject& gone) override { seen.push_back("ev~" + gone.uid); }
  void OnSynced(Resource r) override { seen.push_back(std::string("synced ") + ResourceName(r)); }
  void OnDegraded(Resource r, bool degraded) override {
    seen.push_back(std::string(degraded ? "degraded " : "restored ") + ResourceName(r));
  }
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

Pod PodOf(const Job& job, const std::string& name) {
  Pod p;
  p.uid = "uid-" + name;
  p.namespace_ = job.namespace_;
  p.name = name;
  p.owner_job_uid = job.uid;
  p.owner_job_name = job.name;
  return p;
}

Event EventAbout(const std::string& kind, const std::string& ns, const std::string& name,
                 const std::string& uid, const std::string& event_name) {
  Event e;
  e.uid = "uid-" + event_name;
  e.namespace_ = ns;
  e.name = event_name;
  e.involved_kind = kind;
  e.involved_namespace = ns;
  e.involved_name = name;
  e.involved_uid = uid;
  return e;
}

// One step of a table: a call on the filter of shard 2 of 3.
using Step = std::function<void(ShardFilter&)>;

struct FilterCase {
  const char* name;
  std::vector<Step> steps;
  std::vector<std::string> forwarded;
};

// "backup" is shard 2 of 3, "report" shard 1 (pinned above); standalone groups: "db" and
// "loader" are computed below so the table states what it relies on.
TEST(ShardFilter, Table) {
  ASSERT_TRUE((ShardSpec{2, 3}.Owns("default", "backup")));
  ASSERT_FALSE((ShardSpec{2, 3}.Owns("default", "report")));
  const Job mine = CronJobRun("default", "backup", "backup-2");
  const Job theirs = CronJobRun("default", "report", "report-1");
  // A Job of ours whose owner reference is removed (its CronJob deleted with
  // --cascade=orphan): as a standalone Job its group "backup-2" would be another shard's.
  Job mine_orphaned = mine;
  mine_orphaned.owner_cronjob_name.clear();
  mine_orphaned.owner_cronjob_uid.clear();
  ASSERT_FALSE((ShardSpec{2, 3}.Owns(mine_orphaned)));
  // And one of theirs whose group label is edited to a group of ours.
  Job theirs_relabelled = theirs;
  theirs_relabelled.owner_cronjob_name.clear();
  theirs_relabelled.owner_cronjob_uid.clear();
  theirs_relabelled.group_label = "backup";
  ASSERT_TRUE((ShardSpec{2, 3}.Owns(theirs_relabelled)));

  const std::vector<FilterCase> cases = {
      {"a Job of ours, its update and delete",
       {[&](ShardFilter& f) { f.OnJobUpsert(mine); }, [&](ShardFilter& f) { f.OnJobUpsert(mine); },
        [&](ShardFilter& f) { f.OnJobDelete(mine); }},
       {"job+backup-2", "job+backup-2", "job-backup-2"}},
      {"another shard's Job is not forwarded, nor its delete or vanishing",
       {[&](ShardFilter& f) { f.OnJobUpsert(theirs); },
        [&](ShardFilter& f) { f.OnJobDelete(theirs); },
        [&](ShardFilter& f) { f.OnJobUpsert(theirs); },
        [&](ShardFilter& f) {
          f.OnJobVanished(VanishedObject{theirs.uid, "default", "", "", ""});
        }},
       {}},
      {"a vanished Job of ours is forwarded, and one never seen (from the state file)",
       {[&](ShardFilter& f) { f.OnJobUpsert(mine); },
        [&](ShardFilter& f) {
          f.OnJobVanished(VanishedObject{mine.uid, "default", "", "", ""});
        },
        [&](ShardFilter& f) {
          f.OnJobVanished(VanishedObject{"uid-x", "default", "", "", ""});
        }},
       {"job+backup-2", "job~uid-backup-2", "job~uid-x"}},
      {"a Job of ours whose key moves away stays ours to the end",
       {[&](ShardFilter& f) { f.OnJobUpsert(mine); },
        [&](ShardFilter& f) { f.OnJobUpsert(mine_orphaned); },
        [&](ShardFilter& f) { f.OnJobDelete(mine_orphaned); }},
       {"job+backup-2", "job+backup-2", "job-backup-2"}},
      {"another's Job whose key moves here stays another's",
       {[&](ShardFilter& f) { f.OnJobUpsert(theirs); },
        [&](ShardFilter& f) { f.OnJobUpsert(theirs_relabelled); },
        [&](ShardFilter& f) {
          f.OnJobVanished(VanishedObject{theirs.uid, "default", "", "", ""});
        }},
       {}},
      {"after the delete the UID is decided afresh (the decision is not kept forever)",
       {[&](ShardFilter& f) { f.OnJobUpsert(theirs); },
        [&](ShardFilter& f) { f.OnJobDelete(theirs); },
        [&](ShardFilter& f) { f.OnJobUpsert(theirs_relabelled); }},
       {"job+report-1"}},
      {"pods of our Job, of another's, and of a Job not seen yet or any more",
       {[&](ShardFilter& f) { f.OnPodUpsert(PodOf(mine, "early")); },
        [&](ShardFilter& f) { f.OnPodUpsert(PodOf(theirs, "early-theirs")); },
        [&](ShardFilter& f) { f.OnJobUpsert(mine); },
        [&](ShardFilter& f) { f.OnJobUpsert(theirs); },
        [&](ShardFilter& f) { f.OnPodUpsert(PodOf(mine, "p1")); },
        [&](ShardFilter& f) { f.OnPodUpsert(PodOf(theirs, "p2")); },
        [&](ShardFilter& f) { f.OnPodDelete(PodOf(mine, "p1")); },
        [&](ShardFilter& f) { f.OnPodDelete(PodOf(theirs, "p2")); },
        [&](ShardFilter& f) {
          f.OnPodVanished(VanishedObject{"uid-p3", "default", "", "", mine.uid});
        },
        [&](ShardFilter& f) {
          f.OnPodVanished(VanishedObject{"uid-p4", "default", "", "", theirs.uid});
        },
        [&](ShardFilter& f) { f.OnJobDelete(theirs); },
        [&](ShardFilter& f) { f.OnPodDelete(PodOf(theirs, "late")); }},
       {"pod+early", "pod+early-theirs", "job+backup-2", "pod+p1", "pod-p1", "pod~uid-p3",
        "pod-late"}},
      {"a pod without a Job owner is forwarded (the sink cannot place it either)",
       {[&](ShardFilter& f) {
         Pod p = PodOf(mine, "bare");
         p.owner_job_uid.clear();
         f.OnPodUpsert(p);
       }},
       {"pod+bare"}},
      {"events: a CronJob's by namespace and name, a Job's by its Job, others by name",
       {[&](ShardFilter& f) { f.OnJobUpsert(mine); },
        [&](ShardFilter& f) { f.OnJobUpsert(theirs); },
        [&](ShardFilter& f) {
          f.OnEventUpsert(EventAbout("CronJob", "default", "backup", "", "e1"));
        },
        [&](ShardFilter& f) {
          f.OnEventUpsert(EventAbout("CronJob", "default", "report", "", "e2"));
        },
        [&](ShardFilter& f) { f.OnEventUpsert(EventAbout("Job", "default", "x", mine.uid, "e3")); },
        [&](ShardFilter& f) {
          f.OnEventUpsert(EventAbout("Job", "default", "x", theirs.uid, "e4"));
        },
        [&](ShardFilter& f) {
          f.OnEventUpsert(EventAbout("Job", "default", "x", "uid-new", "e5"));
        },
        [&](ShardFilter& f) {
          f.OnEventDelete(EventAbout("CronJob", "default", "backup", "", "e1"));
        },
        [&](ShardFilter& f) {
          f.OnEventDelete(EventAbout("Job", "default", "x", theirs.uid, "e4"));
        },
        [&](ShardFilter& f) { f.OnEventUpsert(EventAbout("Pod", "default", "backup", "u", "e6")); },
        [&](ShardFilter& f) { f.OnEventUpsert(EventAbout("Pod", "default", "report", "u", "e7")); },
        [&](ShardFilter& f) {
          f.OnEventVanished(VanishedObject{"uid-e2", "default", "", "", ""});
        }},
       {"job+backup-2", "ev+e1", "ev+e3", "ev+e5", "ev-e1", "ev+e6", "ev~uid-e2"}},
      {"an event's namespace stands in when the involved object has none",
       {[&](ShardFilter& f) {
         Event e = EventAbout("CronJob", "default", "backup", "", "e8");
         e.involved_namespace.clear();
         f.OnEventUpsert(e);
       }},
       {"ev+e8"}},
      {"sync and RBAC degradation always pass",
       {[&](ShardFilter& f) { f.OnSynced(Resource::kPods); },
        [&](ShardFilter& f) { f.OnDegraded(Resource::kEvents, true); },
        [&](ShardFilter& f) { f.OnDegraded(Resource::kEvents, false); }},
       {"synced pods", "degraded events", "restored events"}},
  };
  for (const FilterCase& c : cases) {
    Recorder rec;
    ShardFilter filter(ShardSpec{2, 3}, &rec);
    for (const Step& step : c.steps) step(filter);
    EXPECT_EQ(rec.seen, c.forwarded) << c.name;
  }
}

// Whatever happens to a Job's key, exactly one of the shards forwards each of its calls, and
// it is the shard of its first key; deletes and vanishings free the decisions.
TEST(ShardFilter, EveryCallOfAJobReachesExactlyOneShardWhileItsKeyChanges) {
  std::vector<Recorder> recs(3);
  std::vector<std::unique_ptr<ShardFilter>> filters;
  for (uint32_t s = 0; s < 3; ++s) {
    filters.push_back(std::make_unique<ShardFilter>(ShardSpec{s, 3}, &recs[s]));
  }
  const std::vector<std::string> groups = {"a", "b", "c", "d", "e", "f", "g"};
  int moved = 0;  // upserts whose current key is another shard's than the first
  for (int i = 0; i < 200; ++i) {
    Job j = Standalone("ns-" + std::to_string(i % 5), "job-" + std::to_string(i), "",
                       groups[static_cast<size_t>(i) % groups.size()]);
    uint32_t first = 3;
    for (uint32_t s = 0; s < 3; ++s) {
      if (ShardSpec{s, 3}.Owns(j)) first = s;
    }
    for (size_t step = 0; step <= groups.size(); ++step) {
      if (step < groups.size()) {
        j.group_label = groups[(step + static_cast<size_t>(i)) % groups.size()];
        if (!ShardSpec{first, 3}.Owns(j)) ++moved;
      }
      for (auto& r : recs) r.seen.clear();
      for (auto& f : filters) {
        if (step == groups.size()) {
          f->OnJobDelete(j);
        } else {
          f->OnJobUpsert(j);
          f->OnPodUpsert(PodOf(j, "pod"));
          f->OnEventUpsert(EventAbout("Job", j.namespace_, j.name, j.uid, "ev"));
        }
      }
      for (uint32_t s = 0; s < 3; ++s) {
        EXPECT_EQ(recs[s].seen.empty(), s != first) << j.name << " step " << step;
      }
    }
  }
  EXPECT_GT(moved, 200);
  for (auto& f : filters) EXPECT_EQ(f->jobs_decided(), 0u);
}

TEST(ShardFilter, UnshardedForwardsEverythingAndKeepsNoDecisions) {
  Recorder rec;
  ShardFilter filter(ShardSpec{}, &rec);
  Job j = CronJobRun("default", "report", "report-1");
  filter.OnJobUpsert(j);
  filter.OnPodUpsert(PodOf(j, "p"));
  filter.OnEventUpsert(EventAbout("Job", "default", "report-1", j.uid, "e"));
  filter.OnJobVanished(VanishedObject{j.uid, "default", "", "", ""});
  EXPECT_EQ(rec.seen,
            (std::vector<std::string>{"job+report-1", "pod+p", "ev+e", "job~uid-report-1"}));
  EXPECT_EQ(filter.jobs_decided(), 0u);
}

}  // namespace
}  // namespace batchwatch::batch
