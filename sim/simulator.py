#!/usr/bin/env python3
"""A small simulated cluster on top of the fake API server: a CronJob controller for `@every`
schedules that follows the real controller's rules (the CronJob controller: most recent unmet slot only,
startingDeadlineSeconds, Forbid holds the slot back without advancing lastScheduleTime, Replace
deletes active runs), Jobs that run for a set time and then succeed or fail, and history limits
that delete old finished Jobs (so counts must survive deletion).

It is independent of batchwatch's own schedule engine on purpose: `@every N` slots are plain
arithmetic (robfig: Next(t) = t + N at whole seconds), so the end-to-end test checks batchwatch
against a separate implementation.

Jobs are named `<cronjob>-<slot unix seconds>` (the pre-1.21 form) rather than minutes: with
sub-minute `@every` schedules the minute form would collide. They carry the
batch.kubernetes.io/cronjob-scheduled-timestamp annotation, which batchwatch reads first.

    simulator.py --scenario demo --port-file F      # serve the demo cluster until Ctrl-C
"""
import argparse
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_apiserver import FakeCluster, make_cronjob, rfc3339, serve  # noqa: E402


class SimCronJob:
    """One simulated CronJob. run_seconds: how long each Job runs; fail: whether runs fail;
    outage: (start, end) offsets in seconds from the simulation start during which the
    controller does not sync this CronJob (slots in between are superseded)."""

    def __init__(self, namespace, name, every, *, policy="Allow", run_seconds=1.0, fail=False,
                 sds=None, outage=None, suspend=False, active_deadline=None):
        self.namespace, self.name, self.every = namespace, name, int(every)
        self.active_deadline = active_deadline
        self.policy, self.run_seconds, self.fail = policy, run_seconds, fail
        self.sds, self.outage, self.suspend = sds, outage, suspend
        self.uid = None
        self.created = None
        self.last_schedule = None
        self.last_successful = None
        self.active = []           # [(job name, uid, finish time)]
        self.finished = []         # [(job name, succeeded, end time)] oldest first
        self.stats = {"created": 0, "succeeded": 0, "failed": 0, "replaced": 0}


class SimJobGroup:
    """Standalone Jobs (no owner) labelled app.kubernetes.io/name=<group>, one started every
    `every` seconds, each running `run_seconds` and deleted right after it ends (as
    ttlSecondsAfterFinished: 0 does)."""

    def __init__(self, namespace, group, every, *, run_seconds=1.0, fail=False):
        self.namespace, self.group, self.every = namespace, group, every
        self.run_seconds, self.fail = run_seconds, fail
        self.next_start = None
        self.seq = 0
        self.active = []           # [(job name, finish time)]
        self.stats = {"created": 0, "succeeded": 0, "failed": 0}


