"""A real Kubernetes 1.20.2 control plane for tests: etcd, kube-apiserver and
kube-controller-manager (job, cronjob and service-account controllers) on free 127.0.0.1 ports,
plus what the tests need around it: an API client, a proxy that serves batch/v1 CronJobs the
way a 1.21+ apiserver does, a batchwatch process with a /metrics parser, and a stand-in for the
kubelet. Binaries come from scripts/k8s-build.sh (cached outside the checkout). Every process
is started here and stopped by its PID, also on failure."""

import base64
import calendar
import ctypes
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("BATCHWATCH_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
BUILD_SCRIPT = os.path.join(SRC, "scripts", "k8s-build.sh")
ADMIN_USER = "realk8s-admin"


class SetupError(Exception):
    """The control plane (or its build) could not be brought up: not a batchwatch failure."""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _have_yaml():
    try:
        import yaml  # noqa: F401
        return True
    except ImportError:
        return False


def k8s_binaries(build_if_missing=True):
    """Directory with kube-apiserver and kube-controller-manager; builds them when missing."""
    out = subprocess.run(["bash", BUILD_SCRIPT, "--print-dir"], capture_output=True, text=True,
                         check=True).stdout.strip()
    if all(os.access(os.path.join(out, b), os.X_OK)
           for b in ("kube-apiserver", "kube-controller-manager")) and shutil.which("etcd") \
            and shutil.which("etcdctl") and _have_yaml():
        return out
    if not build_if_missing:
        raise SetupError(f"no cached Kubernetes binaries in {out}: run scripts/k8s-build.sh")
    log(f"Kubernetes binaries or packages missing: running {BUILD_SCRIPT} (a build takes "
        "several minutes)")
    started = time.monotonic()
    r = subprocess.run(["bash", BUILD_SCRIPT], stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SetupError(f"scripts/k8s-build.sh failed (exit {r.returncode}); its messages "
                         "are above. The realk8s tests need kube-apiserver and "
                         "kube-controller-manager built from Debian's kubernetes source.")
    log(f"built in {time.monotonic() - started:.0f} s")
    return r.stdout.strip().splitlines()[-1]


def parse_time(value):
    """RFC 3339 as the apiserver writes it (1 s resolution, Z) -> Unix seconds."""
    if not value:
        return None
    return float(calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ")))


# ---------------------------------------------------------------------------------------------
# API client


class ApiError(Exception):
    def __init__(self, status, body, method, path):
        self.status = status
        self.body = body
        super().__init__(f"{method} {path}: HTTP {status}: {body[:300]!r}")


class Api:
    """Minimal Kubernetes REST client (one keep-alive connection per thread)."""

    def __init__(self, port, token, ca_file):
        self.port = port
        self.token = token
        self.ctx = ssl.create_default_context(cafile=ca_file)
        self.local = threading.local()

    def _conn(self, fresh=False):
        c = getattr(self.local, "conn", None)
        if c is None or fresh:
            if c is not None:
                c.close()
            c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                            timeout=60)
            self.local.conn = c
        return c

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201),
                retries=0):
        """JSON answer of a request; ApiError on a status not in `ok`. `retries`: how many
        times to retry connection failures (the apiserver restarting), 1 s apart."""
        data = None if body is None else (body if isinstance(body, bytes)
                                          else json.dumps(body).encode())
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        attempt = 0
        while True:
            try:
                c = self._conn(fresh=attempt > 0)
                c.request(method, path, body=data, headers=headers)
                resp = c.getresponse()
                raw = resp.read()
                break
            except (OSError, http.client.HTTPException):
                self._conn(fresh=True)
                if attempt >= retries:
                    raise
                attempt += 1
                time.sleep(1)
        text = raw.decode("utf-8", "replace")
        if resp.status not in ok:
            raise ApiError(resp.status, text, method, path)
        return json.loads(text) if text else {}

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def create(self, path, obj, **kw):
        return self.request("POST", path, obj, **kw)

    def merge_patch(self, path, patch, **kw):
        return self.request("PATCH", path, patch, content_type="application/merge-patch+json",
                            **kw)

    def delete(self, path, **kw):
        # batch/v1 Jobs default to orphaning, which waits for a garbage collector that does not
        # run here: delete in the background as the CronJob controller does.
        return self.request("DELETE", path, {"propagationPolicy": "Background"},
                            ok=(200, 202), **kw)

    def list_all(self, path, limit=500):
        """Every item of a collection, paginated; returns (items, resourceVersion)."""
        items, cont = [], ""
        while True:
            q = f"?limit={limit}" + (f"&continue={urllib.parse.quote(cont)}" if cont else "")
            page = self.get(path + q)
            items.extend(page.get("items") or [])
            cont = page["metadata"].get("continue", "")
            if not cont:
                return items, page["metadata"]["resourceVersion"]

    def wait_for(self, what, fn, limit=60, interval=0.25):
        deadline = time.monotonic() + limit
        while True:
            try:
                v = fn()
            except (ApiError, OSError, http.client.HTTPException):
                v = None
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {limit} s waiting for {what}")
            time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# The control plane

