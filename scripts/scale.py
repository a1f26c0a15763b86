#!/usr/bin/env python3
"""Scale test: batchwatch against an API server holding many Jobs and CronJobs (and, with
--pods N, N pods of those Jobs, about 4 KB each with realistic container statuses).

Measures, for batchwatch (not the fake server):
  - time from process start to /readyz answering 200 (initial list of both resources done)
  - RSS after sync (VmRSS) and CPU seconds used until then (utime+stime)
  - /metrics latency p50/p99 over N scrapes, uncompressed and with gzip (timed by curl); for
    gzip also the first scrape apart (it compresses every piece, later ones what changed)
  - CPU without events (Ticks), then CPU per 1,000 watch events/s of steady churn (MODIFIED
    events of running Jobs), also net of that idle CPU
  - gzip scrape latency during a second churn of the same rate, one scrape a second
The server runs in its own process (this script with --serve) so its CPU is reported apart:
objects are generated with sim/'s make_job/make_cronjob and serialised once; list
pages and watch lines are served from those bytes (the fake API server's own list path
deep-copies and re-encodes every object per page, which would make it the bottleneck).

    scripts/scale.py [--jobs 100000] [--cronjobs 10000] [--pods 0] [--batchwatch PATH]
                     [--json FILE] [--batchwatch-arg=--shard=1 --batchwatch-arg=--total-shards=3]
Pods and Events are served under /api/v1 (Events always empty); the server ignores selectors
(every pod it makes has the job-name label).
    scripts/scale.py --smoke      # tiny run (200 Jobs, 20 CronJobs) with sanity checks (ctest)
Not part of the test suite except --smoke. Expect 2-4 minutes for the full size on 2 cores.
"""

import argparse
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sim"))
from fake_apiserver import container_status, make_cronjob, make_job, make_pod  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
RV_MARK = "@RV@"