class Simulator:
    def __init__(self, cluster, cronjobs, tick=0.1, success_history=3, failed_history=1,
                 job_groups=()):
        self.cluster, self.cronjobs, self.tick = cluster, cronjobs, tick
        self.job_groups = list(job_groups)
        self.success_history, self.failed_history = success_history, failed_history
        self.start_time = None
        self.stop_event = threading.Event()
        self.thread = None
        self.lock = threading.Lock()

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self):
        self.start_time = time.time()
        for cj in self.cronjobs:
            obj = self.cluster.create("cronjobs", make_cronjob(
                cj.namespace, cj.name, "@every %ds" % cj.every, concurrency_policy=cj.policy,
                starting_deadline_seconds=cj.sds, suspend=cj.suspend, created=int(time.time())))
            cj.uid = obj["metadata"]["uid"]
            cj.created = int(time.time())
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        if self.thread:
            self.thread.join(5)

    def _loop(self):
        while not self.stop_event.wait(self.tick):
            now = time.time()
            with self.lock:
                for cj in self.cronjobs:
                    self._finish_jobs(cj, now)
                    self._sync(cj, now)
                for g in self.job_groups:
                    self._run_group(g, now)

    # ---- standalone Jobs -----------------------------------------------------------------
    def _run_group(self, g, now):
        for entry in list(g.active):
            name, finish = entry
            if now < finish:
                continue
            g.active.remove(entry)
            job = self.cluster.get("jobs", g.namespace, name)
            if job is None:
                continue
            end = int(now)
            job["status"] = finished_status(job["status"], end, g.fail)
            g.stats["failed" if g.fail else "succeeded"] += 1
            self.cluster.update("jobs", job)
            self.cluster.delete("jobs", g.namespace, name)
        if g.next_start is None:
            g.next_start = now
        if now >= g.next_start:
            g.seq += 1
            name = "%s-%d" % (g.group, g.seq)
            self.cluster.create("jobs", {
                "apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"name": name, "namespace": g.namespace,
                             "creationTimestamp": rfc3339(int(now)),
                             "labels": {"app.kubernetes.io/name": g.group}},
                "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1,
                         "ttlSecondsAfterFinished": 0},
                "status": {"startTime": rfc3339(int(now)), "active": 1, "ready": 1}})
            g.active.append((name, now + g.run_seconds))
            g.stats["created"] += 1
            g.next_start = now + g.every

    # ---- the controller ------------------------------------------------------------------
    def _sync(self, cj, now):
        if cj.suspend:
            return
        if cj.outage and cj.outage[0] <= now - self.start_time < cj.outage[1]:
            return
        earliest = cj.last_schedule if cj.last_schedule is not None else cj.created
        if cj.sds is not None and now - cj.sds > earliest:
            earliest = now - cj.sds
        earliest = int(earliest)
        if now < earliest + cj.every:
            return
        slot = earliest + int((now - earliest) // cj.every) * cj.every
        if slot == cj.last_schedule:
            return
        if cj.policy == "Forbid" and cj.active:
            return  # held back; lastScheduleTime is not advanced
        if cj.policy == "Replace":
            for name, _, _ in list(cj.active):
                self.cluster.delete("jobs", cj.namespace, name)
                cj.stats["replaced"] += 1
            cj.active = []
        name = "%s-%d" % (cj.name, slot)
        job = make_sim_job(cj, name, slot, int(now))
        created = self.cluster.create("jobs", job)
        cj.active.append((name, created["metadata"]["uid"], now + cj.run_seconds))
        cj.stats["created"] += 1
        cj.last_schedule = slot
        self._update_cronjob(cj)

    def _finish_jobs(self, cj, now):
        changed = False
        for entry in list(cj.active):
            name, uid, finish = entry
            if now < finish:
                continue
            job = self.cluster.get("jobs", cj.namespace, name)
            cj.active.remove(entry)
            changed = True
            if job is None:
                continue
            end = int(now)
            job["status"] = finished_status(job["status"], end, cj.fail)
            if cj.fail:
                cj.stats["failed"] += 1
            else:
                cj.stats["succeeded"] += 1
                cj.last_successful = end
            self.cluster.update("jobs", job)
            cj.finished.append((name, not cj.fail, end))
        if changed:
            self._update_cronjob(cj)
            self._enforce_history(cj)

    def _enforce_history(self, cj):
        for succeeded, limit in ((True, self.success_history), (False, self.failed_history)):
            done = [f for f in cj.finished if f[1] == succeeded]
            for f in done[:max(0, len(done) - limit)]:
                if self.cluster.get("jobs", cj.namespace, f[0]) is not None:
                    self.cluster.delete("jobs", cj.namespace, f[0])
                cj.finished.remove(f)

    def _update_cronjob(self, cj):
        obj = self.cluster.get("cronjobs", cj.namespace, cj.name)
        if obj is None:
            return
        status = {}
        if cj.last_schedule is not None:
            status["lastScheduleTime"] = rfc3339(cj.last_schedule)
        if cj.last_successful is not None:
            status["lastSuccessfulTime"] = rfc3339(cj.last_successful)
        if cj.active:
            status["active"] = [{"kind": "Job", "namespace": cj.namespace, "name": n, "uid": u,
                                 "apiVersion": "batch/v1"} for n, u, _ in cj.active]
        obj["status"] = status
        self.cluster.update("cronjobs", obj)


def finished_status(status, end, fail):
    """A Job status at its end, as the Job controller writes it from 1.31 on (the interim
    SuccessCriteriaMet/FailureTarget condition first, then the terminal one)."""
    status = dict(status, active=0, ready=0)
    if fail:
        status["failed"] = 1
        status["conditions"] = [
            {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
             "lastTransitionTime": rfc3339(end)},
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "lastTransitionTime": rfc3339(end)}]
    else:
        status["succeeded"] = 1
        status["completionTime"] = rfc3339(end)
        status["conditions"] = [
            {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
             "lastTransitionTime": rfc3339(end)},
            {"type": "Complete", "status": "True", "reason": "CompletionsReached",
             "lastTransitionTime": rfc3339(end)}]
    return status


