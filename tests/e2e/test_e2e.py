#!/usr/bin/env python3
"""End to end: the simulated cluster (fake API server + a CronJob controller for `@every`
schedules), batchwatch, Debian's Prometheus scraping it every second with the shipped rules
(their `for:` durations and hour windows shortened, as docs/alerts.md describes) and a 1 s
evaluation interval, and Debian's Alertmanager. The rules are the mixin's, rendered with
shortened `for` durations and windows (e2e_rules.py).

Asserts that exactly the expected alerts reach Alertmanager's API, that batchwatch's counters
agree with what the simulator did, and that every dashboard panel's query (variables
substituted) parses and returns data in that Prometheus. Every process is stopped by PID at the
end, also on failure."""
import json
import os
import subprocess
import sys
import time
import unittest

SRC = os.environ.get("BATCHWATCH_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("BATCHWATCH_BIN", os.path.join(SRC, "build", "exporter", "app", "batchwatch"))
sys.path.insert(0, os.path.join(SRC, "sim"))
from fake_apiserver import FakeCluster, serve  # noqa: E402
from simulator import Simulator, job_groups, scenario  # noqa: E402
import stack  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_rules  # noqa: E402

# The series of the Pods and Events watches (docs/metrics.md).
POD_EVENT_METRICS = ["batchwatch_cronjob_pod_failures_total", "batchwatch_job_pod_failures_total",
                     "batchwatch_cronjob_last_run_info", "batchwatch_job_waiting_pods",
                     "batchwatch_cronjob_create_failures_total",
                     "batchwatch_job_create_failures_total",
                     "batchwatch_cronjob_controller_events_total"]

# (alertname, namespace, cronjob) that must be active in Alertmanager, and nothing else.
EXPECTED_ALERTS = {
    ("BatchwatchCronJobLastRunFailed", "batch", "failing-backup"),
    ("BatchwatchCronJobConsecutiveFailures", "batch", "failing-backup"),
    ("BatchwatchCronJobNeverSucceeded", "batch", "failing-backup"),
    ("BatchwatchCronJobForbidSkipped", "batch", "overrunning-etl"),
    ("BatchwatchCronJobRunLongerThanInterval", "batch", "overrunning-etl"),
    ("BatchwatchCronJobMissedSchedules", "ops", "flaky-controller"),
}


def active_alerts(am_url):
    got = set()
    for a in stack.http_json(am_url + "/api/v2/alerts?active=true"):
        labels = a.get("labels", {})
        got.add((labels.get("alertname"), labels.get("namespace", ""), labels.get("cronjob", "")))
    return got


def metric_value(text, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    total = None
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        series, value = line.rsplit(" ", 1)
        if all('%s="%s"' % (k, v) in series for k, v in labels.items()):
            total = (total or 0) + float(value)
    return total


class EndToEnd(unittest.TestCase):
    def test_alerts_counters_and_dashboards(self):
        group = stack.ProcessGroup()
        token = "e2e-test-token-7f3c9a1d5b"  # must never show up in what batchwatch prints
        token_file = os.path.join(group.workdir, "token")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        cluster = FakeCluster(token_file=token_file)
        server = serve(cluster, 0)
        sim = Simulator(cluster, scenario("e2e"), job_groups=job_groups("e2e"))
        try:
            rules = e2e_rules.render(os.path.join(group.workdir, "rules"))
            sim.start()
            bw = stack.start_batchwatch(group, BIN, server.url,
                                        ["--token-file", token_file, "--log-level", "debug"])
            am = stack.start_alertmanager(group)
            prom = stack.start_prometheus(group, bw, [rules], am)

            def alerts_as_expected():
                group.check_alive()
                return active_alerts(am) == EXPECTED_ALERTS

            try:
                stack.wait_until(alerts_as_expected, 150, interval=1, what="the expected alerts")
            except TimeoutError:
                self.fail("alerts in Alertmanager: %s\nexpected: %s\nbatchwatch log tail:\n%s" % (
                    sorted(active_alerts(am)), sorted(EXPECTED_ALERTS),
                    group.log("batchwatch")[-3000:]))

            # Counters agree with what the simulated controller did (runs that ended), once
            # batchwatch has caught up with the last events.
            sim.stop()
            stats = {cj.name: dict(cj.stats) for cj in sim.cronjobs}

            def run_counts():
                text = stack.http_text(bw + "/metrics")
                return text, {name: (metric_value(text, "batchwatch_cronjob_runs_total",
                                                  cronjob=name, result="succeeded") or 0,
                                     metric_value(text, "batchwatch_cronjob_runs_total",
                                                  cronjob=name, result="failed") or 0)
                              for name in stats}

            want = {name: (st["succeeded"], st["failed"]) for name, st in stats.items()}
            try:
                stack.wait_until(lambda: run_counts()[1] == want, 15, what="run counters")
            except TimeoutError:
                self.assertEqual(run_counts()[1], want)
            metrics = run_counts()[0]
            self.assertEqual(metric_value(metrics, "batchwatch_cronjob_missed_schedules_total",
                                          cronjob="healthy-report") or 0, 0)
            self.assertGreater(metric_value(metrics, "batchwatch_cronjob_missed_schedules_total",
                                            cronjob="flaky-controller") or 0, 0)
            self.assertGreater(metric_value(metrics, "batchwatch_cronjob_forbid_skipped_total",
                                            cronjob="overrunning-etl") or 0, 0)

            # Standalone Jobs (TTL 0: deleted right after they end) are counted by group.
            for g in sim.job_groups:
                self.assertEqual(metric_value(metrics, "batchwatch_job_runs_total",
                                              job_group=g.group, result="succeeded") or 0,
                                 g.stats["succeeded"], g.group)

            # Every dashboard query parses, and returns data for at least one of the scenario's
            # namespace/cronjob choices. Allowed to stay empty: Replace, which this scenario does
            # not use, and waiting pods and creation failures, which it does not have
            # (test_causes.py checks those panels with data); and every pod and event series
            # while batchwatch does not export them (before the Pods/Events watches).
            has_data = {}  # (dashboard, panel, ref_id, metric) -> returned data for some choice
            failed = []
            for ns, cj in (("batch", "failing-backup"), ("batch", "overrunning-etl"),
                           ("batch", "healthy-report"), ("ops", "flaky-controller")):
                out = subprocess.run(
                    [sys.executable, os.path.join(SRC, "tests", "alerts", "check_dashboards.py"),
                     "queries", "--var", "namespace=" + ns, "--var", "cronjob=" + cj,
                     "--rate-interval", "30s", "--range", "5m"],
                    check=True, capture_output=True, text=True).stdout
                for q in json.loads(out):
                    key = (q["dashboard"], q["panel"], q["ref_id"], q["expr"].split("{")[0])
                    r = stack.prom_query(prom, q["expr"])
                    if r.get("status") != "success":
                        failed.append("%s: %s" % (q["expr"], r.get("error")))
                    has_data[key] = has_data.get(key, False) or bool(r.get("data", {}).get("result"))
            allowed_empty = ["replaced_total", "batchwatch_job_waiting_pods",
                             "batchwatch_cronjob_create_failures_total"]
            empty = [k for k, data in has_data.items()
                     if not data and not any(m in k[3] for m in allowed_empty)]
            self.assertNotIn(token, group.log("batchwatch"))
            self.assertNotIn(token, stack.http_text(bw + "/metrics"))
            self.assertEqual(failed, [], "queries that did not run")
            self.assertEqual(empty, [], "queries without data for any scenario choice")
        finally:
            sim.stop()
            group.stop()
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
