#include "kube/store.h"

#include <cstring>
#include <type_traits>
#include <unordered_set>

namespace batchwatch::kube {

#if defined(__GLIBCXX__) && defined(__x86_64__)
// A field added to Job must be packed too (PackedJob and Unpack below), or the store would drop
// it silently: this size is the reminder.
static_assert(sizeof(Job) == 416, "batch::Job changed: update ObjectStore::PackedJob");
#endif

// Strings of one Job are far below 4 GiB (a watch line is at most a few MiB), so uint32_t ends.
ObjectStore::PackedJob::PackedJob(const Job& j)
    : creation_time_(j.creation_time),
      scheduled_timestamp_(j.scheduled_timestamp.value_or(0)),
      active_deadline_seconds_(j.active_deadline_seconds.value_or(0)),
      start_time_(j.start_time.value_or(0)),
      completion_time_(j.completion_time.value_or(0)),
      end_time_(j.end_time.value_or(0)),
      active_(j.active),
      ready_(j.ready.value_or(0)),
      succeeded_(j.succeeded),
      failed_(j.failed),
      manual_(j.manual),
      suspend_(j.suspend),
      outcome_(j.outcome) {
  const std::string* texts[kFieldCount] = {
      &j.namespace_,         &j.resource_version,  &j.name,        &j.generate_name,
      &j.owner_cronjob_name, &j.owner_cronjob_uid, &j.group_label, &j.terminal_reason};
  size_t total = 0;
  for (const auto* t : texts) total += t->size();
  text_.reset(new char[total]);
  uint32_t end = 0;
  for (int f = 0; f < kFieldCount; ++f) {
    if (!texts[f]->empty()) std::memcpy(text_.get() + end, texts[f]->data(), texts[f]->size());
    end += static_cast<uint32_t>(texts[f]->size());
    ends_[f] = end;
  }
  const std::optional<int64_t>* optionals[] = {&j.scheduled_timestamp, &j.active_deadline_seconds,
                                               &j.start_time, &j.completion_time, &j.end_time};
  for (int o = 0; o < 5; ++o) {
    if (optionals[o]->has_value()) present_ = static_cast<uint8_t>(present_ | 1u << o);
  }
  if (j.ready) present_ = static_cast<uint8_t>(present_ | 1u << kReady);
}

Job ObjectStore::PackedJob::Unpack(const std::string& uid) const {
  Job j;
  j.uid = uid;
  j.namespace_ = Text(kNamespace);
  j.name = Text(kName);
  j.generate_name = Text(kGenerateName);
  j.resource_version = Text(kResourceVersion);
  j.creation_time = creation_time_;
  j.owner_cronjob_name = Text(kOwnerName);
  j.owner_cronjob_uid = Text(kOwnerUid);
  j.group_label = Text(kGroupLabel);
  j.scheduled_timestamp = Get(kScheduled, scheduled_timestamp_);
  j.manual = manual_;
  j.active_deadline_seconds = Get(kDeadline, active_deadline_seconds_);
  j.suspend = suspend_;
  j.start_time = Get(kStart, start_time_);
  j.completion_time = Get(kCompletion, completion_time_);
  j.active = active_;
  if (present_ >> kReady & 1) j.ready = ready_;
  j.succeeded = succeeded_;
  j.failed = failed_;
  j.outcome = outcome_;
  j.terminal_reason = Text(kTerminalReason);
  j.end_time = Get(kEnd, end_time_);
  return j;
}

namespace {

using PackedJob = ObjectStore::PackedJob;

std::string_view NamespaceOf(const PackedJob& j) { return j.namespace_(); }
std::string_view NamespaceOf(const CronJob& c) { return c.namespace_; }
std::string_view VersionOf(const PackedJob& j) { return j.resource_version(); }
std::string_view VersionOf(const CronJob& c) { return c.resource_version; }
Job Unpacked(const std::string& uid, const PackedJob& j) { return j.Unpack(uid); }
const CronJob& Unpacked(const std::string& /*uid*/, const CronJob& c) { return c; }

}  // namespace

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
void ObjectStore::ReportSize(const std::unordered_map<std::string, PackedJob>& t) {
  if (on_size_) on_size_(Resource::kJobs, t.size());
}
void ObjectStore::ReportSize(const std::unordered_map<std::string, CronJob>& t) {
  if (on_size_) on_size_(Resource::kCronJobs, t.size());
}

template <typename T, typename Stored>
void ObjectStore::UpsertLocked(std::unordered_map<std::string, Stored>* table, T obj) {
  constexpr bool kPacked = !std::is_same_v<T, Stored>;
  auto it = table->find(obj.uid);
  if (it == table->end()) {
    if constexpr (kPacked) {
      table->emplace(obj.uid, Stored(obj));
      Notify(nullptr, obj);
    } else {
      auto [ins, ok] = table->emplace(obj.uid, std::move(obj));
      (void)ok;
      Notify(nullptr, ins->second);
    }
    return;
  }
  if (VersionOf(it->second) == obj.resource_version) return;
  if constexpr (kPacked) {
    T old = it->second.Unpack(it->first);
    it->second = Stored(obj);
    Notify(&old, obj);
  } else {
    T old = std::move(it->second);
    it->second = std::move(obj);
    Notify(&old, it->second);
  }
}

template <typename T, typename Stored>
void ObjectStore::DeleteLocked(std::unordered_map<std::string, Stored>* table, const T& last) {
  auto it = table->find(last.uid);
  if (it == table->end()) return;
  table->erase(it);
  NotifyDelete(last);
}

template <typename T, typename Stored>
void ObjectStore::ReplaceLocked(std::unordered_map<std::string, Stored>* table,
                                const std::string& scope, std::vector<T> objs) {
  std::unordered_set<std::string> listed;
  listed.reserve(objs.size());
  for (const auto& o : objs) listed.insert(o.uid);
  // Deletions first, so a name reused by a new UID reads as delete-then-create.
  std::vector<T> vanished;
  for (const auto& [uid, obj] : *table) {
    if ((scope.empty() || NamespaceOf(obj) == scope) && !listed.count(uid)) {
      vanished.push_back(Unpacked(uid, obj));
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
  for (const auto& [uid, j] : jobs_) out.push_back(j.Unpack(uid));
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
