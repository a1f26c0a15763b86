// The ObjectStore keeps Jobs packed: every field must come back unchanged, for the sink's old
// version of an update and for objects a relist shows vanished.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kube/store.h"

namespace batchwatch::kube {
namespace {

class LastSeen : public EventSink {
 public:
  std::vector<Job> olds, deleted;
  void OnJobUpsert(const Job* old, const Job&) override {
    if (old) olds.push_back(*old);
  }
  void OnJobDelete(const Job& last) override { deleted.push_back(last); }
  void OnCronJobUpsert(const CronJob*, const CronJob&) override {}
  void OnCronJobDelete(const CronJob&) override {}
  void OnSynced(Resource) override {}
};

void ExpectSame(const Job& a, const Job& b, const std::string& what) {
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

Job Full() {
  Job j;
  j.uid = "8d0c1a2e-5f43-4c5e-9b8a-000000000001";
  j.namespace_ = "team-a";
  j.name = "report-28000000";
  j.generate_name = "report-";
  j.resource_version = "12345";
  j.creation_time = -5;  // negative and zero values survive as well as large ones
  j.owner_cronjob_name = "report";
  j.owner_cronjob_uid = "1b2c3d4e-0000-4000-8000-000000000001";
  j.group_label = "caf\xc3\xa9";
  j.scheduled_timestamp = 0;
  j.manual = true;
  j.active_deadline_seconds = INT64_MAX;
  j.suspend = true;
  j.completions = 0;
  j.backoff_limit = INT32_MAX;
  j.start_time = 1711622401;
  j.completion_time = 1711622442;
  j.active = 3;
  j.ready = 2;
  j.succeeded = 1;
  j.failed = -1;
  j.outcome = JobOutcome::kFailed;
  j.terminal_reason = std::string("Backoff\0Limit", 13);
  j.end_time = INT64_MIN;
  return j;
}

TEST(PackedJob, EveryFieldRoundTrips) {
  Job empty;
  empty.uid = "u";
  empty.name = "only-a-name";
  for (const Job& j : {Full(), empty}) {
    LastSeen sink;
    ObjectStore store(&sink);
    store.Upsert(j);
    ASSERT_EQ(store.Jobs().size(), 1u);
    ExpectSame(store.Jobs()[0], j, "Jobs() " + j.name);
    Job next = j;
    next.resource_version += "1";
    store.Upsert(next);
    ASSERT_EQ(sink.olds.size(), 1u);
    ExpectSame(sink.olds[0], j, "old of an update " + j.name);
    store.Replace("", std::vector<Job>{});
    ASSERT_EQ(sink.deleted.size(), 1u);
    ExpectSame(sink.deleted[0], next, "vanished on relist " + j.name);
  }
}

}  // namespace
}  // namespace batchwatch::kube
