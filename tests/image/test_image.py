#!/usr/bin/env python3
"""The container image as users run it: podman (runc), read-only root, uid 65532, no
capabilities, host network, a named volume for the state file, against the simulated cluster
on 127.0.0.1. Checks /healthz, /readyz, /metrics (promtool), a CronJob in a named zone (tzdata),
TLS with --web-config-file (the OpenSSL links), the state file across a container restart, and
exit 0 on SIGTERM.

The image is built by scripts/image.sh (CTest fixture image.build). Exits 77 (CTest skip) with
the reason only when podman cannot run a container here at all. Every container and volume has
a unique name and is removed by that name when the test ends, also on failure."""
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

SRC = os.environ.get("BATCHWATCH_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = os.environ.get("BATCHWATCH_IMAGE", "localhost/batchwatch:dev")
CACHE = os.environ.get("BATCHWATCH_CACHE", os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "batchwatch", "image"))
sys.path.insert(0, os.path.join(SRC, "sim"))

from fake_apiserver import make_cronjob, FakeCluster, serve  # noqa: E402
from simulator import SimCronJob, Simulator  # noqa: E402

PODMAN = ["podman", "--runtime", "runc"]
# scripts/image.sh writes this file (default_ulimits = []: podman must not raise RLIMIT_NOFILE,
# which this kind of sandbox refuses); the same settings are used here.
os.environ.setdefault("CONTAINERS_CONF", os.path.join(CACHE, "containers.conf"))
STATE = "/var/lib/batchwatch/state.json"


