#include "web/row_texts.h"

namespace batchwatch::web {

std::unique_lock<std::mutex> RowTexts::Entries(
    const std::vector<std::shared_ptr<const tracker::FleetRow>>& rows, std::vector<RowText*>* out) {
  std::unique_lock<std::mutex> lock(mu_);
  std::unordered_map<const tracker::FleetRow*, RowText> kept;
  kept.reserve(rows.size());
  out->clear();
  out->reserve(rows.size());
  for (const auto& row : rows) {
    auto node = entries_.extract(row.get());
    auto it =
        node ? kept.insert(std::move(node)).position : kept.emplace(row.get(), RowText{}).first;
    if (!it->second.row) it->second.row = row;
    out->push_back(&it->second);
  }
  entries_.swap(kept);
  return lock;
}

}  // namespace batchwatch::web
