// The JSON API and the status pages through web::Site::Handle: schema, errors, bounds,
// escaping of everything that comes from the cluster or the request, and the DOM contract the
// browser tests rely on (docs/api.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "scenario.h"
#include "web/format.h"
#include "web/web.h"

namespace batchwatch::web {
namespace {

using namespace tracker::testing;  // NOLINT: the scenario DSL
using nlohmann::json;

http::Response Get(const Site& site, const std::string& path, const std::string& query = "") {
  http::Response r;
  site.Handle({"GET", path, query}, &r);
  return r;
}

std::string Header(const http::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

std::string JobFor(const std::string& cj, batch::UnixSeconds slot) {
  return cron::JobNameForSlot(cj, slot);
}

// Two CronJobs: "backup" healthy, "report" failing with a hostile reason string; a job group.
class SiteTest : public ::testing::Test {
 protected:
  SiteTest() : c_(T0) {
    c_.Apply(MakeCronJob("backup", "*/5 * * * *", T0 - 3600));
    CronJob report = MakeCronJob("report", "*/5 * * * *", T0 - 3600);
    report.time_zone = "Asia/Shanghai";
    c_.Apply(report);
    CronJob odd = MakeCronJob("odd", "<b>every</b> day", T0 - 3600);
    c_.Apply(odd).Synced();
    c_.At(T0 + 301).Run("backup", T0 + 300).Run("report", T0 + 300);
    c_.At(T0 + 330).Finish(JobFor("backup", T0 + 300), JobOutcome::kSucceeded);
    c_.Finish(JobFor("report", T0 + 300), JobOutcome::kFailed, "<script>alert(1)</script>");
    Job j = StandaloneJob("migrate-x1", T0 + 10);
    j.group_label = "migrate";
    c_.Put(j).Put(Finished(j, JobOutcome::kSucceeded, T0 + 40));
    c_.At(T0 + 400);
  }
  Site MakeSite(SiteOptions o = {}) { return Site(&c_.tracker(), std::move(o)); }
  Cluster c_;
};

// The hand-written UTC formatter agrees with cctz on every kind of day: epoch, leap days,
// century years, before 1970, the ends of the years it formats itself, and beyond.
TEST(Rfc3339Utc, AgreesWithCctz) {
  auto cctz_format = [](batch::UnixSeconds t) {
    auto p =
        std::chrono::time_point_cast<cctz::seconds>(std::chrono::system_clock::from_time_t(0)) +
        cctz::seconds(t);
    return cctz::format("%Y-%m-%dT%H:%M:%SZ", p, cctz::utc_time_zone());
  };
  std::vector<batch::UnixSeconds> instants = {
      0,          -1,          86399,        86400,        951782400,    951868799,
      4107542400, -2208988800, -62135596800, 253402300799, 253402300800, -62167219201};
  for (batch::UnixSeconds t = -2500000000; t < 5000000000; t += 7919 * 3607) instants.push_back(t);
  for (batch::UnixSeconds t : instants) EXPECT_EQ(Rfc3339Utc(t), cctz_format(t)) << t;
}

TEST_F(SiteTest, FleetJson) {
  Site site = MakeSite();
  auto r = Get(site, "/api/v1/cronjobs");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
  json j = json::parse(r.body);
  ASSERT_EQ(j["cronjobs"].size(), 3u);
  EXPECT_EQ(j["total"], 3);
  // Problems first: report (failing) and odd (schedule_error), then backup.
  EXPECT_EQ(j["cronjobs"][2]["name"], "backup");
  json report;
  for (auto& row : j["cronjobs"]) {
    if (row["name"] == "report") report = row;
  }
  EXPECT_EQ(report["time_zone"], "Asia/Shanghai");
  EXPECT_EQ(report["problems"], json::array({"failing"}));
  EXPECT_EQ(report["last_run"]["result"], "failed");
  EXPECT_EQ(report["last_run"]["reason"], "<script>alert(1)</script>");
  EXPECT_EQ(report["counts"]["24h"]["failed"], 1);
  EXPECT_EQ(report["success_ratio_7d"], 0);
  EXPECT_EQ(report["url"], "/cronjobs/ns/report");
  EXPECT_TRUE(report["last_run"]["pod_reason"].is_string());
  EXPECT_TRUE(report["last_run"]["exit_code"].is_null());
  EXPECT_EQ(j["cronjobs"][2]["next_slot"], "2024-01-01T00:10:00Z");
  auto limited = json::parse(Get(site, "/api/v1/cronjobs", "limit=1").body);
  EXPECT_EQ(limited["cronjobs"].size(), 1u);
  EXPECT_EQ(limited["total"], 3);
}

TEST_F(SiteTest, OneCronJobJson) {
  SiteOptions o;
  o.external_url = "https://batchwatch.example.com/";
  o.explain_schedule = [](const std::string& spec, std::string* words, std::string*) {
    *words = "words for " + spec;
    return true;
  };
  Site site = MakeSite(o);
  c_.At(T0 + 1000);  // T0+600 superseded, T0+900 pending
  auto r = Get(site, "/api/v1/cronjobs/ns/report");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["cronjob"]["schedule_words"], "words for */5 * * * *");
  EXPECT_EQ(j["cronjob"]["url"], "https://batchwatch.example.com/cronjobs/ns/report");
  ASSERT_GE(j["slots"].size(), 3u);
  json first_ran = j["slots"][j["slots"].size() - 1];
  EXPECT_EQ(first_ran["slot"], "2024-01-01T00:05:00Z");
  EXPECT_EQ(first_ran["slot_local"], "2024-01-01T08:05:00+08:00");
  EXPECT_EQ(first_ran["outcome"], "ran");
  EXPECT_EQ(first_ran["late_by_seconds"], 1);
  EXPECT_EQ(first_ran["job"], JobFor("report", T0 + 300));
  EXPECT_EQ(j["slots"][0]["outcome"], "pending");
  EXPECT_EQ(j["slots"][0]["slot"], "2024-01-01T00:15:00Z");
  EXPECT_EQ(j["slots"][1]["outcome"], "missed");
  EXPECT_EQ(j["slots"][1]["reason"], "superseded");
  EXPECT_EQ(j["slots"][1]["final_at"], "2024-01-01T00:15:00Z");
  EXPECT_EQ(j["cronjob"]["problems"], json::array({"failing", "missed", "overdue"}));
  ASSERT_EQ(j["runs"].size(), 1u);
  EXPECT_EQ(j["runs"][0]["duration_seconds"], 29);
  EXPECT_EQ(j["runs"][0]["start_delay_seconds"], 1);
  EXPECT_EQ(j["range"]["limit"], 200);
  auto ranged = json::parse(
      Get(site, "/api/v1/cronjobs/ns/report", "from=2024-01-01T00:10:00Z&to=1704067800").body);
  ASSERT_EQ(ranged["slots"].size(), 1u);
  EXPECT_EQ(ranged["slots"][0]["slot"], "2024-01-01T00:10:00Z");
  EXPECT_EQ(ranged["runs"].size(), 0u);
}

TEST_F(SiteTest, JobGroupsJson) {
  Site site = MakeSite();
  json list = json::parse(Get(site, "/api/v1/jobgroups").body);
  ASSERT_EQ(list["jobgroups"].size(), 1u);
  EXPECT_EQ(list["jobgroups"][0]["group"], "migrate");
  auto r = Get(site, "/api/v1/jobgroups/ns/migrate");
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["runs"][0]["job"], "migrate-x1");
  EXPECT_EQ(j["runs"][0]["result"], "succeeded");
  EXPECT_EQ(Get(site, "/api/v1/jobgroups/ns/nope").status, 404);
}

TEST_F(SiteTest, BadInputIsAClearJsonError) {
  Site site = MakeSite();
  struct Case {
    std::string path, query;
    int status;
    std::string error_part;
  } cases[] = {
      {"/api/v1/cronjobs/ns/nope", "", 404, "no CronJob ns/nope"},
      {"/api/v1/cronjobs/other/backup", "", 404, "no CronJob other/backup"},
      {"/api/v1/cronjobs/Bad_NS/backup", "", 400, "not a Kubernetes namespace name"},
      {"/api/v1/cronjobs/ns/<script>", "", 400, "not a Kubernetes object name"},
      {"/api/v1/cronjobs/ns/backup", "limit=100000000", 400, "limit"},
      {"/api/v1/cronjobs/ns/backup", "limit=0", 400, "limit"},
      {"/api/v1/cronjobs/ns/backup", "limit=-5", 400, "limit"},
      {"/api/v1/cronjobs", "limit=99999999999999999999", 400, "limit"},
      {"/api/v1/cronjobs/ns/backup", "from=yesterday", 400, "from"},
      {"/api/v1/cronjobs/ns/backup", "to=2024-13-01T00:00:00Z", 400, "to"},
      {"/api/v1/cronjobs/ns/backup", "from=1704067800&to=1704067200", 400, "from is after to"},
      {"/api/v1/cronjobs/ns/backup/extra", "", 404, "no such endpoint"},
      {"/api/v1/pods", "", 404, "no such endpoint"},
      {"/api/v1/jobgroups/ns/a%20b", "", 400, "not a job group name"},
  };
  for (const auto& c : cases) {
    auto r = Get(site, c.path, c.query);
    EXPECT_EQ(r.status, c.status) << c.path << "?" << c.query;
    EXPECT_EQ(r.content_type, "application/json; charset=utf-8") << c.path;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(c.error_part), std::string::npos)
        << c.path << "?" << c.query << ": " << r.body;
  }
  EXPECT_EQ(Get(site, "/api/v1/cronjobs/ns/backup", "limit=10000").status, 200);
}

