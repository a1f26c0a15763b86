// Rendering the rows of metric_table.h. Every record's lines are rendered when it changes and kept
// per family in exposition blocks (exposition_blocks.h); a scrape shares each family's header and
// then its pieces, so all series of a family stay contiguous.
#include <cstring>

#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

template <typename Row, size_t F>
std::array<std::shared_ptr<const metrics::Piece>, F> Headers(const Row (&rows)[F]) {
  std::array<std::shared_ptr<const metrics::Piece>, F> out;
  for (size_t f = 0; f < F; ++f) {
    std::string h;
    metrics::AppendHeader(&h, rows[f].info);
    out[f] = std::make_shared<const metrics::Piece>(std::move(h));
  }
  return out;
}

// The families' "# HELP" and "# TYPE" lines, one piece each, shared by every scrape.
struct AllHeaders {
  std::array<std::shared_ptr<const metrics::Piece>, kCjFamilyCount> cj = Headers(kCronJobRows);
  std::array<std::shared_ptr<const metrics::Piece>, kGroupFamilyCount> gr = Headers(kGroupRows);
  std::array<std::shared_ptr<const metrics::Piece>, kJobFamilyCount> jb = Headers(kJobRows);
  std::shared_ptr<const metrics::Piece> waiting;
  AllHeaders() {
    std::string h;
    metrics::AppendHeader(&h, kJobWaitingPods);
    waiting = std::make_shared<const metrics::Piece>(std::move(h));
  }
};

template <size_t F, uint32_t B>
void ShareFamilies(const std::array<std::shared_ptr<const metrics::Piece>, F>& headers,
                   const ExpositionBlocks<F, B>& blocks, metrics::Exposition* out) {
  for (size_t f = 0; f < F; ++f) {
    out->Add(headers[f]);
    blocks.Share(f, out);
  }
}

template <typename Record>
uint32_t IndexOf(const std::vector<Record>& records, const Record& r) {
  return static_cast<uint32_t>(&r - records.data());
}

}  // namespace

void TrackerImpl::RenderCronJob(CronJobRecord& r) {
  RenderedText<kCjFamilyCount>& rendered = cronjob_scratch;
  std::string& t = rendered.text;
  t.clear();
  std::string labels;
  AppendLabel(&labels, "namespace", strings.Get(r.ns));
  AppendLabel(&labels, "cronjob", strings.Get(r.name));
  for (size_t f = 0; f < kCjFamilyCount; ++f) {
    rendered.offsets[f] = static_cast<uint32_t>(t.size());
    Series s(&t, kCronJobRows[f].info.name, labels);
    kCronJobRows[f].render(s, r, reasons);
  }
  rendered.offsets[kCjFamilyCount] = static_cast<uint32_t>(t.size());
  cronjob_text.Set(IndexOf(cronjobs, r), t, rendered.offsets);
}

void TrackerImpl::RenderGroup(GroupRecord& g) {
  RenderedText<kGroupFamilyCount>& rendered = group_scratch;
  std::string& t = rendered.text;
  t.clear();
  std::string labels;
  AppendLabel(&labels, "namespace", strings.Get(g.ns));
  AppendLabel(&labels, "job_group", strings.Get(g.group));
  for (size_t f = 0; f < kGroupFamilyCount; ++f) {
    rendered.offsets[f] = static_cast<uint32_t>(t.size());
    Series s(&t, kGroupRows[f].info.name, labels);
    kGroupRows[f].render(s, g, reasons);
  }
  rendered.offsets[kGroupFamilyCount] = static_cast<uint32_t>(t.size());
  group_text.Set(IndexOf(groups, g), t, rendered.offsets);
}

void TrackerImpl::RenderJob(JobRecord& j, const batch::Job& job) {
  RenderedText<kJobFamilyCount>& rendered = job_scratch;
  std::string& t = rendered.text;
  t.clear();
  const bool show = options.job_gauges == JobGauges::kAll ||
                    (options.job_gauges == JobGauges::kUnfinished && !job.finished());
  if (!show) {
    job_text.Clear(IndexOf(jobs, j));
    return;
  }
  std::string labels;
  AppendLabel(&labels, "namespace", job.namespace_);
  AppendLabel(&labels, "job_name", job.name);
  AppendLabel(&labels, "cronjob", job.owner_cronjob_name);
  for (size_t f = 0; f < kJobFamilyCount; ++f) {
    rendered.offsets[f] = static_cast<uint32_t>(t.size());
    if (const std::optional<double> v = kJobRows[f].value(job)) {
      Series(&t, kJobRows[f].info.name, labels).Add(*v);
    }
  }
  rendered.offsets[kJobFamilyCount] = static_cast<uint32_t>(t.size());
  job_text.Set(IndexOf(jobs, j), t, rendered.offsets);
}

void TrackerImpl::RenderWaiting(JobRecord& j) const {
  if (!j.why.waiting) return;
  std::string& t = j.why.waiting->text;
  t.clear();
  if (j.finished) return;  // only unfinished Jobs wait
  std::string labels;
  AppendLabel(&labels, "namespace", strings.Get(j.ns));
  AppendLabel(&labels, "job_name", j.name);
  AppendLabel(&labels, "cronjob", j.has_cronjob ? strings.Get(cronjobs[j.owner].name) : "");
  Series s(&t, kJobWaitingPods.name, labels);
  for (size_t i = 0; i < kWaitingReasonCount; ++i) {
    const uint32_t n = j.why.waiting->pods[i];
    if (n > 0) s.Add("reason", WaitingReasonLabel(static_cast<WaitingReason>(i)), n);
  }
}

void TrackerImpl::Append(metrics::Exposition* out) const {
  static const AllHeaders headers;
  ShareFamilies(headers.cj, cronjob_text, out);
  ShareFamilies(headers.gr, group_text, out);
  ShareFamilies(headers.jb, job_text, out);
  // Few Jobs wait at a time: their lines are copied into a piece of this scrape's own.
  out->Add(headers.waiting);
  std::string waiting;
  for (const auto& j : jobs) {
    if (j.live && j.why.waiting && !j.why.waiting->text.empty()) waiting += j.why.waiting->text;
  }
  out->Add(std::move(waiting));
}

}  // namespace batchwatch::tracker
