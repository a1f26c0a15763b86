#include "kube/core_kinds.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "kube/decode_core.h"

namespace batchwatch::kube {
namespace {

class CoreHandler : public KindHandler {
 public:
  // selector: for Events, the field selector of the watch (the store's key for its relists).
  CoreHandler(Resource r, std::string scope, std::string selector, ObjectStore* store,
              const std::set<std::string>* excluded)
      : r_(r),
        scope_(std::move(scope)),
        selector_(std::move(selector)),
        store_(store),
        excluded_(excluded) {}

  // Each page goes to the store as it arrives (see ObjectStore::BeginList): a list of 100k
  // pods never sits decoded in memory.
  bool AddListPage(std::string_view body, ListPageMeta* meta, std::string* error) override {
    CoreListPage page;
    if (!DecodeCoreListPage(body, r_, &page, error)) return false;
    if (r_ == Resource::kPods) {
      DropExcluded(&page.pods);
      store_->UpsertListed(list_, std::move(page.pods));
    } else {
      DropExcluded(&page.events);
      store_->UpsertListed(list_, selector_, std::move(page.events));
    }
    meta->resource_version = std::move(page.resource_version);
    meta->continue_token = std::move(page.continue_token);
    meta->bad_items = page.bad_items;
    meta->first_item_error = std::move(page.first_item_error);
    return true;
  }

  void StartList() override { list_ = store_->BeginList(); }

  void CommitList() override { store_->EndList(list_, r_, scope_, selector_); }

  bool ApplyWatchLine(std::string_view line, WatchLineMeta* meta, std::string* error) override {
    if (!DecodeCoreWatchEvent(line, r_, &ev_, error)) return false;
    meta->type = ev_.type;
    meta->resource_version = ev_.resource_version;
    meta->error_code = ev_.error_code;
    meta->error_message = ev_.error_message;
    meta->skipped = ev_.skip;
    if (!ev_.skip.empty()) {
      // As for Jobs (batch_kinds.cc): a deleted object goes even when its last state is unusable.
      if (ev_.type == WatchEventType::kDeleted && !ev_.skipped_uid.empty()) {
        store_->Vanish(r_, ev_.skipped_uid);
      }
      return true;
    }
    const bool pods = r_ == Resource::kPods;
    switch (ev_.type) {
      case WatchEventType::kAdded:
      case WatchEventType::kModified:
        if (pods) {
          if (!Excluded(ev_.pod.namespace_)) store_->Upsert(std::move(ev_.pod));
        } else if (!Excluded(ev_.event.namespace_)) {
          store_->Upsert(std::move(ev_.event), selector_);
        }
        break;
      case WatchEventType::kDeleted:
        if (pods) {
          store_->Delete(ev_.pod);
        } else {
          store_->Delete(ev_.event);
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
  template <typename T>
  void DropExcluded(std::vector<T>* objs) const {
    objs->erase(std::remove_if(objs->begin(), objs->end(),
                               [this](const T& o) { return Excluded(o.namespace_); }),
                objs->end());
  }

  const Resource r_;
  const std::string scope_;
  const std::string selector_;
  ObjectStore* const store_;
  const std::set<std::string>* const excluded_;
  ObjectStore::ListId list_ = 0;
  CoreWatchEvent ev_;  // reused: its strings keep their capacity from line to line
};

}  // namespace

std::string EventFieldSelector(const std::string& involved_kind) {
  return "involvedObject.kind=" + involved_kind;
}

ResourceKind PodKind(ObjectStore* store, const std::set<std::string>* excluded_namespaces) {
  ResourceKind kind;
  kind.name = ResourceName(Resource::kPods);
  kind.api_prefix = "/api/v1";
  kind.make_handler = [=](const std::string& scope) -> std::unique_ptr<KindHandler> {
    return std::make_unique<CoreHandler>(Resource::kPods, scope, "", store, excluded_namespaces);
  };
  return kind;
}

ResourceKind EventKind(const std::string& involved_kind, ObjectStore* store,
                       const std::set<std::string>* excluded_namespaces) {
  ResourceKind kind;
  kind.name = ResourceName(Resource::kEvents);
  kind.api_prefix = "/api/v1";
  const std::string selector = EventFieldSelector(involved_kind);
  kind.make_handler = [=](const std::string& scope) -> std::unique_ptr<KindHandler> {
    return std::make_unique<CoreHandler>(Resource::kEvents, scope, selector, store,
                                         excluded_namespaces);
  };
  return kind;
}

}  // namespace batchwatch::kube
