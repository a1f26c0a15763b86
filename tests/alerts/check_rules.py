#!/usr/bin/env python3
"""Checks the conventions of alerts/batchwatch.rules.yml (rendered from mixin/) that promtool
does not.

- every alert has a severity label (critical, warning or info), summary, description and a
  runbook_url <--runbook-prefix><anchor> (the mixin's default runbookURLPattern) whose anchor
  is a heading of docs/runbooks.md (GitHub's heading slugs);
- alerts about a CronJob name its namespace and cronjob in summary and description;
- with --cluster-label L (the multi-cluster rendering): summaries and descriptions name
  $labels.L, and every `by (...)` and `on (...)` clause keeps L;
- every metric an expr names is in the metric contract (tests/alerts/metric_contract.txt);
- alerts/tests/*.yml has, for every alert, a case where it fires, one where it does not, and
  an alert instance that fires and is gone at a later eval_time of the same test (resolving).

The rule file is YAML as scripts/render-mixin.py writes it (block scalars, one key per line),
which this reads line by line: Python 3 standard library only. Exit status 1 with one line per problem.
"""

import argparse
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "alerts", "batchwatch.rules.yml")
TESTS = os.path.join(ROOT, "alerts", "tests")
RUNBOOKS = os.path.join(ROOT, "docs", "runbooks.md")
CONTRACT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metric_contract.txt")
RUNBOOK_PREFIX = "docs/runbooks.md#"
SEVERITIES = {"critical", "warning", "info"}
METRIC = re.compile(r"\b(batchwatch_[a-zA-Z0-9_]+)\b")
DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800,
                "y": 31536000}


