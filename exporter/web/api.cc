#include "web/api.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "cron/controller.h"
#include "text/json_string.h"
#include "web/format.h"

namespace batchwatch::web {

namespace {

using batch::UnixSeconds;

// A small streaming writer: the fleet at 10,000 CronJobs is written straight into one buffer.
class Json {
 public:
  explicit Json(std::string* out) : out_(out) {}
  Json& Key(const char* k) {
    Comma();
    *out_ += '"';
    *out_ += k;
    *out_ += "\":";
    fresh_ = true;
    return *this;
  }
  Json& Str(std::string_view v) {
    Comma();
    text::AppendJsonString(out_, v);
    return *this;
  }
  Json& Int(int64_t v) {
    Comma();
    AppendInt(out_, v);
    return *this;
  }
  Json& Num(double v) {
    Comma();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    *out_ += buf;
    return *this;
  }
  Json& Bool(bool v) {
    Comma();
    *out_ += v ? "true" : "false";
    return *this;
  }
  Json& Null() {
    Comma();
    *out_ += "null";
    return *this;
  }
  Json& Time(std::optional<UnixSeconds> t) {
    if (!t) return Null();
    // An RFC 3339 time has nothing to escape in JSON.
    Comma();
    *out_ += '"';
    AppendRfc3339Utc(out_, *t);
    *out_ += '"';
    return *this;
  }
  Json& OptInt(std::optional<int64_t> v) { return v ? Int(*v) : Null(); }
  Json& Raw(std::string_view json) {  // a value rendered before
    Comma();
    *out_ += json;
    return *this;
  }
  Json& Begin(char c) {
    Comma();
    *out_ += c;
    fresh_ = true;
    return *this;
  }
  Json& End(char c) {
    *out_ += c;
    fresh_ = false;
    return *this;
  }

