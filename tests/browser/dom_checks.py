"""Checks of the status pages' DOM contract, run in a real browser page (cdp.Page). Used against
the running demo (test_demo_pages.py) and against the contract fixture (test_fixture.py).

The contract:
  fleet page `/`: <table id="fleet"> with a <thead> of <th scope="col">; one
    <tr class="cronjob" data-namespace data-name data-problems="failing missed ..."> per CronJob
    ("" when none), rows with problems first, each with a relative link to /cronjobs/NS/NAME; a text
    filter <input id="filter" type="search"> and a namespace <select id="namespace"> whose
    script hides non-matching rows with the `hidden` attribute; server side ?q=TEXT&namespace=NS.
  CronJob page /cronjobs/NS/NAME: <h1>; <p id="schedule-explained">; <ol id="timeline"> of
    <li class="slot" data-outcome="..." data-slot="...">; <table id="runs"> of
    <tr class="run" data-result="..." data-job="JOBNAME">.
  Pages: a strict Content-Security-Policy header; CSS and JS only from /static/batchwatch.css and
    /static/batchwatch.js.
Every check raises AssertionError with what it saw."""
import json
import re

SLOT_OUTCOMES = {"ran", "late", "missed", "forbid_skipped", "suspended", "unobserved", "pending"}
RUN_RESULTS = {"succeeded", "failed", "deleted", "running"}

_FLEET_ROWS = """(function(){
  var t = document.querySelector('table#fleet');
  if (!t) return null;
  var heads = Array.from(t.querySelectorAll('thead th')).map(function(h){
    return {scope: h.getAttribute('scope'), text: h.textContent.trim()}; });
  var rows = Array.from(t.querySelectorAll('tr.cronjob')).map(function(r){
    var a = r.querySelector('a[href]');
    return {namespace: r.getAttribute('data-namespace'), name: r.getAttribute('data-name'),
            problems: r.getAttribute('data-problems'), hidden: r.hasAttribute('hidden'),
            displayed: r.getClientRects().length > 0,
            href: a ? new URL(a.href).pathname : null,
            relative: a ? !a.getAttribute('href').startsWith('/') : null,
            text: r.textContent}; });
  return {heads: heads, rows: rows, in_tbody: t.querySelectorAll('tbody tr.cronjob').length,
          filter: !!document.querySelector('input#filter[type=search]'),
          select: Array.from(document.querySelectorAll('select#namespace option')).map(
            function(o){ return o.value; })};
})()"""

_CRONJOB_PAGE = """(function(){
  var h1 = document.querySelector('h1');
  var p = document.querySelector('p#schedule-explained');
  var ol = document.querySelector('ol#timeline');
  var runs = document.querySelector('table#runs');
  return {
    h1: h1 ? h1.textContent.trim() : null,
    explained: p ? p.textContent.trim() : null,
    timeline: !!ol, runs_table: !!runs,
    slots: ol ? Array.from(ol.querySelectorAll('li.slot')).map(function(li){
      return {outcome: li.getAttribute('data-outcome'), slot: li.getAttribute('data-slot'),
              text: li.textContent.trim(), label: li.getAttribute('aria-label') ||
              li.getAttribute('title') || ''}; }) : [],
    runs: runs ? Array.from(runs.querySelectorAll('tr.run')).map(function(r){
      return {result: r.getAttribute('data-result'), job: r.getAttribute('data-job'),
              text: r.textContent.trim()}; }) : [],
    run_heads: runs ? Array.from(runs.querySelectorAll('thead th')).map(function(h){
      return h.getAttribute('scope'); }) : []
  };
})()"""

_RESOURCES = """(function(){
  return {
    scripts: Array.from(document.scripts).map(function(s){
      return s.src ? new URL(s.src).pathname : 'inline'; }),
    styles: Array.from(document.querySelectorAll('link[rel=stylesheet]')).map(function(l){
      return new URL(l.href).pathname; }),
    inline_styles: document.querySelectorAll('style').length,
    style_attributes: document.querySelectorAll('[style]').length
  };
})()"""


def fleet_rows(page):
    """The fleet table as data, or None when the page has no <table id="fleet">."""
    return page.evaluate(_FLEET_ROWS)


