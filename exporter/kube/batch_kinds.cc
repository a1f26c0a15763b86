#include "kube/batch_kinds.h"

#include <utility>
#include <vector>

namespace batchwatch::kube {
namespace {

class BatchHandler : public KindHandler {
 public:
  BatchHandler(Resource r, std::string scope, ObjectStore* store, const DecodeOptions* options,
               const std::set<std::string>* excluded)
      : r_(r), scope_(std::move(scope)), store_(store), options_(options), excluded_(excluded) {}

  bool AddListPage(std::string_view body, ListPageMeta* meta, std::string* error) override {
    ListPage page;
    if (!DecodeListPage(body, r_, *options_, &page, error)) return false;
    for (auto& j : page.jobs) {
      if (!Excluded(j.namespace_)) jobs_.push_back(std::move(j));
    }
    for (auto& c : page.cronjobs) {
      if (!Excluded(c.namespace_)) cronjobs_.push_back(std::move(c));
    }
    meta->resource_version = std::move(page.resource_version);
    meta->continue_token = std::move(page.continue_token);
    meta->bad_items = page.bad_items;
    meta->first_item_error = std::move(page.first_item_error);
    return true;
  }

  void StartList() override {
    jobs_.clear();
    cronjobs_.clear();
  }

  void CommitList() override {
    if (r_ == Resource::kJobs) {
      store_->Replace(scope_, std::move(jobs_));
    } else {
      store_->Replace(scope_, std::move(cronjobs_));
    }
    StartList();  // the held pages are no longer needed
  }

  bool ApplyWatchLine(std::string_view line, WatchLineMeta* meta, std::string* error) override {
    if (!DecodeWatchEvent(line, r_, *options_, &ev_, error)) return false;
    meta->type = ev_.type;
    meta->resource_version = ev_.resource_version;
    meta->error_code = ev_.error_code;
    meta->error_message = ev_.error_message;
    meta->skipped = ev_.skip;
    if (!ev_.skip.empty()) {
      // The object is gone even if its last state cannot be read; leaving it until the next
      // relist would keep a deleted Job active. A skipped update keeps the last good state.
      if (ev_.type == WatchEventType::kDeleted && !ev_.skipped_uid.empty()) {
        store_->Vanish(r_, ev_.skipped_uid);
      }
      return true;
    }
    switch (ev_.type) {
      case WatchEventType::kAdded:
      case WatchEventType::kModified:
        if (r_ == Resource::kJobs) {
          if (!Excluded(ev_.job.namespace_)) store_->Upsert(std::move(ev_.job));
        } else if (!Excluded(ev_.cronjob.namespace_)) {
          store_->Upsert(std::move(ev_.cronjob));
        }
        break;
      case WatchEventType::kDeleted:
        if (r_ == Resource::kJobs) {
          store_->Delete(ev_.job);
        } else {
          store_->Delete(ev_.cronjob);
        }
        break;
      case WatchEventType::kBookmark:
      case WatchEventType::kError:
        break;
    }
    return true;
  }

 private:
  bool Excluded(const std::string& ns) const { return excluded_->count(ns) > 0; }

  const Resource r_;
  const std::string scope_;
  ObjectStore* const store_;
  const DecodeOptions* const options_;
  const std::set<std::string>* const excluded_;
  std::vector<Job> jobs_;
  std::vector<CronJob> cronjobs_;
  WatchEvent ev_;  // reused: its strings keep their capacity from line to line
};

}  // namespace

ResourceKind BatchKind(Resource r, ObjectStore* store, const DecodeOptions* options,
                       const std::set<std::string>* excluded_namespaces) {
  ResourceKind kind;
  kind.name = ResourceName(r);
  kind.api_prefix = "/apis/batch/v1";
  kind.make_handler = [=](const std::string& scope) -> std::unique_ptr<KindHandler> {
    return std::make_unique<BatchHandler>(r, scope, store, options, excluded_namespaces);
  };
  return kind;
}

}  // namespace batchwatch::kube
