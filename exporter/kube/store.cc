#include "kube/store.h"

#include <unordered_set>

namespace batchwatch::kube {

ObjectStore::ObjectStore(EventSink* sink, std::function<void(Resource, size_t)> on_size)
    : sink_(sink), on_size_(std::move(on_size)) {}

void ObjectStore::Notify(const Job* old, const Job& now) {
  if (sink_) sink_->OnJobUpsert(old, now);
}
void ObjectStore::Notify(const CronJob* old, const CronJob& now) {
  if (sink_) sink_->OnCronJobUpsert(old, now);
}
void ObjectStore::NotifyDelete(const Job& last) {
  if (sink_) sink_->OnJobDelete(last);
}
void ObjectStore::NotifyDelete(const CronJob& last) {
  if (sink_) sink_->OnCronJobDelete(last);
}
void ObjectStore::ReportSize(const std::unordered_map<std::string, Job>& t) {
  if (on_size_) on_size_(Resource::kJobs, t.size());
}
void ObjectStore::ReportSize(const std::unordered_map<std::string, CronJob>& t) {
  if (on_size_) on_size_(Resource::kCronJobs, t.size());
}

template <typename T>
void ObjectStore::UpsertLocked(std::unordered_map<std::string, T>* table, T obj) {
  auto it = table->find(obj.uid);
  if (it == table->end()) {
    auto [ins, ok] = table->emplace(obj.uid, std::move(obj));
    (void)ok;
    Notify(nullptr, ins->second);
    return;
  }
  if (it->second.resource_version == obj.resource_version) return;
  T old = std::move(it->second);
  it->second = std::move(obj);
  Notify(&old, it->second);
}

template <typename T>
void ObjectStore::DeleteLocked(std::unordered_map<std::string, T>* table, const T& last) {
  auto it = table->find(last.uid);
  if (it == table->end()) return;
  table->erase(it);
  NotifyDelete(last);
}

template <typename T>
void ObjectStore::ReplaceLocked(std::unordered_map<std::string, T>* table, const std::string& scope,
                                std::vector<T> objs) {
  std::unordered_set<std::string> listed;
  listed.reserve(objs.size());
  for (const auto& o : objs) listed.insert(o.uid);
  // Deletions first, so a name reused by a new UID reads as delete-then-create.
  std::vector<T> vanished;
  for (const auto& [uid, obj] : *table) {
    if ((scope.empty() || obj.namespace_ == scope) && !listed.count(uid)) {
      vanished.push_back(obj);
    }
  }
  for (const auto& v : vanished) {
    table->erase(v.uid);
    NotifyDelete(v);
  }
  for (auto& o : objs) UpsertLocked(table, std::move(o));
}

void ObjectStore::Upsert(Job j) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertLocked(&jobs_, std::move(j));
  ReportSize(jobs_);
}
void ObjectStore::Upsert(CronJob c) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertLocked(&cronjobs_, std::move(c));
  ReportSize(cronjobs_);
}
void ObjectStore::Delete(const Job& last) {
  std::lock_guard<std::mutex> lock(mu_);
  DeleteLocked(&jobs_, last);
  ReportSize(jobs_);
}
void ObjectStore::Delete(const CronJob& last) {
  std::lock_guard<std::mutex> lock(mu_);
  DeleteLocked(&cronjobs_, last);
  ReportSize(cronjobs_);
}
void ObjectStore::Replace(const std::string& scope, std::vector<Job> jobs) {
  std::lock_guard<std::mutex> lock(mu_);
  ReplaceLocked(&jobs_, scope, std::move(jobs));
  ReportSize(jobs_);
}
void ObjectStore::Replace(const std::string& scope, std::vector<CronJob> cronjobs) {
  std::lock_guard<std::mutex> lock(mu_);
  ReplaceLocked(&cronjobs_, scope, std::move(cronjobs));
  ReportSize(cronjobs_);
}

size_t ObjectStore::Size(Resource r) const {
  std::lock_guard<std::mutex> lock(mu_);
  return r == Resource::kJobs ? jobs_.size() : cronjobs_.size();
}

std::vector<Job> ObjectStore::Jobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Job> out;
  out.reserve(jobs_.size());
  for (const auto& [uid, j] : jobs_) out.push_back(j);
  return out;
}

std::vector<CronJob> ObjectStore::CronJobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<CronJob> out;
  out.reserve(cronjobs_.size());
  for (const auto& [uid, c] : cronjobs_) out.push_back(c);
  return out;
}

}  // namespace batchwatch::kube
