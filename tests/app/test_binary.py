#!/usr/bin/env python3
"""The batchwatch binary's front door: flags, --help/--version, startup errors, HTTP endpoints,
readiness before and after the initial list, and clean shutdown on SIGTERM/SIGINT.

Every process started here binds 127.0.0.1 on a free port and is killed by PID at the end,
also when a test fails."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

SRC = os.environ.get("BATCHWATCH_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BATCHWATCH_BIN", os.path.join(SRC, "build", "exporter", "app", "batchwatch"))
sys.path.insert(0, os.path.join(SRC, "sim"))

from fake_apiserver import Fault, FakeCluster, make_cronjob, serve  # noqa: E402


class FakeApiServer:
    """The fake API server in this process, stopped when the `with` block ends."""

    def __enter__(self):
        self.cluster = FakeCluster()
        self.server = serve(self.cluster, 0)
        self.url = self.server.url
        return self

    def __exit__(self, *exc):
        self.server.stop()


def run(args, timeout=20):
    return subprocess.run([BIN] + args, capture_output=True, text=True, timeout=timeout)


def http_get(url, headers=None, timeout=5):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class Exporter:
    """Runs batchwatch on 127.0.0.1 with port 0 and learns the port from its log."""

    def __init__(self, args):
        self.log = tempfile.NamedTemporaryFile(prefix="batchwatch-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([BIN, "--listen-address", "127.0.0.1:0"] + args,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.time() + 20
        while time.time() < deadline and self.proc.poll() is None:
            m = (re.search(r"msg=listening .*port=(\d+)", self.text()) or
                 re.search(r'"msg":"listening".*"port":"(\d+)"', self.text()))
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.05)
        if self.port is None:
            self.stop()
            raise AssertionError("batchwatch did not start listening:\n" + self.text())

    def text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def close(self):
        self.stop()
        os.unlink(self.log.name)


class FlagsTest(unittest.TestCase):
    def test_help_documents_every_flag_and_exits_0(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        for flag in ["--apiserver", "--kubeconfig", "--context", "--token-file", "--ca-file",
                     "--insecure-skip-tls-verify", "--listen-address", "--namespaces",
                     "--exclude-namespaces", "--controller-time-zone", "--state-file",
                     "--job-group-label", "--log-level", "--log-format"]:
            self.assertIn(flag, r.stdout)

    def test_version_prints_version_and_revision(self):
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^batchwatch \d+\.\d+\.\d+ \(revision [0-9a-f]+|unknown\)")

    def test_bad_flags_exit_2_naming_the_flag(self):
        cases = [
            (["--bogus"], "--bogus"),
            (["--listen-address"], "--listen-address"),
            (["--log-format", "xml"], "--log-format"),
            (["--controller-time-zone", "Mars/Olympus"], "Mars/Olympus"),
            (["--listen-address", "nonsense"], "--listen-address"),
            # Names cctz loads but the CronJob controller (Go's LoadLocation) does not.
            (["--controller-time-zone", "localtime"], "localtime"),
            (["--controller-time-zone", "Local"], "Local"),
            (["--apiserver", "127.0.0.1:46089"], "has no scheme"),
            (["--apiserver", "ftp://127.0.0.1:46089"], "--apiserver"),
        ]
        for args, mention in cases:
            with self.subTest(args=args):
                r = run(args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(mention, r.stderr)


class ScheduleCommandTest(unittest.TestCase):
    def test_unknown_flag_is_named_even_last(self):
        r = run(["schedule", "@hourly", "--count", "2", "--bogus"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("unknown flag --bogus", r.stderr)

    def test_space_around_a_descriptor_is_refused_like_robfig(self):
        for spec in (" @daily", "@daily "):
            for extra in ([], ["--time-zone", "Europe/Berlin"]):
                with self.subTest(spec=spec, extra=extra):
                    r = run(["schedule", spec] + extra)
                    self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                    self.assertIn("unparseable_schedule", r.stderr)

    def test_zone_prefix_warns(self):
        r = run(["schedule", "CRON_TZ=Europe/Berlin 0 2 * * *", "--count", "1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning", r.stderr)
        self.assertIn("spec.timeZone", r.stderr)


class StartupErrorsTest(unittest.TestCase):
    def test_state_file_in_a_directory_that_cannot_be_written_exits_1(self):
        with FakeApiServer() as api:
            r = run(["--apiserver", api.url, "--listen-address", "127.0.0.1:0",
                     "--state-file", "/proc/forbidden/x"])
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("cannot create files in the state file's directory /proc/forbidden",
                          r.stderr)

    def test_https_to_a_plain_http_port_says_no_tls(self):
        with FakeApiServer() as api:
            url = api.url.replace("http://", "https://")
            r = run(["--apiserver", url, "--listen-address", "127.0.0.1:0"], timeout=60)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("does not speak TLS", r.stderr)
            self.assertNotIn("check the CA", r.stderr)


    def test_unreachable_apiserver_exits_1_with_clear_message(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # nothing listens here once closed
        r = run(["--apiserver", "http://127.0.0.1:%d" % port, "--listen-address", "127.0.0.1:0"],
                timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("127.0.0.1:%d" % port, r.stderr)

    def test_port_in_use_exits_1_with_clear_message(self):
        with FakeApiServer() as api, socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            r = run(["--apiserver", api.url, "--listen-address", "127.0.0.1:%d" % port])
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("cannot listen on 127.0.0.1:%d" % port, r.stderr)


class ServingTest(unittest.TestCase):
    def test_startup_probe_waits_out_429_and_503(self):
        with FakeApiServer() as api:
            api.cluster.create("cronjobs", make_cronjob("default", "backup", "*/5 * * * *"))
            api.cluster.inject(Fault("status", resource="jobs", verb="list", code=429,
                                     retry_after=1, count=2))
            api.cluster.inject(Fault("status", resource="cronjobs", verb="list", code=503,
                                     count=1))
            exp = Exporter(["--apiserver", api.url])
            try:
                deadline = time.time() + 30
                status = None
                while time.time() < deadline and exp.proc.poll() is None:
                    status, _, _ = http_get(exp.url("/readyz"))
                    if status == 200:
                        break
                    time.sleep(0.2)
                self.assertIsNone(exp.proc.poll(), exp.text())
                self.assertEqual(status, 200, exp.text())
                self.assertEqual(exp.text().count("startup probe: the API server asks to wait"),
                                 3, exp.text())
            finally:
                exp.close()

    def test_startup_probe_gives_up_on_a_server_that_keeps_answering_500(self):
        with FakeApiServer() as api:
            api.cluster.inject(Fault("status", resource="jobs", verb="list", code=500,
                                     count=-1))
            exp = Exporter(["--apiserver", api.url])
            try:
                exp.proc.wait(60)
                self.assertEqual(exp.proc.returncode, 1, exp.text())
                self.assertIn("cannot read Jobs and CronJobs", exp.text())
                self.assertEqual(exp.text().count("startup probe: the API server asks to wait"),
                                 4, exp.text())
            finally:
                exp.close()

    def test_endpoints_readiness_and_sigterm(self):
        with FakeApiServer() as api:
            api.cluster.create("cronjobs", make_cronjob("default", "backup", "*/5 * * * *"))
            # Hold the first list of jobs back so that readiness can be seen before the sync.
            api.cluster.inject(Fault("slow", resource="jobs", verb="list", delay=4, count=-1))
            exp = Exporter(["--apiserver", api.url])
            try:
                status, _, body = http_get(exp.url("/readyz"))
                self.assertEqual(status, 503)
                self.assertIn(b"jobs", body)
                status, _, _ = http_get(exp.url("/healthz"))
                self.assertEqual(status, 200)
                api.cluster.clear_faults()
                deadline = time.time() + 20
                while time.time() < deadline:
                    status, _, body = http_get(exp.url("/readyz"))
                    if status == 200:
                        break
                    time.sleep(0.2)
                self.assertEqual(status, 200, body)
                status, headers, body = http_get(exp.url("/metrics"))
                self.assertEqual(status, 200)
                self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
                text = body.decode()
                self.assertIn('batchwatch_build_info{', text)
                self.assertIn('batchwatch_synced{resource="jobs"} 1', text)
                self.assertIn('batchwatch_cronjob_info{', text)
                for family in ("batchwatch_synced", "batchwatch_watch_events_total",
                               "batchwatch_watch_restarts_total", "batchwatch_api_requests_total",
                               "batchwatch_last_event_timestamp_seconds",
                               "batchwatch_tracked_objects", "batchwatch_decode_errors_total"):
                    self.assertIn("# TYPE " + family + " ", text)
                check = subprocess.run(["promtool", "check", "metrics"], input=body,
                                       capture_output=True)
                self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
                status, headers, body = http_get(exp.url("/metrics"), {"Accept-Encoding": "gzip"})
                self.assertEqual(headers.get("Content-Encoding"), "gzip")
                status, headers, body = http_get(exp.url("/"))
                # Links are relative to the page, so they work behind a path prefix too.
                for link in (b'href="./metrics"', b'href="./healthz"', b'href="./readyz"'):
                    self.assertIn(link, body)
                self.assertIn(b'<table id="fleet">', body)
                self.assertIn("default-src 'none'", headers.get("Content-Security-Policy", ""))
                status, _, body = http_get(exp.url("/api/v1/cronjobs"))
                self.assertEqual(status, 200)
                self.assertIn("cronjobs", json.loads(body))

                started = time.time()
                code = exp.stop(signal.SIGTERM)
                self.assertLess(time.time() - started, 2.0, "SIGTERM took too long")
                self.assertEqual(code, 0, exp.text())
                self.assertIn("shutting down", exp.text())
            finally:
                exp.close()

    def test_state_save_metrics(self):
        with FakeApiServer() as api, tempfile.TemporaryDirectory() as d:
            exp = Exporter(["--apiserver", api.url])
            try:
                _, _, body = http_get(exp.url("/metrics"))
                self.assertNotIn(b"batchwatch_state_", body)  # absent without --state-file
            finally:
                exp.close()
            state = os.path.join(d, "state.json")
            exp = Exporter(["--apiserver", api.url, "--state-file", state,
                            "--state-save-interval", "1"])
            try:
                deadline = time.time() + 20
                text = ""
                while time.time() < deadline:
                    text = http_get(exp.url("/metrics"))[2].decode()
                    if "batchwatch_state_last_save_timestamp_seconds " in text:
                        break
                    time.sleep(0.2)
                m = re.search(r"^batchwatch_state_last_save_timestamp_seconds (\S+)$", text, re.M)
                self.assertIsNotNone(m, text[:2000])
                self.assertLess(abs(float(m.group(1)) - time.time()), 30)
                self.assertIn("# TYPE batchwatch_state_save_errors_total counter", text)
                self.assertRegex(text, r"(?m)^batchwatch_state_save_errors_total 0$")
                self.assertTrue(os.path.exists(state))
            finally:
                exp.close()

    def test_sigint_stops_cleanly(self):
        with FakeApiServer() as api:
            exp = Exporter(["--apiserver", api.url, "--log-format", "json"])
            try:
                code = exp.stop(signal.SIGINT)
                self.assertEqual(code, 0, exp.text())
                self.assertIn('"msg":"shutting down"', exp.text())
            finally:
                exp.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
