// The slot ledger's faces (issue 13): the JSON API under /api/v1/ (docs/api.md) and the
// server-rendered status pages (`/`, /cronjobs/NS/NAME, /jobgroups/NS/GROUP, /static/...). Reads
// the Tracker's snapshot API only (copies taken under its lock); renders outside the lock.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http/server.h"
#include "tracker/tracker.h"
#include "web/row_texts.h"

namespace batchwatch::web {

// Same signature as cron::ExplainSchedule (exporter/cron/explain.h): true + *words, or false +
// *error.
using ExplainFn =
    std::function<bool(const std::string& spec, std::string* words, std::string* error)>;

struct SiteOptions {
  // The schedule in words. Unset: pages and API show the spec as written.
  ExplainFn explain_schedule;
  // --external-url: where users reach this exporter (links in the API's "url" fields). Empty:
  // links are relative to the root. The pages' links are relative to each page and need none.
  std::string external_url;
  // Whether to serve the status pages at all (the JSON API is always served).
  bool pages = true;
};

// The Handlers::pages function of the HTTP server.
class Site {
 public:
  Site(const tracker::Tracker* tracker, SiteOptions options)
      : tracker_(tracker), options_(std::move(options)) {}
  void Handle(const http::Request& request, http::Response* response) const;

 private:
  const tracker::Tracker* tracker_;
  SiteOptions options_;
  std::shared_ptr<RowTexts> row_texts_ = std::make_shared<RowTexts>();  // the fleet's rows
};

}  // namespace batchwatch::web
