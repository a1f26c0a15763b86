"""Fault soak: continuous churn of Jobs and CronJobs through the fake API server while faults
hit batchwatch at random (dropped, truncated and malformed watch streams, oversized lines, 410
storms after compaction, 429/500 bursts, dropped lists, expired continue tokens, and API server
restarts that lose every watch). Afterwards batchwatch must agree exactly with the truth the
driver knows, and its RSS, threads and file descriptors must not have grown.

The truth is kept exact by never destroying evidence batchwatch has not seen yet: a Job is only
deleted once batchwatch showed it (its per-Job gauge while unfinished, or its run counter having
reached the count that includes it once finished). Everything else is random.

Used by tests/soak/test_soak.py (2 minutes, ctest) and scripts/soak.py (--minutes N).
"""
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fake_apiserver import Fault, FakeCluster, make_cronjob, make_job, serve  # noqa: E402

NAMESPACES = ("default", "etl")
GROUP_LABEL = "app.kubernetes.io/name"
JOB_POPULATION = 60
FAIL_REASONS = ("BackoffLimitExceeded", "DeadlineExceeded")
SERIES_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, ((label, value), ...)): float} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SERIES_RE.match(line)
        if not m:
            raise ValueError("unparsable exposition line: %r" % line)
        labels = tuple(sorted(LABEL_RE.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def is_sanitized(binary):
    """True for an AddressSanitizer build (its RSS says nothing about leaks: quarantine)."""
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def proc_sample(pid):
    with open("/proc/%d/status" % pid) as f:
        status = f.read()
    rss_kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
    return {"rss_kb": rss_kb, "threads": len(os.listdir("/proc/%d/task" % pid)),
            "fds": len(os.listdir("/proc/%d/fd" % pid))}


class SoakFailure(AssertionError):
    pass


class Soak:
    def __init__(self, binary, seconds, seed=None, log=print, workdir=None, extra_args=()):
        self.binary, self.seconds, self.log = binary, seconds, log
        self.seed = seed if seed is not None else random.randrange(1 << 30)
        self.rng = random.Random(self.seed)
        self.workdir = workdir or tempfile.mkdtemp(prefix="batchwatch-soak-")
        self.extra_args = list(extra_args)
        self.token = "bw-soak-token-%08x" % self.rng.randrange(1 << 32)
        self.token_file = os.path.join(self.workdir, "token")
        with open(self.token_file, "w") as f:
            f.write(self.token + "\n")
        self.cluster = FakeCluster(token_file=self.token_file, bookmark_interval=1.0,
                                   max_watch_seconds=15)
        self.server = None
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.workdir, "batchwatch.log")
        self.metrics_url = None
        self.serial = 0
        # Truth. jobs: name -> dict(ns, series, state: unfinished|finished, need, seen)
        self.jobs = {}
        self.expected = {}          # series key -> count of runs that ended
        self.scraped = {}
        self.stats = {"created": 0, "finished": 0, "deleted_unfinished": 0,
                      "deleted_finished": 0, "faults": 0, "restarts": 0, "compactions": 0,
                      "scrapes": 0}
        self.samples = []
        self.started = time.time()
        self.history = {}           # job name -> ["+12.3s create unfinished", ...]
        self.contributors = {}      # series key -> job names counted into it by the truth

    # ---- processes -------------------------------------------------------------------------
    def start_server(self):
        for attempt in range(50):
            try:
                self.cluster.closed = False
                self.server = serve(self.cluster, self.port or 0)
                self.port = self.server.port
                return
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.1)

    def restart_server(self):
        """Stops the API server (every watch and list connection dies) and serves the same
        cluster on the same port again a little later."""
        self.server.stop()
        self.server = None
        time.sleep(self.rng.uniform(0.5, 2.0))  # old watch handlers notice `closed` and end
        self.start_server()
        self.stats["restarts"] += 1

    def start_batchwatch(self):
        log = open(self.log_path, "wb")
        argv = [self.binary, "--apiserver", "http://127.0.0.1:%d" % self.port,
                "--token-file", self.token_file, "--listen-address", "127.0.0.1:0",
                "--job-group-label", GROUP_LABEL] + self.extra_args
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SoakFailure("batchwatch exited at startup (%s):\n%s" %
                                  (self.proc.returncode, self.text()[-4000:]))
            m = (re.search(r"msg=listening .*port=(\d+)", self.text()) or
                 re.search(r'"msg":"listening".*"port":"(\d+)"', self.text()))
            if m:
                self.metrics_url = "http://127.0.0.1:%s/metrics" % m.group(1)
                return
            time.sleep(0.05)
        raise SoakFailure("batchwatch did not listen within 60s:\n" + self.text()[-4000:])

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop_all(self):
        code = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif self.proc is not None:
            code = self.proc.returncode
        if self.server is not None:
            self.server.stop()
            self.server = None
        return code

    # ---- observation -----------------------------------------------------------------------
    def scrape(self):
        if self.proc.poll() is not None:
            raise SoakFailure("batchwatch died (exit %s):\n%s" % (self.proc.returncode,
                                                                self.text()[-4000:]))
        with urllib.request.urlopen(self.metrics_url, timeout=10) as r:
            self.scraped = parse_metrics(r.read().decode())
        self.stats["scrapes"] += 1
        for name, j in self.jobs.items():
            if j["state"] == "unfinished" and not j["seen"]:
                key = ("batchwatch_job_active_pods",
                       (("cronjob", j["cronjob"]), ("job_name", name), ("namespace", j["ns"])))
                j["seen"] = key in self.scraped
                if j["seen"]:
                    self.note(name, "seen by batchwatch")

    def counter(self, series):
        return self.scraped.get(series, 0.0)

    def sample(self, label):
        s = proc_sample(self.proc.pid)
        s["label"] = label
        s["t"] = time.time()
        s["jobs"] = len(self.jobs)
        s["runs_seen"] = int(sum(v for k, v in self.scraped.items()
                                 if k[0].endswith("_runs_total")))
        s["runs_true"] = sum(self.expected.values())
        s["events"] = int(sum(v for k, v in self.scraped.items()
                              if k[0] == "batchwatch_watch_events_total"))
        self.samples.append(s)
        return s

    # ---- truth -----------------------------------------------------------------------------
    @staticmethod
    def series(ns, cronjob, manual, result, reason, group):
        if cronjob:
            labels = (("cronjob", cronjob), ("namespace", ns), ("reason", reason),
                      ("result", result), ("trigger", "manual" if manual else "scheduled"))
            return ("batchwatch_cronjob_runs_total", labels)
        return ("batchwatch_job_runs_total",
                (("job_group", group), ("namespace", ns), ("reason", reason), ("result", result)))

    def note(self, name, what):
        self.history.setdefault(name, []).append("+%.1fs %s" % (time.time() - self.started, what))

    def count_truth(self, name, key):
        self.expected[key] = self.expected.get(key, 0) + 1
        self.contributors.setdefault(key, []).append(name)

    def end_run(self, name, result, reason):
        j = self.jobs[name]
        key = self.series(j["ns"], j["cronjob"], j["manual"], result, reason, j["group"])
        self.count_truth(name, key)
        j["need"] = (key, self.expected[key])
        self.note(name, "%s %s (truth now %d)" % (result, reason, self.expected[key]))

    # ---- churn -----------------------------------------------------------------------------
    def setup_cronjobs(self):
        self.owners = {}
        now = int(time.time())
        for ns in NAMESPACES:
            for name, schedule in (("backup", "* * * * *"), ("report", "*/2 * * * *")):
                obj = self.cluster.create("cronjobs", make_cronjob(
                    ns, name, schedule, created=now - 3600, last_schedule=now - now % 60))
                self.owners[(ns, name)] = obj["metadata"]["uid"]

    def create_job(self, may_be_finished=True):
        self.serial += 1
        now = int(time.time())
        ns = self.rng.choice(NAMESPACES)
        kind = self.rng.random()
        cronjob, manual, group, labels, uid = "", False, "", {}, None
        if kind < 0.6:
            cronjob = self.rng.choice(("backup", "report"))
            uid = self.owners[(ns, cronjob)]
            manual = self.rng.random() < 0.2
            name = "%s-s%d" % (cronjob, self.serial)
        else:
            group = self.rng.choice(("loader", "indexer"))
            labels = {GROUP_LABEL: group}
            name = "%s-s%d" % (group, self.serial)
        slot = None if (manual or not cronjob) else now - now % 60
        # Jobs already finished in batchwatch's initial list are state, not runs (not counted).
        finished_now = may_be_finished and self.rng.random() < 0.15
        kw = dict(cronjob=cronjob or None, cronjob_uid=uid, slot=slot, manual=manual,
                  labels=labels, created=now, start=now)
        self.jobs[name] = {"ns": ns, "cronjob": cronjob, "manual": manual, "group": group,
                           "state": "unfinished", "seen": False, "need": None, "kw": kw}
        if finished_now:
            result, reason, obj = self.finished_object(name, now)
            self.cluster.create("jobs", obj)
            self.note(name, "created finished")
            self.jobs[name]["state"] = "finished"
            self.end_run(name, result, reason)
            self.stats["finished"] += 1
        else:
            self.cluster.create("jobs", make_job(ns, name, active=1, **kw))
            self.note(name, "created unfinished")
        self.stats["created"] += 1

    def finished_object(self, name, now):
        j = self.jobs[name]
        if self.rng.random() < 0.7:
            return "succeeded", "CompletionsReached", make_job(j["ns"], name, succeeded=now,
                                                                  **j["kw"])
        reason = self.rng.choice(FAIL_REASONS)
        return "failed", reason, make_job(j["ns"], name, failed=now, reason=reason, **j["kw"])

    def finish_job(self):
        names = [n for n, j in self.jobs.items() if j["state"] == "unfinished"]
        if not names:
            return
        name = self.rng.choice(names)
        result, reason, obj = self.finished_object(name, int(time.time()))
        self.cluster.update("jobs", obj)
        self.jobs[name]["state"] = "finished"
        self.end_run(name, result, reason)
        self.stats["finished"] += 1

    def touch_job(self):
        names = [n for n, j in self.jobs.items() if j["state"] == "unfinished"]
        if names:
            name = self.rng.choice(names)
            j = self.jobs[name]
            self.cluster.update("jobs", make_job(j["ns"], name, active=self.rng.randint(0, 3),
                                                 **j["kw"]))

    def delete_job(self):
        ready = [n for n, j in self.jobs.items()
                 if (j["state"] == "unfinished" and j["seen"]) or
                 (j["state"] == "finished" and self.counter(j["need"][0]) >= j["need"][1])]
        if not ready:
            return
        name = self.rng.choice(ready)
        j = self.jobs.pop(name)
        self.cluster.delete("jobs", j["ns"], name)
        self.note(name, "deleted (%s)" % j["state"])
        if j["state"] == "unfinished":
            key = self.series(j["ns"], j["cronjob"], j["manual"], "deleted", "", j["group"])
            self.count_truth(name, key)
            self.stats["deleted_unfinished"] += 1
        else:
            self.stats["deleted_finished"] += 1

    def churn_cronjob(self):
        existing = [o for o in self.cluster.list("cronjobs")
                    if o["metadata"]["name"].startswith("churn-")]
        op = self.rng.random()
        if not existing or (op < 0.4 and len(existing) < 12):
            self.serial += 1
            schedule = self.rng.choice(("*/5 * * * *", "@hourly", "CRON_TZ=Europe/Berlin 0 3 * * *",
                                        "0 0 30 2 *", "not a schedule", "@every 45s"))
            self.cluster.create("cronjobs", make_cronjob(
                self.rng.choice(NAMESPACES), "churn-%d" % self.serial, schedule,
                time_zone=self.rng.choice((None, "America/New_York", "Mars/Olympus")),
                concurrency_policy=self.rng.choice(("Allow", "Forbid", "Replace")),
                created=int(time.time()) - self.rng.randint(0, 7200)))
        elif op < 0.7:
            obj = self.rng.choice(existing)
            obj["spec"]["suspend"] = not obj["spec"]["suspend"]
            self.cluster.update("cronjobs", obj)
        else:
            md = self.rng.choice(existing)["metadata"]
            self.cluster.delete("cronjobs", md["namespace"], md["name"])

    def fault(self):
        res = self.rng.choice(("jobs", "cronjobs", ""))
        kind = self.rng.randrange(9)
        self.stats["faults"] += 1
        if kind == 0:
            self.cluster.inject(Fault("drop", resource=res, verb="watch",
                                      after_events=self.rng.randint(0, 3)))
        elif kind == 1:
            self.cluster.inject(Fault("truncated", resource=res))
            self.cluster.inject(Fault("malformed", resource=res, after_events=self.rng.randint(0, 2)))
        elif kind == 2:
            self.cluster.inject(Fault("oversized", resource=res, size=self.rng.choice((1 << 10, 300 << 10))))
        elif kind == 3:  # 410 storm: history compacted again and again, watches told 410
            for _ in range(self.rng.randint(2, 4)):
                self.cluster.compact()
                self.stats["compactions"] += 1
                self.cluster.inject(Fault("error410", resource=res))
                time.sleep(0.2)
            self.cluster.inject(Fault("expire_continue", resource=res))
        elif kind == 4:  # 429 / 5xx burst
            self.cluster.inject(Fault("status", resource=res, code=self.rng.choice((429, 500, 503)),
                                      count=self.rng.randint(2, 6),
                                      retry_after=self.rng.choice((None, 0, 1))))
        elif kind == 5:
            self.cluster.inject(Fault("drop", resource=res, verb="list"))
            self.cluster.inject(Fault("drop", resource=res, verb="watch"))
        elif kind == 6:
            self.cluster.inject(Fault("slow", resource=res, delay=self.rng.uniform(0.2, 1.5)))
        else:
            self.restart_server()

    def quiet_sample(self, label):
        """Faults off, server up, batchwatch caught up: a comparable resource sample."""
        self.cluster.clear_faults()
        self.wait_caught_up(60, check_gauges=False)
        time.sleep(1.0)
        return self.sample(label)

    # ---- checks ----------------------------------------------------------------------------
    def mismatches(self):
        problems = []
        for key, want in self.expected.items():
            got = self.counter(key)
            if got != want:
                problems.append("%s%s: batchwatch %g, truth %d" % (key[0], dict(key[1]), got, want))
        for key, got in self.scraped.items():
            if key[0] in ("batchwatch_cronjob_runs_total", "batchwatch_job_runs_total") and \
                    got != 0 and key not in self.expected:
                problems.append("%s%s: batchwatch %g, truth 0" % (key[0], dict(key[1]), got))
        return problems

    def gauge_mismatches(self):
        problems = []
        want_cj = {(o["metadata"]["namespace"], o["metadata"]["name"])
                   for o in self.cluster.list("cronjobs")}
        got_cj = {(dict(k[1])["namespace"], dict(k[1])["cronjob"])
                  for k in self.scraped if k[0] == "batchwatch_cronjob_info"}
        if want_cj != got_cj:
            problems.append("cronjob_info: extra %s, missing %s" %
                            (sorted(got_cj - want_cj), sorted(want_cj - got_cj)))
        want_jobs = {(j["ns"], n) for n, j in self.jobs.items() if j["state"] == "unfinished"}
        got_jobs = {(dict(k[1])["namespace"], dict(k[1])["job_name"])
                    for k in self.scraped if k[0] == "batchwatch_job_active_pods"}
        if want_jobs != got_jobs:
            problems.append("job gauges: extra %s, missing %s" %
                            (sorted(got_jobs - want_jobs)[:5], sorted(want_jobs - got_jobs)[:5]))
        for res, n in (("jobs", len(self.jobs)), ("cronjobs", len(want_cj))):
            got = self.scraped.get(("batchwatch_tracked_objects", (("resource", res),)))
            if got != n:
                problems.append("tracked_objects{resource=%s}: batchwatch %s, truth %d" % (res, got, n))
        return problems

    def wait_synced(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                self.scrape()
            except (urllib.error.URLError, OSError):
                pass
            if all(self.scraped.get(("batchwatch_synced", (("resource", r),))) == 1
                   for r in ("jobs", "cronjobs")):
                return
            time.sleep(0.1)
        raise SoakFailure("batchwatch did not sync within %ds:\n%s" % (timeout, self.text()[-3000:]))

    def wait_caught_up(self, timeout, check_gauges=True):
        if self.server is None:
            self.start_server()
        deadline = time.time() + timeout
        problems = ["never scraped"]
        while time.time() < deadline:
            try:
                self.scrape()
            except (urllib.error.URLError, OSError) as e:
                problems = ["scrape failed: %s" % e]
                time.sleep(0.5)
                continue
            problems = self.mismatches() + (self.gauge_mismatches() if check_gauges else [])
            if not problems:
                return
            time.sleep(0.5)
        details = []
        for key, want in self.expected.items():
            if self.counter(key) != want:
                for name in self.contributors.get(key, [])[-8:]:
                    details.append("%s: %s" % (name, "; ".join(self.history.get(name, []))))
        raise SoakFailure("batchwatch did not catch up within %ds (seed %d):\n  %s\n"
                          "jobs of mismatched series (last 8 each):\n  %s\n%s" % (
                              timeout, self.seed, "\n  ".join(problems[:20]),
                              "\n  ".join(details[:40]), self.text()[-3000:]))

    # ---- the run ---------------------------------------------------------------------------
    def run(self):
        """Runs the soak; returns a summary dict. Raises SoakFailure on any broken promise."""
        try:
            self.start_server()
            self.setup_cronjobs()
            for _ in range(10):
                self.create_job(may_be_finished=False)
            self.start_batchwatch()
            # Jobs that finish before batchwatch's initial list completes are state, not runs:
            # churn starts once both resources are synced.
            self.wait_synced(60)
            self.log("soak: seed %d, %ds, batchwatch pid %d, API server port %d" %
                     (self.seed, self.seconds, self.proc.pid, self.port))
            start = time.time()
            third_at = start + self.seconds / 3.0
            next_fault = start + self.rng.uniform(1, 4)
            next_scrape = start
            next_sample = start
            baseline = None
            while time.time() < start + self.seconds:
                now = time.time()
                if baseline is None and now >= third_at:
                    baseline = self.quiet_sample("third")
                    self.log("soak: baseline at 1/3: %s" % baseline)
                    next_fault = time.time() + self.rng.uniform(1, 4)
                if now >= next_scrape:
                    try:
                        self.scrape()
                    except (urllib.error.URLError, OSError) as e:
                        raise SoakFailure("scrape failed during the soak: %s\n%s" %
                                          (e, self.text()[-3000:]))
                    next_scrape = now + 1.0
                if now >= next_sample:
                    self.sample("run")
                    next_sample = now + 5.0
                if now >= next_fault:
                    self.fault()
                    next_fault = time.time() + self.rng.uniform(1.5, 6)
                # A steady population (about JOB_POPULATION Jobs) so that memory has no reason
                # to grow: more creates below it, more deletes above it.
                op = self.rng.random()
                if op < (0.30 if len(self.jobs) < JOB_POPULATION else 0.05):
                    self.create_job()
                elif op < 0.55:
                    self.finish_job()
                elif op < 0.65:
                    self.touch_job()
                elif op < 0.90 or len(self.jobs) > JOB_POPULATION:
                    self.delete_job()
                else:
                    self.churn_cronjob()
                time.sleep(self.rng.uniform(0.01, 0.08))
            # Catch up: no more faults, server up; counters and gauges must match exactly.
            self.cluster.clear_faults()
            self.wait_caught_up(120)
            final = self.quiet_sample("end")
            self.log("soak: end: %s" % final)
            self.log("soak: %s" % self.stats)
            problems = []
            if baseline is not None:
                if not is_sanitized(self.binary):
                    # Room for allocator noise (per-thread arenas), not for per-run growth.
                    limit = baseline["rss_kb"] * 1.2 + 4 * 1024
                    if final["rss_kb"] > limit:
                        problems.append("RSS grew from %d kB at 1/3 to %d kB at the end" %
                                        (baseline["rss_kb"], final["rss_kb"]))
                if final["threads"] > baseline["threads"]:
                    problems.append("threads grew from %d to %d" %
                                    (baseline["threads"], final["threads"]))
                if final["fds"] > baseline["fds"] + 2:
                    problems.append("file descriptors grew from %d to %d" %
                                    (baseline["fds"], final["fds"]))
            code = self.stop_all()
            text = self.text()
            if code != 0:
                problems.append("batchwatch exited with %s after SIGTERM" % code)
            for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if bad in text:
                    problems.append("sanitizer report in the log (%s)" % bad)
            if self.token in text:
                problems.append("the bearer token appears in batchwatch's log")
            if problems:
                raise SoakFailure("soak (seed %d) failed:\n  %s\n%s" % (
                    self.seed, "\n  ".join(problems), text[-3000:]))
            return {"seed": self.seed, "stats": dict(self.stats), "baseline": baseline,
                    "final": final, "series": len(self.expected)}
        finally:
            self.stop_all()

    def cleanup(self):
        shutil.rmtree(self.workdir, ignore_errors=True)