AUDIT_POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
"""


class Process:
    """A child process with its output in a file; stopped by PID."""

    def __init__(self, name, argv, logdir, env=None):
        self.name = name
        self.log_path = os.path.join(logdir, f"{name}.log")
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, grace=10):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logf.close()

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


def _die_with_parent():
    # SIGKILL when the thread that started the process ends (the test being killed, e.g. by a
    # CTest timeout, must not leave an apiserver behind). Threads that start processes stop
    # them before they end; processes that outlive a thread are started by the main thread.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager, all on 127.0.0.1."""

    def __init__(self, bindir, workdir):
        self.bindir = bindir
        self.dir = workdir
        self.pki = os.path.join(workdir, "pki")
        self.logs = os.path.join(workdir, "logs")
        os.makedirs(self.pki)
        os.makedirs(self.logs)
        # etcd on tmpfs when there is one: its fsyncs are what a loaded machine stalls on.
        shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.etcd_dir = tempfile.mkdtemp(prefix="bw-realk8s-etcd-", dir=shm)
        self.etcd_port, self.peer_port, self.port = free_port(), free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{self.etcd_port}"
        self.admin_token = base64.b32encode(os.urandom(20)).decode().lower()
        self.kcm_token = base64.b32encode(os.urandom(20)).decode().lower()
        self.audit_log = os.path.join(self.logs, "audit.log")
        self.etcd = self.apiserver = self.kcm = None
        self.ca_file = os.path.join(self.pki, "ca.crt")

    # -- setup
    def make_pki(self):
        p = self.pki
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
                "-out", "ca.crt", "-days", "2", "-subj", "/CN=batchwatch-realk8s-ca", cwd=p)
        with open(os.path.join(p, "san.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "extendedKeyUsage=serverAuth\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
                "server.csr", "-subj", "/CN=kube-apiserver", cwd=p)
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext",
                cwd=p)
        openssl("genrsa", "-out", "sa.key", "2048", cwd=p)
        openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=p)
        with open(os.path.join(p, "tokens.csv"), "w") as f:
            f.write(f'{self.admin_token},{ADMIN_USER},uid-admin,"system:masters"\n')
            f.write(f'{self.kcm_token},system:kube-controller-manager,uid-kcm,"system:masters"\n')
        with open(os.path.join(p, "audit-policy.yaml"), "w") as f:
            f.write(AUDIT_POLICY)
        with open(os.path.join(p, "kcm.kubeconfig"), "w") as f:
            json.dump({
                "apiVersion": "v1", "kind": "Config", "current-context": "kcm",
                "clusters": [{"name": "realk8s", "cluster": {
                    "server": f"https://127.0.0.1:{self.port}",
                    "certificate-authority": self.ca_file}}],
                "users": [{"name": "kcm", "user": {"token": self.kcm_token}}],
                "contexts": [{"name": "kcm", "context": {"cluster": "realk8s", "user": "kcm"}}],
            }, f)

    def start(self):
        started = time.monotonic()
        self.make_pki()
        self.start_etcd()
        self.start_apiserver()
        self.start_kcm()
        self.admin = Api(self.port, self.admin_token, self.ca_file)
        # The controller manager is up once the serviceaccount controller made "default".
        self.admin.wait_for("the default ServiceAccount (controller manager running)",
                            lambda: self.admin.get("/api/v1/namespaces/default/serviceaccounts/"
                                                   "default"), limit=90)
        log(f"control plane ready in {time.monotonic() - started:.1f} s: apiserver "
            f"https://127.0.0.1:{self.port}, etcd {self.etcd_url}")

    def start_etcd(self):
        peer = f"http://127.0.0.1:{self.peer_port}"
        self.etcd = Process("etcd", [
            "etcd", "--name", "realk8s", "--data-dir", self.etcd_dir,
            "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"realk8s={peer}", "--log-level", "warn",
        ], self.logs)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.etcd_port), timeout=1):
                    pass
                r = subprocess.run(self.etcdctl_argv("endpoint", "health"), capture_output=True,
                                   timeout=10)
                if r.returncode == 0:
                    return
            except (OSError, subprocess.TimeoutExpired):
                pass
            if not self.etcd.alive() or time.monotonic() > deadline:
                raise SetupError("etcd did not start:\n" + self.etcd.tail())
            time.sleep(0.2)

    def apiserver_argv(self):
        p = self.pki
        return [
            os.path.join(self.bindir, "kube-apiserver"),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1", f"--secure-port={self.port}", "--insecure-port=0",
            "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
            f"--tls-cert-file={p}/server.crt", f"--tls-private-key-file={p}/server.key",
            f"--client-ca-file={p}/ca.crt", f"--token-auth-file={p}/tokens.csv",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={p}/sa.pub",
            f"--service-account-signing-key-file={p}/sa.key",
            "--service-cluster-ip-range=10.0.0.0/24",
            f"--cert-dir={self.dir}/apiserver-certs",
            f"--audit-policy-file={p}/audit-policy.yaml", f"--audit-log-path={self.audit_log}",
            "--audit-log-maxbackup=0",
            "--v=1",
        ]

    def start_apiserver(self):
        self.apiserver = Process("kube-apiserver", self.apiserver_argv(), self.logs)
        ctx = ssl.create_default_context(cafile=self.ca_file)
        deadline = time.monotonic() + 90
        while True:
            try:
                c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=5)
                c.request("GET", "/readyz", headers={"Authorization": f"Bearer {self.admin_token}"})
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            if not self.apiserver.alive() or time.monotonic() > deadline:
                raise SetupError("kube-apiserver did not become ready:\n" + self.apiserver.tail())
            time.sleep(0.3)

    def start_kcm(self):
        p = self.pki
        env = dict(os.environ, TZ="UTC")  # CronJob schedules run in the controller's zone
        self.kcm = Process("kube-controller-manager", [
            os.path.join(self.bindir, "kube-controller-manager"),
            f"--kubeconfig={p}/kcm.kubeconfig",
            "--controllers=job,cronjob,serviceaccount,serviceaccount-token",
            # The default 1.20 CronJob controller is the old polling one (no JobAlreadyActive,
            # 10 s polls); v2 is what every later release runs.
            "--feature-gates=CronJobControllerV2=true",
            "--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=0", "--port=0",
            f"--service-account-private-key-file={p}/sa.key", f"--root-ca-file={p}/ca.crt",
            "--v=2",
        ], self.logs, env=env)

    def restart_apiserver(self, while_down=None):
        """Stops kube-apiserver by PID and starts it again on the same port; `while_down` runs
        in between."""
        self.apiserver.stop()
        if while_down:
            while_down()
        self.start_apiserver()

    def etcdctl_argv(self, *args):
        return ["etcdctl", f"--endpoints={self.etcd_url}", *args]

    def etcdctl(self, *args):
        r = subprocess.run(self.etcdctl_argv(*args), capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, ETCDCTL_API="3"))
        if r.returncode != 0:
            raise AssertionError(f"etcdctl {' '.join(args)} failed: {r.stderr}")
        return r.stdout

    def etcd_revision(self):
        out = json.loads(self.etcdctl("endpoint", "status", "-w", "json"))
        return int(out[0]["Status"]["header"]["revision"])

    def compact(self):
        """Compacts etcd at its current revision: every older resourceVersion and continue token
        becomes too old (410)."""
        rev = self.etcd_revision()
        self.etcdctl("compact", str(rev))
        return rev

    def stop(self):
        for p in (self.kcm, self.apiserver, self.etcd):
            if p is not None:
                p.stop()
        shutil.rmtree(self.etcd_dir, ignore_errors=True)

    def audit_entries(self):
        out = []
        try:
            with open(self.audit_log) as f:
                for line in f:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
        except OSError:
            pass
        return out

    def tails(self):
        return "\n".join(f"--- {p.name} (last lines)\n{p.tail(15)}"
                         for p in (self.etcd, self.apiserver, self.kcm) if p is not None)


