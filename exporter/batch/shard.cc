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

void ShardFilter::OnJobUpsert(const Job& now) {
  if (spec_.Owns(now)) next_->OnJobUpsert(now);
}

void ShardFilter::OnJobDelete(const Job& last) {
  if (spec_.Owns(last)) next_->OnJobDelete(last);
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

}  // namespace batchwatch::batch
