#!/usr/bin/env python3
"""A small simulated cluster on top of the fake API server: a CronJob controller for `@every`
schedules that follows the real controller's rules (the CronJob controller: most recent unmet slot only,
startingDeadlineSeconds, Forbid holds the slot back without advancing lastScheduleTime, Replace
deletes active runs), Jobs that run for a set time and then succeed or fail, and history limits
that delete old finished Jobs (so counts must survive deletion).

It is independent of batchwatch's own schedule engine on purpose: `@every N` slots are plain
arithmetic (robfig: Next(t) = t + N at whole seconds), so the end-to-end test checks batchwatch
against a separate implementation.

Each Job has pods (sim/pod_objects.py) that go Pending -> Running -> Succeeded or Failed as the
scheduler and the kubelet move them, and the controllers record Events through a model of
client-go's event recorder. A CronJob's `failure` chooses how its runs go wrong (see
SimCronJob); `Simulator.set_failure` changes it while running (a quota raised, an image pushed).

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
import pod_objects as po  # noqa: E402

# How runs of a SimCronJob (or SimJobGroup) go wrong. None: each run's one pod succeeds, or,
# with fail=True, exits 1 (Error). Pod failures (each failed pod is retried until backoff_limit
# is exceeded, then the Job fails with BackoffLimitExceeded):
#   oom            the container is OOMKilled (exit 137)
#   exit           the container exits with exit_code (reason Error)
#   evicted        the kubelet evicts the pod (status.reason Evicted)
#   preempted      the scheduler preempts it (DisruptionTarget PreemptionByScheduler)
#   retry_success  the first pod exits 1, the second succeeds (needs backoff_limit >= 1)
#   restarts       restartPolicy OnFailure: the container exits exit_code `restarts` times
#                  (restartCount, lastState.terminated), then succeeds
# Runs that do not start while the failure holds (the Job never ends within the demo):
#   image_pull     the pod waits in ErrImagePull / ImagePullBackOff
#   unschedulable  the pod stays Pending: PodScheduled False, reason Unschedulable
#   pods_refused   the Job controller cannot create pods: FailedCreate events on the Job,
#                  cause `refusal` (a key of pod_objects.CREATE_REFUSALS; quota by default)
#   job_refused    the CronJob controller cannot create the Job (an admission webhook):
#                  FailedCreate events on the CronJob, no Job, lastScheduleTime not advanced
FAILURES = (None, "oom", "exit", "evicted", "preempted", "retry_success", "restarts",
            "image_pull", "unschedulable", "pods_refused", "job_refused")


class SimCronJob:
    """One simulated CronJob. run_seconds: how long each Job runs; fail: whether runs fail;
    outage: (start, end) offsets in seconds from the simulation start during which the
    controller does not sync this CronJob (slots in between are superseded)."""

    def __init__(self, namespace, name, every, *, policy="Allow", run_seconds=1.0, fail=False,
                 sds=None, outage=None, suspend=False, active_deadline=None, failure=None,
                 exit_code=1, backoff_limit=0, restarts=0, refusal="quota", retry_seconds=2.0,
                 pending_seconds=0.3):
        self.namespace, self.name, self.every = namespace, name, int(every)
        self.active_deadline = active_deadline
        self.policy, self.run_seconds, self.fail = policy, run_seconds, fail
        self.sds, self.outage, self.suspend = sds, outage, suspend
        set_failure_fields(self, failure, exit_code, backoff_limit, restarts, refusal,
                           retry_seconds, pending_seconds)
        self.next_create_try = None  # job_refused: when the controller tries again
        self.uid = None
        self.created = None
        self.last_schedule = None
        self.last_successful = None
        self.active = []           # [SimRun]
        self.finished = []         # [(job name, succeeded, end time)] oldest first
        self.stats = {"created": 0, "succeeded": 0, "failed": 0, "replaced": 0}
        self.pod_stats = {}        # pod failure reason (the pod reason rule) -> failed attempts
        self.create_failures = {}  # (object "job" or "pod", cause) -> FailedCreate occurrences


def set_failure_fields(spec, failure, exit_code=1, backoff_limit=0, restarts=0,
                       refusal="quota", retry_seconds=2.0, pending_seconds=0.3):
    if failure not in FAILURES:
        raise ValueError("unknown failure %r (one of %s)" % (failure, FAILURES[1:]))
    if refusal not in po.CREATE_REFUSALS:
        raise ValueError("unknown refusal %r (one of %s)" % (refusal, sorted(po.CREATE_REFUSALS)))
    if failure == "retry_success" and backoff_limit < 1:
        backoff_limit = 1
    if failure == "restarts" and backoff_limit < restarts:
        backoff_limit = restarts  # OnFailure restarts count against backoffLimit
    spec.failure, spec.exit_code, spec.backoff_limit = failure, exit_code, backoff_limit
    spec.restarts, spec.refusal = restarts, refusal
    spec.retry_seconds, spec.pending_seconds = retry_seconds, pending_seconds


class SimJobGroup:
    """Standalone Jobs (no owner) labelled app.kubernetes.io/name=<group>, one started every
    `every` seconds, each running `run_seconds` and deleted right after it ends (as
    ttlSecondsAfterFinished: 0 does)."""

    def __init__(self, namespace, group, every, *, run_seconds=1.0, fail=False, failure=None,
                 exit_code=1, backoff_limit=0, restarts=0, refusal="quota", retry_seconds=2.0,
                 pending_seconds=0.3):
        self.namespace, self.group, self.every = namespace, group, every
        self.run_seconds, self.fail = run_seconds, fail
        if failure == "job_refused":
            raise ValueError("job_refused needs a CronJob (its controller creates the Jobs)")
        set_failure_fields(self, failure, exit_code, backoff_limit, restarts, refusal,
                           retry_seconds, pending_seconds)
        self.next_start = None
        self.seq = 0
        self.active = []           # [SimRun]
        self.stats = {"created": 0, "succeeded": 0, "failed": 0}
        self.pod_stats = {}
        self.create_failures = {}


class SimRun:
    """One Job of a SimCronJob or SimJobGroup and its pods, moved on by step(now) the way the
    Job controller, the scheduler and the kubelet would. The Job's own status is written as
    before pods were simulated (active 1, ready 1 from the start; the terminal status at the
    end) except where a failure mode changes it (retries, pods that never start)."""

    def __init__(self, sim, spec, job, now):
        self.sim, self.spec, self.job = sim, spec, job
        md = job["metadata"]
        self.namespace, self.name, self.uid = md["namespace"], md["name"], md["uid"]
        self.end = now + spec.run_seconds   # when the current attempt ends
        self.failed_pods = 0
        self.pod = None                     # the current pod (as last written)
        self.pods = []                      # every pod name, deleted with the Job
        self.stage = None                   # refused, unschedulable, creating, pulling, running
        self.next_change = now
        self.pull_state = 0
        self.restarts_done = 0
        self.result = None                  # True succeeded, False failed, None running
        self._attempt(now)

    @property
    def restart_policy(self):
        return "OnFailure" if self.spec.failure == "restarts" else "Never"

    # ---- helpers ---------------------------------------------------------------------------
    def _write_pod(self):
        self.pod = self.sim.cluster.update("pods", self.pod)

    def _write_job_status(self, **fields):
        job = self.sim.cluster.get("jobs", self.namespace, self.name)
        if job is None:
            return
        job["status"] = dict(job["status"], **fields)
        self.job = self.sim.cluster.update("jobs", job)

    def _job_ready(self):
        if not self.job["status"].get("ready"):
            self._write_job_status(active=1, ready=1)

    def _pod_failed(self, reason):
        self.spec.pod_stats[reason] = self.spec.pod_stats.get(reason, 0) + 1

    def _attempt(self, now):
        """Creates the next pod, or records why the Job controller cannot."""
        spec = self.spec
        self.stage = None
        if spec.failure == "pods_refused":
            self.stage = "refused"
            self.next_change = now + spec.retry_seconds
            name = po.pod_name(self.name, "%s/%d" % (now, len(self.pods)))
            message = po.CREATE_REFUSALS[spec.refusal].format(name=name, namespace=self.namespace)
            self.sim.events.record(self.job, "FailedCreate", "Error creating: " + message, t=now)
            key = ("pod", spec.refusal)
            spec.create_failures[key] = spec.create_failures.get(key, 0) + 1
            if self.job["status"].get("active"):
                self._write_job_status(active=0, ready=0)
            return
        pod = po.make_pod(self.namespace, self.name, self.uid, created=now,
                          name=po.pod_name(self.name, "%d" % len(self.pods)),
                          restart_policy=self.restart_policy,
                          init_container=spec.failure == "restarts")
        self.pod = self.sim.cluster.create("pods", pod)
        self.pods.append(pod["metadata"]["name"])
        self.sim.events.record(self.job, "SuccessfulCreate", "Created pod: " + self.pods[-1],
                               t=now, type_="Normal")
        if not self.job["status"].get("active"):
            self._write_job_status(active=1, ready=0)
        if spec.failure == "unschedulable":
            po.set_unschedulable(self.pod, now)
            self.stage = "unschedulable"
        else:
            po.set_scheduled(self.pod, now)
            self.stage = "creating"
            self.next_change = now + spec.pending_seconds
        self._write_pod()

    # ---- the state machine -----------------------------------------------------------------
    def step(self, now):
        """Moves the run on; returns True once the Job has ended (self.result says how)."""
        spec = self.spec
        if self.stage == "refused":
            if now >= self.next_change:
                self.end = now + spec.run_seconds
                self._attempt(now)
            return False
        if self.stage == "unschedulable":
            if spec.failure != "unschedulable":
                self.end = now + spec.run_seconds
                po.set_scheduled(self.pod, now)
                self.stage, self.next_change = "creating", now + spec.pending_seconds
                self._write_pod()
            return False
        if self.stage == "creating":
            if spec.failure == "image_pull":
                self.stage, self.next_change = "pulling", now
            elif now >= self.next_change or now >= self.end:
                po.set_running(self.pod, now)
                self.stage = "running"
                if now < self.end:
                    self._write_pod()
                    self._job_ready()
        if self.stage == "pulling":
            if spec.failure == "image_pull":
                if now >= self.next_change:
                    reason, message = po.IMAGE_PULL_WAITING[self.pull_state % 2]
                    image = self.pod["spec"]["containers"][0]["image"]
                    po.set_waiting(self.pod, reason, message.format(image=image))
                    self._write_pod()
                    self.pull_state += 1
                    self.next_change = now + spec.retry_seconds
                return False
            self.end = now + spec.run_seconds
            po.set_running(self.pod, now)
            self.stage = "running"
            self._write_pod()
            self._job_ready()
        if self.stage != "running":
            return False
        if spec.failure == "restarts" and self.restarts_done < spec.restarts:
            every = spec.run_seconds / (spec.restarts + 1)
            due = self.end - spec.run_seconds + every * (self.restarts_done + 1)
            if now >= due:
                po.set_restarted(self.pod, now, spec.exit_code)
                self.restarts_done += 1
                self._pod_failed("OOMKilled" if spec.exit_code == 137 else "Error")
                self._write_pod()
            return False
        if now < self.end:
            return False
        return self._end_attempt(now)

    def _end_attempt(self, now):
        spec = self.spec
        outcome = spec.failure
        if outcome is None and spec.fail:
            outcome = "exit"
        if outcome == "retry_success" and self.failed_pods > 0:
            outcome = None
        if outcome in (None, "restarts", "image_pull", "unschedulable", "pods_refused",
                       "job_refused"):
            po.set_terminated(self.pod, now, 0)
            self.pod["metadata"]["finalizers"] = []
            self._write_pod()
            self.result = True
            return True
        if outcome == "oom":
            po.set_terminated(self.pod, now, 137, "OOMKilled")
            self._pod_failed("OOMKilled")
        elif outcome == "evicted":
            po.set_evicted(self.pod, now)
            self._pod_failed("Evicted")
        elif outcome == "preempted":
            po.set_disrupted(self.pod, now)
            self._pod_failed("PreemptionByScheduler")
        else:  # exit, retry_success's first pod
            po.set_terminated(self.pod, now, spec.exit_code if outcome == "exit" else 1)
            self._pod_failed("Error")
        self.pod["metadata"]["finalizers"] = []
        self._write_pod()
        self.failed_pods += 1
        if self.failed_pods > spec.backoff_limit:
            self.result = False
            return True
        self._write_job_status(failed=self.failed_pods)
        self.end = now + spec.run_seconds
        self._attempt(now)
        return False

    def final_status(self, status, end):
        status = finished_status(status, end, not self.result)
        if self.failed_pods:
            status["failed"] = self.failed_pods
        return status


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
        # A fake API server from before issue 12 stores only Jobs and CronJobs: give it the
        # two stores, so that the simulation is the same with or without pods being served.
        for resource in ("pods", "events"):
            cluster.objects.setdefault(resource, {})
        self.events = po.EventRecorder(cluster)
        self.pods_of = {}  # (namespace, job name) -> pod names, deleted with the Job

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self):
        self.setup(time.time())
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def setup(self, now):
        """Creates the CronJobs; start() does it, tests call it and then step() themselves."""
        self.start_time = now
        for cj in self.cronjobs:
            obj = self.cluster.create("cronjobs", make_cronjob(
                cj.namespace, cj.name, "@every %ds" % cj.every, concurrency_policy=cj.policy,
                starting_deadline_seconds=cj.sds, suspend=cj.suspend, created=int(now)))
            cj.uid = obj["metadata"]["uid"]
            cj.created = int(now)

    def stop(self):
        self.stop_event.set()
        if self.thread:
            self.thread.join(5)

    def set_failure(self, namespace, name, failure, **fields):
        """Changes how the runs of CronJob or job group `name` go from now on, e.g. None to
        lift a quota refusal: waiting pods start, refused ones are created at the next retry."""
        with self.lock:
            for spec in self.cronjobs + self.job_groups:
                if spec.namespace == namespace and name in (getattr(spec, "name", None),
                                                            getattr(spec, "group", None)):
                    keep = {k: getattr(spec, k) for k in (
                        "exit_code", "backoff_limit", "restarts", "refusal", "retry_seconds",
                        "pending_seconds")}
                    set_failure_fields(spec, failure, **dict(keep, **fields))
                    return
        raise KeyError("%s/%s" % (namespace, name))

    def _loop(self):
        while not self.stop_event.wait(self.tick):
            self.step(time.time())

    def step(self, now):
        """One pass of every controller at time `now`."""
        with self.lock:
            for cj in self.cronjobs:
                self._finish_jobs(cj, now)
                self._sync(cj, now)
            for g in self.job_groups:
                self._run_group(g, now)

    def _delete_job(self, namespace, name, pods_first=False):
        """Deletes a Job and, as the garbage collector does after it, the Job's pods."""
        pods = self.pods_of.pop((namespace, name), [])
        if not pods_first and self.cluster.get("jobs", namespace, name) is not None:
            self.cluster.delete("jobs", namespace, name)
        for pod in pods:
            if self.cluster.get("pods", namespace, pod) is not None:
                self.cluster.delete("pods", namespace, pod)
        if pods_first and self.cluster.get("jobs", namespace, name) is not None:
            self.cluster.delete("jobs", namespace, name)

    def _record_end(self, job, succeeded, now):
        if succeeded:
            self.events.record(job, "Completed", "Job completed", t=now, type_="Normal")
        else:
            self.events.record(job, "BackoffLimitExceeded",
                               "Job has reached the specified backoff limit", t=now)

    def _start_run(self, spec, job, now):
        run = SimRun(self, spec, job, now)
        self.pods_of[(run.namespace, run.name)] = run.pods
        return run

    # ---- standalone Jobs -----------------------------------------------------------------
    def _run_group(self, g, now):
        for run in list(g.active):
            if not run.step(now):
                continue
            g.active.remove(run)
            job = self.cluster.get("jobs", g.namespace, run.name)
            if job is None:
                continue
            job["status"] = run.final_status(job["status"], int(now))
            g.stats["succeeded" if run.result else "failed"] += 1
            job = self.cluster.update("jobs", job)
            self._record_end(job, run.result, now)
            # ttlSecondsAfterFinished: 0; the pods go before or after the Job (both happen).
            self._delete_job(g.namespace, run.name,
                             pods_first=int(run.name.rsplit("-", 1)[1]) % 2 == 0)
        if g.next_start is None:
            g.next_start = now
        if now >= g.next_start:
            g.seq += 1
            name = "%s-%d" % (g.group, g.seq)
            job = self.cluster.create("jobs", {
                "apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"name": name, "namespace": g.namespace,
                             "creationTimestamp": rfc3339(int(now)),
                             "labels": {"app.kubernetes.io/name": g.group}},
                "spec": {"backoffLimit": g.backoff_limit, "completions": 1, "parallelism": 1,
                         "ttlSecondsAfterFinished": 0},
                "status": {"startTime": rfc3339(int(now)), "active": 1, "ready": 1}})
            g.active.append(self._start_run(g, job, now))
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
        name = "%s-%d" % (cj.name, slot)
        if cj.failure == "job_refused":
            # The controller requeues with back-off; lastScheduleTime stays where it was.
            if cj.next_create_try is None or now >= cj.next_create_try:
                cronjob = self.cluster.get("cronjobs", cj.namespace, cj.name)
                message = po.CREATE_REFUSALS["webhook"].format(name=name, namespace=cj.namespace)
                self.events.record(cronjob, "FailedCreate", "Error creating job: " + message,
                                   t=now, component="cronjob-controller")
                cj.create_failures[("job", "webhook")] = \
                    cj.create_failures.get(("job", "webhook"), 0) + 1
                cj.next_create_try = now + cj.retry_seconds
            return
        cj.next_create_try = None
        if cj.policy == "Replace":
            for run in list(cj.active):
                self._delete_job(cj.namespace, run.name)
                cj.stats["replaced"] += 1
            cj.active = []
        job = make_sim_job(cj, name, slot, int(now))
        created = self.cluster.create("jobs", job)
        cronjob = self.cluster.get("cronjobs", cj.namespace, cj.name)
        if cronjob is not None:
            self.events.record(cronjob, "SuccessfulCreate", "Created job " + name, t=now,
                               type_="Normal", component="cronjob-controller")
        cj.active.append(self._start_run(cj, created, now))
        cj.stats["created"] += 1
        cj.last_schedule = slot
        self._update_cronjob(cj)

    def _finish_jobs(self, cj, now):
        changed = False
        for run in list(cj.active):
            if not run.step(now):
                continue
            name = run.name
            job = self.cluster.get("jobs", cj.namespace, name)
            cj.active.remove(run)
            changed = True
            if job is None:
                continue
            end = int(now)
            job["status"] = run.final_status(job["status"], end)
            if not run.result:
                cj.stats["failed"] += 1
            else:
                cj.stats["succeeded"] += 1
                cj.last_successful = end
            job = self.cluster.update("jobs", job)
            self._record_end(job, run.result, now)
            cronjob = self.cluster.get("cronjobs", cj.namespace, cj.name)
            if cronjob is not None:
                self.events.record(cronjob, "SawCompletedJob", "Saw completed job: %s, status: %s"
                                   % (name, "Complete" if run.result else "Failed"), t=now,
                                   type_="Normal", component="cronjob-controller")
            cj.finished.append((name, run.result, end))
        if changed:
            self._update_cronjob(cj)
            self._enforce_history(cj)

    def _enforce_history(self, cj):
        for succeeded, limit in ((True, self.success_history), (False, self.failed_history)):
            done = [f for f in cj.finished if f[1] == succeeded]
            for f in done[:max(0, len(done) - limit)]:
                self._delete_job(cj.namespace, f[0])
                cronjob = self.cluster.get("cronjobs", cj.namespace, cj.name)
                if cronjob is not None:
                    self.events.record(cronjob, "SuccessfulDelete", "Deleted job " + f[0],
                                       type_="Normal", component="cronjob-controller")
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
            status["active"] = [{"kind": "Job", "namespace": cj.namespace, "name": r.name,
                                 "uid": r.uid, "apiVersion": "batch/v1"} for r in cj.active]
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
        "spec": {"backoffLimit": cj.backoff_limit, "completions": 1, "parallelism": 1,
                 "completionMode": "NonIndexed", "suspend": False,
                 "template": {"spec": {
                     "restartPolicy": "OnFailure" if cj.failure == "restarts" else "Never",
                     "containers": [{"name": "main", "image": "busybox:1.36",
                                     "command": ["sh", "-c", "true"]}]}}},
        "status": {"startTime": rfc3339(now), "active": 1, "ready": 1}}
    if cj.failure == "pods_refused":
        job["status"].update(active=0, ready=0)
    elif cj.failure in ("image_pull", "unschedulable"):
        job["status"]["ready"] = 0
    if cj.active_deadline is not None:
        job["spec"]["activeDeadlineSeconds"] = cj.active_deadline
    return job


