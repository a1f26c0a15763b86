#!/usr/bin/env python3
"""Checks the Grafana dashboards in dashboards/ and lists their queries.

  check_dashboards.py check [--promtool PATH] [--cluster-variable LABEL] [FILE...]
      Checks the JSON model: schemaVersion >= 38, a uid, unique panel ids, every panel has a
      unit (fieldConfig.defaults.unit), a datasource that is the ${datasource} variable, and
      targets with an expr; every variable an expr uses is defined; every metric it names is in
      the metric contract (tests/alerts/metric_contract.txt). Then every expr, with variables
      replaced by sample values, is written as a recording rule and parsed by
      `promtool check rules`. With --cluster-variable LABEL (the multi-cluster rendering), there
      must be a variable LABEL and every selector of every expr must match LABEL="$LABEL".

  check_dashboards.py queries [--var NAME=VALUE ...] [--rate-interval 1m] [--range 1h] [FILE...]
      Prints every panel query with variables substituted as a JSON list of
      {dashboard, panel_id, panel, ref_id, expr, instant, may_be_empty}. may_be_empty is true for
      panels that show a "no value" text when the query is empty in a healthy cluster (no failing
      CronJob, no active run). Meant for tests that run the queries against a real Prometheus.

Python 3 standard library only. Exit status 0 when everything passes, 1 otherwise.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRACT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metric_contract.txt")
DATASOURCE_REF = "${datasource}"

# Grafana's global variables, with the values queries are checked and listed with.
BUILTIN_DEFAULTS = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
    "__interval_ms": "60000",
}
# Sample values for the dashboards' own variables when the variable has no usable default.
SAMPLE_VALUES = {"namespace": "default", "cronjob": "example", "datasource": "prometheus",
                 "cluster": "example"}

VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")
METRIC = re.compile(r"\b(batchwatch_[a-zA-Z0-9_]+)\b")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# A series selector: a metric name (or a recording rule name), optionally with matchers.
SELECTOR = re.compile(r"\b((?:batchwatch[_:][\w:]*)|up)\b(\{[^}]*\})?")


def dashboard_files(paths):
    return paths or sorted(glob.glob(os.path.join(ROOT, "dashboards", "*.json")))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def all_panels(dash):
    """Top-level panels and panels nested in collapsed rows."""
    for p in dash.get("panels", []):
        yield p
        for inner in p.get("panels", []) or []:
            yield inner


def variable_defaults(dash):
    values = dict(BUILTIN_DEFAULTS)
    for v in dash.get("templating", {}).get("list", []):
        name = v.get("name")
        current = (v.get("current") or {}).get("value")
        if isinstance(current, list):
            current = current[0] if current else None
        if current in (None, "", "$__all"):
            current = SAMPLE_VALUES.get(name, "sample")
        values[name] = current
    return values


def substitute(expr, values):
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, m.group(0))
    return VARIABLE.sub(repl, expr)


def used_variables(expr):
    return {m.group(1) or m.group(2) or m.group(3) for m in VARIABLE.finditer(expr)}


def load_contract():
    with open(CONTRACT, encoding="utf-8") as f:
        return {line.split("#")[0].strip() for line in f} - {""}


def contract_violations(expr, contract):
    bad = []
    for name in METRIC.findall(expr):
        base = name
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in contract:
                base = name[: -len(suffix)]
        if base not in contract:
            bad.append(name)
    return bad


def missing_cluster_matcher(expr, label):
    """Selectors of expr that do not restrict label to the dashboard variable."""
    want = f'{label}="${label}"'
    return [m.group(0) for m in SELECTOR.finditer(expr)
            if not m.group(2) or want not in m.group(2)]


def check_dashboard(path, dash, contract, cluster_label=None):
    errors = []
    where = os.path.relpath(path, ROOT)

    def err(msg):
        errors.append(f"{where}: {msg}")

    if not isinstance(dash, dict):
        return [f"{where}: not a JSON object"]
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 38:
        err(f"schemaVersion must be >= 38, got {dash.get('schemaVersion')!r}")
    uid = dash.get("uid")
    if not isinstance(uid, str) or not uid or len(uid) > 40:
        err(f"uid must be a fixed string of 1..40 characters, got {uid!r}")
    if not dash.get("title"):
        err("title missing")

    variables = dash.get("templating", {}).get("list", [])
    names = [v.get("name") for v in variables]
    ds_vars = [v for v in variables if v.get("name") == "datasource"]
    if not ds_vars or ds_vars[0].get("type") != "datasource" or \
            ds_vars[0].get("query") != "prometheus":
        err("needs a variable 'datasource' of type datasource with query prometheus")
    for v in variables:
        if v.get("type") == "query" and (v.get("datasource") or {}).get("uid") != DATASOURCE_REF:
            err(f"variable {v.get('name')!r} must query datasource {DATASOURCE_REF}")
    known = set(names) | set(BUILTIN_DEFAULTS)
    if cluster_label and cluster_label not in names:
        err(f"needs a variable {cluster_label!r} (multi-cluster)")

    seen_ids = {}
    for p in all_panels(dash):
        pid = p.get("id")
        title = p.get("title", "")
        label = f"panel {pid} {title!r}"
        if not isinstance(pid, int):
            err(f"{label}: id must be an integer")
        elif pid in seen_ids:
            err(f"{label}: id {pid} already used by {seen_ids[pid]!r}")
        else:
            seen_ids[pid] = title
        if "gridPos" not in p:
            err(f"{label}: gridPos missing")
        if p.get("type") == "row":
            continue
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not isinstance(unit, str) or not unit:
            err(f"{label}: fieldConfig.defaults.unit not set")
        if (p.get("datasource") or {}).get("uid") != DATASOURCE_REF:
            err(f"{label}: datasource must be {{uid: {DATASOURCE_REF}}}, got {p.get('datasource')!r}")
        targets = p.get("targets") or []
        if not targets:
            err(f"{label}: no targets")
        refs = set()
        for t in targets:
            ref = t.get("refId")
            if not ref or ref in refs:
                err(f"{label}: target refId {ref!r} missing or repeated")
            refs.add(ref)
            ds = t.get("datasource")
            if ds is not None and ds.get("uid") != DATASOURCE_REF:
                err(f"{label} {ref}: target datasource must be {DATASOURCE_REF}, got {ds!r}")
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                err(f"{label} {ref}: expr missing")
                continue
            for name in sorted(used_variables(expr) - known):
                err(f"{label} {ref}: expr uses undefined variable ${name}")
            for name in contract_violations(expr, contract):
                err(f"{label} {ref}: metric {name} is not in the metric contract")
            if cluster_label:
                for s in missing_cluster_matcher(expr, cluster_label):
                    err(f"{label} {ref}: selector {s} does not match "
                        f"{cluster_label}=\"${cluster_label}\"")
    return errors


def queries(path, dash, overrides):
    values = variable_defaults(dash)
    values.update(overrides)
    out = []
    for p in all_panels(dash):
        if p.get("type") == "row":
            continue
        may_be_empty = "noValue" in p.get("fieldConfig", {}).get("defaults", {})
        for t in p.get("targets") or []:
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                continue
            out.append({
                "dashboard": dash.get("uid"),
                "panel_id": p.get("id"),
                "panel": p.get("title", ""),
                "ref_id": t.get("refId"),
                "expr": substitute(expr, values),
                "instant": bool(t.get("instant")) and not t.get("range", False),
                "may_be_empty": may_be_empty,
            })
    return out


def promtool_parse(items, promtool):
    """Parses every expr with promtool by writing them as recording rules."""
    lines = ["groups:", "  - name: dashboard-queries", "    rules:"]
    for i, q in enumerate(items):
        record = re.sub(r"[^a-zA-Z0-9_]", "_", f"dashboard_{q['dashboard']}_{q['panel_id']}_"
                        f"{q['ref_id']}_{i}")
        lines.append(f"      - record: {record}")
        lines.append(f"        expr: {json.dumps(q['expr'])}")
    with tempfile.TemporaryDirectory(prefix="bw-dashboards-") as tmp:
        rules = os.path.join(tmp, "dashboard-queries.rules.yml")
        with open(rules, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        proc = subprocess.run([promtool, "check", "rules", rules], capture_output=True,
                              text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stdout + proc.stderr).strip()
        # The record names (dashboard, panel id, refId) identify the failing query.
        return [f"promtool check rules failed on dashboard queries:\n{detail}"]
    return []


def parse_var(text):
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"\w+", name):
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="check the dashboards (default)")
    check.add_argument("--promtool", default=shutil.which("promtool") or "/usr/bin/promtool")
    check.add_argument("--cluster-variable", metavar="LABEL",
                       help="multi-cluster: every selector must match LABEL=\"$LABEL\"")
    check.add_argument("files", nargs="*")
    listing = sub.add_parser("queries", help="print the panel queries as JSON")
    listing.add_argument("--var", action="append", type=parse_var, default=[],
                         metavar="NAME=VALUE", help="value of a dashboard variable (repeatable)")
    listing.add_argument("--rate-interval", default=BUILTIN_DEFAULTS["__rate_interval"])
    listing.add_argument("--interval", default=BUILTIN_DEFAULTS["__interval"])
    listing.add_argument("--range", default=BUILTIN_DEFAULTS["__range"])
    listing.add_argument("files", nargs="*")
    args = parser.parse_args(argv or ["check"])

    files = dashboard_files(args.files)
    if not files:
        print("check_dashboards: no dashboards found", file=sys.stderr)
        return 1
    dashboards = []
    errors = []
    for path in files:
        try:
            dashboards.append((path, load(path)))
        except (OSError, ValueError) as e:
            errors.append(f"{path}: cannot load: {e}")

    if args.command == "queries":
        overrides = dict(args.var)
        overrides.update({"__rate_interval": args.rate_interval, "__interval": args.interval,
                          "__range": args.range})
        items = [q for path, dash in dashboards for q in queries(path, dash, overrides)]
        if errors:
            print("\n".join(errors), file=sys.stderr)
            return 1
        json.dump(items, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0

    contract = load_contract()
    uids = {}
    items = []
    for path, dash in dashboards:
        errors += check_dashboard(path, dash, contract, args.cluster_variable)
        uid = dash.get("uid") if isinstance(dash, dict) else None
        if uid in uids:
            errors.append(f"{path}: uid {uid!r} also used by {uids[uid]}")
        uids[uid] = path
        if isinstance(dash, dict):
            items += queries(path, dash, {})
    leftover = [q for q in items if "$" in q["expr"] or "[[" in q["expr"]]
    for q in leftover:
        errors.append(f"{q['dashboard']} panel {q['panel_id']} {q['ref_id']}: unsubstituted "
                      f"variable in {q['expr']!r}")
    if items and not leftover:
        errors += promtool_parse(items, args.promtool)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_dashboards: {len(dashboards)} dashboards, {len(items)} queries OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
