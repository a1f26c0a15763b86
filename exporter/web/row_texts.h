// The rendered text of each fleet row, kept between requests. The Tracker hands out the same
// immutable row object until something the row shows changes (tracker/ledger_view.h), so the
// object is the key: a changed row is a new object, and its text is rendered anew. At 10,000
// CronJobs this turns most of a fleet request into copying text.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tracker/ledger_view.h"

namespace batchwatch::web {

struct RowText {
  std::shared_ptr<const tracker::FleetRow> row;  // keeps the key alive (no reused address)
  bool has_json = false;
  std::string json;  // the row's object in /api/v1/cronjobs
  // The fleet page's <tr>: html_open up to the data-problems value, html_cells after the tag
  // (whether the row is hidden depends on the request's filter). html_root: the link prefix
  // they were rendered with.
  bool has_html = false;
  std::string html_root, html_open, html_cells;
};

class RowTexts {
 public:
  // The entries of `rows`, in order (new ones empty), valid while the returned lock is held.
  // Entries of rows no longer in `rows` are dropped. Concurrent fleet requests take turns here;
  // the tracker's lock is not involved.
  std::unique_lock<std::mutex> Entries(
      const std::vector<std::shared_ptr<const tracker::FleetRow>>& rows,
      std::vector<RowText*>* out);

 private:
  std::mutex mu_;
  std::unordered_map<const tracker::FleetRow*, RowText> entries_;
};

}  // namespace batchwatch::web