TEST_F(SiteTest, FleetPageContract) {
  Site site = MakeSite();
  auto r = Get(site, "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(r, "Content-Security-Policy"),
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri "
            "'none'; form-action 'self'; frame-ancestors 'none'");
  const std::string& b = r.body;
  EXPECT_NE(b.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_NE(b.find("<table id=\"fleet\">"), std::string::npos);
  EXPECT_NE(b.find("<th scope=\"col\" data-sort=\"name\">"), std::string::npos);
  EXPECT_NE(b.find("<input id=\"filter\" type=\"search\""), std::string::npos);
  EXPECT_NE(b.find("<select id=\"namespace\""), std::string::npos);
  EXPECT_NE(b.find("<option value=\"\">all</option>"), std::string::npos);
  for (const char* link : {"href=\"./metrics\"", "href=\"./healthz\"", "href=\"./readyz\""}) {
    EXPECT_NE(b.find(link), std::string::npos) << link;
  }
  size_t report = b.find(
      "<tr class=\"cronjob\" data-namespace=\"ns\" data-name=\"report\" "
      "data-problems=\"failing\">");
  size_t odd = b.find("data-name=\"odd\" data-problems=\"schedule_error\">");
  size_t backup = b.find(
      "<tr class=\"cronjob\" data-namespace=\"ns\" data-name=\"backup\" "
      "data-problems=\"\">");
  ASSERT_NE(report, std::string::npos);
  ASSERT_NE(odd, std::string::npos);
  ASSERT_NE(backup, std::string::npos);
  EXPECT_LT(std::max(report, odd), backup);  // problems first
  EXPECT_NE(b.find("<a href=\"./cronjobs/ns/backup\">"), std::string::npos);
  // No inline script or style anywhere (the CSP would block them).
  EXPECT_EQ(b.find("<script>"), std::string::npos);
  EXPECT_EQ(b.find("style="), std::string::npos);
  EXPECT_EQ(b.find("<style"), std::string::npos);
  EXPECT_EQ(b.find("<b>every"), std::string::npos);
  EXPECT_NE(b.find("&lt;b&gt;every&lt;/b&gt; day"), std::string::npos);
}

TEST_F(SiteTest, FleetFilterWorksWithoutScript) {
  Site site = MakeSite();
  auto r = Get(site, "/", "q=REP&namespace=ns");
  EXPECT_NE(r.body.find("data-name=\"report\" data-problems=\"failing\">"), std::string::npos);
  EXPECT_NE(r.body.find("data-name=\"backup\" data-problems=\"\" hidden>"), std::string::npos);
  EXPECT_NE(r.body.find("value=\"REP\""), std::string::npos);
  EXPECT_NE(r.body.find("<option value=\"ns\" selected>"), std::string::npos);
  r = Get(site, "/", "namespace=elsewhere");
  EXPECT_NE(r.body.find("data-name=\"report\" data-problems=\"failing\" hidden>"),
            std::string::npos);
  // The filter text comes back escaped.
  r = Get(site, "/", "q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(r.body.find("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
            std::string::npos);
}

TEST_F(SiteTest, CronJobPageContract) {
  Site site = MakeSite();
  auto r = Get(site, "/cronjobs/ns/report");
  ASSERT_EQ(r.status, 200);
  const std::string& b = r.body;
  EXPECT_FALSE(Header(r, "Content-Security-Policy").empty());
  EXPECT_NE(b.find("<h1>ns/report</h1>"), std::string::npos);
  EXPECT_NE(b.find("<p id=\"schedule-explained\">*/5 * * * *, Asia/Shanghai; next: Mon "
                   "2024-01-01 08:10 CST (in 3 min)"),
            std::string::npos)
      << b;
  EXPECT_NE(b.find("<ol id=\"timeline\">"), std::string::npos);
  EXPECT_NE(
      b.find("<li class=\"slot o-ran\" data-outcome=\"ran\" data-slot=\"2024-01-01T00:05:00Z\""),
      std::string::npos);
  EXPECT_NE(b.find("<table id=\"runs\">"), std::string::npos);
  EXPECT_NE(b.find("<tr class=\"run\" data-result=\"failed\" data-job=\"" +
                   JobFor("report", T0 + 300) + "\">"),
            std::string::npos);
  // The reason string is text, not markup.
  EXPECT_EQ(b.find("<script>alert"), std::string::npos);
  EXPECT_NE(b.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST_F(SiteTest, DstChangesAreCalledOut) {
  CronJob cj = MakeCronJob("nightly", "30 2 * * *", T0 - 3600);
  cj.time_zone = "America/New_York";
  c_.Apply(cj);
  c_.At(1710000000, 3600);  // 2024-03-09T16:00:00Z: the clocks go forward on Sunday 2024-03-10
  Site site = MakeSite();
  auto r = Get(site, "/cronjobs/ns/nightly");
  EXPECT_NE(r.body.find("DST: on Sun 2024-03-10 clocks go forward from 02:00 to 03:00"),
            std::string::npos)
      << r.body.substr(r.body.find("schedule-explained"), 400);
}

TEST_F(SiteTest, UnknownAndBadPages) {
  Site site = MakeSite();
  auto r = Get(site, "/cronjobs/ns/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("<a href=\"../../\">"), std::string::npos);
  r = Get(site, "/cronjobs/NS!/x");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("NS!"), std::string::npos);
  r = Get(site, "/cronjobs/ns/<img src=x>");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find("<img"), std::string::npos);
  EXPECT_EQ(Get(site, "/nothing/here").status, 404);
  EXPECT_EQ(Get(site, "/jobgroups/ns/migrate").status, 200);
}