def check_fleet(page, expected=None, problems=None):
    """Checks the fleet table; `expected`: the set of (namespace, name) that must be exactly the
    rows; `problems`: (namespace, name) whose data-problems must not be empty. Returns the rows."""
    f = fleet_rows(page)
    assert f is not None, "no <table id=\"fleet\"> on the page"
    assert f["heads"], "the fleet table has no <thead> <th> headers"
    bad = [h for h in f["heads"] if h["scope"] != "col"]
    assert not bad, "headers without scope=\"col\": %s" % bad
    assert f["filter"], "no <input id=\"filter\" type=\"search\">"
    assert f["select"], "no <select id=\"namespace\"> with options"
    rows = f["rows"]
    assert rows, "the fleet table has no <tr class=\"cronjob\"> rows"
    assert f["in_tbody"] == len(rows), "cronjob rows outside <tbody>"
    for r in rows:
        assert r["namespace"] and r["name"], "row without data-namespace/data-name: %r" % r
        assert r["problems"] is not None, "row without data-problems: %s/%s" % (
            r["namespace"], r["name"])
        want = "/cronjobs/%s/%s" % (r["namespace"], r["name"])
        assert r["href"] == want, "row %s/%s links to %r, not %r" % (
            r["namespace"], r["name"], r["href"], want)
        assert r["relative"], "row %s/%s links from the host's root (breaks under a prefix)" % (
            r["namespace"], r["name"])
    keys = [(r["namespace"], r["name"]) for r in rows]
    assert len(set(keys)) == len(keys), "duplicate rows: %s" % keys
    has = [bool(r["problems"].split()) for r in rows]
    if False in has:
        first_clean = has.index(False)
        late = [keys[i] for i in range(first_clean, len(rows)) if has[i]]
        assert not late, "rows with problems after a row without: %s" % late
    if expected is not None:
        assert set(keys) == set(expected), "rows %s, expected %s" % (
            sorted(keys), sorted(expected))
    for key in problems or ():
        r = rows[keys.index(key)] if key in keys else None
        assert r is not None, "no row for %s/%s" % key
        assert r["problems"].split(), "%s/%s has no data-problems" % key
    return rows


def visible_keys(page):
    return {(r["namespace"], r["name"]) for r in fleet_rows(page)["rows"]
            if not r["hidden"] and r["displayed"]}


def time_filter(page, text):
    """How long filtering by `text` takes: (seconds to type it over the protocol, milliseconds
    the page's own input handler plus the relayout take, measured in the page), and the rows
    left visible. For printing, never for asserting."""
    import time
    started = time.time()
    page.type_into("#filter", text)
    typed = time.time() - started
    page.type_into("#filter", "")
    in_page = page.evaluate(
        "(function(){var f=document.getElementById('filter'); var t=performance.now();"
        "f.value=%s; f.dispatchEvent(new Event('input',{bubbles:true}));"
        "void document.body.offsetHeight; return performance.now()-t;})()" % json.dumps(text))
    return typed, in_page, visible_keys(page)


def check_text_filter(page, text):
    """Types `text` into #filter: the rows mentioning it stay visible and all others are hidden
    (with the `hidden` attribute). Clears the filter again. Returns the visible rows."""
    rows = fleet_rows(page)["rows"]
    page.type_into("#filter", text)
    shown = visible_keys(page)
    after = fleet_rows(page)["rows"]
    needle = text.lower()
    for r in after:
        key = (r["namespace"], r["name"])
        mentions = needle in (r["namespace"] + "/" + r["name"]).lower()
        if mentions:
            assert key in shown, "filter %r hides %s/%s" % ((text,) + key)
        if key in shown:
            assert needle in r["text"].lower() or mentions, \
                "filter %r leaves %s/%s visible" % ((text,) + key)
        else:
            assert r["hidden"], "%s/%s is not shown but has no hidden attribute" % key
    assert len(shown) < len(rows) or all(needle in r["text"].lower() for r in rows), \
        "filter %r hid nothing" % text
    page.type_into("#filter", "")
    assert len(visible_keys(page)) == len(rows), "clearing the filter does not show every row"
    return shown