# ---------------------------------------------------------------------------------------------
# batch/v1 CronJobs in front of a 1.20 apiserver

CRONJOB_PATH = re.compile(r"^/apis/batch/v1/((?:namespaces/[^/]+/)?cronjobs(?:/.*)?)$")
JOB_PATH = re.compile(r"^/apis/batch/v1/(?:namespaces/[^/]+/)?jobs(?:/.*)?$")


class V1CronJobProxy:
    """TLS reverse proxy in front of the real apiserver. Every request is forwarded as it is
    (method, path, headers including the caller's token, body) and every answer comes back as
    the apiserver sent it (status, headers, body, streams), except for what 1.20 serves
    differently from 1.21+, rewritten the way a 1.21+ apiserver would answer:
    - /apis/batch/v1/.../cronjobs, which 1.20 does not serve, is answered from
      /apis/batch/v1beta1/.../cronjobs with apiVersion batch/v1 (the objects are the same;
      v1beta1 only lacks timeZone);
    - Jobs made by 1.20's CronJob controller name their owner "batch/v1beta1" CronJob, where
      1.21+'s controller writes "batch/v1": batch/v1 Job answers get that reference rewritten.
    Rewritten answers travel uncompressed (the request's Accept-Encoding is dropped).

    `before_request(path, query)` is called before forwarding, in the request's thread: tests
    use it to write between the pages of a list."""

    def __init__(self, upstream_port, cert, key, ca_file):
        self.upstream_port = upstream_port
        self.up_ctx = ssl.create_default_context(cafile=ca_file)
        self.before_request = None
        self.requests = []  # (method, path) seen, for debugging
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy.handle(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, h):
        parsed = urllib.parse.urlsplit(h.path)
        m = CRONJOB_PATH.match(parsed.path)
        path = h.path
        if m:
            path = "/apis/batch/v1beta1/" + m.group(1) + ("?" + parsed.query if parsed.query else "")
        self.requests.append((h.command, parsed.path))
        if self.before_request:
            self.before_request(parsed.path, urllib.parse.parse_qs(parsed.query))
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() not in ("host", "connection", "content-length",
                                        "transfer-encoding")}
        rewrite = bool(m or JOB_PATH.match(parsed.path))
        if rewrite:
            headers.pop("Accept-Encoding", None)
        try:
            up = http.client.HTTPSConnection("127.0.0.1", self.upstream_port,
                                             context=self.up_ctx, timeout=700)
            up.request(h.command, path, body=body, headers=headers)
            resp = up.getresponse()
        except (OSError, http.client.HTTPException):
            # The apiserver is down (restarting): the caller sees its connection dropped.
            h.close_connection = True
            return
        try:
            self.relay(h, resp, rewrite)
        except (OSError, http.client.HTTPException):
            h.close_connection = True  # mid-stream failure on either side: drop the caller
        finally:
            up.close()

    @staticmethod
    def rewrite(data):
        return data.replace(b'"apiVersion":"batch/v1beta1"', b'"apiVersion":"batch/v1"')

    def relay(self, h, resp, rewrite):
        chunked = resp.getheader("Content-Length") is None and h.command != "HEAD"
        h.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "transfer-encoding", "content-length", "keep-alive"):
                continue
            h.send_header(k, v)
        if not chunked:
            data = resp.read()
            if rewrite:
                data = self.rewrite(data)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            h.wfile.flush()
            return
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()
        pending = b""
        while True:
            data = resp.read1(65536)
            if not data:
                break
            if rewrite:
                # Watch events are one JSON object a line: rewrite whole lines only.
                pending += data
                cut = pending.rfind(b"\n") + 1
                data, pending = self.rewrite(pending[:cut]), pending[cut:]
                if not data:
                    continue
            h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            h.wfile.flush()
        if pending:
            data = self.rewrite(pending)
            h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()