// Every href, src and action value in `html`.
std::vector<std::string> LinksOf(const std::string& html) {
  std::vector<std::string> links;
  for (const char* attr : {" href=\"", " src=\"", " action=\""}) {
    for (size_t at = html.find(attr); at != std::string::npos; at = html.find(attr, at + 1)) {
      size_t begin = at + std::string(attr).size();
      links.push_back(html.substr(begin, html.find('"', begin) - begin));
    }
  }
  return links;
}

// A relative reference (no scheme, host or query) resolved against the path `base`, as a
// browser does (RFC 3986, 5.2: merge, then remove dot segments).
std::string Resolve(const std::string& base, const std::string& ref) {
  const std::string merged = base.substr(0, base.rfind('/') + 1) + ref;
  std::vector<std::string> segments;
  bool ends_in_dir = false;
  size_t begin = 1;
  while (begin <= merged.size()) {
    size_t end = std::min(merged.find('/', begin), merged.size());
    std::string seg = merged.substr(begin, end - begin);
    bool last = end == merged.size();
    ends_in_dir = seg == "." || seg == ".." || (last && seg.empty());
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (seg != "." && !(last && seg.empty())) {
      segments.push_back(seg);
    }
    begin = end + 1;
  }
  std::string path;
  for (const auto& seg : segments) path += "/" + seg;
  if (path.empty() || ends_in_dir) path += "/";
  return path;
}