def cause_cronjobs():
    """One CronJob per new cause that the demo shows (issue 12): runs OOMKilled, pods refused by
    a ResourceQuota, an image that cannot be pulled, Jobs refused by an admission webhook."""
    return [
        SimCronJob("batch", "oom-report", 6, run_seconds=1, failure="oom"),
        SimCronJob("batch", "quota-import", 6, policy="Forbid", run_seconds=1,
                   failure="pods_refused", refusal="quota"),
        SimCronJob("ops", "image-sync", 6, policy="Forbid", run_seconds=1, failure="image_pull"),
        SimCronJob("ops", "webhook-cleanup", 6, run_seconds=1, failure="job_refused"),
    ]


def scenario(name):
    """The cronjobs of a named scenario: one healthy CronJob, one that always fails, one whose
    runs overrun under Forbid, one whose controller misses slots (an outage); the demo adds one
    on Replace and the cause CronJobs. `causes` (the end-to-end test of the pod and event
    alerts): the cause CronJobs, one whose first pod fails and whose retry succeeds, one whose
    pods restart (OnFailure) before they succeed, and a healthy one."""
    if name not in ("demo", "e2e", "causes"):
        raise ValueError("unknown scenario %r (demo, e2e, causes)" % name)
    if name == "causes":
        return cause_cronjobs() + [
            SimCronJob("batch", "retried-report", 6, run_seconds=1, failure="retry_success"),
            SimCronJob("batch", "restarting-report", 6, run_seconds=2, failure="restarts",
                       restarts=2, exit_code=137),
            SimCronJob("batch", "healthy-report", 5, run_seconds=1),
        ]
    cronjobs = [
        SimCronJob("batch", "healthy-report", 5, run_seconds=1),
        SimCronJob("batch", "failing-backup", 5, run_seconds=1, fail=True),
        SimCronJob("batch", "overrunning-etl", 4, policy="Forbid", run_seconds=9,
                   active_deadline=3600),
        SimCronJob("ops", "flaky-controller", 5, run_seconds=1, outage=(8, 24)),
    ]
    if name == "demo":
        cronjobs.append(SimCronJob("ops", "replaced-sync", 6, policy="Replace", run_seconds=8))
        cronjobs += cause_cronjobs()
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
    ("batch", "oom-report", "its container is OOMKilled (exit 137): every run fails",
     [("BatchwatchCronJobOOMKilled", lambda cj: cj.every + cj.run_seconds),
      ("BatchwatchCronJobLastRunFailed", lambda cj: cj.every + cj.run_seconds)]),
    ("batch", "quota-import", "a ResourceQuota refuses its pods (FailedCreate): the run never "
     "starts and Forbid holds the next ones back",
     [("BatchwatchCronJobCreateFailures", lambda cj: cj.every),
      ("BatchwatchCronJobForbidSkipped", lambda cj: 2 * cj.every)]),
    ("ops", "image-sync", "its image cannot be pulled: the pod waits in ImagePullBackOff",
     [("BatchwatchJobPodsWaiting", lambda cj: cj.every + cj.pending_seconds),
      ("BatchwatchCronJobForbidSkipped", lambda cj: 2 * cj.every)]),
    ("ops", "webhook-cleanup", "an admission webhook refuses its Jobs (FailedCreate on the "
     "CronJob): no run starts, slots are missed",
     [("BatchwatchCronJobCreateFailures", lambda cj: cj.every),
      ("BatchwatchCronJobMissedSchedules", lambda cj: 2 * cj.every)]),
]

# Alerts on the series of the Pods and Events watches (issue 12): an exporter without those
# watches cannot raise them; tests/e2e/test_demo.py waits for them only when batchwatch exports
# batchwatch_cronjob_pod_failures_total.
POD_EVENT_ALERTS = {"BatchwatchCronJobOOMKilled", "BatchwatchJobPodsWaiting",
                    "BatchwatchCronJobCreateFailures", "BatchwatchJobGroupCreateFailures"}


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