# ---- the server process ----------------------------------------------------------------------
class Cluster:
    """Pre-serialised objects and a watch log per resource."""

    def __init__(self, jobs, cronjobs, pods=0, seed=1):
        rnd = random.Random(seed)
        now = int(time.time())
        self.rv = 10
        self.items = {"jobs": [], "cronjobs": [], "pods": [], "events": []}
        self.templates = []  # (job bytes with RV_MARK) for churn
        self.log = {r: [] for r in self.items}  # (rv, line bytes)
        self.cond = threading.Condition()
        self.events_sent = 0
        namespaces = max(1, cronjobs // 30)
        for i in range(cronjobs):
            ns = "team-%d" % (i % namespaces)
            cj = make_cronjob(ns, "cron-%d" % i, rnd.choice(["*/5 * * * *", "0 * * * *",
                                                             "30 2 * * *", "*/15 9-17 * * 1-5"]),
                              time_zone="Europe/Berlin" if i % 3 == 0 else None,
                              concurrency_policy="Forbid" if i % 2 else "Allow",
                              last_schedule=now - 300, created=now - 86400)
            cj["metadata"]["uid"] = "c-%08d" % i
            cj["metadata"]["resourceVersion"] = str(self._bump())
            self.items["cronjobs"].append(json.dumps(cj, separators=(",", ":")).encode())
        for k in range(jobs):
            i, ns, name, slot, running = job_identity(k, cronjobs, namespaces, now)
            job = make_job(ns, name, cronjob="cron-%d" % i,
                           cronjob_uid="c-%08d" % i, slot=slot, start=slot + 1,
                           active=1 if running else None,
                           succeeded=None if running else slot + 40,
                           labels={"app.kubernetes.io/name": "cron-%d" % i})
            job["metadata"]["uid"] = "j-%09d" % k
            job["metadata"]["resourceVersion"] = RV_MARK
            text = json.dumps(job, separators=(",", ":"))
            if running:
                self.templates.append(text.encode())
            self.items["jobs"].append(text.replace(RV_MARK, str(self._bump())).encode())
        for k in range(pods):
            self.items["pods"].append(json.dumps(
                realistic_pod(k, jobs, cronjobs, namespaces, now, self._bump()),
                separators=(",", ":")).encode())
        self.list_rv = self.rv

    def _bump(self):
        self.rv += 1
        return self.rv

    def page(self, resource, start, limit):  # noqa: C901
        items = self.items[resource]
        end = min(len(items), start + limit) if limit else len(items)
        md = {"resourceVersion": str(self.list_rv)}
        if end < len(items):
            md["continue"] = str(end)
            md["remainingItemCount"] = len(items) - end
        kind = {"jobs": "JobList", "cronjobs": "CronJobList", "pods": "PodList",
                "events": "EventList"}[resource]
        version = "batch/v1" if resource in ("jobs", "cronjobs") else "v1"
        head = '{"kind":"%s","apiVersion":"%s","metadata":%s,"items":[' % (
            kind, version, json.dumps(md))
        return head.encode() + b",".join(items[start:end]) + b"]}"

    def churn(self, rate, seconds):
        """MODIFIED events of running Jobs at `rate` per second for `seconds`."""
        if not self.templates:
            return
        deadline = time.monotonic() + seconds
        n = 0
        start = time.monotonic()
        while time.monotonic() < deadline:
            due = int((time.monotonic() - start) * rate) - n
            if due <= 0:
                time.sleep(0.005)
                continue
            with self.cond:
                for _ in range(due):
                    rv = self._bump()
                    t = self.templates[n % len(self.templates)]
                    line = b'{"type":"MODIFIED","object":' + t.replace(
                        RV_MARK.encode(), str(rv).encode()) + b"}\n"
                    self.log["jobs"].append((rv, line))
                    n += 1
                self.cond.notify_all()


def job_identity(k, cronjobs, namespaces, now):
    """Job k: its CronJob's index, namespace, name, slot and whether it runs (every tenth)."""
    i = k % max(1, cronjobs)
    slot = now - 300 * (k // max(1, cronjobs) + 1)
    return i, "team-%d" % (i % namespaces), "cron-%d-%d" % (i, slot // 60), slot, k % 10 == 0


def pod_state(k, running, now):
    """Phase, main container status and restart policy of pod k, consistent with its Job: pods
    of running Jobs run (some after an OnFailure restart, OOMKilled) or wait (image pull,
    container creation, crash loop); pods of finished Jobs mostly succeeded, some failed
    (OOMKilled, Error) or succeeded after a restart."""
    if running:
        variant = (k // 10) % 5
        if variant == 0:
            return "Running", container_status(running=True, started=now - 30), "Never"
        if variant == 1:
            return "Running", container_status(running=True, last_terminated="OOMKilled",
                                               last_exit_code=137, restart_count=2,
                                               started=now - 30), "OnFailure"
        if variant == 2:
            return "Pending", container_status(waiting="ImagePullBackOff"), "Never"
        if variant == 3:
            return "Pending", container_status(waiting="ContainerCreating"), "Never"
        return "Running", container_status(waiting="CrashLoopBackOff", last_terminated="Error",
                                           last_exit_code=1, restart_count=4), "OnFailure"
    kind = k % 10
    if kind <= 6:
        return "Succeeded", container_status(terminated="Completed", exit_code=0), "Never"
    if kind == 7:
        return "Failed", container_status(terminated="OOMKilled", exit_code=137), "Never"
    if kind == 8:
        return "Failed", container_status(terminated="Error", exit_code=1), "Never"
    return "Succeeded", container_status(terminated="Completed", exit_code=0,
                                         last_terminated="Error", last_exit_code=2,
                                         restart_count=1), "OnFailure"


def realistic_pod(k, jobs, cronjobs, namespaces, now, rv):
    """Pod k of Job k % jobs (its controller ownerReference and job-name label name that Job),
    as the kubelet reports it (pod_state); a spec as a CronJob's pod template fills it in (about
    4 KB of JSON)."""
    j = k % max(1, jobs)
    i, ns, job, _, running = job_identity(j, cronjobs, namespaces, now)
    phase, main, restart_policy = pod_state(k, running, now)
    side = container_status("log-shipper", running=phase == "Running", started=now - 60,
                            waiting="ContainerCreating" if phase == "Pending" else None,
                            terminated="Completed" if phase in ("Succeeded", "Failed") else None)
    for c in (main, side):
        c["imageID"] = "registry.example.com/team/app@sha256:" + "ab" * 32
        c["containerID"] = "containerd://" + "%064x" % (k * 2 + (c is side))
    pod = make_pod(ns, "%s-%05x" % (job, k & 0xfffff), job=job, job_uid="j-%09d" % j,
                   phase=phase, restart_policy=restart_policy,
                   containers=[main, side],
                   init_containers=[container_status("init-config", terminated="Completed")],
                   conditions=[{"type": t, "status": "True", "lastProbeTime": None,
                                "lastTransitionTime": "2024-01-01T00:00:00Z"}
                               for t in ("PodReadyToStartContainers", "Initialized", "Ready",
                                         "ContainersReady", "PodScheduled")],
                   created=now - 600)
    md = pod["metadata"]
    md["uid"] = "p-%09d" % k
    md["resourceVersion"] = str(rv)
    md["generateName"] = job + "-"
    md["labels"].update({"batch.kubernetes.io/controller-uid": "j-%09d" % j,
                         "controller-uid": "j-%09d" % j, "app.kubernetes.io/name": "cron-%d" % i})
    md["managedFields"] = [{"manager": m, "operation": "Update", "apiVersion": "v1",
                            "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                            "fieldsV1": {"f:status": {"f:conditions": {}, "f:phase": {}}}}
                           for m in ("kube-controller-manager", "kubelet")]
    env = [{"name": "VAR_%d" % n, "value": "value-%d" % n} for n in range(12)]
    pod["spec"].update({
        "containers": [
            {"name": "main", "image": "registry.example.com/team/app:1.2.3",
             "command": ["/bin/app", "--run-once"], "env": env,
             "resources": {"limits": {"memory": "256Mi"},
                           "requests": {"cpu": "100m", "memory": "128Mi"}},
             "volumeMounts": [{"name": "config", "mountPath": "/etc/app"},
                              {"name": "kube-api-access-x", "mountPath":
                               "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}],
             "terminationMessagePath": "/dev/termination-log",
             "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"},
            {"name": "log-shipper", "image": "registry.example.com/infra/shipper:4.5",
             "resources": {"requests": {"cpu": "10m"}}, "imagePullPolicy": "IfNotPresent"}],
        "initContainers": [{"name": "init-config", "image": "busybox:1.36",
                            "command": ["sh", "-c", "cp /src/* /etc/app/"]}],
        "volumes": [{"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}},
                    {"name": "kube-api-access-x", "projected": {"defaultMode": 420, "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {"configMap": {"name": "kube-root-ca.crt",
                                       "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
        "nodeName": "node-%d" % (k % 50), "serviceAccountName": "default",
        "schedulerName": "default-scheduler", "dnsPolicy": "ClusterFirst",
        "terminationGracePeriodSeconds": 30, "priority": 0,
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                         "effect": "NoExecute", "tolerationSeconds": 300},
                        {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                         "effect": "NoExecute", "tolerationSeconds": 300}]})
    pod["status"].update({"hostIP": "10.0.%d.%d" % (k % 50, 10), "podIP": "10.244.%d.%d" % (
        (k >> 8) & 255, k & 255), "qosClass": "Burstable", "startTime": "2024-01-01T00:00:00Z"})
    return pod


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster = None

    def log_message(self, fmt, *args):
        pass

    def _send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        c = self.cluster
        path, _, q = self.path.partition("?")
        args = dict(p.split("=", 1) for p in q.split("&") if "=" in p)
        if path == "/_churn":
            before = c.events_sent
            t0 = time.monotonic()
            c.churn(float(args.get("rate", 1000)), float(args.get("seconds", 10)))
            time.sleep(0.5)  # let the watch drain
            body = {"sent": c.events_sent - before, "seconds": time.monotonic() - t0}
            return self._send(200, json.dumps(body).encode())
        self._send(404, b"{}")

    def do_GET(self):
        c = self.cluster
        path, _, q = self.path.partition("?")
        args = dict(p.split("=", 1) for p in q.split("&") if "=" in p)
        parts = [p for p in path.split("/") if p]
        if not ((parts[:3] == ["apis", "batch", "v1"] and parts[-1] in ("jobs", "cronjobs")) or
                (parts[:2] == ["api", "v1"] and parts[-1] in ("pods", "events"))):
            return self._send(404, b'{"kind":"Status","code":404}')
        resource = parts[-1]
        if args.get("watch") in ("1", "true"):
            return self._watch(resource, int(args.get("resourceVersion") or 0),
                               float(args.get("timeoutSeconds") or 300))
        start = int(args.get("continue") or 0)
        self._send(200, c.page(resource, start, int(args.get("limit") or 0)))

    def _watch(self, resource, rv, timeout):
        c = self.cluster
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        deadline = time.monotonic() + timeout
        log = c.log[resource]
        pos = 0
        while time.monotonic() < deadline:
            with c.cond:
                while pos < len(log) and log[pos][0] <= rv:
                    pos += 1
                if pos >= len(log):
                    c.cond.wait(0.5)
                batch = log[pos:]
            if batch:
                data = b"".join(line for _, line in batch)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                rv = batch[-1][0]
                pos += len(batch)
                with c.cond:
                    c.events_sent += len(batch)
        self.wfile.write(b"0\r\n\r\n")


def serve_main(args):
    t0 = time.monotonic()
    cluster = Cluster(args.jobs, args.cronjobs, args.pods)
    gen = time.monotonic() - t0
    handler = type("BoundHandler", (Handler,), {"cluster": cluster})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    info = {"port": httpd.server_address[1], "generate_seconds": gen,
            "list_bytes": {r: sum(len(i) for i in cluster.items[r]) for r in cluster.items}}
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, args.port_file)
    httpd.serve_forever()


# ---- the measuring side -----------------------------------------------------------------------
def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"VmRSS:\s+(\d+) kB", f.read())
    return int(m.group(1)) / 1024


def get(port, path, headers=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheader("Content-Encoding"), r.read()
    finally:
        conn.close()


def curl_get(port, path, headers=None):
    """One GET timed by curl itself (time_total: connect to last byte), so the figure is the
    server's latency and not this script's: reading 30 MB through http.client costs the Python
    client tens of ms. The body is discarded; returns status, encoding, seconds, bytes."""
    cmd = ["curl", "-s", "-o", "/dev/null", "-w",
           "%{http_code} %{time_total} %{size_download} %header{content-encoding}"]
    for k, v in (headers or {}).items():
        cmd += ["-H", "%s: %s" % (k, v)]
    out = subprocess.run(cmd + ["http://127.0.0.1:%d%s" % (port, path)], capture_output=True,
                         text=True, timeout=60).stdout.split()
    if len(out) < 3:
        raise SystemExit("scale: curl failed on %s" % path)
    return int(out[0]), out[3] if len(out) > 3 else None, float(out[1]), int(out[2])


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def kill(proc):
    if proc and proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def scrapes_during_churn(args, port, server_port):
    done = threading.Event()

    def churn():
        conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=args.churn_seconds + 60)
        conn.request("POST", "/_churn?rate=%d&seconds=%s" % (args.churn_rate, args.churn_seconds))
        conn.getresponse().read()
        conn.close()
        done.set()

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    times = []
    headers = {"Accept-Encoding": "gzip"}
    while not done.is_set():
        started = time.monotonic()
        if args.client == "curl":
            status, enc, seconds, _ = curl_get(port, "/metrics", headers)
        else:
            status, enc, _ = get(port, "/metrics", headers)
            seconds = time.monotonic() - started
        if status != 200 or enc != "gzip":
            raise SystemExit("scale: bad scrape answer during churn %s %s" % (status, enc))
        times.append(seconds)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    thread.join()
    return {"scrapes": len(times), "p50_ms": round(percentile(times, 50) * 1000, 1),
            "p99_ms": round(percentile(times, 99) * 1000, 1)}


def measure(args):
    tmp = tempfile.mkdtemp(prefix="bw-scale-")
    port_file = os.path.join(tmp, "port.json")
    server = exporter = None
    result = {"jobs": args.jobs, "cronjobs": args.cronjobs, "pods": args.pods}
    try:
        server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve",
                                   "--jobs", str(args.jobs), "--cronjobs", str(args.cronjobs),
                                   "--pods", str(args.pods),
                                   "--port-file", port_file])
        deadline = time.time() + 600
        while not os.path.exists(port_file):
            if server.poll() is not None or time.time() > deadline:
                raise SystemExit("scale: the fake API server did not start")
            time.sleep(0.1)
        with open(port_file) as f:
            info = json.load(f)
        result["server_generate_seconds"] = round(info["generate_seconds"], 2)
        result["list_mib"] = {r: round(b / 2**20, 1) for r, b in info["list_bytes"].items()}
        log_path = os.path.join(tmp, "batchwatch.log")
        log = open(log_path, "w")
        server_cpu0 = cpu_seconds(server.pid)
        t0 = time.monotonic()
        exporter = subprocess.Popen(
            [args.batchwatch, "--apiserver", "http://127.0.0.1:%d" % info["port"],
             "--listen-address", "127.0.0.1:0", "--log-format", "json"] + args.batchwatch_arg,
            stdout=log, stderr=subprocess.STDOUT)
        port = None
        while port is None:
            if exporter.poll() is not None or time.monotonic() - t0 > 60:
                raise SystemExit("scale: batchwatch did not start:\n" + open(log_path).read())
            m = re.search(r'"msg":"listening".*?"port":"?(\d+)', open(log_path).read())
            port = int(m.group(1)) if m else None
            time.sleep(0.02)
        while True:
            try:
                if get(port, "/readyz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if exporter.poll() is not None or time.monotonic() - t0 > args.sync_timeout:
                raise SystemExit("scale: batchwatch did not sync:\n" + open(log_path).read()[-3000:])
            time.sleep(0.05)
        result["synced_seconds"] = round(time.monotonic() - t0, 2)
        result["sync_cpu_seconds"] = round(cpu_seconds(exporter.pid), 2)
        result["server_sync_cpu_seconds"] = round(cpu_seconds(server.pid) - server_cpu0, 2)
        time.sleep(1.5)  # a Tick or two
        result["rss_mib_after_sync"] = round(rss_mib(exporter.pid), 1)

        status, _, body = get(port, "/metrics")
        text = body.decode()
        series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
        result["metrics_mib"] = round(len(body) / 2**20, 2)
        result["series"] = series
        result["cronjob_info_series"] = text.count("\nbatchwatch_cronjob_info{")
        m = re.search(r'^batchwatch_tracked_objects\{resource="pods"\} (\S+)$', text, re.M)
        result["tracked_pods"] = int(float(m.group(1))) if m else None
        # The pods reach the tracker's accounting (owner UIDs match the Jobs): pods of running
        # Jobs wait by reason, and last runs remember their failed pods.
        result["waiting_pods"] = int(sum(float(v) for v in re.findall(
            r"^batchwatch_job_waiting_pods\{.*\} (\S+)$", text, re.M)))
        result["last_runs_with_pod_reason"] = len(re.findall(
            r'^batchwatch_cronjob_last_run_info\{[^}]*pod_reason="[^"]+"', text, re.M))
        result["scrape_client"] = args.client
        for name, headers in (("plain", {}), ("gzip", {"Accept-Encoding": "gzip"})):
            times = []
            size = 0
            cpu0 = cpu_seconds(exporter.pid)
            for _ in range(args.scrapes):
                if args.client == "curl":
                    status, enc, seconds, size = curl_get(port, "/metrics", headers)
                else:
                    s = time.monotonic()
                    status, enc, body = get(port, "/metrics", headers)
                    seconds, size = time.monotonic() - s, len(body)
                times.append(seconds)
                if status != 200 or (name == "gzip") != (enc == "gzip"):
                    raise SystemExit("scale: bad scrape answer %s %s" % (status, enc))
            if name == "gzip":
                gzip.decompress(get(port, "/metrics", headers)[2])
            result["scrape_" + name] = {
                "p50_ms": round(percentile(times, 50) * 1000, 1),
                "p99_ms": round(percentile(times, 99) * 1000, 1),
                # The first gzip scrape compresses every piece; later ones only what changed.
                "first_ms": round(times[0] * 1000, 1),
                "p99_ms_after_first": round(percentile(times[1:] or times, 99) * 1000, 1),
                "bytes": size,
                "cpu_ms_per_scrape": round((cpu_seconds(exporter.pid) - cpu0) / args.scrapes * 1000, 1)}

        # What batchwatch burns with no events (Ticks: slot resolution, lagging CronJobs), so
        # the churn figure can be given net of it.
        cpu0, t_idle = cpu_seconds(exporter.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        idle_cores = (cpu_seconds(exporter.pid) - cpu0) / (time.monotonic() - t_idle)
        result["idle_cpu_cores"] = round(idle_cores, 4)

        rss_before = rss_mib(exporter.pid)
        cpu0, scpu0 = cpu_seconds(exporter.pid), cpu_seconds(server.pid)
        conn = http.client.HTTPConnection("127.0.0.1", info["port"], timeout=args.churn_seconds + 60)
        conn.request("POST", "/_churn?rate=%d&seconds=%s" % (args.churn_rate, args.churn_seconds))
        churn = json.loads(conn.getresponse().read())
        conn.close()
        cpu = cpu_seconds(exporter.pid) - cpu0
        sent = churn["sent"]
        rate = sent / churn["seconds"] if churn["seconds"] else 0
        result["churn"] = {
            "events": sent, "events_per_second": round(rate),
            "batchwatch_cpu_seconds": round(cpu, 2),
            "server_cpu_seconds": round(cpu_seconds(server.pid) - scpu0, 2),
            "cpu_cores_per_1000_events_per_second": round(cpu / churn["seconds"] / (rate / 1000), 4)
            if rate else None,
            "cpu_us_per_event": round(cpu / sent * 1e6, 1) if sent else None,
            "cpu_us_per_event_net_of_idle":
                round((cpu - idle_cores * churn["seconds"]) / sent * 1e6, 1) if sent else None,
            "rss_mib_growth": round(rss_mib(exporter.pid) - rss_before, 1)}

        # The same churn again while a scraper asks for gzip every second, as a Prometheus with
        # a short interval would: the latency a scrape sees while the text keeps changing.
        result["scrape_gzip_during_churn"] = scrapes_during_churn(args, port, info["port"])
        return result
    finally:
        kill(exporter)
        kill(server)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=100000)
    ap.add_argument("--cronjobs", type=int, default=10000)
    ap.add_argument("--pods", type=int, default=0,
                    help="also serve this many pods of the Jobs (about 4 KB each)")
    ap.add_argument("--batchwatch", default=os.environ.get(
        "BATCHWATCH_BIN", os.path.join(ROOT, "build", "exporter", "app", "batchwatch")))
    ap.add_argument("--batchwatch-arg", action="append", default=[], metavar="ARG",
                    help="one more batchwatch argument (repeat), e.g. --batchwatch-arg=--shard=1")
    ap.add_argument("--scrapes", type=int, default=100)
    ap.add_argument("--client", choices=("curl", "python"),
                    default="curl" if shutil.which("curl") else "python",
                    help="what times the scrapes (default curl when installed)")
    ap.add_argument("--churn-rate", type=int, default=2000, help="watch events per second")
    ap.add_argument("--churn-seconds", type=float, default=10)
    ap.add_argument("--idle-seconds", type=float, default=5,
                    help="CPU measured without events before the churn")
    ap.add_argument("--sync-timeout", type=float, default=300)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny run with sanity checks (200 Jobs, 20 CronJobs)")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port-file", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve_main(args)
    if args.smoke:
        args.jobs, args.cronjobs, args.scrapes, args.pods = 200, 20, 5, 50
        args.churn_rate, args.churn_seconds, args.sync_timeout = 200, 1, 60
        args.idle_seconds = 0.5
    if not os.access(args.batchwatch, os.X_OK):
        raise SystemExit("scale: no batchwatch binary at %s (build it or pass --batchwatch)"
                         % args.batchwatch)
    result = measure(args)
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    if args.smoke:
        problems = []
        if result["cronjob_info_series"] != args.cronjobs:
            problems.append("expected %d cronjob_info series, got %d"
                            % (args.cronjobs, result["cronjob_info_series"]))
        if result["tracked_pods"] != args.pods:
            problems.append("expected %d tracked pods, got %s" % (args.pods, result["tracked_pods"]))
        if args.pods and not (result["waiting_pods"] > 0 and result["last_runs_with_pod_reason"] > 0):
            problems.append("pods did not reach the tracker: %d waiting pods, %d last runs with a "
                            "pod reason" % (result["waiting_pods"],
                                            result["last_runs_with_pod_reason"]))
        if result["churn"]["events"] <= 0:
            problems.append("no churn events reached batchwatch")
        if problems:
            print("scale smoke FAILED: " + "; ".join(problems), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
