#!/usr/bin/env python3
"""End to end for why runs fail and do not start (issue 12): the simulated cluster's `causes`
scenario (sim/simulator.py: a CronJob whose pods are OOMKilled, one whose pods a ResourceQuota
refuses, one whose image cannot be pulled, one whose Jobs a webhook refuses, one whose first pod
fails and whose retry succeeds, one whose OnFailure container restarts after OOM kills before it
succeeds, a healthy one), batchwatch with its Pods and Events watches, Debian's Prometheus with
the mixin's rules (`for` 2 s, windows 40 s) and Alertmanager.

Asserts that the pod and event alerts fire for the broken CronJobs with the cause in their
texts, stay quiet for the retried and restarted successes, that every dashboard panel on the
pod and event series returns data, that batchwatch counted every FailedCreate occurrence of the
simulator exactly once, and that the alerts resolve once the causes are lifted (quota raised,
webhook fixed, image pushed, memory limit raised).

It needs a batchwatch with the Pods and Events watches: against one that exports none of their
series it skips, saying so. Every process is stopped by PID at the end, also on failure."""
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
from simulator import Simulator, scenario  # noqa: E402
import stack  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_rules  # noqa: E402
from test_e2e import POD_EVENT_METRICS, metric_value  # noqa: E402

WINDOW_SECONDS = 40  # eventWindow of these rules: FailedCreate and OOMKilled look back this far

FIRING = {
    ("BatchwatchCronJobOOMKilled", "batch", "oom-report"),
    ("BatchwatchCronJobLastRunFailed", "batch", "oom-report"),
    ("BatchwatchCronJobCreateFailures", "batch", "quota-import"),
    ("BatchwatchCronJobCreateFailures", "ops", "webhook-cleanup"),
    ("BatchwatchJobPodsWaiting", "ops", "image-sync"),
}
POD_EVENT_ALERTS = {a for a, _, _ in FIRING} - {"BatchwatchCronJobLastRunFailed"}
QUIET_CRONJOBS = {"retried-report", "restarting-report", "healthy-report"}


def alerts(am_url):
    """{(alertname, namespace, cronjob): [alert, ...]} of Alertmanager's active alerts."""
    out = {}
    for a in stack.http_json(am_url + "/api/v2/alerts?active=true"):
        lb = a.get("labels", {})
        key = (lb.get("alertname"), lb.get("namespace", ""), lb.get("cronjob", ""))
        out.setdefault(key, []).append(a)
    return out