TEST(Resolve, LikeABrowser) {
  EXPECT_EQ(Resolve("/", "./"), "/");
  EXPECT_EQ(Resolve("/", "./cronjobs/ns/a"), "/cronjobs/ns/a");
  EXPECT_EQ(Resolve("/p/cronjobs/ns/a", "../../static/x.css"), "/p/static/x.css");
  EXPECT_EQ(Resolve("/p/cronjobs/ns/a", "../../"), "/p/");
  EXPECT_EQ(Resolve("/cronjobs/ns/a/", "../../../metrics"), "/metrics");
}

// Behind a proxy that serves the exporter under a prefix (--external-url https://host/bw), a
// link must lead to the same page under that prefix: no link may start at the host's root.
TEST_F(SiteTest, PageLinksAreRelativeAndResolveUnderAnyPrefix) {
  Site site = MakeSite();
  const std::set<std::string> outside = {"/metrics", "/healthz", "/readyz"};  // not the Site's
  const std::vector<std::string> pages = {"/",
                                          "/cronjobs/ns/report",
                                          "/cronjobs/ns/backup/",
                                          "/jobgroups/ns/migrate",
                                          "/cronjobs/ns/nope",
                                          "/cronjobs/NS!/x",
                                          "/nothing/here",
                                          "/x"};
  for (const std::string& page : pages) {
    http::Response r = Get(site, page);
    std::vector<std::string> links = LinksOf(r.body);
    ASSERT_GE(links.size(), 7u) << page;  // head 3, foot 4
    std::set<std::string> resolved;
    for (const std::string& link : links) {
      ASSERT_FALSE(link.empty()) << page;
      EXPECT_NE(link[0], '/') << page << ": " << link;
      EXPECT_EQ(link.find(':'), std::string::npos) << page << ": " << link;
      const std::string path = Resolve(page, link);
      EXPECT_EQ(Resolve("/batchwatch" + page, link), "/batchwatch" + path) << page << ": " << link;
      resolved.insert(path);
      if (!outside.count(path)) {
        EXPECT_EQ(Get(site, path).status, 200) << page << ": " << link << " -> " << path;
      }
    }
    for (const char* want : {"/", "/static/batchwatch.css", "/static/batchwatch.js", "/metrics",
                             "/healthz", "/readyz", "/api/v1/cronjobs"}) {
      EXPECT_TRUE(resolved.count(want)) << page << " has no link to " << want;
    }
    if (page == "/") {
      for (const char* want : {"/cronjobs/ns/report", "/cronjobs/ns/backup", "/cronjobs/ns/odd",
                               "/jobgroups/ns/migrate"}) {
        EXPECT_TRUE(resolved.count(want)) << "the fleet page has no link to " << want;
      }
    }
    if (page == "/cronjobs/ns/report") {
      EXPECT_TRUE(resolved.count("/api/v1/cronjobs/ns/report"));
    }
  }
}

