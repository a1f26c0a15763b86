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
std::string_view ExtraOf(const Pod& p) { return p.owner_job_uid; }

VanishedObject Vanished(Resource r, const std::string& uid, const Entry& e) {
  VanishedObject v;
  v.uid = uid;
  v.namespace_ = e.namespace_();
  switch (r) {
    case Resource::kJobs:
      v.owner_cronjob_uid = e.extra();
      break;
    case Resource::kCronJobs:
      v.name = e.extra();
      break;
    case Resource::kPods:
      v.owner_job_uid = e.extra();
      break;
    case Resource::kEvents:  // extra() is the watch selector, not the Event's
      break;
  }
  return v;
}

constexpr Resource ResourceOf(const Job*) { return Resource::kJobs; }
constexpr Resource ResourceOf(const CronJob*) { return Resource::kCronJobs; }
constexpr Resource ResourceOf(const Pod*) { return Resource::kPods; }
constexpr Resource ResourceOf(const Event*) { return Resource::kEvents; }

void SendUpsert(EventSink* sink, const Job& j) { sink->OnJobUpsert(j); }
void SendUpsert(EventSink* sink, const CronJob& c) { sink->OnCronJobUpsert(c); }
void SendUpsert(EventSink* sink, const Pod& p) { sink->OnPodUpsert(p); }
void SendUpsert(EventSink* sink, const Event& e) { sink->OnEventUpsert(e); }
void SendDelete(EventSink* sink, const Job& j) { sink->OnJobDelete(j); }
void SendDelete(EventSink* sink, const CronJob& c) { sink->OnCronJobDelete(c); }
void SendDelete(EventSink* sink, const Pod& p) { sink->OnPodDelete(p); }
void SendDelete(EventSink* sink, const Event& e) { sink->OnEventDelete(e); }
void SendVanished(EventSink* sink, Resource r, const VanishedObject& v) {
  switch (r) {
    case Resource::kJobs:
      return sink->OnJobVanished(v);
    case Resource::kCronJobs:
      return sink->OnCronJobVanished(v);
    case Resource::kPods:
      return sink->OnPodVanished(v);
    case Resource::kEvents:
      return sink->OnEventVanished(v);
  }
}

}  // namespace

ObjectStore::ObjectStore(EventSink* sink, std::function<void(Resource, size_t)> on_size)
    : sink_(sink), on_size_(std::move(on_size)) {}

void ObjectStore::ReportSize(Resource r, const Table& t) {
  if (on_size_) on_size_(r, t.size());
}

template <typename Self>
auto& ObjectStore::TableOf(Self& self, Resource r) {
  switch (r) {
    case Resource::kJobs:
      return self.jobs_;
    case Resource::kCronJobs:
      return self.cronjobs_;
    case Resource::kPods:
      return self.pods_;
    case Resource::kEvents:
      return self.events_;
  }
  return self.jobs_;
}

template <typename T>
void ObjectStore::UpsertLocked(Table* table, T obj, std::string_view event_selector, ListId list) {
  std::string_view extra;
  if constexpr (std::is_same_v<T, Event>) {
    extra = event_selector;
  } else {
    extra = ExtraOf(obj);
  }
  auto it = table->find(obj.uid);
  bool changed = true;
  if (it == table->end()) {
    it = table->emplace(obj.uid, Entry(obj.namespace_, obj.resource_version, extra)).first;
  } else if (it->second.resource_version() == obj.resource_version) {
    changed = false;
  } else {
    // The owner reference may have changed (orphaned Job, adopted Pod).
    const ListId listed_in = it->second.listed_in();
    it->second = Entry(obj.namespace_, obj.resource_version, extra);
    it->second.set_listed_in(listed_in);
  }
  if (list != 0) it->second.set_listed_in(list);
  if (changed && sink_) SendUpsert(sink_, obj);
}

void ObjectStore::VanishLocked(
    Resource r, Table* table, const std::string& scope, std::string_view selector,
    const std::function<bool(const std::string& uid, const Entry&)>& keep) {
  std::vector<VanishedObject> vanished;
  for (const auto& [uid, entry] : *table) {
    if ((scope.empty() || entry.namespace_() == scope) &&
        (selector.empty() || entry.extra() == selector) && !keep(uid, entry)) {
      vanished.push_back(Vanished(r, uid, entry));
    }
  }
  for (const auto& v : vanished) {
    table->erase(v.uid);
    if (sink_) SendVanished(sink_, r, v);
  }
}

