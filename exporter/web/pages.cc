// HTML is assembled by appending into one buffer; every string that came from the cluster or
// the request goes through AppendHtml (names, reasons, schedules, the filter text).
#include "web/pages.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "cron/explain.h"
#include "web/api.h"
#include "web/format.h"
#include "web/row_texts.h"

namespace batchwatch::web {

namespace {

using batch::UnixSeconds;

constexpr int64_t kWeek = 7 * 86400;

struct OutcomeStyle {
  const char* outcome;
  const char* symbol;  // visible: colour is never the only signal
  const char* label;
};
constexpr OutcomeStyle kOutcomes[] = {
    {"ran", "\xE2\x9C\x93", "ran"},                          // ✓
    {"late", "\xE2\x97\x94", "ran late"},                    // ◔
    {"missed", "\xE2\x9C\x97", "missed"},                    // ✗
    {"forbid_skipped", "\xE2\x8A\x98", "skipped (Forbid)"},  // ⊘
    {"suspended", "\xE2\x80\x96", "suspended"},              // ‖
    {"unobserved", "?", "not observed"},
    {"pending", "\xE2\x80\xA6", "pending"},  // …
};
const OutcomeStyle& Style(const std::string& outcome) {
  for (const auto& s : kOutcomes) {
    if (outcome == s.outcome) return s;
  }
  return kOutcomes[5];
}

const char* ResultSymbol(const std::string& result) {
  if (result == "succeeded") return "\xE2\x9C\x93";
  if (result == "failed") return "\xE2\x9C\x97";
  if (result == "deleted") return "\xE2\x8C\xAB";  // ⌫
  return "\xE2\x96\xB6";                           // ▶ running
}

// Every link is relative to the page (`root` leads from the page to the exporter's root: "./"
// or "../../"), so the pages work behind a proxy that serves them under a path prefix.
void Head(std::string* out, const std::string& title, const std::string& root) {
  *out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  AppendHtml(out, title);
  *out += "</title>\n<link rel=\"stylesheet\" href=\"" + root +
          "static/batchwatch.css\">\n<script src=\"" + root +
          "static/batchwatch.js\" defer></script>\n</head>\n<body>\n<header><a href=\"" + root +
          "\">batchwatch</a><span class=\"muted\">Kubernetes Jobs and CronJobs</span></header>\n"
          "<main>\n";
}

void Foot(std::string* out, const std::string& root) {
  *out += "</main>\n<footer>";
  for (const char* path : {"metrics", "healthz", "readyz", "api/v1/cronjobs"}) {
    *out += "<a href=\"" + root + path + "\">/" + path + "</a>";
  }
  *out += "<span>docs/api.md describes the pages and the API.</span></footer>\n</body>\n</html>\n";
}

// <a href="ROOTKIND/NS/NAME">NS/NAME</a>
void Link(std::string* out, const std::string& root, const char* kind, const std::string& ns,
          const std::string& name) {
  *out += "<a href=\"";
  *out += root;
  *out += kind;
  *out += '/';
  AppendUrlSegment(out, ns);
  *out += '/';
  AppendUrlSegment(out, name);
  *out += "\">";
  AppendHtml(out, ns);
  *out += '/';
  AppendHtml(out, name);
  *out += "</a>";
}

void ProblemBadges(std::string* out, const std::vector<std::string>& problems) {
  for (const auto& p : problems) {
    *out += "<span class=\"problem\">\xE2\x9A\xA0 ";  // ⚠
    AppendHtml(out, p);
    *out += "</span>";
  }
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void LastRunCell(std::string* out, const std::optional<tracker::RunView>& run) {
  if (!run) {
    *out += "<td data-value=\"\" class=\"muted\">none yet</td>";
    return;
  }
  UnixSeconds at = run->ended.value_or(run->counted_at.value_or(run->created));
  *out += "<td data-value=\"";
  AppendInt(out, at);
  *out += "\"><span class=\"r-";
  AppendHtml(out, run->result);
  *out += "\">";
  *out += ResultSymbol(run->result);
  *out += ' ';
  AppendHtml(out, run->result);
  *out += "</span> <span class=\"muted\">";
  AppendRfc3339Utc(out, at);
  *out += "</span></td>";
}

void CountsCell(std::string* out, const tracker::LedgerCounts& c) {
  uint64_t missed = c.missed_deadline_exceeded + c.missed_superseded;
  *out += "<td class=\"num\" data-value=\"";
  AppendUint(out, c.failed + missed + c.forbid_skipped);
  *out += "\">";
  AppendUint(out, c.succeeded);
  *out += " \xE2\x9C\x93 ";
  AppendUint(out, c.failed);
  *out += " \xE2\x9C\x97";
  if (missed > 0) {
    *out += ' ';
    AppendUint(out, missed);
    *out += " missed";
  }
  if (c.forbid_skipped > 0) {
    *out += ' ';
    AppendUint(out, c.forbid_skipped);
    *out += " skipped";
  }
  *out += "</td>";
}

void RatioCell(std::string* out, const std::optional<double>& ratio) {
  if (!ratio) {
    *out += "<td class=\"num\" data-value=\"-1\">\xE2\x80\x94</td>";  // —
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", *ratio * 100);
  *out += "<td class=\"num\" data-value=\"";
  *out += buf;
  *out += "\">";
  *out += buf;
  *out += "%</td>";
}

// "next: Tue 2026-12-02 02:00 CST (in 5 h 12 min)"
std::string NextText(std::optional<UnixSeconds> next, UnixSeconds now, const cctz::time_zone& zone,
                     const std::string& zone_name) {
  if (!next) return "next: none";
  return "next: " + cron::DescribeNextSlot(*next, now, zone, zone_name);
}

// Clock changes of `zone` in (from, to] (cron::DstChanges), as sentences.
std::vector<std::string> DstChangeSentences(const cctz::time_zone& zone, UnixSeconds from,
                                            UnixSeconds to) {
  std::vector<std::string> out;
  for (UnixSeconds at : cron::DstChanges(zone, from, to)) {
    if (out.size() == 8) break;
    const auto instant =
        std::chrono::time_point_cast<cctz::seconds>(std::chrono::system_clock::from_time_t(0)) +
        cctz::seconds(at);
    const int before = zone.lookup(instant - cctz::seconds(1)).offset;
    const int after = zone.lookup(instant).offset;
    const bool forward = after > before;
    out.push_back("DST: on " + cctz::format("%a %Y-%m-%d", instant, zone) + " clocks go " +
                  (forward ? "forward" : "back") + " from " +
                  cctz::format("%H:%M", instant, cctz::fixed_time_zone(cctz::seconds(before))) +
                  " to " + cctz::format("%H:%M", instant, zone) +
                  (forward ? ": slots in the skipped hour run at its end"
                           : ": slots in the repeated hour run once"));
  }
  return out;
}

void RunsTable(std::string* out, const std::vector<tracker::RunView>& runs,
               const cctz::time_zone& zone) {
  *out +=
      "<div class=\"table-wrap\"><table id=\"runs\">\n<caption class=\"sr\">Runs, newest "
      "first</caption>\n<thead><tr><th scope=\"col\">Job</th><th scope=\"col\">Result</th>"
      "<th scope=\"col\">Reason</th><th scope=\"col\">Trigger</th><th scope=\"col\">Created "
      "(UTC)</th><th scope=\"col\" class=\"wide\">Started</th><th scope=\"col\" "
      "class=\"wide\">Ended</th><th scope=\"col\">Duration</th><th scope=\"col\">Start "
      "delay</th><th scope=\"col\" class=\"wide\">Pod</th></tr></thead>\n<tbody>\n";
  for (const auto& r : runs) {
    *out += "<tr class=\"run\" data-result=\"";
    AppendHtml(out, r.result);
    *out += "\" data-job=\"";
    AppendHtml(out, r.job);
    *out += "\"><td>";
    AppendHtml(out, r.job);
    if (!r.counted) *out += " <span class=\"muted\">(before counting began)</span>";
    *out += "</td><td><span class=\"r-";
    AppendHtml(out, r.result);
    *out += "\">";
    *out += ResultSymbol(r.result);
    *out += ' ';
    AppendHtml(out, r.result);
    if (r.replaced) *out += " (replaced)";
    *out += "</span></td><td>";
    AppendHtml(out, r.reason);
    *out += "</td><td>";
    AppendHtml(out, r.trigger);
    *out += "</td><td title=\"" + Html(LocalTime(r.created, zone)) + "\">" + Rfc3339Utc(r.created);
    *out += "</td><td class=\"wide\">" + (r.started ? Rfc3339Utc(*r.started) : std::string());
    *out += "</td><td class=\"wide\">" + (r.ended ? Rfc3339Utc(*r.ended) : std::string());
    *out += "</td><td class=\"num\">" + (r.duration ? HumanDuration(*r.duration) : std::string());
    *out +=
        "</td><td class=\"num\">" + (r.start_delay ? HumanDuration(*r.start_delay) : std::string());
    *out += "</td><td class=\"wide\">";
    AppendHtml(out, r.pod_reason);
    if (r.exit_code) *out += " exit " + std::to_string(*r.exit_code);
    *out += "</td></tr>\n";
  }
  if (runs.empty())
    *out += "<tr><td colspan=\"10\" class=\"muted\">No runs in the ledger.</td></tr>\n";
  *out += "</tbody></table></div>\n";
}

std::string SlotTitle(const tracker::SlotView& s, const cctz::time_zone& zone) {
  std::string t =
      LocalTime(s.slot, zone) + " (" + Rfc3339Utc(s.slot) + "): " + Style(s.outcome).label;
  if (!s.job.empty()) t += ", Job " + s.job;
  if (s.late_by) t += ", " + HumanDuration(*s.late_by) + " after the slot";
  if (!s.reason.empty()) t += ", " + s.reason;
  if (s.outcome == "missed" && s.final_at) t += " at " + Rfc3339Utc(*s.final_at);
  if (!s.blocked_by.empty()) t += ", blocked by " + s.blocked_by;
  if (s.outcome == "suspended") {
    t += ", suspended ";
    t += s.suspended_since ? "since " + Rfc3339Utc(*s.suspended_since) : "before it was seen";
    if (s.suspended_until) t += " until " + Rfc3339Utc(*s.suspended_until);
  }
  if (s.outcome == "pending" && s.final_at) t += ", can start until " + Rfc3339Utc(*s.final_at);
  return t;
}

// `<tr class="KIND" data-namespace="NS" NAME_ATTR="NAME" data-problems="...`, the tag left open.
void OpenRow(std::string* out, const char* kind, const char* name_attr, const std::string& ns,
             const std::string& name, const std::vector<std::string>& problems) {
  *out += "<tr class=\"";
  *out += kind;
  *out += "\" data-namespace=\"";
  AppendHtml(out, ns);
  *out += "\" ";
  *out += name_attr;
  *out += "=\"";
  AppendHtml(out, name);
  *out += "\" data-problems=\"";
  for (size_t i = 0; i < problems.size(); ++i) {  // separated by spaces
    if (i > 0) *out += ' ';
    AppendHtml(out, problems[i]);
  }
}

// One row of the fleet table, in two parts around the end of its <tr> tag (RowText).
void FleetRowHtml(const tracker::FleetRow& r, const SiteOptions& o, const std::string& root,
                  std::unordered_map<std::string, cctz::time_zone>* zones,
                  std::unordered_map<std::string, std::string>* words, std::string* open,
                  std::string* cells) {
  auto z = zones->find(r.zone);
  if (z == zones->end()) z = zones->emplace(r.zone, Zone(r.zone)).first;
  auto w = words->find(r.schedule);
  if (w == words->end()) w = words->emplace(r.schedule, ScheduleWords(o, r.schedule)).first;
  OpenRow(open, "cronjob", "data-name", r.ns, r.name, r.problems);
  std::string& out = *cells;
  out += "<td data-value=\"";
  AppendHtml(&out, r.ns);
  out += '/';
  AppendHtml(&out, r.name);
  out += "\">";
  Link(&out, root, "cronjobs", r.ns, r.name);
  if (!r.exists) out += " <span class=\"muted\">(deleted)</span>";
  if (r.suspended) out += " <span class=\"muted\">(suspended)</span>";
  out += "</td><td class=\"wide\">";
  AppendHtml(&out, r.ns);
  out += "</td><td>";
  AppendHtml(&out, w->second);
  if (!r.zone.empty() && r.zone != "UTC") {
    out += ", ";
    AppendHtml(&out, r.zone);
  }
  out += "</td>";
  if (r.next_slot) {
    out += "<td data-value=\"";
    AppendInt(&out, *r.next_slot);
    out += "\">";
    thread_local std::string local;  // reused from row to row
    local.clear();
    AppendLocalTime(&local, *r.next_slot, z->second);
    AppendHtml(&out, local);
    out += "</td>";
  } else {
    out += "<td data-value=\"\" class=\"muted\">none</td>";
  }
  LastRunCell(&out, r.last_run);
  CountsCell(&out, r.day);
  RatioCell(&out, r.success_ratio);
  out += "<td data-value=\"";
  AppendUint(&out, r.problems.size());
  out += "\">";
  ProblemBadges(&out, r.problems);
  out += "</td></tr>\n";
}

}  // namespace

std::string FleetPage(const tracker::LedgerSnapshot& s, const FleetFilter& f, const SiteOptions& o,
                      const std::string& root, RowTexts* texts) {
  std::vector<RowText*> entries;
  auto lock = texts->Entries(s.cronjobs, &entries);
  std::unordered_map<std::string, cctz::time_zone> zones;
  std::unordered_map<std::string, std::string> words;
  size_t row_bytes = 0;
  // New rows are written into these (capacity reused from row to row) and kept as strings of
  // their own size: one allocation per part, no growth, no slack kept.
  std::string open, cells;
  for (RowText* e : entries) {
    if (!e->has_html || e->html_root != root) {
      open.clear();
      cells.clear();
      FleetRowHtml(*e->row, o, root, &zones, &words, &open, &cells);
      e->html_open.assign(open);
      e->html_cells.assign(cells);
      e->html_root = root;
      e->has_html = true;
    }
    row_bytes += e->html_open.size() + e->html_cells.size() + 16;
  }
  std::string out;
  out.reserve(4096 + row_bytes + s.groups.size() * 500);
  Head(&out, "batchwatch: CronJobs", root);
  std::set<std::string_view> namespaces;
  for (const auto& r : s.cronjobs) namespaces.insert(r->ns);
  size_t problems = 0;
  for (const auto& r : s.cronjobs) problems += !r->problems.empty();
  out += "<h1>CronJobs</h1>\n<p>" + std::to_string(s.cronjobs.size()) + " CronJobs, " +
         std::to_string(problems) + " with problems; <span id=\"shown\">";
  std::string text = Lower(f.text);
  size_t shown = 0;
  std::vector<bool> visible(s.cronjobs.size());
  for (size_t i = 0; i < s.cronjobs.size(); ++i) {
    const auto& r = *s.cronjobs[i];
    visible[i] = (f.ns.empty() || r.ns == f.ns) &&
                 (text.empty() || Lower(r.ns + "/" + r.name).find(text) != std::string::npos);
    shown += visible[i];
  }
  out += std::to_string(shown) + "</span> shown. As of " + Rfc3339Utc(s.now) + ".</p>\n";
  out += "<form class=\"filters\" method=\"get\" action=\"" + root +
         "\" role=\"search\">"
         "<label for=\"filter\">Filter</label><input id=\"filter\" type=\"search\" name=\"q\" "
         "placeholder=\"namespace/name\" value=\"";
  AppendHtml(&out, f.text);
  out +=
      "\"><label for=\"namespace\">Namespace</label><select id=\"namespace\" name=\"namespace\">"
      "<option value=\"\">all</option>";
  for (std::string_view ns : namespaces) {
    out += "<option value=\"";
    AppendHtml(&out, ns);
    out += ns == f.ns ? "\" selected>" : "\">";
    AppendHtml(&out, ns);
    out += "</option>";
  }
  out += "</select><button type=\"submit\">Apply</button></form>\n";
  out +=
      "<div class=\"table-wrap\"><table id=\"fleet\">\n<caption class=\"sr\">CronJobs, problems "
      "first</caption>\n<thead><tr><th scope=\"col\" data-sort=\"name\">CronJob</th>"
      "<th scope=\"col\" data-sort=\"namespace\" class=\"wide\">Namespace</th>"
      "<th scope=\"col\" data-sort=\"schedule\">Schedule</th>"
      "<th scope=\"col\" data-sort=\"next\">Next slot</th>"
      "<th scope=\"col\" data-sort=\"last\">Last run</th>"
      "<th scope=\"col\" data-sort=\"day\">24 h</th>"
      "<th scope=\"col\" data-sort=\"success\" class=\"wide\">Success 7 d</th>"
      "<th scope=\"col\" data-sort=\"problems\">Problems</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    out += entries[i]->html_open;
    out += visible[i] ? "\">" : "\" hidden>";
    out += entries[i]->html_cells;
  }
  out += "</tbody></table></div>\n";
  if (!s.groups.empty()) {
    out +=
        "<h2>Job groups</h2>\n<p class=\"muted\">Standalone Jobs (no CronJob), grouped by label, "
        "generateName or name.</p>\n<div class=\"table-wrap\"><table id=\"jobgroups\">\n<thead>"
        "<tr><th scope=\"col\">Job group</th><th scope=\"col\">Last run</th><th scope=\"col\">"
        "24 h</th><th scope=\"col\">Success 7 d</th><th scope=\"col\">Problems</th></tr></thead>"
        "\n<tbody>\n";
    for (const auto& g : s.groups) {
      OpenRow(&out, "jobgroup", "data-group", g.ns, g.group, g.problems);
      out += "\"><td>";
      Link(&out, root, "jobgroups", g.ns, g.group);
      out += "</td>";
      LastRunCell(&out, g.last_run);
      CountsCell(&out, g.day);
      RatioCell(&out, g.success_ratio);
      out += "<td>";
      ProblemBadges(&out, g.problems);
      out += "</td></tr>\n";
    }
    out += "</tbody></table></div>\n";
  }
  Foot(&out, root);
  return out;
}

std::string CronJobPage(const tracker::CronJobDetail& d, const SiteOptions& o,
                        const std::string& root) {
  const tracker::FleetRow& r = d.summary;
  cctz::time_zone zone = Zone(r.zone);
  std::string out;
  out.reserve(8192 + d.slots.size() * 300 + d.runs.size() * 600);
  Head(&out, r.ns + "/" + r.name + " - batchwatch", root);
  out += "<h1>";
  AppendHtml(&out, r.ns);
  out += '/';
  AppendHtml(&out, r.name);
  out += "</h1>\n";
  if (!r.problems.empty()) {
    out += "<p>Problems: ";
    ProblemBadges(&out, r.problems);
    out += "</p>\n";
  }
  out += "<p id=\"schedule-explained\">";
  const std::string zone_name = r.zone.empty() ? std::string("UTC") : r.zone;
  const std::string words = ScheduleWords(o, r.schedule);
  AppendHtml(&out, words);
  // A CRON_TZ= prefix puts the zone in the words already.
  if (words.find(", in " + zone_name) == std::string::npos) {
    out += ", ";
    AppendHtml(&out, zone_name);
  }
  out += "; ";
  if (r.suspended) {
    out += "suspended";
  } else {
    AppendHtml(&out, NextText(r.next_slot, d.now, zone, zone_name));
  }
  UnixSeconds window_begin = d.now;
  for (const auto& s : d.slots) window_begin = std::min(window_begin, s.slot);
  for (const auto& change : DstChangeSentences(zone, window_begin, d.now + kWeek)) {
    out += "<span class=\"dst\">";
    AppendHtml(&out, change);
    out += "</span>";
  }
  out += "</p>\n<p class=\"muted\">Schedule <code>";
  AppendHtml(&out, r.schedule);
  out += "</code>; concurrencyPolicy ";
  AppendHtml(&out, r.policy);
  out += "; " + std::to_string(r.active) + " active";
  if (!r.exists) out += "; the CronJob is deleted (history kept for a while)";
  if (!r.schedule_error.empty()) {
    out += "; schedule error ";
    AppendHtml(&out, r.schedule_error);
    out += ": ";
    AppendHtml(&out, r.schedule_error_detail);
  }
  out += ".</p>\n<h2>Slots</h2>\n<p class=\"legend\">";
  for (const auto& s : kOutcomes) {
    out += "<span class=\"o-";
    out += s.outcome;
    out += "\">";
    out += s.symbol;
    out += ' ';
    out += s.label;
    out += "</span>";
  }
  out += "</p>\n<ol id=\"timeline\">\n";
  // Oldest first, left to right; d.slots is newest first.
  for (auto it = d.slots.rbegin(); it != d.slots.rend(); ++it) {
    const auto& style = Style(it->outcome);
    out += "<li class=\"slot o-";
    AppendHtml(&out, it->outcome);
    out += "\" data-outcome=\"";
    AppendHtml(&out, it->outcome);
    out += "\" data-slot=\"" + Rfc3339Utc(it->slot) + "\" title=\"";
    AppendHtml(&out, SlotTitle(*it, zone));
    out += "\"><span aria-hidden=\"true\">";
    out += style.symbol;
    out += "</span><span class=\"sr\">";
    AppendHtml(&out, SlotTitle(*it, zone));
    out += "</span></li>\n";
  }
  out += "</ol>\n";
  if (d.slots.empty()) out += "<p class=\"muted\">No slot decided yet.</p>\n";
  out += "<p class=\"muted\">" + std::to_string(d.slots.size()) + " slots shown, " +
         std::to_string(d.ledger_slots) + " held; " + std::to_string(d.ledger_runs) +
         " runs held. JSON: <a href=\"" + root + "api/v1/cronjobs/" + UrlSegment(r.ns) + "/" +
         UrlSegment(r.name) + "\">/api/v1/cronjobs/";
  AppendHtml(&out, r.ns + "/" + r.name);
  out += "</a></p>\n<h2>Runs</h2>\n";
  RunsTable(&out, d.runs, zone);
  Foot(&out, root);
  return out;
}

std::string GroupPage(const tracker::JobGroupDetail& d, const SiteOptions&,
                      const std::string& root) {
  const tracker::JobGroupRow& g = d.summary;
  std::string out;
  Head(&out, g.ns + "/" + g.group + " - batchwatch", root);
  out += "<h1>";
  AppendHtml(&out, g.ns);
  out += '/';
  AppendHtml(&out, g.group);
  out += "</h1>\n<p>Job group of standalone Jobs. ";
  ProblemBadges(&out, g.problems);
  out += "</p>\n<h2>Runs</h2>\n";
  RunsTable(&out, d.runs, cctz::utc_time_zone());
  Foot(&out, root);
  return out;
}

std::string ErrorPage(int status, const std::string& message, const std::string& root) {
  std::string out;
  Head(&out, std::to_string(status) + " - batchwatch", root);
  out += "<h1>" + std::string(status == 404 ? "Not found" : "Bad request") + "</h1>\n<p>";
  AppendHtml(&out, message);
  out += "</p>\n<p><a href=\"" + root + "\">Back to the fleet</a></p>\n";
  Foot(&out, root);
  return out;
}

}  // namespace batchwatch::web