// The fleet's rows are kept rendered between requests (web/row_texts.h); each step changes
// something a row shows and checks that both the API and the page show the new value.
TEST_F(SiteTest, FleetRowsAreRenderedAgainWhenTheyChange) {
  CronJob yearly = MakeCronJob("yearly", "0 0 1 7 *", T0 - 3600);
  c_.Apply(yearly);
  c_.Put(ManualJob(yearly, "yearly-manual", T0 + 400));
  c_.At(T0 + 430).Finish("yearly-manual", JobOutcome::kSucceeded);
  Site site = MakeSite();
  auto row_of = [&](const std::string& name) {
    json j = json::parse(Get(site, "/api/v1/cronjobs").body);
    for (auto& row : j["cronjobs"]) {
      if (row["name"] == name) return row;
    }
    return json();
  };
  auto page_row = [&](const std::string& name) {
    std::string b = Get(site, "/").body;
    size_t at = b.find("data-name=\"" + name + "\"");
    return at == std::string::npos ? std::string() : b.substr(at, b.find("</tr>", at) - at);
  };
  const json first_next_slot = row_of("report")["next_slot"];
  ASSERT_EQ(row_of("backup")["counts"]["24h"]["succeeded"], 1);
  ASSERT_EQ(row_of("yearly")["counts"]["24h"]["succeeded"], 1);
  ASSERT_NE(page_row("backup").find("data-problems=\"\""), std::string::npos);
  ASSERT_NE(page_row("yearly").find(">1 \xE2\x9C\x93 0 \xE2\x9C\x97<"), std::string::npos);

  // A run fails: counts, last run and problems change (the ledger and the gauges).
  c_.At(T0 + 601).Run("backup", T0 + 600);
  c_.At(T0 + 630).Finish(JobFor("backup", T0 + 600), JobOutcome::kFailed, "Boom");
  EXPECT_EQ(row_of("backup")["counts"]["24h"]["failed"], 1);
  EXPECT_EQ(row_of("backup")["last_run"]["reason"], "Boom");
  EXPECT_EQ(row_of("backup")["problems"], json::array({"failing"}));
  EXPECT_NE(page_row("backup").find("data-problems=\"failing\""), std::string::npos);
  EXPECT_NE(page_row("backup").find("r-failed"), std::string::npos);

  // The spec changes: schedule, suspension and policy.
  c_.Edit("backup", [](CronJob& c) {
    c.schedule = "*/10 * * * *";
    c.suspend = true;
    c.concurrency_policy = batch::ConcurrencyPolicy::kForbid;
  });
  EXPECT_EQ(row_of("backup")["schedule"], "*/10 * * * *");
  EXPECT_EQ(row_of("backup")["suspended"], true);
  EXPECT_EQ(row_of("backup")["concurrency_policy"], "Forbid");
  EXPECT_NE(page_row("backup").find("*/10 * * * *"), std::string::npos);
  EXPECT_NE(page_row("backup").find("(suspended)"), std::string::npos);

  // Only time passes for "yearly" (no slot until July, nothing added to its ledger): its run
  // leaves the 24 h window but stays in the 7 d one.
  const std::string before = page_row("yearly");
  c_.At(T0 + 430 + 86400 + 60, 3600);
  EXPECT_EQ(row_of("yearly")["counts"]["24h"]["succeeded"], 0);
  EXPECT_EQ(row_of("yearly")["counts"]["7d"]["succeeded"], 1);
  EXPECT_NE(page_row("yearly"), before);
  EXPECT_NE(page_row("yearly").find(">0 \xE2\x9C\x93 0 \xE2\x9C\x97<"), std::string::npos);

  // The next slot moves on (Tick refreshes the gauge): the fleet row agrees with the one-CronJob
  // API, which is never kept.
  const json detail = json::parse(Get(site, "/api/v1/cronjobs/ns/report").body);
  EXPECT_NE(row_of("report")["next_slot"], first_next_slot);
  EXPECT_EQ(row_of("report")["next_slot"], detail["cronjob"]["next_slot"]);
}

TEST_F(SiteTest, StaticAssets) {
  Site site = MakeSite();
  auto css = Get(site, "/static/batchwatch.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  auto js = Get(site, "/static/batchwatch.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("getElementById('fleet')"), std::string::npos);
  EXPECT_EQ(Get(site, "/static/other.js").status, 404);
}

}  // namespace
}  // namespace batchwatch::web
