#include "batch/shard.h"

namespace batchwatch::batch {

namespace {

uint64_t Fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t UidKey(std::string_view uid) { return Fnv1a(14695981039346656037ull, uid); }

}  // namespace

bool ShardSpec::Owns(std::string_view namespace_, std::string_view key) const {
  if (total <= 1) return true;
  uint64_t h = Fnv1a(14695981039346656037ull, namespace_);
  h = Fnv1a(h, "/");
  h = Fnv1a(h, key);
  return h % total == index;
}

bool ShardSpec::Owns(const Job& job) const {
  if (total <= 1) return true;
  if (job.owned_by_cronjob()) return Owns(job.namespace_, job.owner_cronjob_name);
  return Owns(job.namespace_, JobGroup(job));
}

bool ParsePodOrdinal(std::string_view pod_name, uint32_t* ordinal) {
  size_t dash = pod_name.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == pod_name.size()) return false;
  std::string_view digits = pod_name.substr(dash + 1);
  if (digits.size() > 9) return false;
  uint32_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  *ordinal = n;
  return true;
}

bool ShardFilter::DecideJob(const Job& job) {
  if (!spec_.sharded()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = jobs_.try_emplace(UidKey(job.uid), false);
  if (inserted) it->second = spec_.Owns(job);
  return it->second;
}

ShardFilter::JobShard ShardFilter::ForgetJob(std::string_view uid) {
  if (!spec_.sharded()) return JobShard::kThis;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(UidKey(uid));
  if (it == jobs_.end()) return JobShard::kUnknown;
  JobShard was = it->second ? JobShard::kThis : JobShard::kOther;
  jobs_.erase(it);
  return was;
}

ShardFilter::JobShard ShardFilter::Lookup(std::string_view uid) const {
  if (!spec_.sharded()) return JobShard::kThis;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(UidKey(uid));
  if (it == jobs_.end()) return JobShard::kUnknown;
  return it->second ? JobShard::kThis : JobShard::kOther;
}

size_t ShardFilter::jobs_decided() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

// The lock is released before forwarding: the sink takes its own, and the calls for one UID
// come from one watch thread, so they stay in order.
void ShardFilter::OnJobUpsert(const Job& now) {
  if (DecideJob(now)) next_->OnJobUpsert(now);
}

void ShardFilter::OnJobDelete(const Job& last) {
  JobShard was = ForgetJob(last.uid);
  if (was == JobShard::kThis || (was == JobShard::kUnknown && spec_.Owns(last))) {
    next_->OnJobDelete(last);
  }
}

void ShardFilter::OnJobVanished(const VanishedObject& gone) {
  // Not known: the sink may still hold it from its state file, and ignores a UID it never saw.
  if (ForgetJob(gone.uid) != JobShard::kOther) next_->OnJobVanished(gone);
}

void ShardFilter::OnCronJobUpsert(const CronJob& now) {
  if (spec_.Owns(now)) next_->OnCronJobUpsert(now);
}

void ShardFilter::OnCronJobVanished(const VanishedObject& gone) {
  if (spec_.Owns(gone.namespace_, gone.name)) next_->OnCronJobVanished(gone);
}

void ShardFilter::OnCronJobDelete(const CronJob& last) {
  if (spec_.Owns(last)) next_->OnCronJobDelete(last);
}

void ShardFilter::OnPodUpsert(const Pod& now) {
  if (ForJob(now.owner_job_uid)) next_->OnPodUpsert(now);
}

void ShardFilter::OnPodDelete(const Pod& last) {
  if (ForJob(last.owner_job_uid)) next_->OnPodDelete(last);
}

void ShardFilter::OnPodVanished(const VanishedObject& gone) {
  if (ForJob(gone.owner_job_uid)) next_->OnPodVanished(gone);
}

bool ShardFilter::OwnsEvent(const Event& e) const {
  if (e.involved_kind == "Job") return ForJob(e.involved_uid);
  const std::string& ns = e.involved_namespace.empty() ? e.namespace_ : e.involved_namespace;
  return spec_.Owns(ns, e.involved_name);
}

void ShardFilter::OnEventUpsert(const Event& now) {
  if (OwnsEvent(now)) next_->OnEventUpsert(now);
}

void ShardFilter::OnEventDelete(const Event& last) {
  if (OwnsEvent(last)) next_->OnEventDelete(last);
}

}  // namespace batchwatch::batch
