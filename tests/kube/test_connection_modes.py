#!/usr/bin/env python3
"""Each way of connecting (--apiserver, kubeconfig variants, exec plugin, in-cluster) and each
startup error names the problem clearly."""

import os
import socket
import unittest

from harness import KubeTestCase, check_access, fake, metric


def kubeconfig(server, cluster_lines="", user_lines="    token: unused", context="main"):
    return (f"apiVersion: v1\nkind: Config\ncurrent-context: {context}\n"
            f"clusters:\n- name: fake\n  cluster:\n    server: {server}\n{cluster_lines}\n"
            f"contexts:\n- name: main\n  context: {{cluster: fake, user: me}}\n"
            f"- name: broken\n  context: {{cluster: fake, user: nobody}}\n"
            f"users:\n- name: me\n  user:\n{user_lines}\n")


class PlainHttpTest(KubeTestCase):
    def test_apiserver_with_token_file(self):
        self.populate()
        probe = self.start_probe(*self.default_args())
        self.wait_converged(probe)

    def test_namespaces_and_exclusions(self):
        self.populate(namespaces=("a", "b", "c"))
        probe = self.start_probe(*self.default_args(), "--namespaces", "a,b,c",
                                 "--exclude-namespaces", "c")
        self.wait_converged(probe, namespaces=("a", "b"))
        self.cluster.create("jobs", fake.make_job("b", "late"))
        self.cluster.create("jobs", fake.make_job("c", "ignored"))
        self.wait_converged(probe, namespaces=("a", "b"))
        scopes = {r["namespace"] for r in self.cluster.requests}
        self.assertEqual(scopes, {"a", "b"})  # one watch per namespace, none for c

    def test_exclusions_filter_the_all_namespaces_watch(self):
        self.populate(namespaces=("a", "kube-system"))
        probe = self.start_probe(*self.default_args(), "--exclude-namespaces", "kube-system")
        self.wait_converged(probe, exclude=("kube-system",))

    def test_token_rotation_rereads_the_file_after_401(self):
        self.populate()
        probe = self.start_probe(*self.default_args())
        self.wait_converged(probe)
        self.write(self.token_file, "token-2\n")  # server now wants token-2
        self.cluster.inject(fake.Fault("drop", resource="jobs", verb="watch"))
        self.cluster.create("jobs", fake.make_job("ops", "after-rotation"))
        after = self.wait_converged(probe)
        self.assertGreaterEqual(metric(after, "batchwatch_api_requests_total", resource="jobs",
                                       code="401"), 1)

    def test_401_until_the_token_changes(self):
        self.populate()
        self.cluster.inject(fake.Fault("unauthorized_until_token_change", count=-1))
        probe = self.start_probe(*self.default_args())
        self.wait_for(probe, lambda d: metric(d, "batchwatch_api_requests_total",
                                              code="401") >= 2, "401 answers")
        self.write(self.token_file, "token-2\n")
        self.wait_converged(probe)

    def test_startup_errors(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]
        wrong = self.write(os.path.join(self.dir, "wrong"), "nope\n")
        bad_pem = self.write(os.path.join(self.dir, "bad.pem"), "not a certificate\n")
        cases = [
            ("unreachable", ["--apiserver", f"http://127.0.0.1:{closed_port}"],
             "cannot reach the API server"),
            ("401", ["--apiserver", self.server.url, "--token-file", wrong],
             "rejected the credentials (401"),
            ("missing token file", ["--apiserver", self.server.url, "--token-file",
                                    "/nonexistent/token"], "cannot read token file /nonexistent/token"),
            ("bad CA PEM", ["--apiserver", self.server.url, "--ca-file", bad_pem],
             "holds no PEM certificate"),
            ("bad URL", ["--apiserver", "localhost:6443"], "must look like https://host"),
        ]
        for name, args, want in cases:
            with self.subTest(name):
                code, out = check_access(args)
                self.assertEqual(code, 1, out)
                self.assertIn(want, out)
                self.assertNotIn("token-1", out)

    def test_403_names_verb_and_resource(self):
        self.cluster.inject(fake.Fault("forbidden", resource="cronjobs", count=-1))
        code, out = check_access(self.default_args())
        self.assertEqual(code, 1, out)
        self.assertIn('verb "list" on resource "cronjobs"', out)

    def test_check_access_ok(self):
        self.assertEqual(check_access(self.default_args()), (0, "ok"))


