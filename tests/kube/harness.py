"""Shared helpers for the kube integration tests: an in-process fake API server and a
watch_probe subprocess whose mirrored store can be compared with the server's objects."""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "sim"))

import fake_apiserver as fake  # noqa: E402

PROBE = os.environ.get("WATCH_PROBE", "")
# A hang guard, not a timing assertion: convergence normally takes well under a second.
CONVERGE_LIMIT = 60


class Probe:
    """A running watch_probe; killed by PID on close()."""

    def __init__(self, args, env=None):
        self.proc = subprocess.Popen([PROBE, "--fast", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append),
                         daemon=True).start()
        first = self._line()
        if first != "started":
            raise AssertionError(f"watch_probe did not start: {first!r}\n{self.log()}")

    @staticmethod
    def _pump(stream, put):
        for line in stream:
            put(line.rstrip("\n"))

    def _line(self, limit=30):
        try:
            return self.lines.get(timeout=limit)
        except queue.Empty:
            raise AssertionError("watch_probe did not answer\n" + self.log())

    def log(self):
        return "\n".join(self.stderr[-40:])

    def dump(self):
        self.proc.stdin.write("dump\n")
        self.proc.stdin.flush()
        return json.loads(self._line())

    def quit(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        out = json.loads(self._line())
        self.proc.wait(timeout=30)
        return out

    def close(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass


def check_access(args, env=None):
    """Runs watch_probe --check-access; returns (exit code, first output line)."""
    r = subprocess.run([PROBE, "--check-access", *args], capture_output=True, text=True,
                       timeout=60, env=env)
    return r.returncode, (r.stdout.strip().splitlines() or [""])[0]


def metric(dump, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in dump["metrics"].splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        series, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            total += float(value)
    return total


def expected_view(cluster, namespaces=(), exclude=()):
    view = {}
    for res in ("jobs", "cronjobs"):
        view[res] = {o["metadata"]["uid"]: o["metadata"]["resourceVersion"]
                     for o in cluster.list(res)
                     if (not namespaces or o["metadata"]["namespace"] in namespaces)
                     and o["metadata"]["namespace"] not in exclude}
    return view


def probe_view(dump):
    return {res: {uid: o["resourceVersion"] for uid, o in dump[res].items()}
            for res in ("jobs", "cronjobs")}


class KubeTestCase(unittest.TestCase):
    """Starts a fake API server (plain HTTP, token auth) per test; probes are cleaned up."""

    tls = False
    require_client_cert = False

    def setUp(self):
        if not PROBE:
            self.skipTest("WATCH_PROBE is not set (run through ctest)")
        self.dir = tempfile.mkdtemp(prefix="bw-kube-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.token_file = os.path.join(self.dir, "token")
        self.write(self.token_file, "token-1\n")
        self.cluster = fake.FakeCluster(token_file=self.token_file, bookmark_interval=0.3)
        tls_dir = None
        if self.tls:
            tls_dir = fake.generate_tls(os.path.join(self.dir, "tls"))
            self.tls_dir = tls_dir
        self.server = fake.serve(self.cluster, 0, tls_dir, self.require_client_cert)
        self.addCleanup(self.server.stop)
        self.probes = []
        self.addCleanup(self._close_probes)

    def _close_probes(self):
        for p in self.probes:
            p.close()

    def write(self, path, content, mode=None):
        with open(path, "w") as f:
            f.write(content)
        if mode:
            os.chmod(path, mode)
        return path

    def start_probe(self, *args, env=None):
        p = Probe(list(args), env=env)
        self.probes.append(p)
        return p

    def default_args(self):
        return ["--apiserver", self.server.url, "--token-file", self.token_file]

    def populate(self, n_jobs=7, namespaces=("default", "ops")):
        cj = self.cluster.create("cronjobs", fake.make_cronjob(namespaces[0], "backup"))
        for i in range(n_jobs):
            self.cluster.create("jobs", fake.make_job(
                namespaces[i % len(namespaces)], f"backup-{28000000 + i}", cronjob="backup",
                cronjob_uid=cj["metadata"]["uid"], slot=1680000000 + 60 * i))

    def wait_converged(self, probe, namespaces=(), exclude=()):
        """Polls until the probe's store equals the server's objects; returns the last dump."""
        deadline = time.monotonic() + CONVERGE_LIMIT
        while True:
            dump = probe.dump()
            want = expected_view(self.cluster, namespaces, exclude)
            if probe_view(dump) == want and not dump["unsynced"]:
                self.assertEqual(dump["violations"], [])
                return dump
            if time.monotonic() > deadline:
                self.fail(f"store did not converge: want {want}, have {probe_view(dump)}, "
                          f"unsynced {dump['unsynced']}\n{probe.log()}")
            time.sleep(0.05)

    def wait_for(self, probe, predicate, what):
        deadline = time.monotonic() + CONVERGE_LIMIT
        while True:
            dump = probe.dump()
            if predicate(dump):
                return dump
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}\n{probe.log()}")
            time.sleep(0.05)
