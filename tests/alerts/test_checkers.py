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
     lambda s: s.replace('batchwatch_cronjob_consecutive_failures{job="batchwatch"} >= 3',
                         'batchwatch_cronjob_failures_in_a_row{job="batchwatch"} >= 3'),
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


class MixinRenderTest(unittest.TestCase):
    RENDER = os.path.join(ROOT, "scripts", "render-mixin.py")
    RENDERED = ["alerts/batchwatch.rules.yml", "deploy/prometheusrule.yaml",
                "dashboards/batchwatch-fleet.json", "dashboards/batchwatch-cronjob.json",
                "mixin/out-multicluster/batchwatch.rules.yml",
                "mixin/out-multicluster/prometheusrule.yaml",
                "mixin/out-multicluster/dashboards/batchwatch-fleet.json",
                "mixin/out-multicluster/dashboards/batchwatch-cronjob.json"]

    def copy_tree(self, tmp):
        for path in self.RENDERED:
            os.makedirs(os.path.dirname(os.path.join(tmp, path)), exist_ok=True)
            shutil.copy(os.path.join(ROOT, path), os.path.join(tmp, path))

    def test_stale_or_missing_rendered_file_fails_the_check(self):
        # One tree with all three changes: each rendering takes seconds, so the check runs
        # twice (whole, then changed) and must name every changed file.
        changes = [("alerts/batchwatch.rules.yml", "append"),
                   ("mixin/out-multicluster/dashboards/batchwatch-fleet.json", "append"),
                   ("deploy/prometheusrule.yaml", "delete")]
        with tempfile.TemporaryDirectory() as tmp:
            self.copy_tree(tmp)
            proc = run([self.RENDER, "--check", "--root", tmp])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            for path, change in changes:
                if change == "append":
                    with open(os.path.join(tmp, path), "a", encoding="utf-8") as f:
                        f.write("# hand edit\n")
                else:
                    os.remove(os.path.join(tmp, path))
            proc = run([self.RENDER, "--check", "--root", tmp])
            self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
            self.assertIn("out of date", proc.stderr)
            stale = proc.stderr.rsplit("out of date", 1)[1]
            for path, _ in changes:
                self.assertIn(path, stale)
            # An untouched file is not named.
            self.assertNotIn("dashboards/batchwatch-cronjob.json", stale)

    def test_config_overrides_reach_the_rendered_rules(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = {"runbookURLPattern": "https://runbooks.example.org/batchwatch#%s",
                      "batchwatchSelector": 'job="bw", env="prod"',
                      "sloCronJobs": [{"namespace": "ns", "cronjob": "backup", "target": 0.99}]}
            proc = run([self.RENDER, "--out-dir", tmp, "--config", json.dumps(config)])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(tmp, "batchwatch.rules.yml"), encoding="utf-8") as f:
                rules = f.read()
            self.assertIn("runbook_url: https://runbooks.example.org/batchwatch#batchwatchdown",
                          rules)
            self.assertIn('up{job="bw", env="prod"} == 0', rules)
            self.assertIn("record: batchwatch:cronjob_slo_success_target", rules)
            proc = run([os.path.join(HERE, "check_rules.py"), "--rules",
                        os.path.join(tmp, "batchwatch.rules.yml"), "--no-test-coverage",
                        "--runbook-prefix", "https://runbooks.example.org/batchwatch#"])
            self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_bad_config_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc = run([self.RENDER, "--out-dir", tmp, "--config", "[1]"])
            self.assertEqual(proc.returncode, 2)
            self.assertIn("--config", proc.stderr)
            # Multi-cluster SLO targets must name their cluster.
            proc = run([self.RENDER, "--out-dir", tmp, "--multicluster", "--config", json.dumps(
                {"sloCronJobs": [{"namespace": "ns", "cronjob": "backup", "target": 0.99}]})])
            self.assertEqual(proc.returncode, 2)
            self.assertIn("jsonnet failed", proc.stderr)


class MultiClusterCheckTest(unittest.TestCase):
    MULTI = os.path.join(ROOT, "mixin", "out-multicluster")

    def test_rendered_multicluster_files_pass(self):
        proc = run([os.path.join(HERE, "check_rules.py"), "--rules",
                    os.path.join(self.MULTI, "batchwatch.rules.yml"), "--cluster-label",
                    "cluster", "--no-test-coverage"])
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_single_cluster_rules_fail_the_multicluster_check(self):
        proc = run([os.path.join(HERE, "check_rules.py"), "--rules", RULES, "--cluster-label",
                    "cluster", "--no-test-coverage"])
        self.assertEqual(proc.returncode, 1)
        self.assertIn("drops cluster", proc.stderr)
        self.assertIn("must name the cluster", proc.stderr)

    def test_dashboard_query_without_cluster_matcher_fails(self):
        path = os.path.join(self.MULTI, "dashboards", "batchwatch-fleet.json")
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
        first_query_panel(dash)["targets"][0]["expr"] = \
            'count(batchwatch_cronjob_info{job="batchwatch"})'
        with tempfile.TemporaryDirectory() as tmp:
            broken = os.path.join(tmp, "fleet.json")
            with open(broken, "w", encoding="utf-8") as f:
                json.dump(dash, f)
            proc = run([os.path.join(HERE, "check_dashboards.py"), "check",
                        "--cluster-variable", "cluster", broken])
            self.assertEqual(proc.returncode, 1)
            self.assertIn('does not match cluster="$cluster"', proc.stderr)
            proc = run([os.path.join(HERE, "check_dashboards.py"), "check",
                        "--cluster-variable", "cluster", FLEET])
            self.assertEqual(proc.returncode, 1)
            self.assertIn("needs a variable 'cluster'", proc.stderr)


if __name__ == "__main__":
    unittest.main()