 private:
  void Comma() {
    if (!fresh_) *out_ += ',';
    fresh_ = false;
  }
  std::string* out_;
  bool fresh_ = true;
};

// The "url" of a row: --external-url (without trailing slashes) + /KIND/NS/NAME.
void PageUrl(Json& j, const SiteOptions& o, const char* kind, const std::string& ns,
             const std::string& name) {
  std::string_view base = o.external_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  // Written into a buffer kept by the thread, then escaped: no allocation per row.
  thread_local std::string url;
  url.assign(base);
  url += '/';
  url += kind;
  url += '/';
  AppendUrlSegment(&url, ns);
  url += '/';
  AppendUrlSegment(&url, name);
  j.Str(url);
}

void Counts(Json& j, const tracker::LedgerCounts& c, bool slots) {
  j.Begin('{');
  j.Key("succeeded").Int(static_cast<int64_t>(c.succeeded));
  j.Key("failed").Int(static_cast<int64_t>(c.failed));
  j.Key("deleted").Int(static_cast<int64_t>(c.deleted));
  j.Key("replaced").Int(static_cast<int64_t>(c.replaced));
  if (slots) {
    j.Key("ran").Int(static_cast<int64_t>(c.ran));
    j.Key("late").Int(static_cast<int64_t>(c.late));
    j.Key("missed_deadline_exceeded").Int(static_cast<int64_t>(c.missed_deadline_exceeded));
    j.Key("missed_superseded").Int(static_cast<int64_t>(c.missed_superseded));
    j.Key("forbid_skipped").Int(static_cast<int64_t>(c.forbid_skipped));
    j.Key("suspended").Int(static_cast<int64_t>(c.suspended));
    j.Key("unobserved").Int(static_cast<int64_t>(c.unobserved));
  }
  j.End('}');
}

void Run(Json& j, const tracker::RunView& r) {
  j.Begin('{');
  j.Key("job").Str(r.job);
  j.Key("uid").Str(r.uid);
  j.Key("trigger").Str(r.trigger);
  j.Key("result").Str(r.result);
  j.Key("reason").Str(r.reason);
  j.Key("slot").Time(r.slot);
  j.Key("created").Time(r.created);
  j.Key("started").Time(r.started);
  j.Key("ended").Time(r.ended);
  j.Key("duration_seconds").OptInt(r.duration);
  j.Key("start_delay_seconds").OptInt(r.start_delay);
  j.Key("counted").Bool(r.counted);
  j.Key("counted_at").Time(r.counted_at);
  j.Key("replaced").Bool(r.replaced);
  j.Key("pod_reason").Str(r.pod_reason);
  j.Key("exit_code");
  if (r.exit_code) {
    j.Int(*r.exit_code);
  } else {
    j.Null();
  }
  j.End('}');
}

void Problems(Json& j, const std::vector<std::string>& problems) {
  j.Begin('[');
  for (const auto& p : problems) j.Str(p);
  j.End(']');
}

// `words`: ScheduleWords(o, r.schedule), which the fleet looks up once per distinct schedule.
void Row(Json& j, const tracker::FleetRow& r, const SiteOptions& o, const std::string& words) {
  j.Begin('{');
  j.Key("namespace").Str(r.ns);
  j.Key("name").Str(r.name);
  j.Key("exists").Bool(r.exists);
  j.Key("schedule").Str(r.schedule);
  j.Key("schedule_words").Str(words);
  j.Key("time_zone").Str(r.zone);
  j.Key("concurrency_policy").Str(r.policy);
  j.Key("suspended").Bool(r.suspended);
  j.Key("schedule_error");
  if (r.schedule_error.empty()) {
    j.Null();
  } else {
    j.Begin('{')
        .Key("error")
        .Str(r.schedule_error)
        .Key("detail")
        .Str(r.schedule_error_detail)
        .End('}');
  }
  j.Key("next_slot").Time(r.next_slot);
  j.Key("active_jobs").Int(r.active);
  j.Key("schedule_lag_seconds").Int(r.lag);
  j.Key("last_run");
  if (r.last_run) {
    Run(j, *r.last_run);
  } else {
    j.Null();
  }
  j.Key("counts").Begin('{');
  j.Key("24h");
  Counts(j, r.day, true);
  j.Key("7d");
  Counts(j, r.week, true);
  j.End('}');
  j.Key("success_ratio_7d");
  if (r.success_ratio) {
    j.Num(*r.success_ratio);
  } else {
    j.Null();
  }
  j.Key("problems");
  Problems(j, r.problems);
  j.Key("url");
  PageUrl(j, o, "cronjobs", r.ns, r.name);
  j.End('}');
}

void JobGroupRowJson(Json& j, const tracker::JobGroupRow& g, const SiteOptions& o) {
  j.Begin('{');
  j.Key("namespace").Str(g.ns);
  j.Key("group").Str(g.group);
  j.Key("last_run");
  if (g.last_run) {
    Run(j, *g.last_run);
  } else {
    j.Null();
  }
  j.Key("counts").Begin('{');
  j.Key("24h");
  Counts(j, g.day, false);
  j.Key("7d");
  Counts(j, g.week, false);
  j.End('}');
  j.Key("success_ratio_7d");
  if (g.success_ratio) {
    j.Num(*g.success_ratio);
  } else {
    j.Null();
  }
  j.Key("problems");
  Problems(j, g.problems);
  j.Key("url");
  PageUrl(j, o, "jobgroups", g.ns, g.group);
  j.End('}');
}

void Range(Json& j, const tracker::LedgerQuery& q) {
  j.Key("range").Begin('{');
  j.Key("from").Time(q.from == INT64_MIN ? std::nullopt : std::optional<UnixSeconds>(q.from));
  j.Key("to").Time(q.to == INT64_MAX ? std::nullopt : std::optional<UnixSeconds>(q.to));
  j.Key("limit").Int(static_cast<int64_t>(q.limit));
  j.End('}');
}

}  // namespace

std::string ScheduleWords(const SiteOptions& o, const std::string& spec) {
  std::string words, error;
  if (o.explain_schedule && o.explain_schedule(spec, &words, &error)) return words;
  return spec;
}

std::string ErrorJson(const std::string& message) {
  std::string out = "{\"error\":";
  text::AppendJsonString(&out, message);
  out += "}\n";
  return out;
}

std::string CronJobsJson(const tracker::LedgerSnapshot& s, const SiteOptions& o, size_t limit,
                         RowTexts* texts) {
  std::vector<RowText*> entries;
  auto lock = texts->Entries(s.cronjobs, &entries);
  const size_t shown = std::min(limit, entries.size());
  size_t bytes = 256;
  // A new row is written into `scratch` (its capacity reused from row to row) and kept as a
  // string of its own size: one allocation per row, no growth, no slack kept.
  std::string scratch;
  std::unordered_map<std::string, std::string> words;  // by schedule, for this request
  for (size_t i = 0; i < shown; ++i) {
    RowText& e = *entries[i];
    if (!e.has_json) {
      auto w = words.find(e.row->schedule);
      if (w == words.end())
        w = words.emplace(e.row->schedule, ScheduleWords(o, e.row->schedule)).first;
      scratch.clear();
      Json row(&scratch);
      Row(row, *e.row, o, w->second);
      e.json.assign(scratch);
      e.has_json = true;
    }
    bytes += e.json.size() + 1;
  }
  std::string out;
  out.reserve(bytes);
  Json j(&out);
  j.Begin('{');
  j.Key("generated_at").Time(s.now);
  j.Key("total").Int(static_cast<int64_t>(s.cronjobs.size()));
  j.Key("cronjobs").Begin('[');
  for (size_t i = 0; i < shown; ++i) j.Raw(entries[i]->json);
  j.End(']').End('}');
  out += '\n';
  return out;
}

std::string CronJobJson(const tracker::CronJobDetail& d, const tracker::LedgerQuery& q,
                        UnixSeconds now, const SiteOptions& o) {
  std::string out;
  out.reserve(4096 + d.slots.size() * 200 + d.runs.size() * 500);
  cctz::time_zone zone = Zone(d.summary.zone);
  Json j(&out);
  j.Begin('{');
  j.Key("generated_at").Time(now);
  j.Key("cronjob");
  Row(j, d.summary, o, ScheduleWords(o, d.summary.schedule));
  Range(j, q);
  j.Key("ledger").Begin('{');
  j.Key("slots_held").Int(static_cast<int64_t>(d.ledger_slots));
  j.Key("runs_held").Int(static_cast<int64_t>(d.ledger_runs));
  j.End('}');
  j.Key("slots").Begin('[');
  for (const auto& s : d.slots) {
    j.Begin('{');
    j.Key("slot").Time(s.slot);
    j.Key("slot_local").Str(cron::FormatRfc3339(s.slot, zone));
    j.Key("outcome").Str(s.outcome);
    j.Key("decided_at").Time(s.decided_at);
    if (!s.job.empty()) j.Key("job").Str(s.job);
    if (s.outcome == "ran" || s.outcome == "late") j.Key("late_by_seconds").OptInt(s.late_by);
    if (!s.reason.empty()) j.Key("reason").Str(s.reason);
    if (s.final_at) j.Key("final_at").Time(s.final_at);
    if (s.outcome == "forbid_skipped") j.Key("blocked_by").Str(s.blocked_by);
    if (s.outcome == "suspended") {
      j.Key("suspended_since").Time(s.suspended_since);
      j.Key("suspended_until").Time(s.suspended_until);
    }
    j.End('}');
  }
  j.End(']');
  j.Key("runs").Begin('[');
  for (const auto& r : d.runs) Run(j, r);
  j.End(']').End('}');
  out += '\n';
  return out;
}

std::string GroupsJson(const tracker::LedgerSnapshot& s, const SiteOptions& o, size_t limit) {
  std::string out;
  Json j(&out);
  j.Begin('{');
  j.Key("generated_at").Time(s.now);
  j.Key("total").Int(static_cast<int64_t>(s.groups.size()));
  j.Key("jobgroups").Begin('[');
  for (size_t i = 0; i < s.groups.size() && i < limit; ++i) JobGroupRowJson(j, s.groups[i], o);
  j.End(']').End('}');
  out += '\n';
  return out;
}

std::string GroupJson(const tracker::JobGroupDetail& d, const tracker::LedgerQuery& q,
                      UnixSeconds now, const SiteOptions& o) {
  std::string out;
  Json j(&out);
  j.Begin('{');
  j.Key("generated_at").Time(now);
  j.Key("jobgroup");
  JobGroupRowJson(j, d.summary, o);
  Range(j, q);
  j.Key("ledger").Begin('{').Key("runs_held").Int(static_cast<int64_t>(d.ledger_runs)).End('}');
  j.Key("runs").Begin('[');
  for (const auto& r : d.runs) Run(j, r);
  j.End(']').End('}');
  out += '\n';
  return out;
}

}  // namespace batchwatch::web
