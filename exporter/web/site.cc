// Routing of the pages and the JSON API. Names in paths are checked against the Kubernetes
// rules before any lookup, so a bad one is a 400 that says which rule, never a lookup of junk.
#include <string>
#include <vector>

#include "web/api.h"
#include "web/pages.h"
#include "web/query.h"
#include "web/web.h"

namespace batchwatch::web {

namespace {

constexpr char kJson[] = "application/json; charset=utf-8";
constexpr char kHtml[] = "text/html; charset=utf-8";
// default-src 'none' leaves only what the pages load from this server: batchwatch.css and
// batchwatch.js; no inline script or style can run even if escaping ever failed.
constexpr char kCsp[] =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

void JsonError(http::Response* r, int status, const std::string& message) {
  r->status = status;
  r->content_type = kJson;
  r->body = ErrorJson(message);
}

void HtmlResponse(http::Response* r, int status, std::string body) {
  r->status = status;
  r->content_type = kHtml;
  r->body = std::move(body);
  r->headers.emplace_back("Content-Security-Policy", kCsp);
  r->headers.emplace_back("X-Content-Type-Options", "nosniff");
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
}

// "" when both names are acceptable; otherwise what is wrong.
std::string CheckNames(const std::string& ns, const std::string& name, bool group) {
  if (!ValidNamespace(ns)) {
    return "namespace \"" + ns +
           "\" is not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63)";
  }
  if (group ? !ValidGroup(name) : !ValidName(name)) {
    return std::string(group ? "job group" : "CronJob name") + " \"" + name +
           (group ? "\" is not a job group name (letters, digits, '-', '.', '_', at most 253)"
                  : "\" is not a Kubernetes object name (lowercase letters, digits, '-' and '.', "
                    "at most 253)");
  }
  return "";
}

void Api(const tracker::Tracker& t, const SiteOptions& o, RowTexts* texts,
         const std::vector<std::string>& parts, const std::map<std::string, std::string>& params,
         http::Response* r) {
  // parts: api v1 KIND [NS NAME]
  bool cronjobs = parts.size() >= 3 && parts[2] == "cronjobs";
  bool groups = parts.size() >= 3 && parts[2] == "jobgroups";
  if ((!cronjobs && !groups) || (parts.size() != 3 && parts.size() != 5)) {
    JsonError(r, 404,
              "no such endpoint; see docs/api.md: /api/v1/cronjobs, /api/v1/cronjobs/{namespace}/"
              "{name}, /api/v1/jobgroups, /api/v1/jobgroups/{namespace}/{group}");
    return;
  }
  tracker::LedgerQuery q;
  std::string error;
  bool list = parts.size() == 3;
  if (!ParseLedgerQuery(params, list ? kMaxLimit : 200, &q, &error)) {
    JsonError(r, 400, error);
    return;
  }
  r->content_type = kJson;
  if (list) {
    tracker::LedgerSnapshot s = t.Snapshot(cronjobs, groups);
    r->body = cronjobs ? CronJobsJson(s, o, q.limit, texts) : GroupsJson(s, o, q.limit);
    return;
  }
  const std::string& ns = parts[3];
  const std::string& name = parts[4];
  if (error = CheckNames(ns, name, groups); !error.empty()) {
    JsonError(r, 400, error);
    return;
  }
  if (cronjobs) {
    auto d = t.CronJobLedger(ns, name, q);
    if (!d) {
      JsonError(r, 404, "no CronJob " + ns + "/" + name + " is known to this exporter");
      return;
    }
    r->body = CronJobJson(*d, q, d->now, o);
  } else {
    auto d = t.GroupLedger(ns, name, q);
    if (!d) {
      JsonError(r, 404, "no job group " + ns + "/" + name + " is known to this exporter");
      return;
    }
    r->body = GroupJson(*d, q, d->now, o);
  }
}

}  // namespace

void Site::Handle(const http::Request& request, http::Response* response) const {
  std::vector<std::string> parts = SplitPath(request.path);
  std::map<std::string, std::string> params = ParseQuery(request.query);
  const std::string root = RelativeRoot(request.path);
  if (parts.size() >= 2 && parts[0] == "api" && parts[1] == "v1") {
    Api(*tracker_, options_, row_texts_.get(), parts, params, response);
    return;
  }
  if (parts.size() == 2 && parts[0] == "static") {
    if (const StaticAsset* a = FindAsset(parts[1])) {
      response->content_type = a->content_type;
      response->body = a->body;
      response->headers.emplace_back("X-Content-Type-Options", "nosniff");
      return;
    }
  }
  if (options_.pages) {
    if (parts.empty()) {
      FleetFilter f;
      if (auto it = params.find("q"); it != params.end()) f.text = it->second;
      if (auto it = params.find("namespace"); it != params.end()) f.ns = it->second;
      HtmlResponse(response, 200,
                   FleetPage(tracker_->Snapshot(true, true), f, options_, root, row_texts_.get()));
      return;
    }
    if (parts.size() == 3 && (parts[0] == "cronjobs" || parts[0] == "jobgroups")) {
      bool group = parts[0] == "jobgroups";
      std::string error = CheckNames(parts[1], parts[2], group);
      if (!error.empty()) {
        HtmlResponse(response, 400, ErrorPage(400, error, root));
        return;
      }
      tracker::LedgerQuery q;
      if (!ParseLedgerQuery(params, 200, &q, &error)) {
        HtmlResponse(response, 400, ErrorPage(400, error, root));
        return;
      }
      if (!group) {
        if (auto d = tracker_->CronJobLedger(parts[1], parts[2], q)) {
          HtmlResponse(response, 200, CronJobPage(*d, options_, root));
          return;
        }
      } else if (auto d = tracker_->GroupLedger(parts[1], parts[2], q)) {
        HtmlResponse(response, 200, GroupPage(*d, options_, root));
        return;
      }
      HtmlResponse(response, 404,
                   ErrorPage(404,
                             std::string(group ? "No job group " : "No CronJob ") + parts[1] + "/" +
                                 parts[2] + " is known to this exporter.",
                             root));
      return;
    }
  }
  HtmlResponse(response, 404, ErrorPage(404, "Nothing here.", root));
}

}  // namespace batchwatch::web
