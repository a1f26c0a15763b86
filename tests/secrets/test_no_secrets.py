#!/usr/bin/env python3
"""Tokens and keys never leave batchwatch: not in its logs (stdout and stderr, --log-level
debug, text and JSON formats), not in its error messages, not in /metrics or its other pages.

batchwatch runs with distinctive secrets -- a bearer token (token file and kubeconfig), a
client key (kubeconfig client-key-data) and an exec plugin's token -- through startup errors
(401, 403, an untrusted server certificate, a broken plugin), normal operation with a 401 in
the middle (token re-read, plugin re-run) and shutdown; then everything it printed or served is
searched for the secret material.

Every process binds 127.0.0.1 on a free port and is killed by PID, also on failure."""
import base64
import os
import re
import secrets
import shutil
import signal
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

from fake_apiserver import Fault, FakeCluster, generate_tls, make_cronjob, make_job, serve  # noqa: E402

TOKEN = "bw-test-token-" + secrets.token_hex(12)
EXEC_TOKEN = "bw-exec-token-" + secrets.token_hex(12)


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


class Secrets:
    """The material that must never appear, as the fragments to search for."""

    def __init__(self, tls_dir):
        with open(os.path.join(tls_dir, "client.key")) as f:
            self.key_pem = f.read()
        body = "".join(l for l in self.key_pem.splitlines() if not l.startswith("-----"))
        self.fragments = {
            "bearer token": TOKEN,
            "exec plugin token": EXEC_TOKEN,
            # 24-character pieces every 16 characters of the key's base64 body and of the
            # kubeconfig's client-key-data (base64 of the whole PEM): any 40 characters of
            # either (a single PEM line has 64) contain one.
            **{"client key body[%d:]" % i: body[i:i + 24] for i in range(0, len(body) - 24, 16)},
            **{"client-key-data[%d:]" % i: b64(self.key_pem)[i:i + 24]
               for i in range(0, len(b64(self.key_pem)) - 24, 16)},
        }

    def found_in(self, text):
        return sorted(name for name, frag in self.fragments.items() if frag in text)


