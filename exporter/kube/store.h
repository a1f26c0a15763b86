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
//
// Jobs and CronJobs are listed whole (Replace). Pods and Events, the numerous and large ones,
// are streamed: each list page is upserted as it arrives and the list's end vanishes what no
// page showed (BeginList, UpsertListed, EndList), so no more than one decoded page is held.
// Each entry carries the id of the last list that showed it, so the vanish set is exact and
// costs no memory of its own (the id fits the Entry's padding).
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
  // `selector` names the watch the Events came from (its field selector).
  void Upsert(Event e, std::string_view selector);
  void Delete(const Event& last);

  // A list of Pods or Events streamed page by page. BeginList before the first page (and again
  // when the list starts over: what the abandoned pages upserted stays, and vanishes at EndList
  // unless the new list shows it too); UpsertListed for each page (an upsert of every object,
  // as a watch's, that also marks it as seen by this list); EndList once the list is complete:
  // the stored objects of the scope ("" = every namespace; for Events, of `selector` only)
  // that no page of this list showed vanish, each reported once. Unlike Replace, vanished
  // objects are reported after the upserts: Pods and Events are known by UID only, a name
  // reused by a new UID means nothing to the sink.
  using ListId = uint32_t;
  ListId BeginList();
  void UpsertListed(ListId list, std::vector<Pod> pods);
  void UpsertListed(ListId list, std::string_view selector, std::vector<Event> events);
  void EndList(ListId list, Resource r, const std::string& scope_namespace,
               std::string_view selector);

  // A DELETED object whose final state could not be decoded: removed and reported as vanished,
  // as a relist that no longer shows it would. Unknown UIDs are ignored.
  void Vanish(Resource r, const std::string& uid);

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
    // The last streamed list that showed the object (0: none yet).
    ListId listed_in() const { return listed_in_; }
    void set_listed_in(ListId list) { listed_in_ = list; }

   private:
    std::string_view Text(int f) const {
      const uint32_t begin = f == 0 ? 0 : ends_[f - 1];
      return std::string_view(text_.get() + begin, ends_[f] - begin);
    }
    std::unique_ptr<char[]> text_;
    uint32_t ends_[3];
    ListId listed_in_ = 0;
  };

 private:
  using Table = std::unordered_map<std::string, Entry>;
  // The entry's extra() is the object's identity field, for Events `event_selector`. `list`:
  // the streamed list the object came in (0 = a watch event or Replace).
  template <typename T>
  void UpsertLocked(Table* table, T obj, std::string_view event_selector, ListId list = 0);
  // Removes and reports the entries of the scope that `keep` does not keep. selector "" = every
  // entry of the namespace scope; else only entries with that extra().
  void VanishLocked(Resource r, Table* table, const std::string& scope, std::string_view selector,
                    const std::function<bool(const std::string& uid, const Entry&)>& keep);
  template <typename T>
  void ReplaceLocked(Table* table, const std::string& scope, std::vector<T> objs);
  template <typename T>
  void UpsertListedLocked(Table* table, ListId list, std::string_view selector,
                          std::vector<T> objs);
  template <typename T>
  void DeleteLocked(Table* table, const T& last);
  void ReportSize(Resource r, const Table& t);
  // The table of `r`, const or not as `self` is.
  template <typename Self>
  static auto& TableOf(Self& self, Resource r);

  EventSink* const sink_;
  const std::function<void(Resource, size_t)> on_size_;
  mutable std::mutex mu_;
  Table jobs_;
  Table cronjobs_;
  Table pods_;
  Table events_;
  ListId last_list_ = 0;
};

}  // namespace batchwatch::kube