def github_anchor(heading):
    """GitHub's slug: lower case, drop punctuation except - and _, spaces become -."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def runbook_anchors(path):
    with open(path, encoding="utf-8") as f:
        return {github_anchor(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+)$", f.read(), re.M)}


def parse_alerts(text):
    """Returns {name: chunk of the rule file belonging to that alert}."""
    alerts = {}
    parts = re.split(r"^\s*- alert:\s*", text, flags=re.M)
    for part in parts[1:]:
        name, _, body = part.partition("\n")
        # A chunk ends where the next rule or group starts.
        body = re.split(r"^\s*- (?:record|name):", body, flags=re.M)[0]
        alerts[name.strip()] = body
    return alerts


def field(chunk, key):
    """Value of `key:` in the chunk, including a folded (>-) or literal (|) block."""
    m = re.search(rf"^(\s*){key}:[ \t]*(.*)$", chunk, re.M)
    if not m:
        return None
    indent, value = len(m.group(1)), m.group(2).strip()
    if value and value[0] == '"':
        return json.loads(value)
    if value and value[0] not in "|>":
        return value
    lines = []
    for line in chunk[m.end() + 1:].splitlines():
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        lines.append(line.strip())
    return " ".join(l for l in lines if l)


def parse_duration(text):
    total = 0.0
    for amount, unit in DURATION.findall(text):
        total += int(amount) * UNIT_SECONDS[unit]
    return total


def test_cases(paths):
    """Yields (file, test index, eval seconds, alertname, expected firing label sets) for every
    alert_rule_test case."""
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        tests = re.split(r"^  - (?:name|interval):", text, flags=re.M)[1:]
        for index, test in enumerate(tests):
            for case in re.split(r"^\s*- eval_time:", test, flags=re.M)[1:]:
                when = case.splitlines()[0].strip()
                name = re.search(r"^\s*alertname:\s*(\S+)", case, re.M)
                if not name:
                    continue
                firing = frozenset(m.group(1).strip() for m in
                                   re.finditer(r"^\s*- exp_labels:(.*)$", case, re.M))
                yield path, index, parse_duration(when), name.group(1), firing


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", default=RULES)
    parser.add_argument("--tests-dir", default=TESTS)
    parser.add_argument("--runbooks", default=RUNBOOKS)
    parser.add_argument("--runbook-prefix", default=RUNBOOK_PREFIX)
    parser.add_argument("--cluster-label", help="check the multi-cluster conventions")
    parser.add_argument("--no-test-coverage", action="store_true",
                        help="skip the firing / not firing / resolving promtool case check")
    args = parser.parse_args(argv)
    prefix = args.runbook_prefix
    errors = []
    try:
        with open(args.rules, encoding="utf-8") as f:
            alerts = parse_alerts(f.read())
        anchors = runbook_anchors(args.runbooks)
    except OSError as e:
        print(f"check_rules: {e}", file=sys.stderr)
        return 1
    if not alerts:
        errors.append(f"{args.rules}: no alerts found")
    with open(CONTRACT, encoding="utf-8") as f:
        contract = {line.split("#")[0].strip() for line in f} - {""}

    for name, chunk in alerts.items():
        def err(msg):
            errors.append(f"alert {name}: {msg}")
        severity = field(chunk, "severity")
        if severity not in SEVERITIES:
            err(f"severity must be one of {sorted(SEVERITIES)}, got {severity!r}")
        summary, description = field(chunk, "summary"), field(chunk, "description")
        if not summary:
            err("annotation summary missing")
        if not description:
            err("annotation description missing")
        expr = field(chunk, "expr") or ""
        if not expr:
            err("expr missing")
        if "cronjob" in name.lower() and summary and description:
            for text, what in ((summary, "summary"), (description, "description")):
                if "$labels.namespace" not in text or "$labels.cronjob" not in text:
                    err(f"{what} must name the namespace and the cronjob")
        url = field(chunk, "runbook_url") or ""
        if not url.startswith(prefix):
            err(f"runbook_url must start with {prefix}, got {url!r}")
        elif url[len(prefix):] not in anchors:
            err(f"runbook_url anchor #{url[len(prefix):]} is not a heading of "
                f"docs/runbooks.md")
        if args.cluster_label and summary and description:
            for text, what in ((summary, "summary"), (description, "description")):
                if f"$labels.{args.cluster_label}" not in text:
                    err(f"{what} must name the cluster ($labels.{args.cluster_label})")
        if args.cluster_label:
            for clause in re.findall(r"\b(?:by|on)\s*\(([^)]*)\)", expr):
                if args.cluster_label not in [l.strip() for l in clause.split(",")]:
                    err(f"aggregation or join ({clause}) drops {args.cluster_label}")
        for metric in METRIC.findall(expr):
            base = next((metric[: -len(s)] for s in ("_bucket", "_sum", "_count")
                         if metric.endswith(s) and metric[: -len(s)] in contract), metric)
            if base not in contract:
                err(f"metric {metric} is not in the metric contract")

    cases = list(test_cases(sorted(glob.glob(os.path.join(args.tests_dir, "*.yml")))))
    if args.no_test_coverage:
        cases, alerts_to_cover = [], {}
    else:
        alerts_to_cover = alerts
    tested = {c[3] for c in cases}
    for unknown in sorted(tested - set(alerts)):
        errors.append(f"alerts/tests: tests alert {unknown}, which the rule file does not have")
    for name in alerts_to_cover:
        mine = [c for c in cases if c[3] == name]
        if not any(c[4] for c in mine):
            errors.append(f"alert {name}: no promtool test case where it fires")
        if not any(not c[4] for c in mine):
            errors.append(f"alert {name}: no promtool test case where it does not fire")
        # Resolving: an alert instance expected at one time is gone at a later time.
        resolves = any(a[4] - b[4] and a[0] == b[0] and a[1] == b[1] and b[2] > a[2]
                       for a in mine for b in mine)
        if not resolves:
            errors.append(f"alert {name}: no promtool test where it fires and later resolves")

    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print(f"check_rules: {len(alerts)} alerts, {len(cases)} promtool cases OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