class TlsTest(KubeTestCase):
    tls = True

    def test_ca_file_verifies_the_server(self):
        self.populate()
        probe = self.start_probe(*self.default_args(), "--ca-file",
                                 os.path.join(self.tls_dir, "ca.crt"))
        self.wait_converged(probe)

    def test_unknown_ca_is_a_tls_error(self):
        code, out = check_access(self.default_args())
        self.assertEqual(code, 1, out)
        self.assertIn("TLS verification of", out)

    def test_insecure_skip_tls_verify(self):
        self.assertEqual(check_access(self.default_args() + ["--insecure-skip-tls-verify"]),
                         (0, "ok"))

    def test_kubeconfig_with_ca_data_and_token_file(self):
        import base64
        with open(os.path.join(self.tls_dir, "ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        kc = self.write(os.path.join(self.dir, "kc"), kubeconfig(
            self.server.url, f"    certificate-authority-data: {ca}",
            f"    tokenFile: {self.token_file}"))
        self.populate()
        probe = self.start_probe("--kubeconfig", kc)
        self.wait_converged(probe)

    def test_kubeconfig_env_and_context_and_exec_plugin(self):
        plugin = self.write(os.path.join(self.dir, "plugin.sh"),
                            "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                            "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}' "
                            f"\"$(cat {self.token_file})\"\n", 0o755)
        kc = self.write(os.path.join(self.dir, "kc"), kubeconfig(
            self.server.url, "    certificate-authority: tls/ca.crt",
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
            f"      command: {plugin}\n      interactiveMode: Never", context="broken"))
        env = dict(os.environ, KUBECONFIG=f"/nonexistent:{kc}")
        code, out = check_access([], env=env)
        self.assertEqual(code, 1)
        self.assertIn('user "nobody" of context "broken" not found', out)
        self.populate()
        probe = self.start_probe("--context", "main", env=env)
        self.wait_converged(probe)
        # Rotation: the plugin now prints the new token; the 401 makes the client re-run it.
        self.write(self.token_file, "token-2\n")
        self.cluster.inject(fake.Fault("drop", resource="jobs", verb="watch"))
        self.cluster.create("jobs", fake.make_job("ops", "after-rotation"))
        self.wait_converged(probe)

    def test_in_cluster_service_account(self):
        sa = os.path.join(self.dir, "sa")
        os.makedirs(sa)
        os.symlink(self.token_file, os.path.join(sa, "token"))
        os.symlink(os.path.join(self.tls_dir, "ca.crt"), os.path.join(sa, "ca.crt"))
        env = dict(os.environ, KUBERNETES_SERVICE_HOST="127.0.0.1",
                   KUBERNETES_SERVICE_PORT=str(self.server.port))
        env.pop("KUBECONFIG", None)
        self.populate()
        probe = self.start_probe("--service-account-dir", sa, env=env)
        self.wait_converged(probe)
        env.pop("KUBERNETES_SERVICE_HOST")
        code, out = check_access(["--service-account-dir", sa], env=env)
        self.assertEqual(code, 1)
        self.assertIn("not running in a cluster", out)


class ClientCertTest(KubeTestCase):
    tls = True
    require_client_cert = True

    def test_kubeconfig_client_certificate(self):
        d = self.tls_dir
        kc = self.write(os.path.join(self.dir, "kc"), kubeconfig(
            self.server.url, f"    certificate-authority: {d}/ca.crt",
            f"    client-certificate: {d}/client.crt\n    client-key: {d}/client.key\n"
            f"    tokenFile: {self.token_file}"))
        self.populate()
        probe = self.start_probe("--kubeconfig", kc)
        self.wait_converged(probe)

    def test_missing_client_certificate_fails(self):
        code, out = check_access(self.default_args() + ["--ca-file",
                                                        os.path.join(self.tls_dir, "ca.crt")])
        self.assertEqual(code, 1)
        self.assertIn("API server", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
