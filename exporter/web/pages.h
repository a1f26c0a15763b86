// The server-rendered status pages (issue 13): the fleet at `/`, one CronJob, one job group, and
// the error page. The DOM they produce is a contract with tests/browser (docs/api.md, "Pages").
#pragma once

#include <string>

#include "tracker/ledger_view.h"
#include "web/row_texts.h"
#include "web/web.h"

namespace batchwatch::web {

struct FleetFilter {
  std::string text;  // ?q=: a substring of "namespace/name", any case
  std::string ns;    // ?namespace=: exactly this namespace ("" = all)
};

// `root` leads from the page to the exporter's root, relative to the page (RelativeRoot): every
// link and asset is written relative, so the pages work under any path prefix.
// The fleet's rows come from (and go to) `texts`.
std::string FleetPage(const tracker::LedgerSnapshot& s, const FleetFilter& f, const SiteOptions& o,
                      const std::string& root, RowTexts* texts);
std::string CronJobPage(const tracker::CronJobDetail& d, const SiteOptions& o,
                        const std::string& root);
std::string GroupPage(const tracker::JobGroupDetail& d, const SiteOptions& o,
                      const std::string& root);
std::string ErrorPage(int status, const std::string& message, const std::string& root);

struct StaticAsset {
  const char* content_type;
  const char* body;
};
// batchwatch.css, batchwatch.js; nullptr for any other name.
const StaticAsset* FindAsset(const std::string& name);

}  // namespace batchwatch::web
