// The cluster view: Jobs and CronJobs keyed by UID. Every change goes to the EventSink as an
// (old, new) pair, in order; a relist turns objects that vanished meanwhile into deletions.
// Jobs (100k and more) are kept packed, about half the memory of a Job struct with its strings;
// they are unpacked only for the sink (the old version of an update, a vanished object).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "batch/objects.h"

namespace batchwatch::kube {

using batch::ActiveRef;
using batch::ConcurrencyPolicy;
using batch::CronJob;
using batch::EventSink;
using batch::Job;
using batch::JobOutcome;
using batch::Resource;
using batch::ResourceName;
using batch::UnixSeconds;

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

  // Every field of a Job; the strings (but the UID, which is the table's key) in one allocation.
  class PackedJob {
   public:
    explicit PackedJob(const Job& j);
    Job Unpack(const std::string& uid) const;
    std::string_view namespace_() const { return Text(kNamespace); }
    std::string_view resource_version() const { return Text(kResourceVersion); }

   private:
    enum Field : uint8_t {
      kNamespace,
      kResourceVersion,
      kName,
      kGenerateName,
      kOwnerName,
      kOwnerUid,
      kGroupLabel,
      kTerminalReason,
      kFieldCount
    };
    enum Optional : uint8_t { kScheduled, kDeadline, kStart, kCompletion, kEnd, kReady };
    std::string_view Text(Field f) const {
      const uint32_t begin = f == 0 ? 0 : ends_[f - 1];
      return std::string_view(text_.get() + begin, ends_[f] - begin);
    }
    std::optional<int64_t> Get(Optional o, int64_t v) const {
      return (present_ >> o & 1) ? std::optional<int64_t>(v) : std::nullopt;
    }

    std::unique_ptr<char[]> text_;
    uint32_t ends_[kFieldCount];
    int64_t creation_time_, scheduled_timestamp_, active_deadline_seconds_, start_time_,
        completion_time_, end_time_;
    int32_t active_, ready_, succeeded_, failed_;
    uint8_t present_ = 0;  // bit per Optional
    bool manual_, suspend_;
    JobOutcome outcome_;
  };

 private:
  template <typename T, typename Stored>
  void UpsertLocked(std::unordered_map<std::string, Stored>* table, T obj);
  template <typename T, typename Stored>
  void DeleteLocked(std::unordered_map<std::string, Stored>* table, const T& last);
  template <typename T, typename Stored>
  void ReplaceLocked(std::unordered_map<std::string, Stored>* table, const std::string& scope,
                     std::vector<T> objs);
  void Notify(const Job* old, const Job& now);
  void Notify(const CronJob* old, const CronJob& now);
  void NotifyDelete(const Job& last);
  void NotifyDelete(const CronJob& last);
  void ReportSize(const std::unordered_map<std::string, PackedJob>&);
  void ReportSize(const std::unordered_map<std::string, CronJob>&);

  EventSink* const sink_;
  const std::function<void(Resource, size_t)> on_size_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, PackedJob> jobs_;
  std::unordered_map<std::string, CronJob> cronjobs_;
};

}  // namespace batchwatch::kube
