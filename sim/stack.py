"""Starts the monitoring stack on 127.0.0.1 for the end-to-end test and the demo: batchwatch,
Debian's prometheus and prometheus-alertmanager, each on a free port with its own temporary
directory, each stopped by PID (ProcessGroup.stop, also on failure: use it as a context manager).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


def wait_until(predicate, timeout, interval=0.2, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError, ValueError) as e:
            last = e
        time.sleep(interval)
    raise TimeoutError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


class ProcessGroup:
    """Owns every process it starts; stop() kills them all by PID."""

    def __init__(self, workdir=None, keep=False):
        self.workdir = workdir or tempfile.mkdtemp(prefix="batchwatch-stack-")
        self.keep = keep
        self.procs = []  # (name, Popen, logpath)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, name, argv, cwd=None, env=None):
        log_path = os.path.join(self.workdir, name + ".log")
        log = open(log_path, "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                start_new_session=True)
        log.close()
        self.procs.append((name, proc, log_path))
        return proc

    def log(self, name):
        for n, _, path in self.procs:
            if n == name:
                with open(path, errors="replace") as f:
                    return f.read()
        return ""

    def check_alive(self):
        for name, proc, _ in self.procs:
            if proc.poll() is not None:
                raise RuntimeError("%s exited with %s:\n%s" % (name, proc.returncode,
                                                                self.log(name)[-4000:]))

    def stop(self):
        for _, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 5
        for _, proc, _ in reversed(self.procs):
            try:
                proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def start_batchwatch(group, binary, apiserver_url, extra_args=(), name="batchwatch"):
    """Starts batchwatch on a free port chosen by itself (port 0) and returns its base URL.
    `name` names its log in the group (several instances need distinct names)."""
    proc = group.start(name, [binary, "--apiserver", apiserver_url,
                              "--listen-address", "127.0.0.1:0"] + list(extra_args))

    def port():
        if proc.poll() is not None:
            raise RuntimeError("batchwatch exited:\n" + group.log(name))
        m = re.search(r"msg=listening .*port=(\d+)", group.log(name))
        return m and int(m.group(1))

    return "http://127.0.0.1:%d" % wait_until(port, 30, what="batchwatch to listen")


def start_alertmanager(group, port=0):
    port = port or free_port()
    d = os.path.join(group.workdir, "alertmanager")
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(d, "alertmanager.yml")
    with open(cfg, "w") as f:
        f.write("route:\n  receiver: blackhole\n  group_wait: 1s\n  group_interval: 1s\n"
                "  repeat_interval: 1h\nreceivers:\n  - name: blackhole\n")
    group.start("alertmanager", ["prometheus-alertmanager", "--config.file=" + cfg,
                                 "--storage.path=" + d,
                                 "--web.listen-address=127.0.0.1:%d" % port,
                                 "--cluster.listen-address="])
    url = "http://127.0.0.1:%d" % port
    wait_until(lambda: http_json(url + "/api/v2/status"), 30, what="alertmanager")
    return url


def start_prometheus(group, target_url, rule_files, alertmanager_url=None, interval="1s",
                     port=0):
    port = port or free_port()
    d = os.path.join(group.workdir, "prometheus")
    os.makedirs(d, exist_ok=True)
    target = urllib.parse.urlparse(target_url).netloc
    lines = ["global:", "  scrape_interval: %s" % interval, "  evaluation_interval: %s" % interval,
             "rule_files:"] + ["  - %s" % os.path.abspath(r) for r in rule_files]
    if alertmanager_url:
        am = urllib.parse.urlparse(alertmanager_url).netloc
        lines += ["alerting:", "  alertmanagers:", "    - static_configs:",
                  "        - targets: ['%s']" % am]
    lines += ["scrape_configs:", "  - job_name: batchwatch", "    static_configs:",
              "      - targets: ['%s']" % target]
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    group.start("prometheus", ["prometheus", "--config.file=" + cfg,
                               "--storage.tsdb.path=" + os.path.join(d, "data"),
                               "--web.listen-address=127.0.0.1:%d" % port,
                               "--web.enable-lifecycle"])
    url = "http://127.0.0.1:%d" % port
    wait_until(lambda: urllib.request.urlopen(url + "/-/ready", timeout=2).status == 200,
               60, what="prometheus")
    return url


def start_alertmanager_with_config(group, config_text, name="alertmanager"):
    """Alertmanager with the given configuration (YAML text), e.g. a webhook receiver."""
    port = free_port()
    d = os.path.join(group.workdir, name)
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(d, "alertmanager.yml")
    with open(cfg, "w") as f:
        f.write(config_text)
    group.start(name, ["prometheus-alertmanager", "--config.file=" + cfg, "--storage.path=" + d,
                       "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address="])
    url = "http://127.0.0.1:%d" % port
    wait_until(lambda: http_json(url + "/api/v2/status"), 30, what=name)
    return url


def start_prometheus_with(group, name, scrape_configs, rule_files=(), alertmanager_url=None,
                          external_labels=None, interval="1s"):
    """A Prometheus named `name` (its own directory and log) with the given scrape_configs
    (a list of YAML lines, indented as list items under `scrape_configs:`), rule files,
    external labels and optional Alertmanager. Returns its base URL."""
    port = free_port()
    d = os.path.join(group.workdir, name)
    os.makedirs(d, exist_ok=True)
    lines = ["global:", "  scrape_interval: %s" % interval, "  evaluation_interval: %s" % interval]
    if external_labels:
        lines.append("  external_labels:")
        lines += ["    %s: %s" % (k, json.dumps(v)) for k, v in sorted(external_labels.items())]
    lines.append("rule_files:" + ("" if rule_files else " []"))
    lines += ["  - %s" % os.path.abspath(r) for r in rule_files]
    if alertmanager_url:
        am = urllib.parse.urlparse(alertmanager_url).netloc
        lines += ["alerting:", "  alertmanagers:", "    - static_configs:",
                  "        - targets: ['%s']" % am]
    lines += ["scrape_configs:"] + list(scrape_configs)
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    group.start(name, ["prometheus", "--config.file=" + cfg,
                       "--storage.tsdb.path=" + os.path.join(d, "data"),
                       "--web.listen-address=127.0.0.1:%d" % port])
    url = "http://127.0.0.1:%d" % port
    wait_until(lambda: urllib.request.urlopen(url + "/-/ready", timeout=2).status == 200,
               60, what=name)
    return url


def prom_query(prom_url, expr):
    """The API's JSON answer; a query Prometheus rejects (HTTP 400/422) gives its error JSON."""
    q = urllib.parse.urlencode({"query": expr})
    try:
        return http_json(prom_url + "/api/v1/query?" + q)
    except urllib.error.HTTPError as e:
        return json.loads(e.read().decode() or "{}")


def http_json_ok(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status == 200


def http_text(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()