def podman(*args, check=True, timeout=60):
    r = subprocess.run(PODMAN + list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("podman %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                             r.stderr.strip()))
    return r


def http_get(url, ctx=None, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=ctx) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until(pred, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def metric_sum(text, name, **labels):
    total = None
    for line in text.splitlines():
        if not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        series, value = line.rsplit(" ", 1)
        if all('%s="%s"' % (k, v) in series for k, v in labels.items()):
            total = (total or 0) + float(value)
    return total


class Container:
    """One detached batchwatch container; its port is learnt from its log (it listens on
    127.0.0.1:0 on the host network)."""

    def __init__(self, test, name, args, mounts):
        self.name = name
        test.addCleanup(lambda: podman("rm", "-f", "-t", "0", name, check=False))
        cmd = ["run", "-d", "--name", name, "--read-only", "--user", "65532:65532",
               "--cap-drop=ALL", "--network", "host"]
        for m in mounts:
            cmd += ["-v", m]
        podman(*(cmd + [IMAGE, "--listen-address=127.0.0.1:0", "--state-file=" + STATE] + args))
        self.port = None

        def port():
            m = re.search(r"msg=listening .*port=(\d+)", self.logs())
            if not m and self.state()["Status"] != "running":
                raise AssertionError("container %s exited:\n%s" % (name, self.logs()))
            return m and int(m.group(1))
        self.port = wait_until(port, 30, "%s to listen" % name)

    def logs(self):
        r = podman("logs", self.name, check=False)
        return r.stdout + r.stderr

    def state(self):
        r = podman("container", "inspect", "--format",
                   "{{.State.Status}} {{.State.ExitCode}}", self.name)
        status, code = r.stdout.split()
        return {"Status": status, "ExitCode": int(code)}

    def stop_with_sigterm(self, use_stop):
        """podman stop (SIGTERM, SIGKILL after 10 s) or podman kill --signal TERM; returns the
        exit code once the container has stopped."""
        started = time.time()
        if use_stop:
            podman("stop", "-t", "10", self.name, timeout=30)
        else:
            podman("kill", "--signal", "TERM", self.name)
        code = int(podman("wait", self.name, timeout=30).stdout.strip())
        return code, time.time() - started


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = podman("image", "exists", IMAGE, check=False)
        if r.returncode != 0:
            raise AssertionError("no image %s: scripts/image.sh build (the image.build test) makes it"
                                 % IMAGE)
        cls.dir = tempfile.mkdtemp(prefix="bw-image-")
        os.chmod(cls.dir, 0o755)
        subprocess.run(["sh", os.path.join(SRC, "tests", "web", "make_certs.sh"), cls.dir],
                       check=True, capture_output=True)
        for f in os.listdir(cls.dir):  # the container runs as 65532
            os.chmod(os.path.join(cls.dir, f), 0o644)
        with open(os.path.join(cls.dir, "web.yml"), "w") as f:
            f.write("tls_server_config:\n  cert_file: /config/server.crt\n"
                    "  key_file: /config/server.key\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_image_runs_as_deployed(self):
        suffix = uuid.uuid4().hex[:12]
        volume = "bw-image-test-state-" + suffix
        self.addCleanup(lambda: podman("volume", "rm", "-f", volume, check=False))
        podman("volume", "create", volume)
        mounts = [volume + ":/var/lib/batchwatch", self.dir + ":/config:ro"]

        cluster = FakeCluster()
        server = serve(cluster, 0)
        self.addCleanup(server.stop)
        cluster.create("cronjobs", make_cronjob("batch", "tokyo-report", "0 3 * * *",
                                                time_zone="Asia/Tokyo"))
        sim = Simulator(cluster, [SimCronJob("batch", "ticker", 2, run_seconds=0.5),
                                  SimCronJob("batch", "breaker", 3, run_seconds=0.5, fail=True)])
        sim.start()
        self.addCleanup(sim.stop)
        args = ["--apiserver", server.url]

        first = Container(self, "bw-image-test-a-" + suffix, args, mounts)
        base = "http://127.0.0.1:%d" % first.port
        self.assertEqual(http_get(base + "/healthz")[0], 200)
        status, body = wait_until(lambda: (lambda r: r if r[0] == 200 else None)(
            http_get(base + "/readyz")), 30, "/readyz 200")
        self.assertEqual(status, 200, body)

        def runs(text):
            return {(cj, res): metric_sum(text, "batchwatch_cronjob_runs_total", cronjob=cj,
                                          result=res) or 0
                    for cj in ("ticker", "breaker") for res in ("succeeded", "failed")}

        def metrics(url, ctx=None):
            status, body = http_get(url + "/metrics", ctx)
            self.assertEqual(status, 200)
            return body

        wait_until(lambda: all(v > 0 for k, v in runs(metrics(base).decode()).items()
                               if k in (("ticker", "succeeded"), ("breaker", "failed"))),
                   40, "runs to be counted")
        body = metrics(base)
        check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        text = body.decode()
        # tzdata: the named zone resolves (cctz reads /usr/share/zoneinfo in the image).
        info = [line for line in text.splitlines()
                if line.startswith("batchwatch_cronjob_info{") and 'cronjob="tokyo-report"' in line]
        self.assertEqual(len(info), 1, text)
        self.assertIn('timezone="Asia/Tokyo"', info[0])
        self.assertIsNone(metric_sum(text, "batchwatch_cronjob_schedule_error",
                                     cronjob="tokyo-report", error="unknown_timezone"), text)

        # Freeze the cluster, let batchwatch catch up, then stop it with SIGTERM: it saves the
        # state file on the volume and exits 0.
        sim.stop()
        want = {(cj.name, "succeeded"): cj.stats["succeeded"] for cj in sim.cronjobs}
        want.update({(cj.name, "failed"): cj.stats["failed"] for cj in sim.cronjobs})
        wait_until(lambda: runs(metrics(base).decode()) == want, 20,
                   "counters to match the simulator: %s" % want)
        code, took = first.stop_with_sigterm(use_stop=False)
        self.assertEqual(code, 0, first.logs())
        self.assertIn("shutting down", first.logs())
        print("podman kill --signal TERM: exit %d after %.1fs" % (code, took))

        # A new container on the same volume, serving over TLS: the counters continue from the
        # state file (not reset, and the runs still listed are not counted twice).
        second = Container(self, "bw-image-test-b-" + suffix,
                           args + ["--web-config-file", "/config/web.yml"], mounts)
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))
        tls = "https://127.0.0.1:%d" % second.port
        wait_until(lambda: http_get(tls + "/readyz", ctx)[0] == 200, 30, "/readyz over TLS")
        self.assertEqual(runs(metrics(tls, ctx).decode()), want)
        with self.assertRaises((urllib.error.URLError, ConnectionError, ssl.SSLError)):
            urllib.request.urlopen("http://127.0.0.1:%d/metrics" % second.port, timeout=5).read()
        code, took = second.stop_with_sigterm(use_stop=True)
        self.assertEqual(code, 0, second.logs())
        print("podman stop: exit %d after %.1fs" % (code, took))


if __name__ == "__main__":
    probe = subprocess.run(["bash", os.path.join(SRC, "scripts", "image.sh"), "probe"],
                           capture_output=True, text=True)
    if probe.returncode == 77:
        print(probe.stderr.strip() or "SKIP: containers cannot run here")
        sys.exit(77)
    if probe.returncode != 0:
        print(probe.stdout + probe.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