template <typename T>
void ObjectStore::ReplaceLocked(Table* table, const std::string& scope, std::vector<T> objs) {
  constexpr Resource r = ResourceOf(static_cast<const T*>(nullptr));
  std::unordered_set<std::string_view> listed;
  listed.reserve(objs.size());
  for (const auto& o : objs) listed.insert(o.uid);
  // Deletions first, so a name reused by a new UID reads as delete-then-create.
  VanishLocked(r, table, scope, "",
               [&listed](const std::string& uid, const Entry&) { return listed.count(uid) > 0; });
  listed.clear();  // views into objs, which are moved from below
  for (auto& o : objs) UpsertLocked(table, std::move(o), "");
}

template <typename T>
void ObjectStore::UpsertListedLocked(Table* table, ListId list, std::string_view selector,
                                     std::vector<T> objs) {
  for (auto& o : objs) UpsertLocked(table, std::move(o), selector, list);
  ReportSize(ResourceOf(static_cast<const T*>(nullptr)), *table);
}

template <typename T>
void ObjectStore::DeleteLocked(Table* table, const T& last) {
  if (table->erase(last.uid) > 0 && sink_) SendDelete(sink_, last);
  ReportSize(ResourceOf(static_cast<const T*>(nullptr)), *table);
}

void ObjectStore::Upsert(Job j) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertLocked(&jobs_, std::move(j), "");
  ReportSize(Resource::kJobs, jobs_);
}
void ObjectStore::Upsert(CronJob c) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertLocked(&cronjobs_, std::move(c), "");
  ReportSize(Resource::kCronJobs, cronjobs_);
}
void ObjectStore::Upsert(Pod p) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertLocked(&pods_, std::move(p), "");
  ReportSize(Resource::kPods, pods_);
}
void ObjectStore::Upsert(Event e, std::string_view selector) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertLocked(&events_, std::move(e), selector);
  ReportSize(Resource::kEvents, events_);
}
void ObjectStore::Delete(const Job& last) {
  std::lock_guard<std::mutex> lock(mu_);
  DeleteLocked(&jobs_, last);
}
void ObjectStore::Delete(const CronJob& last) {
  std::lock_guard<std::mutex> lock(mu_);
  DeleteLocked(&cronjobs_, last);
}
void ObjectStore::Delete(const Pod& last) {
  std::lock_guard<std::mutex> lock(mu_);
  DeleteLocked(&pods_, last);
}
void ObjectStore::Delete(const Event& last) {
  std::lock_guard<std::mutex> lock(mu_);
  DeleteLocked(&events_, last);
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
ObjectStore::ListId ObjectStore::BeginList() {
  std::lock_guard<std::mutex> lock(mu_);
  if (++last_list_ == 0) ++last_list_;  // 0 means "no list"; 2^32 lists would take centuries
  return last_list_;
}
void ObjectStore::UpsertListed(ListId list, std::vector<Pod> pods) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertListedLocked(&pods_, list, "", std::move(pods));
}
void ObjectStore::UpsertListed(ListId list, std::string_view selector, std::vector<Event> events) {
  std::lock_guard<std::mutex> lock(mu_);
  UpsertListedLocked(&events_, list, selector, std::move(events));
}
void ObjectStore::EndList(ListId list, Resource r, const std::string& scope,
                          std::string_view selector) {
  std::lock_guard<std::mutex> lock(mu_);
  Table& table = TableOf(*this, r);
  VanishLocked(r, &table, scope, selector,
               [list](const std::string&, const Entry& e) { return e.listed_in() == list; });
  ReportSize(r, table);
}

size_t ObjectStore::Size(Resource r) const {
  std::lock_guard<std::mutex> lock(mu_);
  return TableOf(*this, r).size();
}

void ObjectStore::Vanish(Resource r, const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  Table& t = TableOf(*this, r);
  auto it = t.find(uid);
  if (it == t.end()) return;
  const VanishedObject v = Vanished(r, uid, it->second);
  t.erase(it);
  if (sink_) SendVanished(sink_, r, v);
  ReportSize(r, t);
}

bool ObjectStore::Find(Resource r, const std::string& uid, VanishedObject* kept,
                       std::string* resource_version) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Table& t = TableOf(*this, r);
  auto it = t.find(uid);
  if (it == t.end()) return false;
  *kept = Vanished(r, uid, it->second);
  *resource_version = it->second.resource_version();
  return true;
}

}  // namespace batchwatch::kube
