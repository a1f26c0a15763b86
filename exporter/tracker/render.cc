// Rendering the rows of metric_table.h. Every record keeps its lines pre-rendered per family; a
// scrape writes each family's header once and concatenates the records' segments, so all series
// of a family stay contiguous.
#include <cstring>

#include "tracker/tracker_state.h"

namespace batchwatch::tracker {

namespace {

// Writes every family's header and its segment of every record straight into the already
// sized output. Family sizes come first (from the offsets, stored inline in the records), then
// one pass over the records copies each segment to its family's cursor: each record's text is
// read once per scrape instead of once per family (cache misses dominate at 1M series).
template <size_t N, size_t F>
char* WriteFamilies(char* p, const std::string (&headers)[F],
                    const std::vector<const RenderedText<N>*>& texts) {
  std::array<size_t, F> sizes{};
  for (const auto* t : texts) {
    for (size_t f = 0; f < F; ++f) sizes[f] += t->offsets[f + 1] - t->offsets[f];
  }
  std::array<char*, F> cursor;
  for (size_t f = 0; f < F; ++f) {
    std::memcpy(p, headers[f].data(), headers[f].size());
    p += headers[f].size();
    cursor[f] = p;
    p += sizes[f];
  }
  for (const auto* t : texts) {
    const char* text = t->text.data();
    for (size_t f = 0; f < F; ++f) {
      const uint32_t begin = t->offsets[f], len = t->offsets[f + 1] - begin;
      std::memcpy(cursor[f], text + begin, len);
      cursor[f] += len;
    }
  }
  return p;
}

template <typename Row, size_t F>
size_t Headers(const Row (&rows)[F], std::string (&out)[F]) {
  size_t total = 0;
  for (size_t f = 0; f < F; ++f) {
    metrics::AppendHeader(&out[f], rows[f].info);
    total += out[f].size();
  }
  return total;
}

struct AllHeaders {
  std::string cj[kCjFamilyCount], gr[kGroupFamilyCount], jb[kJobFamilyCount], waiting;
  size_t size = 0;
  AllHeaders() {
    size = Headers(kCronJobRows, cj) + Headers(kGroupRows, gr) + Headers(kJobRows, jb);
    metrics::AppendHeader(&waiting, kJobWaitingPods);
    size += waiting.size();
  }
};

}  // namespace

void TrackerImpl::RenderCronJob(CronJobRecord& r) const {
  std::string& t = r.rendered.text;
  t.clear();
  std::string labels;
  AppendLabel(&labels, "namespace", strings.Get(r.ns));
  AppendLabel(&labels, "cronjob", strings.Get(r.name));
  for (size_t f = 0; f < kCjFamilyCount; ++f) {
    r.rendered.offsets[f] = static_cast<uint32_t>(t.size());
    Series s(&t, kCronJobRows[f].info.name, labels);
    kCronJobRows[f].render(s, r, reasons);
  }
  r.rendered.offsets[kCjFamilyCount] = static_cast<uint32_t>(t.size());
}

void TrackerImpl::RenderGroup(GroupRecord& g) const {
  std::string& t = g.rendered.text;
  t.clear();
  std::string labels;
  AppendLabel(&labels, "namespace", strings.Get(g.ns));
  AppendLabel(&labels, "job_group", strings.Get(g.group));
  for (size_t f = 0; f < kGroupFamilyCount; ++f) {
    g.rendered.offsets[f] = static_cast<uint32_t>(t.size());
    Series s(&t, kGroupRows[f].info.name, labels);
    kGroupRows[f].render(s, g, reasons);
  }
  g.rendered.offsets[kGroupFamilyCount] = static_cast<uint32_t>(t.size());
}

void TrackerImpl::RenderJob(JobRecord& j, const batch::Job& job) const {
  std::string& t = j.rendered.text;
  t.clear();
  const bool show = options.job_gauges == JobGauges::kAll ||
                    (options.job_gauges == JobGauges::kUnfinished && !job.finished());
  if (!show) {
    j.rendered.offsets.fill(0);
    t.shrink_to_fit();
    return;
  }
  std::string labels;
  AppendLabel(&labels, "namespace", job.namespace_);
  AppendLabel(&labels, "job_name", job.name);
  AppendLabel(&labels, "cronjob", job.owner_cronjob_name);
  for (size_t f = 0; f < kJobFamilyCount; ++f) {
    j.rendered.offsets[f] = static_cast<uint32_t>(t.size());
    if (const std::optional<double> v = kJobRows[f].value(job)) {
      Series(&t, kJobRows[f].info.name, labels).Add(*v);
    }
  }
  j.rendered.offsets[kJobFamilyCount] = static_cast<uint32_t>(t.size());
  t.shrink_to_fit();
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

void TrackerImpl::Append(std::string* out) const {
  std::vector<const RenderedText<kCjFamilyCount>*> cj;
  std::vector<const RenderedText<kGroupFamilyCount>*> gr;
  std::vector<const RenderedText<kJobFamilyCount>*> jb;
  size_t total = 0;
  cj.reserve(cronjobs.size());
  for (const auto& r : cronjobs) {
    if (r.live && !r.rendered.text.empty()) {
      cj.push_back(&r.rendered);
      total += r.rendered.text.size();
    }
  }
  gr.reserve(groups.size());
  for (const auto& g : groups) {
    if (!g.rendered.text.empty()) {
      gr.push_back(&g.rendered);
      total += g.rendered.text.size();
    }
  }
  jb.reserve(jobs.size());
  std::vector<const std::string*> waiting;
  for (const auto& j : jobs) {
    if (j.live && !j.rendered.text.empty()) {
      jb.push_back(&j.rendered);
      total += j.rendered.text.size();
    }
    if (j.live && j.why.waiting && !j.why.waiting->text.empty()) {
      waiting.push_back(&j.why.waiting->text);
      total += j.why.waiting->text.size();
    }
  }
  static const AllHeaders headers;
  total += headers.size;
  const size_t start = out->size();
  out->resize(start + total);
  char* p = out->data() + start;
  p = WriteFamilies(p, headers.cj, cj);
  p = WriteFamilies(p, headers.gr, gr);
  p = WriteFamilies(p, headers.jb, jb);
  std::memcpy(p, headers.waiting.data(), headers.waiting.size());
  p += headers.waiting.size();
  for (const std::string* w : waiting) {
    std::memcpy(p, w->data(), w->size());
    p += w->size();
  }
  out->resize(static_cast<size_t>(p - out->data()));
}

}  // namespace batchwatch::tracker
