#!/usr/bin/env python3
"""batchwatch --web-config-file end to end: a bad file is a startup error naming the key, and a
good one serves /metrics over mutual TLS with basic auth to the right client only.

Every process started here binds 127.0.0.1 on a free port and is killed by PID at the end,
also when a test fails."""
import base64
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

SRC = os.environ.get("BATCHWATCH_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BATCHWATCH_BIN", os.path.join(SRC, "build", "exporter", "app", "batchwatch"))
sys.path.insert(0, os.path.join(SRC, "sim"))

from fake_apiserver import FakeCluster, serve  # noqa: E402

# "s3cret" at bcrypt cost 4.
HASH = "$2y$04$DQ4ZMWM7oAApKMRBH3xrY.VelQ647oBnz2HoX1M7soxjfSKLtS6mC"


class WebConfigBinaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="bw-web-bin-")
        subprocess.run(["sh", os.path.join(SRC, "tests", "web", "make_certs.sh"), cls.dir],
                       check=True, capture_output=True)
        cls.cluster = FakeCluster()
        cls.api = serve(cls.cluster, 0)

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def write_config(self, text):
        path = os.path.join(self.dir, "web.yml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, config):
        log = open(os.path.join(self.dir, "batchwatch.log"), "w+")
        proc = subprocess.Popen([BIN, "--apiserver", self.api.url, "--listen-address", "127.0.0.1:0",
                                 "--web-config-file", config], stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), log.close()))
        deadline = time.time() + 20
        while time.time() < deadline and proc.poll() is None:
            log.seek(0)
            m = re.search(r"msg=listening .*port=(\d+)", log.read())
            if m:
                return proc, int(m.group(1))
            time.sleep(0.05)
        log.seek(0)
        self.fail("batchwatch did not start listening:\n" + log.read())

    def test_bad_config_is_a_startup_error_naming_the_key(self):
        cases = [
            ("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
             "  client_auth: RequireAndVerifyClientCert\n", "tls_server_config.client_auth: unknown key"),
            ("basic_auth_users:\n  prometheus: s3cret\n", "basic_auth_users.prometheus: not a bcrypt hash"),
            ("tls_server_config:\n  cert_file: server.crt\n  key_file: stray.key\n",
             "does not match the certificate"),
        ]
        for text, expected in cases:
            with self.subTest(expected):
                config = self.write_config(text)
                r = subprocess.run([BIN, "--apiserver", self.api.url, "--listen-address",
                                    "127.0.0.1:0", "--web-config-file", config],
                                   capture_output=True, text=True, timeout=20)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn(expected, r.stdout + r.stderr)
                self.assertIn(config, r.stdout + r.stderr)

    def test_missing_config_file_is_a_startup_error(self):
        missing = os.path.join(self.dir, "absent.yml")
        r = subprocess.run([BIN, "--apiserver", self.api.url, "--listen-address", "127.0.0.1:0",
                            "--web-config-file", missing], capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read " + missing, r.stdout + r.stderr)

    def test_mutual_tls_with_basic_auth(self):
        config = self.write_config(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
            "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
            "basic_auth_users:\n  prometheus: " + HASH + "\n")
        _, port = self.start(config)
        url = "https://127.0.0.1:%d/metrics" % port

        def get(client, password):
            ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))
            if client:
                ctx.load_cert_chain(os.path.join(self.dir, client + ".crt"),
                                    os.path.join(self.dir, client + ".key"))
            headers = {}
            if password is not None:
                token = base64.b64encode(("prometheus:" + password).encode()).decode()
                headers["Authorization"] = "Basic " + token
            req = urllib.request.Request(url, headers=headers)
            try:
                with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, ""
            except (urllib.error.URLError, ssl.SSLError, ConnectionError) as e:
                return "tls-refused", str(e)

        status, body = get("client", "s3cret")
        self.assertEqual(status, 200)
        self.assertIn("batchwatch_build_info", body)
        self.assertEqual(get("client", "wrong")[0], 401)
        self.assertEqual(get("client", None)[0], 401)
        self.assertEqual(get(None, "s3cret")[0], "tls-refused")
        self.assertEqual(get("other-client", "s3cret")[0], "tls-refused")


if __name__ == "__main__":
    unittest.main(verbosity=2)
