// The cluster view: which Jobs and CronJobs exist, keyed by UID. Every change goes to the
// EventSink, in order; a relist turns objects that vanished meanwhile into OnJobVanished /
// OnCronJobVanished. The sink keeps the objects' content; the store keeps per UID only what it
// needs itself: the resourceVersion (an unchanged one is no event), the namespace (a relist of
// one namespace must not delete another's objects) and what a vanished object's delete must
// carry (batch::VanishedObject). At 100k Jobs that is about 60 bytes of text per Job.
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

  size_t Size(Resource r) const;
  // What is kept of one object: false when the UID is unknown.
  bool Find(Resource r, const std::string& uid, VanishedObject* kept,
            std::string* resource_version) const;

  // Per UID: namespace, resourceVersion and one identity field (a Job's owner CronJob UID, a
  // CronJob's name), in one allocation.
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
  template <typename T>
  void UpsertLocked(Table* table, T obj);
  template <typename T>
  void ReplaceLocked(Table* table, const std::string& scope, std::vector<T> objs);
  void ReportSize(Resource r, const Table& t);

  EventSink* const sink_;
  const std::function<void(Resource, size_t)> on_size_;
  mutable std::mutex mu_;
  Table jobs_;
  Table cronjobs_;
};

}  // namespace batchwatch::kube
