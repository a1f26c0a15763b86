// The JSON API (docs/api.md): bodies from the Tracker's snapshot views.
#pragma once

#include <string>

#include "tracker/ledger_view.h"
#include "web/row_texts.h"
#include "web/web.h"

namespace batchwatch::web {

std::string ErrorJson(const std::string& message);  // {"error": "..."}
// The rows' texts come from (and go to) `texts`.
std::string CronJobsJson(const tracker::LedgerSnapshot& s, const SiteOptions& o, size_t limit,
                         RowTexts* texts);
std::string CronJobJson(const tracker::CronJobDetail& d, const tracker::LedgerQuery& q,
                        batch::UnixSeconds now, const SiteOptions& o);
std::string GroupsJson(const tracker::LedgerSnapshot& s, const SiteOptions& o, size_t limit);
std::string GroupJson(const tracker::JobGroupDetail& d, const tracker::LedgerQuery& q,
                      batch::UnixSeconds now, const SiteOptions& o);
// The schedule in words through the hook, or the spec as written.
std::string ScheduleWords(const SiteOptions& o, const std::string& spec);

}  // namespace batchwatch::web
