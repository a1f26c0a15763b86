#include "kube/store.h"

#include <cstring>
#include <type_traits>
#include <unordered_set>

namespace batchwatch::kube {

// Strings of one object are far below 4 GiB (a watch line is at most a few MiB): uint32_t ends.
ObjectStore::Entry::Entry(std::string_view ns, std::string_view resource_version,
                          std::string_view extra) {
  const std::string_view texts[3] = {ns, resource_version, extra};
  text_.reset(new char[ns.size() + resource_version.size() + extra.size()]);
  uint32_t end = 0;
  for (int f = 0; f < 3; ++f) {
    if (!texts[f].empty()) std::memcpy(text_.get() + end, texts[f].data(), texts[f].size());
    end += static_cast<uint32_t>(texts[f].size());
    ends_[f] = end;
  }
}

namespace {

using Entry = ObjectStore::Entry;

// The identity field a vanished object's delete carries (batch::VanishedObject).
std::string_view ExtraOf(const Job& j) { return j.owner_cronjob_uid; }
std::string_view ExtraOf(const CronJob& c) { return c.name; }
Entry EntryOf(const Job& j) { return Entry(j.namespace_, j.resource_version, ExtraOf(j)); }
Entry EntryOf(const CronJob& c) { return Entry(c.namespace_, c.resource_version, ExtraOf(c)); }

VanishedObject Vanished(Resource r, const std::string& uid, const Entry& e) {
  VanishedObject v;
  v.uid = uid;
  v.namespace_ = e.namespace_();
  if (r == Resource::kJobs) {
    v.owner_cronjob_uid = e.extra();
  } else {
    v.name = e.extra();
  }
  return v;
}

constexpr Resource ResourceOf(const Job*) { return Resource::kJobs; }
constexpr Resource ResourceOf(const CronJob*) { return Resource::kCronJobs; }

}  // namespace

ObjectStore::ObjectStore(EventSink* sink, std::function<void(Resource, size_t)> on_size)
    : sink_(sink), on_size_(std::move(on_size)) {}

void ObjectStore::ReportSize(Resource r, const Table& t) {
  if (on_size_) on_size_(r, t.size());
}

template <typename T>
void ObjectStore::UpsertLocked(Table* table, T obj) {
  auto it = table->find(obj.uid);
  if (it == table->end()) {
    table->emplace(obj.uid, EntryOf(obj));
  } else if (it->second.resource_version() == obj.resource_version) {
    return;
  } else {
    it->second = EntryOf(obj);  // the owner reference may have changed (orphaned Job)
  }
  if (!sink_) return;
  if constexpr (std::is_same_v<T, Job>) {
    sink_->OnJobUpsert(obj);
  } else {
    sink_->OnCronJobUpsert(obj);
  }
}

template <typename T>
void ObjectStore::ReplaceLocked(Table* table, const std::string& scope, std::vector<T> objs) {
  constexpr Resource r = ResourceOf(static_cast<const T*>(nullptr));
  std::unordered_set<std::string_view> listed;
  listed.reserve(objs.size());
  for (const auto& o : objs) listed.insert(o.uid);
  // Deletions first, so a name reused by a new UID reads as delete-then-create.
  std::vector<VanishedObject> vanished;
  for (const auto& [uid, entry] : *table) {
    if ((scope.empty() || entry.namespace_() == scope) && !listed.count(uid)) {
      vanished.push_back(Vanished(r, uid, entry));
    }
  }
  for (const auto& v : vanished) {
    table->erase(v.uid);
    if (!sink_) continue;
    if constexpr (r == Resource::kJobs) {
      sink_->OnJobVanished(v);
    } else {
      sink_->OnCronJobVanished(v);
    }
  }
  listed.clear();  // views into objs, which are moved from below
  for (auto& o : objs) UpsertLocked(table, std::move(o));
}

void ObjectStore::Upsert(Job j) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertLocked(&jobs_, std::move(j));
  ReportSize(Resource::kJobs, jobs_);
}
void ObjectStore::Upsert(CronJob c) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertLocked(&cronjobs_, std::move(c));
  ReportSize(Resource::kCronJobs, cronjobs_);
}
void ObjectStore::Delete(const Job& last) {
  std::lock_guard<std::mutex> lock(mu_);
  if (jobs_.erase(last.uid) > 0 && sink_) sink_->OnJobDelete(last);
  ReportSize(Resource::kJobs, jobs_);
}
void ObjectStore::Delete(const CronJob& last) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cronjobs_.erase(last.uid) > 0 && sink_) sink_->OnCronJobDelete(last);
  ReportSize(Resource::kCronJobs, cronjobs_);
}
void ObjectStore::Replace(const std::string& scope, std::vector<Job> jobs) {
  std::lock_guard<std::mutex> lock(mu_);
  ReplaceLocked(&jobs_, scope, std::move(jobs));
  ReportSize(Resource::kJobs, jobs_);
}
void ObjectStore::Replace(const std::string& scope, std::vector<CronJob> cronjobs) {
  std::lock_guard<std::mutex> lock(mu_);
  ReplaceLocked(&cronjobs_, scope, std::move(cronjobs));
  ReportSize(Resource::kCronJobs, cronjobs_);
}

size_t ObjectStore::Size(Resource r) const {
  std::lock_guard<std::mutex> lock(mu_);
  return r == Resource::kJobs ? jobs_.size() : cronjobs_.size();
}

bool ObjectStore::Find(Resource r, const std::string& uid, VanishedObject* kept,
                       std::string* resource_version) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Table& t = r == Resource::kJobs ? jobs_ : cronjobs_;
  auto it = t.find(uid);
  if (it == t.end()) return false;
  *kept = Vanished(r, uid, it->second);
  *resource_version = it->second.resource_version();
  return true;
}

}  // namespace batchwatch::kube
