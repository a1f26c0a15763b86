#!/usr/bin/env python3
"""Federation and high availability end to end.

Two simulated clusters (fake API server + simulator each). Cluster a runs two identical
batchwatch replicas (HA), cluster b one. Each cluster has its own Prometheus with
external_labels {cluster: a|b}, scraping its batchwatch and evaluating the single-cluster rules;
a global Prometheus federates both (/federate, honor_labels, raw batchwatch series only) and
evaluates the multi-cluster rendering of the mixin (mixin/out-multicluster), sending to
Alertmanager, whose route groups by problem and notifies a webhook served by this test.

Checks:
- exactly the expected problem alerts reach Alertmanager, each once per cluster with the right
  cluster label; in cluster a each comes from both replicas;
- Alertmanager sends one notification per problem (group), holding both replicas' alerts;
- every dashboard query of the multi-cluster dashboards, run against the global Prometheus
  with the cluster variable set, returns that cluster's data only: the same series (and, for
  instant selections of raw series, the same values) as the single-cluster dashboards against
  that cluster's own Prometheus at the same evaluation time.

Every process is stopped by PID at the end, also on failure."""
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse

SRC = os.environ.get("BATCHWATCH_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("BATCHWATCH_BIN", os.path.join(SRC, "build", "exporter", "app", "batchwatch"))
sys.path.insert(0, os.path.join(SRC, "sim"))
from fake_apiserver import FakeCluster, serve  # noqa: E402
from simulator import SimCronJob, Simulator  # noqa: E402
import stack  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_rules  # noqa: E402

CHECK_DASHBOARDS = os.path.join(SRC, "tests", "alerts", "check_dashboards.py")


def scenario(cluster):
    """Same namespaces and names in both clusters. replaced-sync is killed by Replace every
    time in cluster a (runs of 8 s, every 6 s: it never succeeds) and healthy in b."""
    cronjobs = [
        SimCronJob("batch", "healthy-report", 5, run_seconds=1),
        SimCronJob("batch", "failing-backup", 5, run_seconds=1, fail=True),
    ]
    if cluster == "a":
        cronjobs.append(SimCronJob("ops", "replaced-sync", 6, policy="Replace", run_seconds=8))
    else:
        cronjobs.append(SimCronJob("ops", "replaced-sync", 6, policy="Replace", run_seconds=1))
    return cronjobs


# (alertname, cluster, namespace, cronjob)
EXPECTED = {
    ("BatchwatchCronJobLastRunFailed", "a", "batch", "failing-backup"),
    ("BatchwatchCronJobConsecutiveFailures", "a", "batch", "failing-backup"),
    ("BatchwatchCronJobNeverSucceeded", "a", "batch", "failing-backup"),
    ("BatchwatchCronJobNeverSucceeded", "a", "ops", "replaced-sync"),
    ("BatchwatchCronJobRunsReplaced", "a", "ops", "replaced-sync"),
    ("BatchwatchCronJobLastRunFailed", "b", "batch", "failing-backup"),
    ("BatchwatchCronJobConsecutiveFailures", "b", "batch", "failing-backup"),
    ("BatchwatchCronJobNeverSucceeded", "b", "batch", "failing-backup"),
}
GROUP_BY = ["alertname", "cluster", "namespace", "cronjob", "job_group"]
CHOICES = [("batch", "failing-backup"), ("batch", "healthy-report"), ("ops", "replaced-sync")]


class Webhook:
    """Collects Alertmanager's webhook notifications (JSON bodies) on 127.0.0.1."""

    def __init__(self):
        self.notifications = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.notifications.append(json.loads(body.decode()))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def problem(labels):
    return (labels.get("alertname"), labels.get("cluster", ""), labels.get("namespace", ""),
            labels.get("cronjob", ""))


def am_alerts(am_url):
    return stack.http_json(am_url + "/api/v2/alerts?active=true")


def query_at(prom_url, expr, at):
    q = urllib.parse.urlencode({"query": expr, "time": "%.3f" % at})
    try:
        return stack.http_json(prom_url + "/api/v1/query?" + q)
    except urllib.error.HTTPError as e:
        return json.loads(e.read().decode() or "{}")


def dashboard_queries(files, variables):
    argv = [sys.executable, CHECK_DASHBOARDS, "queries", "--rate-interval", "30s",
            "--range", "5m"]
    for k, v in variables.items():
        argv += ["--var", "%s=%s" % (k, v)]
    out = subprocess.run(argv + files, check=True, capture_output=True, text=True).stdout
    return {(q["dashboard"], q["panel_id"], q["ref_id"]): q for q in json.loads(out)}


def result_map(answer, drop=()):
    """{frozenset of labels without `drop`: value} of an instant query's answer."""
    out = {}
    for r in answer.get("data", {}).get("result", []):
        labels = frozenset((k, v) for k, v in r["metric"].items() if k not in drop)
        out[labels] = float(r["value"][1])
    return out


class Federation(unittest.TestCase):
    def test_alerts_once_per_cluster_and_dashboards_per_cluster(self):
        group = stack.ProcessGroup()
        servers, sims, hook = [], [], Webhook()
        try:
            single = e2e_rules.render(os.path.join(group.workdir, "rules-single"))
            multi = e2e_rules.render(os.path.join(group.workdir, "rules-multi"), multicluster=True)
            am = stack.start_alertmanager_with_config(group, "\n".join([
                "route:",
                "  receiver: hook",
                "  group_by: [%s]" % ", ".join(GROUP_BY),
                # Long enough for both replicas' alerts to join the group before the first
                # notification; no second notification during the test.
                "  group_wait: 10s",
                "  group_interval: 10m",
                "  repeat_interval: 1h",
                "receivers:",
                "  - name: hook",
                "    webhook_configs:",
                "      - url: '%s'" % hook.url,
                "        send_resolved: false",
            ]) + "\n")

            local = {}
            instances = {}
            for cluster, replicas in (("a", 2), ("b", 1)):
                fake = FakeCluster()
                server = serve(fake, 0)
                servers.append(server)
                sim = Simulator(fake, scenario(cluster))
                sims.append(sim)
                sim.start()
                urls = [stack.start_batchwatch(group, BIN, server.url,
                                               name="batchwatch-%s%d" % (cluster, i + 1))
                        for i in range(replicas)]
                instances[cluster] = {urllib.parse.urlparse(u).netloc for u in urls}
                local[cluster] = stack.start_prometheus_with(
                    group, "prometheus-" + cluster,
                    ["  - job_name: batchwatch", "    honor_labels: true",
                     "    static_configs:",
                     "      - targets: [%s]" % ", ".join(
                         "'%s'" % urllib.parse.urlparse(u).netloc for u in urls)],
                    rule_files=[single], external_labels={"cluster": cluster})

            federate = []
            for cluster, url in sorted(local.items()):
                federate += [
                    "  - job_name: federate-%s" % cluster,
                    "    honor_labels: true",
                    # /federate exposes samples with their timestamps, and Prometheus does not
                    # mark timestamped series stale when they disappear: a finished Job's
                    # gauges would linger for the 5 minute lookback and fire per-Job alerts.
                    "    honor_timestamps: false",
                    "    metrics_path: /federate",
                    "    scrape_interval: 500ms",
                    "    params:",
                    # Raw series only: the global Prometheus records its own rules.
                    "      'match[]': ['{job=\"batchwatch\",__name__=~\"batchwatch_.*|up\"}']",
                    "    static_configs:",
                    "      - targets: ['%s']" % urllib.parse.urlparse(url).netloc,
                ]
            global_prom = stack.start_prometheus_with(group, "prometheus-global", federate,
                                                      rule_files=[multi], alertmanager_url=am)

            def problems():
                group.check_alive()
                return {problem(a["labels"]) for a in am_alerts(am)}

            try:
                stack.wait_until(lambda: problems() == EXPECTED, 180, interval=1,
                                 what="the expected alerts in Alertmanager")
            except TimeoutError:
                self.fail("alerts in Alertmanager: %s\nexpected: %s" % (
                    sorted(problems()), sorted(EXPECTED)))

            # HA: in cluster a every problem comes from both replicas (Prometheus sends one
            # alert per replica, the instance label differs).
            def replicas_seen():
                seen = {}
                for a in am_alerts(am):
                    seen.setdefault(problem(a["labels"]), set()).add(a["labels"].get("instance"))
                return seen

            stack.wait_until(lambda: all(replicas_seen().get(p) == instances[p[1]]
                                         for p in EXPECTED), 30, what="alerts of both replicas")

            # Alertmanager: one notification per problem, with every replica's alert in it.
            def notified():
                groups = {}
                for n in hook.notifications:
                    key = problem(n["groupLabels"])
                    groups.setdefault(key, []).append(n)
                return groups

            stack.wait_until(lambda: set(notified()) >= EXPECTED, 60,
                             what="a webhook notification for every problem")
            time.sleep(3)
            groups = notified()
            self.assertEqual(set(groups), EXPECTED, "notified groups")
            for key, ns in groups.items():
                self.assertEqual(len(ns), 1, "notifications for %s: %s" % (key, ns))
                got = {a["labels"].get("instance") for a in ns[0]["alerts"]}
                self.assertEqual(got, instances[key[1]], "alerts in the notification of %s" % (key,))

            # Dashboards: the multi-cluster dashboards on the global Prometheus, cluster set,
            # against the single-cluster dashboards on that cluster's Prometheus. The global
            # copy of a sample lags the cluster's by up to one federation scrape, so the
            # cluster's answer is taken at several times around the global's evaluation time:
            # every series (and, for instant queries of raw series, every value) the global
            # returns must be one the cluster returned within those 2 seconds, and the other
            # way round; no series may carry another cluster's label.
            single_files = [os.path.join(SRC, "dashboards", n)
                            for n in ("batchwatch-fleet.json", "batchwatch-cronjob.json")]
            multi_files = [os.path.join(SRC, "mixin", "out-multicluster", "dashboards", n)
                           for n in ("batchwatch-fleet.json", "batchwatch-cronjob.json")]
            at = time.time() - 10
            around = [at + d / 2.0 for d in range(-4, 5)]
            mismatches, compared, with_data = [], 0, {"a": 0, "b": 0}
            for cluster in ("a", "b"):
                for ns, cj in CHOICES:
                    variables = {"namespace": ns, "cronjob": cj}
                    mq = dashboard_queries(multi_files, dict(variables, cluster=cluster))
                    sq = dashboard_queries(single_files, variables)
                    self.assertEqual(set(mq), set(sq), "panels of the two renderings")
                    for key, q in mq.items():
                        where = "cluster %s %s/%s %s %r" % (cluster, ns, cj, key, q["expr"])
                        g = query_at(global_prom, q["expr"], at)
                        g_around = [query_at(global_prom, q["expr"], t) for t in around]
                        s_around = [query_at(local[cluster], sq[key]["expr"], t) for t in around]
                        answers = [g] + g_around + s_around
                        bad = [a.get("error") for a in answers if a.get("status") != "success"]
                        if bad:
                            mismatches.append("%s: %s" % (where, bad[0]))
                            continue
                        for a in [g] + g_around:
                            foreign = [r["metric"] for r in a["data"]["result"]
                                       if r["metric"].get("cluster", cluster) != cluster]
                            if foreign:
                                mismatches.append("%s: another cluster's series %s" % (where, foreign))
                                break
                        compared += 1
                        gm = result_map(g, drop=("cluster",))
                        with_data[cluster] += bool(gm)
                        s_series = set().union(*(result_map(a) for a in s_around))
                        g_series = set().union(*(result_map(a, drop=("cluster",)) for a in g_around))
                        s_now = result_map(query_at(local[cluster], sq[key]["expr"], at))
                        if not set(gm) <= s_series or not set(s_now) <= g_series:
                            mismatches.append("%s: series %s vs %s" % (
                                where, sorted(map(sorted, gm)), sorted(map(sorted, s_series))))
                            continue
                        if "[" in q["expr"] or "batchwatch:" in q["expr"] or "time()" in q["expr"]:
                            continue
                        for labels, value in gm.items():
                            seen = {result_map(a).get(labels) for a in s_around}
                            if not any(v is not None and abs(v - value) <= 1e-6 * max(1, abs(value))
                                       for v in seen):
                                mismatches.append("%s: %s = %s, cluster had %s" % (
                                    where, dict(labels), value, sorted(v for v in seen if v is not None)))
            self.assertEqual(mismatches, [], "dashboard queries global vs per cluster")
            self.assertGreater(compared, 100)
            # Not vacuous: most queries return data in both clusters.
            self.assertGreater(with_data["a"], compared / 4)
            self.assertGreater(with_data["b"], compared / 4)
        finally:
            for sim in sims:
                sim.stop()
            group.stop()
            for server in servers:
                server.stop()
            hook.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