# ---------------------------------------------------------------------------------------------
# batchwatch


def parse_metrics(text):
    """Prometheus text format -> list of (name, {label: value}, float)."""
    out = []
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, rest = line.split("{", 1)
            labels_part, value = rest.rsplit("}", 1)
            labels = {k: v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                      for k, v in label_re.findall(labels_part)}
        else:
            name, value = line.split(" ", 1)
            labels = {}
        out.append((name, labels, float(value.split()[0])))
    return out


class Metrics:
    def __init__(self, text):
        self.text = text
        self.samples = parse_metrics(text)

    def series(self, name):
        return [(l, v) for n, l, v in self.samples if n == name]

    def value(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels` (0 when none)."""
        return sum(v for l, v in self.series(name)
                   if all(l.get(k) == str(want) for k, want in labels.items()))


class Batchwatch:
    """A batchwatch process; stopped by PID."""

    def __init__(self, name, args, logdir):
        self.bin = os.environ.get("BATCHWATCH_BIN",
                                  os.path.join(SRC, "build", "exporter", "app", "batchwatch"))
        self.port = free_port()
        self.name = name
        self.proc = Process(name, [self.bin, *args, "--listen-address", f"127.0.0.1:{self.port}",
                                   "--log-level", "debug"], logdir)

    def http(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            c.close()

    def metrics(self):
        status, body = self.http("/metrics")
        if status != 200:
            raise AssertionError(f"{self.name} /metrics answered {status}")
        return Metrics(body)

    def wait_ready(self, limit=60):
        deadline = time.monotonic() + limit
        while True:
            if not self.proc.alive():
                raise AssertionError(f"{self.name} exited {self.proc.proc.returncode}:\n"
                                     + self.proc.tail())
            try:
                if self.http("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} not ready after {limit} s:\n"
                                     + self.proc.tail())
            time.sleep(0.2)

    def wait_exit(self, limit=60):
        try:
            return self.proc.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {limit} s:\n"
                                 + self.proc.tail())

    def log_text(self):
        with open(self.proc.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        self.proc.stop()
        return self.proc.proc.returncode


# ---------------------------------------------------------------------------------------------
# The kubelet's part


class Kubelet(threading.Thread):
    """Plays the kubelet for the pods of the given namespaces (there is no node): each Pending
    pod is patched to Running, and later to Succeeded or Failed with container statuses, as
    `plan(pod) -> (result, finish_at_unix_seconds)` says ((None, None): leave it Pending).
    Retries while the apiserver is restarting."""

    def __init__(self, api, namespaces, plan):
        super().__init__(daemon=True)
        self.api = api
        self.namespaces = namespaces
        self.plan = plan
        self.running = {}  # (ns, pod) -> (result, finish_at, started_at)
        self.done = {}     # (ns, pod) -> result
        self.stopped = threading.Event()
        self.errors = []

    @staticmethod
    def stamp(t):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

    def run(self):
        while not self.stopped.is_set():
            try:
                self.step()
            except (ApiError, OSError, http.client.HTTPException) as e:
                self.errors.append(str(e))
            self.stopped.wait(0.3)

    def step(self):
        now = time.time()
        for ns in self.namespaces:
            pods = self.api.get(f"/api/v1/namespaces/{ns}/pods").get("items") or []
            for pod in pods:
                name = pod["metadata"]["name"]
                key = (ns, name)
                if key in self.done or pod["status"].get("phase") in ("Succeeded", "Failed"):
                    continue
                if key not in self.running:
                    result, finish_at = self.plan(pod)
                    if result is None:
                        continue
                    self.patch(ns, name, "Running", now)
                    self.running[key] = (result, finish_at, now)
                result, finish_at, started = self.running[key]
                if now >= finish_at:
                    self.patch(ns, name, result, started, finished=now)
                    self.done[key] = result
                    del self.running[key]

    def patch(self, ns, name, phase, started, finished=None):
        container = {"name": "main", "image": "busybox", "imageID": "", "restartCount": 0,
                     "ready": phase == "Running", "started": phase == "Running"}
        if phase == "Running":
            container["state"] = {"running": {"startedAt": self.stamp(started)}}
        else:
            code = 0 if phase == "Succeeded" else 1
            container["state"] = {"terminated": {
                "exitCode": code, "reason": "Completed" if code == 0 else "Error",
                "startedAt": self.stamp(started), "finishedAt": self.stamp(finished)}}
        status = {"phase": phase, "startTime": self.stamp(started), "hostIP": "127.0.0.1",
                  "podIP": "10.1.0.1", "containerStatuses": [container]}
        self.api.merge_patch(f"/api/v1/namespaces/{ns}/pods/{name}/status", {"status": status})

    def stop(self):
        self.stopped.set()
        self.join(timeout=10)


# ---------------------------------------------------------------------------------------------
# Objects


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def pod_template(annotations=None):
    return {
        "metadata": {"annotations": annotations or {}},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "containers": [{"name": "main", "image": "busybox", "command": ["true"]}],
        },
    }


def job(ns, name, labels=None, parallelism=1, backoff_limit=0, deadline=None):
    spec = {"parallelism": parallelism, "completions": 1, "backoffLimit": backoff_limit,
            "template": pod_template()}
    if deadline:
        spec["activeDeadlineSeconds"] = deadline
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"namespace": ns, "name": name, "labels": labels or {}}, "spec": spec}


def cronjob_v1beta1(ns, name, schedule, policy="Allow", suspend=False, successful_history=3,
                    failed_history=1, backoff_limit=0):
    return {"apiVersion": "batch/v1beta1", "kind": "CronJob",
            "metadata": {"namespace": ns, "name": name},
            "spec": {"schedule": schedule, "concurrencyPolicy": policy, "suspend": suspend,
                     "successfulJobsHistoryLimit": successful_history,
                     "failedJobsHistoryLimit": failed_history,
                     "jobTemplate": {"spec": {"backoffLimit": backoff_limit,
                                              "template": pod_template()}}}}


def wait_until(t):
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


def in_quiet_part_of_minute(lo=12, hi=25):
    """Blocks until the wall clock is between `lo` and `hi` seconds past a minute: CronJob
    slots are on minute boundaries, so disruptions placed here do not hit a slot."""
    while True:
        s = time.time() % 60
        if lo <= s <= hi:
            return
        time.sleep((lo - s) % 60)


def say(*parts):
    print(*parts, file=sys.stderr, flush=True)