class Causes(unittest.TestCase):
    def test_pod_and_event_alerts_fire_stay_quiet_and_resolve(self):
        group = stack.ProcessGroup()
        cluster = FakeCluster()
        server = serve(cluster, 0)
        sim = Simulator(cluster, scenario("causes"))
        try:
            rules = e2e_rules.render(os.path.join(group.workdir, "rules"),
                                     extra={"eventWindow": "%ds" % WINDOW_SECONDS})
            # batchwatch first: events from before it started are not counted (docs/metrics.md),
            # and this test compares its counts with every occurrence the simulator recorded.
            bw = stack.start_batchwatch(group, BIN, server.url, ["--log-level", "debug"])
            stack.wait_until(lambda: stack.http_json_ok(bw + "/readyz"), 30, what="batchwatch ready")
            sim.start()

            def exports_pod_series():
                group.check_alive()
                text = stack.http_text(bw + "/metrics")
                return any(m in text for m in POD_EVENT_METRICS)
            stack.wait_until(exports_pod_series, 25, interval=1, what="pod or event series")

            am = stack.start_alertmanager(group)
            prom = stack.start_prometheus(group, bw, [rules], am)

            def firing():
                group.check_alive()
                return FIRING <= set(alerts(am))
            try:
                stack.wait_until(firing, 120, interval=1, what="the pod and event alerts")
            except TimeoutError:
                self.fail("missing: %s\nactive: %s\nbatchwatch log tail:\n%s" % (
                    sorted(FIRING - set(alerts(am))), sorted(alerts(am)),
                    group.log("batchwatch")[-3000:]))
            active = alerts(am)

            # The cause is in the texts.
            def text(key, field):
                return " ".join(a["annotations"].get(field, "") for a in active[key])
            self.assertIn("OOMKilled (exit code 137)",
                          text(("BatchwatchCronJobLastRunFailed", "batch", "oom-report"),
                               "description"))
            self.assertIn("(quota)", text(("BatchwatchCronJobCreateFailures", "batch",
                                           "quota-import"), "summary"))
            self.assertIn("pods", text(("BatchwatchCronJobCreateFailures", "batch",
                                        "quota-import"), "summary"))
            self.assertIn("Jobs (webhook)", text(("BatchwatchCronJobCreateFailures", "ops",
                                                  "webhook-cleanup"), "summary"))
            waiting = text(("BatchwatchJobPodsWaiting", "ops", "image-sync"), "summary")
            self.assertRegex(waiting, r"\((ErrImagePull|ImagePullBackOff)\)")

            # Quiet: a pod failed and the retry succeeded; OOM kills of an OnFailure container
            # before its success; a healthy CronJob. Their failures were counted all the same.
            metrics = stack.http_text(bw + "/metrics")
            self.assertGreater(metric_value(metrics, "batchwatch_cronjob_pod_failures_total",
                                            cronjob="retried-report", reason="Error") or 0, 0)
            self.assertGreater(metric_value(metrics, "batchwatch_cronjob_pod_failures_total",
                                            cronjob="restarting-report", reason="OOMKilled") or 0, 0)
            for name in ("retried-report", "restarting-report"):
                self.assertGreater(metric_value(metrics, "batchwatch_cronjob_runs_total",
                                                cronjob=name, result="succeeded") or 0, 0, name)
                self.assertEqual(metric_value(metrics, "batchwatch_cronjob_runs_total",
                                              cronjob=name, result="failed") or 0, 0, name)
            noisy = sorted(k for k in alerts(am) if k[2] in QUIET_CRONJOBS and
                           k[0] in POD_EVENT_ALERTS | {"BatchwatchCronJobLastRunFailed"})
            self.assertEqual(noisy, [], "alerts for runs that succeeded")

            # Every dashboard panel on the pod and event series returns data for one of the
            # broken CronJobs while their causes hold. (Panels on increase() see a counter's
            # second occurrence, not its first: retried for a few runs.)
            def panel_queries():
                out = []
                for ns, cj in (("batch", "oom-report"), ("batch", "quota-import"),
                               ("ops", "image-sync"), ("ops", "webhook-cleanup")):
                    listed = subprocess.run(
                        [sys.executable, os.path.join(SRC, "tests", "alerts",
                                                      "check_dashboards.py"),
                         "queries", "--var", "namespace=" + ns, "--var", "cronjob=" + cj,
                         "--rate-interval", "30s", "--range", "5m"],
                        check=True, capture_output=True, text=True).stdout
                    out += [q for q in json.loads(listed)
                            if any(m in q["expr"] for m in POD_EVENT_METRICS)]
                return out
            queries = panel_queries()
            self.assertTrue(queries, "no dashboard query reads the pod and event series")
            has_data, failed = {}, []

            def panels_have_data():
                for q in queries:
                    key = (q["dashboard"], q["panel"], q["ref_id"])
                    if has_data.get(key):
                        continue
                    r = stack.prom_query(prom, q["expr"])
                    if r.get("status") != "success":
                        failed.append("%s: %s" % (q["expr"], r.get("error")))
                    has_data[key] = bool(r.get("data", {}).get("result"))
                return failed or all(has_data.values())
            try:
                stack.wait_until(panels_have_data, 30, interval=2, what="panel data")
            except TimeoutError:
                pass
            self.assertEqual(failed, [], "queries that did not run")
            self.assertEqual([k for k, v in has_data.items() if not v], [],
                             "pod and event panels without data")

            # Lift every cause: quota raised, webhook fixed, image pushed, memory limit raised.
            for ns, name in (("batch", "quota-import"), ("ops", "webhook-cleanup"),
                             ("ops", "image-sync"), ("batch", "oom-report")):
                sim.set_failure(ns, name, None)
            lifted = time.time()

            def resolved():
                group.check_alive()
                return not (FIRING & set(alerts(am)))
            try:
                stack.wait_until(resolved, WINDOW_SECONDS + 60, interval=1,
                                 what="the alerts to resolve")
            except TimeoutError:
                self.fail("still active %.0f s after the causes were lifted: %s" % (
                    time.time() - lifted, sorted(FIRING & set(alerts(am)))))
            print("\nresolved %.0f s after the causes were lifted" % (time.time() - lifted))

            # Every FailedCreate occurrence the simulator recorded, counted exactly once.
            sim.stop()
            by_name = {cj.name: cj for cj in sim.cronjobs}

            def counts():
                text = stack.http_text(bw + "/metrics")
                got, want = {}, {}
                for name in ("quota-import", "webhook-cleanup"):
                    for (obj, cause), n in by_name[name].create_failures.items():
                        want[(name, obj, cause)] = n
                        got[(name, obj, cause)] = metric_value(
                            text, "batchwatch_cronjob_create_failures_total", cronjob=name,
                            object=obj, cause=cause) or 0
                return got, want
            try:
                stack.wait_until(lambda: counts()[0] == counts()[1], 15,
                                 what="FailedCreate counts")
            except TimeoutError:
                got, want = counts()
                self.assertEqual(got, want)
        finally:
            sim.stop()
            group.stop()
            server.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
