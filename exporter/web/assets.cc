// The pages' only style sheet and script, compiled in: no external resource, nothing inline (the
// Content-Security-Policy forbids both).
#include <cstring>

#include "web/pages.h"

namespace batchwatch::web {

namespace {

constexpr char kCss[] =
    R"css(:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700;
  --muted: #6e7781; --line: #d0d7de; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 0 12px 24px; max-width: 1200px; }
header, footer { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; }
footer { margin-top: 24px; color: var(--muted); font-size: 13px; }
h1 { font-size: 22px; margin: 12px 0 4px; word-break: break-all; }
a { color: #0969da; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
th[aria-sort="ascending"] button::after { content: " \25B2"; }
th[aria-sort="descending"] button::after { content: " \25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.filters { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; align-items: center; }
.filters input, .filters select, .filters button { font: inherit; padding: 4px 6px; }
.problem { display: inline-block; border: 1px solid var(--bad); color: var(--bad); border-radius: 4px;
  padding: 0 4px; margin: 0 2px 2px 0; font-size: 12px; white-space: nowrap; }
.r-succeeded, .o-ran { color: var(--ok); }
.r-failed, .o-missed, .o-forbid_skipped { color: var(--bad); }
.r-deleted, .o-late { color: var(--warn); }
.r-running, .o-pending, .o-suspended, .o-unobserved { color: var(--muted); }
#timeline { list-style: none; display: flex; flex-wrap: wrap; gap: 2px; padding: 0; margin: 8px 0; }
#timeline li { width: 22px; height: 22px; display: flex; align-items: center; justify-content: center;
  border: 1px solid currentColor; border-radius: 3px; font-size: 13px; }
.legend { color: var(--muted); font-size: 13px; }
.legend span { margin-right: 10px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.dst { display: block; color: var(--warn); }
.muted { color: var(--muted); }
@media (max-width: 640px) { .wide { display: none; } body { font-size: 14px; } }
)css";

constexpr char kJs[] =
    R"js(// batchwatch status pages: filter and sort the fleet table (the page works without this).
(function () {
  'use strict';
  var table = document.getElementById('fleet');
  if (!table || !table.tBodies.length) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById('filter');
  var ns = document.getElementById('namespace');
  var shown = document.getElementById('shown');
  function apply() {
    var text = filter ? filter.value.trim().toLowerCase() : '';
    var want = ns ? ns.value : '';
    var n = 0;
    rows.forEach(function (r) {
      var key = (r.getAttribute('data-namespace') + '/' + r.getAttribute('data-name')).toLowerCase();
      var ok = (!want || r.getAttribute('data-namespace') === want) &&
               (!text || key.indexOf(text) >= 0);
      r.hidden = !ok;
      if (ok) n++;
    });
    if (shown) shown.textContent = String(n);
  }
  if (filter) filter.addEventListener('input', apply);
  if (ns) ns.addEventListener('change', apply);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, column) {
    if (!th.hasAttribute('data-sort')) return;
    var button = document.createElement('button');
    button.type = 'button';
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
      headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir);
      var sign = dir === 'ascending' ? 1 : -1;
      var keyed = rows.map(function (r, i) {
        var cell = r.cells[column];
        var v = cell.hasAttribute('data-value') ? cell.getAttribute('data-value') : cell.textContent;
        return { row: r, v: v, n: parseFloat(v), i: i };
      });
      keyed.sort(function (a, b) {
        var c = (!isNaN(a.n) && !isNaN(b.n)) ? a.n - b.n : (a.v < b.v ? -1 : a.v > b.v ? 1 : 0);
        return c * sign || a.i - b.i;
      });
      rows = keyed.map(function (k) { return k.row; });
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r); });
      body.appendChild(frag);
    });
  });
  apply();
})();
)js";

const StaticAsset kCssAsset{"text/css; charset=utf-8", kCss};
const StaticAsset kJsAsset{"text/javascript; charset=utf-8", kJs};

}  // namespace

const StaticAsset* FindAsset(const std::string& name) {
  if (name == "batchwatch.css") return &kCssAsset;
  if (name == "batchwatch.js") return &kJsAsset;
  return nullptr;
}

}  // namespace batchwatch::web
