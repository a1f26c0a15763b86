// The cluster view: which Jobs, CronJobs, Pods and Events exist, keyed by UID. Every change goes
// to the EventSink, in order; a relist turns objects that vanished meanwhile into OnJobVanished,
// OnCronJobVanished, OnPodVanished, OnEventVanished. The sink keeps the objects' content; the store
// keeps per UID only what it needs itself: the resourceVersion (an unchanged one is no event), the
// namespace (a relist of one namespace must not delete another's objects) and what a vanished
// object's delete must carry (batch::VanishedObject). At 100k Jobs that is about 60 bytes of text
// per Job; a Pod keeps the same (its owner Job's UID), an Event its namespace, resourceVersion and
// watch selector.
//
// Events come from two watches with different field selectors (involvedObject.kind=Job and
// =CronJob) over the same resource: each Event entry records its selector, and a relist of one
// selector replaces only that selector's Events.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kube/batch_names.h"

namespace batchwatch::kube {

class ObjectStore {
 public:
  // sink may be nullptr. on_size is called (under the store lock) with the new object count
  // of a resource after every change.
  ObjectStore(EventSink* sink, std::function<void(Resource, size_t)> on_size = nullptr);

  // An ADDED/MODIFIED object. Unchanged resourceVersion: no event.
  void Upsert(Job j);
  void Upsert(CronJob c);
  // A DELETED object (its final state). Unknown UIDs are ignored.
  void Delete(const Job& last);
  void Delete(const CronJob& last);
  // A complete list of one scope ("" = every namespace): upserts every listed object and
  // deletes stored objects of that scope that are not listed.
  void Replace(const std::string& scope_namespace, std::vector<Job> jobs);
  void Replace(const std::string& scope_namespace, std::vector<CronJob> cronjobs);
  void Upsert(Pod p);
  void Delete(const Pod& last);
  void Replace(const std::string& scope_namespace, std::vector<Pod> pods);
  // `selector` names the watch the Events came from (its field selector).
  void Upsert(Event e, std::string_view selector);
  void Delete(const Event& last);
  void Replace(const std::string& scope_namespace, std::string_view selector,
               std::vector<Event> events);

  size_t Size(Resource r) const;
  // What is kept of one object: false when the UID is unknown.
  bool Find(Resource r, const std::string& uid, VanishedObject* kept,
            std::string* resource_version) const;

  // Per UID: namespace, resourceVersion and one identity field (a Job's owner CronJob UID, a
  // CronJob's name, a Pod's owner Job UID, an Event's selector), in one allocation.
  class Entry {
   public:
    Entry(std::string_view ns, std::string_view resource_version, std::string_view extra);
    std::string_view namespace_() const { return Text(0); }
    std::string_view resource_version() const { return Text(1); }
    std::string_view extra() const { return Text(2); }

   private:
    std::string_view Text(int f) const {
      const uint32_t begin = f == 0 ? 0 : ends_[f - 1];
      return std::string_view(text_.get() + begin, ends_[f] - begin);
    }
    std::unique_ptr<char[]> text_;
    uint32_t ends_[3];
  };

 private:
  using Table = std::unordered_map<std::string, Entry>;
  // The entry's extra() is the object's identity field, for Events `event_selector`.
  template <typename T>
  void UpsertLocked(Table* table, T obj, std::string_view event_selector);
  // selector "" = every entry of the namespace scope; else only entries with that extra().
  template <typename T>
  void ReplaceLocked(Table* table, const std::string& scope, std::string_view selector,
                     std::vector<T> objs);
  template <typename T>
  void DeleteLocked(Table* table, const T& last);
  void ReportSize(Resource r, const Table& t);
  const Table& TableOf(Resource r) const;

  EventSink* const sink_;
  const std::function<void(Resource, size_t)> on_size_;
  mutable std::mutex mu_;
  Table jobs_;
  Table cronjobs_;
  Table pods_;
  Table events_;
};

}  // namespace batchwatch::kube
