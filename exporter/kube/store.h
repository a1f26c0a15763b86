// The cluster view: Jobs and CronJobs keyed by UID. Every change goes to the EventSink as an
// (old, new) pair, in order; a relist turns objects that vanished meanwhile into deletions.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kube/objects.h"

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
  std::vector<Job> Jobs() const;
  std::vector<CronJob> CronJobs() const;

 private:
  template <typename T>
  void UpsertLocked(std::unordered_map<std::string, T>* table, T obj);
  template <typename T>
  void DeleteLocked(std::unordered_map<std::string, T>* table, const T& last);
  template <typename T>
  void ReplaceLocked(std::unordered_map<std::string, T>* table, const std::string& scope,
                     std::vector<T> objs);
  void Notify(const Job* old, const Job& now);
  void Notify(const CronJob* old, const CronJob& now);
  void NotifyDelete(const Job& last);
  void NotifyDelete(const CronJob& last);
  void ReportSize(const std::unordered_map<std::string, Job>&);
  void ReportSize(const std::unordered_map<std::string, CronJob>&);

  EventSink* const sink_;
  const std::function<void(Resource, size_t)> on_size_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Job> jobs_;
  std::unordered_map<std::string, CronJob> cronjobs_;
};

}  // namespace batchwatch::kube