def check_namespace_select(page, namespace):
    """Chooses `namespace` in #namespace: exactly its rows stay visible. Resets to "" after."""
    rows = fleet_rows(page)
    assert namespace in rows["select"], "%r not an option of #namespace: %s" % (
        namespace, rows["select"])
    page.select_option("#namespace", namespace)
    shown = visible_keys(page)
    want = {(r["namespace"], r["name"]) for r in rows["rows"] if r["namespace"] == namespace}
    assert shown == want, "namespace %r shows %s, expected %s" % (
        namespace, sorted(shown), sorted(want))
    all_value = rows["select"][0]
    page.select_option("#namespace", all_value)
    assert len(visible_keys(page)) == len(rows["rows"]), \
        "choosing %r again does not show every row" % all_value
    return shown


def check_server_filter(page, base_url, q=None, namespace=None):
    """Loads /?q=..&namespace=..: every visible row matches. Returns the visible keys."""
    from urllib.parse import urlencode
    params = {k: v for k, v in (("q", q), ("namespace", namespace)) if v is not None}
    page.goto(base_url + "/?" + urlencode(params))
    rows = check_fleet(page)
    shown = [r for r in rows if not r["hidden"]]
    for r in shown:
        if namespace is not None:
            assert r["namespace"] == namespace, "?namespace=%s lists %s/%s" % (
                namespace, r["namespace"], r["name"])
        if q is not None:
            assert q.lower() in r["text"].lower(), "?q=%s lists %s/%s" % (
                q, r["namespace"], r["name"])
    return {(r["namespace"], r["name"]) for r in shown}


def check_cronjob_page(page, namespace, name):
    """Checks one CronJob's page; returns {"slots": [...], "runs": [...], ...}."""
    d = page.evaluate(_CRONJOB_PAGE)
    assert d["h1"], "no <h1>"
    assert name in d["h1"], "<h1> %r does not name %s" % (d["h1"], name)
    assert d["explained"], "no (or an empty) <p id=\"schedule-explained\">"
    assert d["timeline"], "no <ol id=\"timeline\">"
    assert d["runs_table"], "no <table id=\"runs\">"
    for s in d["slots"]:
        assert s["outcome"] in SLOT_OUTCOMES, "slot outcome %r" % s
        assert s["slot"], "slot without data-slot: %r" % s
        # Colour is never the only signal: each slot carries its outcome in text or a label.
        words = (s["text"] + " " + s["label"]).lower().replace("_", " ").replace("-", " ")
        assert words.strip(), "slot %s has no text or label, only colour" % s["slot"]
    for r in d["runs"]:
        assert r["result"] in RUN_RESULTS, "run result %r" % r
        assert r["job"], "run without data-job: %r" % r
    bad = [h for h in d["run_heads"] if h != "col"]
    assert not bad, "runs table headers without scope=\"col\""
    return d


def check_resources(page):
    """Only /static/batchwatch.js and /static/batchwatch.css; no inline script or style."""
    r = page.evaluate(_RESOURCES)
    assert set(r["scripts"]) <= {"/static/batchwatch.js"}, "scripts: %s" % r["scripts"]
    assert set(r["styles"]) <= {"/static/batchwatch.css"}, "stylesheets: %s" % r["styles"]
    assert r["inline_styles"] == 0, "inline <style> elements: %d" % r["inline_styles"]
    return r


def check_clean(page):
    """No console errors, exceptions or CSP violations on the page so far."""
    page.drain()
    violations = page.violations()
    assert not violations, "CSP violations: %s" % violations
    assert not page.problems, "console/log problems: %s" % page.problems


STRICT_CSP_DIRECTIVES = ("default-src", "script-src", "style-src")


def check_csp_header(headers):
    """The page's Content-Security-Policy allows no inline code and no other origin."""
    csp = headers.get("Content-Security-Policy", "")
    assert csp, "no Content-Security-Policy header"
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    assert "default-src" in directives, "CSP without default-src: %r" % csp
    for d in STRICT_CSP_DIRECTIVES:
        for source in directives.get(d, []):
            assert source in ("'self'", "'none'"), "CSP %s allows %s: %r" % (d, source, csp)
    return csp


def parse_slot(value):
    """data-slot as Unix seconds: digits, or RFC 3339 (with Z or an offset)."""
    from datetime import datetime
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def dump(obj):
    return json.dumps(obj, indent=1, sort_keys=True)