class Run:
    """One batchwatch process with stdout and stderr captured separately."""

    def __init__(self, workdir, name, args, env=None):
        self.out_path = os.path.join(workdir, name + ".stdout")
        self.err_path = os.path.join(workdir, name + ".stderr")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [BIN, "--listen-address", "127.0.0.1:0", "--log-level", "debug"] + args,
                stdout=out, stderr=err, env=env)
        self.served = []  # bodies of /metrics and the other pages
        self.port = None

    def text(self):
        with open(self.out_path, errors="replace") as o, open(self.err_path, errors="replace") as e:
            return o.read() + e.read()

    def wait_exit(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("batchwatch did not exit:\n" + self.text()[-3000:])

    def wait_listening(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = (re.search(r"msg=listening .*port=(\d+)", self.text()) or
                 re.search(r'"msg":"listening".*"port":"(\d+)"', self.text()))
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("batchwatch did not listen:\n" + self.text()[-3000:])

    def get(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=10) as r:
                body = r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace")
        self.served.append(body)
        return body

    def wait_metric(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.get("/metrics"), re.M):
                return
            time.sleep(0.2)
        raise AssertionError("no %r in /metrics:\n%s" % (pattern, self.text()[-3000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(30)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class NoSecretsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="batchwatch-secrets-")
        cls.tls = generate_tls(os.path.join(cls.dir, "tls"))
        cls.other_tls = generate_tls(os.path.join(cls.dir, "other-tls"))  # an untrusted CA
        cls.secrets = Secrets(cls.tls)
        cls.token_file = cls.write("token", TOKEN + "\n")
        cls.exec_token_file = cls.write("exec-token", EXEC_TOKEN + "\n")
        cls.plugin = cls.write("plugin.sh", (
            "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
            "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}'\n") % EXEC_TOKEN, True)
        cls.broken_plugin = cls.write("broken.sh", (
            "#!/bin/sh\necho '{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"'\n")
            % EXEC_TOKEN, True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write(cls, name, text, executable=False):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(text)
        if executable:
            os.chmod(path, 0o755)
        return path

    def setUp(self):
        self.runs = []
        self.servers = []

    def tearDown(self):
        for r in self.runs:
            r.kill()
        for s in self.servers:
            s.stop()

    # ---- helpers ---------------------------------------------------------------------------
    def api(self, token_file=None, tls=False, objects=True):
        cluster = FakeCluster(token_file=token_file, bookmark_interval=0.5)
        if objects:
            cluster.create("cronjobs", make_cronjob("default", "backup", "*/5 * * * *"))
            cluster.create("jobs", make_job("default", "backup-1", cronjob="backup", active=1))
        server = serve(cluster, 0, tls_dir=self.tls if tls else None, require_client_cert=tls)
        self.servers.append(server)
        return cluster, server

    def kubeconfig(self, name, server_url, user, ca_dir=None):
        with open(os.path.join(ca_dir or self.tls, "ca.crt")) as f:
            ca = f.read()
        with open(os.path.join(self.tls, "client.crt")) as f:
            cert = f.read()
        user_yaml = {"token": "    token: %s\n" % TOKEN,
                     "exec": "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                             "      command: %s\n" % self.plugin,
                     "broken-exec": "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                    "      command: %s\n" % self.broken_plugin}[user]
        return self.write(name, (
            "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
            "clusters:\n- name: c\n  cluster:\n    server: %s\n"
            "    certificate-authority-data: %s\n"
            "contexts:\n- name: test\n  context: {cluster: c, user: u}\n"
            "users:\n- name: u\n  user:\n"
            "    client-certificate-data: %s\n    client-key-data: %s\n%s") % (
                server_url, b64(ca), b64(cert), b64(self.secrets.key_pem), user_yaml))

    def start(self, name, args, env=None):
        run = Run(self.dir, name, args, env)
        self.runs.append(run)
        return run

    def assert_clean(self, run):
        everything = run.text() + "\n".join(run.served)
        leaked = self.secrets.found_in(everything)
        self.assertEqual(leaked, [], "secret material in batchwatch's output or pages:\n" +
                         everything[-3000:])
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            self.assertNotIn(bad, run.text())

    def test_the_search_finds_every_kind_of_secret(self):
        key_lines = [l for l in self.secrets.key_pem.splitlines()[1:-1] if len(l) >= 40]
        for text in [TOKEN, "x" + EXEC_TOKEN + "x", b64(self.secrets.key_pem)[100:140]] + key_lines:
            self.assertNotEqual(self.secrets.found_in(text), [], text)
        self.assertEqual(self.secrets.found_in("token file /tmp/x/token"), [])

    # ---- startup errors --------------------------------------------------------------------
    def test_startup_errors_name_the_problem_but_not_the_secret(self):
        wrong_token = self.write("wrong-token", "bw-the-server-wants-another-token\n")
        cases = []
        _, plain = self.api(token_file=wrong_token)
        cases.append(("401 with a token file", "401",
                      ["--apiserver", plain.url, "--token-file", self.token_file]))
        forbidden, plain_403 = self.api(token_file=self.token_file)
        forbidden.inject(Fault("forbidden", count=-1))
        cases.append(("403 with a token file", "403",
                      ["--apiserver", plain_403.url, "--token-file", self.token_file,
                       "--log-format", "json"]))
        _, tls = self.api(token_file=self.token_file, tls=True)
        cases.append(("untrusted server certificate", "certificate",
                      ["--kubeconfig", self.kubeconfig("kc-bad-ca", tls.url, "token",
                                                       ca_dir=self.other_tls)]))
        _, tls_401 = self.api(token_file=wrong_token, tls=True)
        cases.append(("401 with kubeconfig token and client key", "401",
                      ["--kubeconfig", self.kubeconfig("kc-401", tls_401.url, "token")]))
        cases.append(("401 with an exec plugin token", "401",
                      ["--kubeconfig", self.kubeconfig("kc-exec-401", tls_401.url, "exec")]))
        cases.append(("exec plugin printing broken JSON with its token", "ExecCredential",
                      ["--kubeconfig", self.kubeconfig("kc-broken", tls.url, "broken-exec")]))
        for i, (name, mention, args) in enumerate(cases):
            with self.subTest(name):
                run = self.start("startup-%d" % i, args)
                code = run.wait_exit(60)
                self.assertEqual(code, 1, run.text()[-3000:])
                self.assertIn(mention, run.text())
                self.assert_clean(run)

    # ---- normal operation ------------------------------------------------------------------
    def operate(self, run, cluster):
        """Serves, survives a 401 in the middle (re-reads the token or re-runs the plugin),
        and shuts down cleanly."""
        run.wait_listening()
        run.wait_metric(r'^batchwatch_synced\{resource="jobs"\} 1')
        for path in ("/", "/healthz", "/readyz"):
            run.get(path)
        cluster.inject(Fault("status", resource="jobs", verb="watch", code=401, count=1))
        cluster.inject(Fault("drop", resource="jobs", verb="watch"))
        cluster.create("jobs", make_job("default", "backup-2", cronjob="backup", active=1))
        run.wait_metric(r'^batchwatch_api_requests_total\{.*code="401".*\} [1-9]')
        cluster.create("jobs", make_job("default", "backup-3", cronjob="backup", active=1))
        run.wait_metric(r'job_name="backup-3"')
        self.assertEqual(run.stop(), 0, run.text()[-3000:])
        self.assert_clean(run)

    def test_token_file_through_operation_and_shutdown(self):
        cluster, server = self.api(token_file=self.token_file)
        self.operate(self.start("token-file", ["--apiserver", server.url,
                                               "--token-file", self.token_file]), cluster)

    def test_kubeconfig_client_key_and_token_over_tls(self):
        cluster, server = self.api(token_file=self.token_file, tls=True)
        self.operate(self.start("kubeconfig", ["--kubeconfig", self.kubeconfig(
            "kc-ok", server.url, "token"), "--log-format", "json"]), cluster)

    def test_exec_plugin_token(self):
        cluster, server = self.api(token_file=self.exec_token_file, tls=True)
        self.operate(self.start("exec", ["--kubeconfig", self.kubeconfig(
            "kc-exec", server.url, "exec")]), cluster)


if __name__ == "__main__":
    unittest.main(verbosity=2)
