#!/usr/bin/env python3
"""Proves check_dashboards.py and check_rules.py catch what they claim to: each case breaks a
copy of the real dashboards or rules in one way and expects the checker to fail naming it.
Python 3 standard library only (unittest)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FLEET = os.path.join(ROOT, "dashboards", "batchwatch-fleet.json")
RULES = os.path.join(ROOT, "alerts", "batchwatch.rules.yml")
RUNBOOKS = os.path.join(ROOT, "docs", "runbooks.md")
TESTS = os.path.join(ROOT, "alerts", "tests")


def first_query_panel(dash):
    return next(p for p in dash["panels"] if p["type"] != "row")


def set_schema(d):
    d["schemaVersion"] = 30


def drop_uid(d):
    del d["uid"]


def duplicate_id(d):
    panels = [p for p in d["panels"] if p["type"] != "row"]
    panels[1]["id"] = panels[0]["id"]


def drop_unit(d):
    del first_query_panel(d)["fieldConfig"]["defaults"]["unit"]


def fixed_datasource(d):
    first_query_panel(d)["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}


def drop_targets(d):
    first_query_panel(d)["targets"] = []


def bad_promql(d):
    first_query_panel(d)["targets"][0]["expr"] = "sum(rate(batchwatch_cronjob_runs_total[5m])"


def undefined_variable(d):
    first_query_panel(d)["targets"][0]["expr"] = 'batchwatch_cronjob_info{cluster="$cluster"}'


def unknown_metric(d):
    first_query_panel(d)["targets"][0]["expr"] = "batchwatch_cronjob_runs_count"


def no_datasource_variable(d):
    d["templating"]["list"] = [v for v in d["templating"]["list"] if v["name"] != "datasource"]


DASHBOARD_CASES = [
    ("schema version below 38", set_schema, "schemaVersion must be >= 38"),
    ("missing uid", drop_uid, "uid must be"),
    ("two panels with one id", duplicate_id, "already used by"),
    ("panel without unit", drop_unit, "fieldConfig.defaults.unit not set"),
    ("panel with a fixed datasource", fixed_datasource, "datasource must be"),
    ("panel without targets", drop_targets, "no targets"),
    ("query that does not parse", bad_promql, "promtool check rules failed"),
    ("query using an undefined variable", undefined_variable, "undefined variable $cluster"),
    ("query naming a metric outside the contract", unknown_metric,
     "batchwatch_cronjob_runs_count is not in the metric contract"),
    ("no datasource variable", no_datasource_variable, "needs a variable 'datasource'"),
]

RULE_CASES = [
    ("runbook anchor without a heading",
     lambda s: s.replace("runbooks.md#batchwatchdown", "runbooks.md#batchwatch-down"),
     "anchor #batchwatch-down is not a heading"),
    ("alert without severity",
     lambda s: s.replace("          severity: info\n", "          team: batch\n"),
     "alert BatchwatchCronJobSuspendedLong: severity must be"),
    ("CronJob summary without the cronjob",
     lambda s: s.replace("summary: CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} last run "
                         "failed.", "summary: A CronJob failed."),
     "alert BatchwatchCronJobLastRunFailed: summary must name"),
    ("metric outside the contract",
     lambda s: s.replace("batchwatch_cronjob_consecutive_failures >= 3",
                         "batchwatch_cronjob_failures_in_a_row >= 3"),
     "batchwatch_cronjob_failures_in_a_row is not in the metric contract"),
    ("alert without any promtool test",
     lambda s: s.replace("alert: BatchwatchDown", "alert: BatchwatchUnavailable"),
     "alert BatchwatchUnavailable: no promtool test case where it fires"),
]


def run(args):
    return subprocess.run([sys.executable] + args, capture_output=True, text=True, check=False)


class DashboardCheckerTest(unittest.TestCase):
    def test_real_dashboards_pass(self):
        proc = run([os.path.join(HERE, "check_dashboards.py"), "check"])
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_broken_dashboards_fail(self):
        with open(FLEET, encoding="utf-8") as f:
            original = json.load(f)
        for name, breakage, message in DASHBOARD_CASES:
            with self.subTest(name), tempfile.TemporaryDirectory() as tmp:
                dash = json.loads(json.dumps(original))
                breakage(dash)
                path = os.path.join(tmp, "broken.json")
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(dash, f)
                proc = run([os.path.join(HERE, "check_dashboards.py"), "check", path])
                self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
                self.assertIn(message, proc.stderr)

    def test_not_json_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write("{ not json")
            proc = run([os.path.join(HERE, "check_dashboards.py"), "check", path])
            self.assertEqual(proc.returncode, 1)
            self.assertIn("cannot load", proc.stderr)

    def test_queries_substitute_variables(self):
        proc = run([os.path.join(HERE, "check_dashboards.py"), "queries", "--var",
                    "namespace=demo", "--var", "cronjob=nightly", "--rate-interval", "2s"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        items = json.loads(proc.stdout)
        self.assertTrue(items)
        for q in items:
            self.assertNotIn("$", q["expr"], q)
            self.assertEqual(set(q), {"dashboard", "panel_id", "panel", "ref_id", "expr",
                                      "instant", "may_be_empty"})
        cronjob_queries = [q["expr"] for q in items if q["dashboard"] == "batchwatch-cronjob"]
        self.assertTrue(any('cronjob="nightly"' in e for e in cronjob_queries))
        self.assertTrue(any("[2s]" in q["expr"] for q in items))


class RuleCheckerTest(unittest.TestCase):
    def test_real_rules_pass(self):
        proc = run([os.path.join(HERE, "check_rules.py")])
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_broken_rules_fail(self):
        with open(RULES, encoding="utf-8") as f:
            original = f.read()
        for name, breakage, message in RULE_CASES:
            with self.subTest(name), tempfile.TemporaryDirectory() as tmp:
                broken = breakage(original)
                self.assertNotEqual(broken, original, "the breakage did not apply")
                path = os.path.join(tmp, "rules.yml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(broken)
                proc = run([os.path.join(HERE, "check_rules.py"), "--rules", path,
                            "--tests-dir", TESTS, "--runbooks", RUNBOOKS])
                self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
                self.assertIn(message, proc.stderr)


class PrometheusRuleGeneratorTest(unittest.TestCase):
    GEN = os.path.join(ROOT, "scripts", "gen-prometheusrule.py")

    def generate(self, rules_text, *extra):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "rules.yml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(rules_text)
            return run([self.GEN, "--rules", path, "--output", "-", *extra])

    def test_spec_is_the_rule_file_indented(self):
        proc = self.generate("groups:\n  - name: g\n    rules:\n      - alert: A\n"
                             "        expr: |\n          up == 0\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("kind: PrometheusRule\n", proc.stdout)
        self.assertTrue(proc.stdout.endswith(
            "spec:\n  groups:\n    - name: g\n      rules:\n        - alert: A\n"
            "          expr: |\n            up == 0\n"), proc.stdout)

    def test_rule_files_outside_the_subset_are_refused(self):
        cases = [
            ("second top-level key", "groups: []\nextra: 1\n", "only top-level key"),
            ("document marker", "---\ngroups: []\n", "document marker"),
            ("tab indentation", "groups:\n\t- name: g\n", "tab character"),
            ("no groups", "# empty\n", "only top-level key"),
        ]
        for name, text, message in cases:
            with self.subTest(name):
                proc = self.generate(text)
                self.assertEqual(proc.returncode, 2, proc.stdout)
                self.assertIn(message, proc.stderr)

    def test_extra_labels(self):
        proc = self.generate("groups: []\n", "--label", "release=kube-prometheus-stack")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("    release: kube-prometheus-stack\n", proc.stdout)
        proc = self.generate("groups: []\n", "--label", "no-equals-sign")
        self.assertEqual(proc.returncode, 2)

    def test_missing_rule_file_is_a_clear_error(self):
        proc = run([self.GEN, "--rules", "/nonexistent/rules.yml", "--output", "-"])
        self.assertEqual(proc.returncode, 2)
        self.assertIn("cannot read /nonexistent/rules.yml", proc.stderr)


if __name__ == "__main__":
    unittest.main()
