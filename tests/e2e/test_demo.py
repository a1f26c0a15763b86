#!/usr/bin/env python3
"""The demo as a newcomer runs it (scripts/demo.py, what scripts/run.sh starts): every URL it
prints answers 200, every demo CronJob with a problem raises the alerts of the scenario's table
(sim/simulator.py DEMO_PROBLEMS) by the time the demo says, a busy port is a one-line message,
Ctrl-C stops it and its logs stay. Also the fake API server's discovery documents, in the shape
kubectl reads them. Every process is started on free ports and stopped by PID."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

SRC = os.environ.get("BATCHWATCH_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("BATCHWATCH_BIN", os.path.join(SRC, "build", "exporter", "app", "batchwatch"))
sys.path.insert(0, os.path.join(SRC, "sim"))
from fake_apiserver import FakeCluster, serve  # noqa: E402
from simulator import DEMO_PROBLEMS  # noqa: E402
import stack  # noqa: E402

DEMO = os.path.join(SRC, "scripts", "demo.py")


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Discovery(unittest.TestCase):
    def test_documents_kubectl_reads(self):
        server = serve(FakeCluster(), 0)
        try:
            def doc(path):
                status, body = get(server.url + path)
                self.assertEqual(status, 200, path)
                return json.loads(body)
            self.assertIn("gitVersion", doc("/version"))
            self.assertEqual(doc("/api")["kind"], "APIVersions")
            self.assertIn("v1", doc("/api")["versions"])
            groups = doc("/apis")
            self.assertEqual(groups["kind"], "APIGroupList")
            batch = [g for g in groups["groups"] if g["name"] == "batch"][0]
            self.assertEqual(batch["preferredVersion"]["groupVersion"], "batch/v1")
            self.assertIn({"groupVersion": "batch/v1", "version": "v1"}, batch["versions"])
            resources = doc("/apis/batch/v1")
            self.assertEqual((resources["kind"], resources["groupVersion"]),
                             ("APIResourceList", "batch/v1"))
            by_name = {r["name"]: r for r in resources["resources"]}
            for name, kind in (("cronjobs", "CronJob"), ("jobs", "Job")):
                self.assertEqual(by_name[name]["kind"], kind)
                self.assertTrue(by_name[name]["namespaced"])
                self.assertIn("list", by_name[name]["verbs"])
            # What `get cronjobs -A` then requests.
            status, body = get(server.url + "/apis/batch/v1/cronjobs?limit=500")
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["kind"], "CronJobList")
        finally:
            server.stop()


class Demo(unittest.TestCase):
    def test_busy_port_is_one_line(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            r = subprocess.run([sys.executable, DEMO, "--batchwatch", BIN, "--port", str(port)],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("port %d on 127.0.0.1 (for batchwatch) is taken" % port, r.stderr)
        self.assertIn("--port", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_urls_alerts_and_shutdown(self):
        log_dir = tempfile.mkdtemp(prefix="batchwatch-demo-test-")
        out_path = os.path.join(log_dir, "demo.out")
        with open(out_path, "w") as out:
            proc = subprocess.Popen([sys.executable, DEMO, "--batchwatch", BIN, "--port", "0",
                                     "--log-dir", log_dir], stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        started = time.time()
        try:
            def printed():
                if proc.poll() is not None:
                    raise AssertionError("demo exited:\n" + open(out_path).read())
                with open(out_path) as f:
                    text = f.read()
                return text if "Logs (kept after exit)" in text else None
            text = stack.wait_until(printed, 90, what="the demo to print its URLs")

            urls = re.findall(r"(http://127\.0\.0\.1:\d+[^\s]*)", text)
            self.assertGreaterEqual(len(urls), 7, text)
            for url in urls:
                with self.subTest(url=url):
                    self.assertEqual(get(url)[0], 200, url)

            gaps = {"%s/%s" % (ns, name) for ns, name, _, alerts in DEMO_PROBLEMS if not alerts}
            # Every problem the demo shows raises an alert (issue 16's gap was replaced-sync).
            self.assertEqual(gaps, set())
            expected = {(alert, ns, name) for ns, name, _, alerts in DEMO_PROBLEMS
                        for alert, _ in alerts}
            for alert, ns, name in expected:
                self.assertRegex(text, r"%s +%s/%s" % (alert, ns, name))
            promised = int(re.search(r"Within about (\d+) s these alerts fire", text).group(1))
            am = re.search(r"(http://127\.0\.0\.1:\d+)/api/v2/alerts", text).group(1)
            bw = re.search(r"batchwatch metrics: +(http://\S+)", text).group(1)
            first_seen = {}

            def active():
                got = set()
                for a in stack.http_json(am + "/api/v2/alerts?active=true"):
                    lb = a.get("labels", {})
                    got.add((lb.get("alertname"), lb.get("namespace", ""), lb.get("cronjob", "")))
                for key in got:
                    first_seen.setdefault(key, round(time.time() - started))
                return got
            # The promise counts from the simulation start; allow the start-up and 20 s of slack.
            try:
                stack.wait_until(lambda: expected <= active(), promised + 40, interval=1,
                                 what="the demo's alerts")
            except TimeoutError:
                self.fail("missing after %.0f s (promised %d s): %s" % (
                    time.time() - started, promised, sorted(expected - active())))
            print("\npromised %d s; first seen (s after the demo started): %s" % (
                promised, sorted((t, a[0]) for a, t in first_seen.items() if a in expected)))
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        with open(out_path) as f:
            self.assertEqual(proc.returncode, 0, f.read()[-3000:])
        with open(os.path.join(log_dir, "batchwatch.log")) as f:
            self.assertIn("listening", f.read())  # the demo keeps its logs
        shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