def job_groups(name):
    """Standalone Jobs of a named scenario: a group of short migrations that succeed."""
    return [SimJobGroup("batch", "db-migrate", 7, run_seconds=1)]


def make_sim_job(cj, name, slot, now):
    job = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {
            "name": name, "namespace": cj.namespace, "creationTimestamp": rfc3339(now),
            "labels": {"batch.kubernetes.io/job-name": name},
            "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": rfc3339(slot)},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj.name,
                                 "uid": cj.uid, "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1,
                 "completionMode": "NonIndexed", "suspend": False,
                 "template": {"spec": {"restartPolicy": "Never", "containers": [
                     {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}]}}},
        "status": {"startTime": rfc3339(now), "active": 1, "ready": 1}}
    if cj.active_deadline is not None:
        job["spec"]["activeDeadlineSeconds"] = cj.active_deadline
    return job


def scenario(name):
    """The cronjobs of a named scenario: one healthy CronJob, one that always fails, one whose
    runs overrun under Forbid, one whose controller misses slots (an outage); the demo adds one
    on Replace."""
    if name not in ("demo", "e2e"):
        raise ValueError("unknown scenario %r (demo, e2e)" % name)
    cronjobs = [
        SimCronJob("batch", "healthy-report", 5, run_seconds=1),
        SimCronJob("batch", "failing-backup", 5, run_seconds=1, fail=True),
        SimCronJob("batch", "overrunning-etl", 4, policy="Forbid", run_seconds=9,
                   active_deadline=3600),
        SimCronJob("ops", "flaky-controller", 5, run_seconds=1, outage=(8, 24)),
    ]
    if name == "demo":
        cronjobs.append(SimCronJob("ops", "replaced-sync", 6, policy="Replace", run_seconds=8))
    return cronjobs


# What each demo CronJob's problem looks like and which alerts it must raise: the demo prints
# this (with the time to expect each alert) and the demo test waits for exactly these alerts.
# `onset`: seconds after the start until the alert's condition first holds, from the scenario's
# own numbers. Adjust here when the alert rules change.
DEMO_PROBLEMS = [
    # (namespace, cronjob, problem, [(alert, onset seconds)]); every problem raises an alert
    ("batch", "failing-backup", "every run fails",
     [("BatchwatchCronJobLastRunFailed", lambda cj: cj.every + cj.run_seconds),
      ("BatchwatchCronJobConsecutiveFailures", lambda cj: 3 * cj.every + cj.run_seconds),
      ("BatchwatchCronJobNeverSucceeded", lambda cj: 3 * cj.every + cj.run_seconds)]),
    ("batch", "overrunning-etl", "Forbid, runs overrun: slots skipped",
     [("BatchwatchCronJobForbidSkipped", lambda cj: cj.run_seconds + cj.every),
      # Per CronJob: finished runs average longer than the interval (from the second run's end;
      # the active-run branch resets between runs).
      ("BatchwatchCronJobRunLongerThanInterval", lambda cj: 2 * cj.every + 2 * cj.run_seconds)]),
    ("ops", "flaky-controller", "controller outage: slots missed",
     [("BatchwatchCronJobMissedSchedules", lambda cj: cj.outage[1])]),
    ("ops", "replaced-sync", "Replace: every run deleted, none succeeds",
     # (RunsReplaced needs an hour of history: not within the demo's first minutes.)
     [("BatchwatchCronJobNeverSucceeded", lambda cj: 4 * cj.every)]),
]


def expected_alerts(cronjobs):
    """[(alert, namespace, cronjob, onset seconds)] of DEMO_PROBLEMS for these cronjobs."""
    by_name = {(cj.namespace, cj.name): cj for cj in cronjobs}
    out = []
    for ns, name, _, alerts in DEMO_PROBLEMS:
        cj = by_name.get((ns, name))
        if cj is not None:
            out += [(alert, ns, name, float(onset(cj))) for alert, onset in alerts]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Simulated cluster for batchwatch's demo and e2e test")
    ap.add_argument("--scenario", default="demo")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    args = ap.parse_args(argv)
    # A shell starts background jobs with SIGINT ignored, and Python keeps that: restore both
    # stop signals so that Ctrl-C and kill -INT/-TERM end the simulator.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cluster = FakeCluster()
    server = serve(cluster, args.port)
    sim = Simulator(cluster, scenario(args.scenario), job_groups=job_groups(args.scenario))
    sim.start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print("simulated cluster listening on %s" % server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
