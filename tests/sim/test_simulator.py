#!/usr/bin/env python3
"""The simulated cluster's pods and events: every failure mode of sim/simulator.py, driven step by
step on a synthetic clock (Simulator.setup / step, no thread), checked on what the fake API
server stores and on its watch history (ADDED / MODIFIED / DELETED), which is what batchwatch
will see. Also the shape and size of the objects of sim/pod_objects.py."""
import json
import os
import sys
import unittest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "sim"))
from fake_apiserver import FakeCluster  # noqa: E402
import pod_objects as po  # noqa: E402
from simulator import (DEMO_PROBLEMS, POD_EVENT_ALERTS, SimCronJob, SimJobGroup,  # noqa: E402
                       Simulator, expected_alerts, scenario)

T0 = 1_800_000_000.0
TICK = 0.1


class Sim:
    """A Simulator on a FakeCluster, moved on by hand."""

    def __init__(self, cronjobs=(), groups=()):
        self.cluster = FakeCluster()
        self.sim = Simulator(self.cluster, list(cronjobs), job_groups=list(groups))
        self.sim.setup(T0)
        self.now = T0

    def run(self, seconds):
        end = self.now + seconds
        while self.now < end - 1e-9:
            self.now += TICK
            self.sim.step(self.now)

    def objects(self, resource):
        return self.cluster.list(resource)

    def history(self, resource):
        return [(t, o) for _, r, t, o in self.cluster.events if r == resource]

    def pods(self):
        return self.objects("pods")

    def events(self, reason=None):
        return [e for e in self.objects("events") if reason is None or e["reason"] == reason]


def main_status(pod):
    return [s for s in pod["status"].get("containerStatuses", []) if s["name"] == "main"][0]


class PodObjects(unittest.TestCase):
    def test_job_pod_is_realistic(self):
        pod = po.make_pod("batch", "report-1800000000", "job-uid-1", created=T0)
        po.set_scheduled(pod, T0)
        po.set_running(pod, T0 + 1)
        po.set_terminated(pod, T0 + 5, 137, "OOMKilled")
        size = len(json.dumps(pod))
        self.assertTrue(3000 <= size <= 6000, size)
        md = pod["metadata"]
        self.assertEqual(md["labels"]["job-name"], "report-1800000000")
        self.assertEqual(md["labels"]["controller-uid"], "job-uid-1")
        self.assertTrue(md["name"].startswith("report-1800000000-"))
        owner = md["ownerReferences"][0]
        self.assertEqual((owner["kind"], owner["uid"], owner["controller"]),
                         ("Job", "job-uid-1", True))
        self.assertEqual(pod["spec"]["restartPolicy"], "Never")
        self.assertEqual(pod["spec"]["containers"][0]["resources"]["limits"]["memory"], "512Mi")
        self.assertEqual(pod["status"]["phase"], "Failed")
        term = main_status(pod)["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (137, "OOMKilled"))
        self.assertIn("PodScheduled", [c["type"] for c in pod["status"]["conditions"]])

    def test_init_container_statuses(self):
        pod = po.make_pod("batch", "j", "u", created=T0, init_container=True)
        po.set_scheduled(pod, T0)
        self.assertEqual(pod["status"]["initContainerStatuses"][0]["state"],
                         {"waiting": {"reason": "ContainerCreating"}})
        self.assertEqual(main_status(pod)["state"], {"waiting": {"reason": "PodInitializing"}})
        po.set_running(pod, T0 + 1)
        self.assertEqual(pod["status"]["initContainerStatuses"][0]["state"]["terminated"]
                         ["exitCode"], 0)

    def test_event_shape(self):
        job = {"kind": "Job", "apiVersion": "batch/v1",
               "metadata": {"name": "j", "namespace": "batch", "uid": "u1"}}
        ev = po.make_event(job, "FailedCreate", "Error creating: x", t=T0)
        self.assertEqual(ev["involvedObject"], {"kind": "Job", "namespace": "batch", "name": "j",
                                                "uid": "u1", "apiVersion": "batch/v1",
                                                "resourceVersion": ""})
        self.assertEqual((ev["count"], ev["type"], ev["source"]),
                         (1, "Warning", {"component": "job-controller"}))
        self.assertEqual(ev["firstTimestamp"], ev["lastTimestamp"])
        self.assertTrue(ev["metadata"]["name"].startswith("j."))

    def test_recorder_counts_repeats_and_combines_similar(self):
        cluster = FakeCluster()
        cluster.objects.setdefault("events", {})
        rec = po.EventRecorder(cluster)
        job = {"kind": "Job", "metadata": {"name": "j", "namespace": "batch", "uid": "u1"}}
        for i in range(3):
            rec.record(job, "FailedCreate", "same", t=T0 + i)
        evs = cluster.list("events")
        self.assertEqual([e["count"] for e in evs], [3])
        types = [t for _, r, t, _ in cluster.events if r == "events"]
        self.assertEqual(types, ["ADDED", "MODIFIED", "MODIFIED"])
        # Different messages: separate events until more than ten similar, then one combined.
        for i in range(12):
            rec.record(job, "FailedCreate", "pod %d refused" % i, t=T0 + 10 + i)
        combined = [e for e in cluster.list("events")
                    if e["message"].startswith("(combined from similar events): ")]
        self.assertEqual(len(combined), 1)
        # 3 + 12 similar events: the 11th and later ones are combined.
        self.assertEqual(combined[0]["count"], 15 - po.EventRecorder.AGGREGATE_MAX)
        self.assertEqual(sum(e["count"] for e in cluster.list("events")), 15)


class FailureModes(unittest.TestCase):
    def test_default_runs_keep_their_job_stream_and_get_pods(self):
        s = Sim([SimCronJob("batch", "ok", 5, run_seconds=1)])
        s.run(5.05)
        pods = s.pods()
        self.assertEqual(len(pods), 1)
        self.assertEqual(pods[0]["status"]["phase"], "Pending")
        self.assertEqual(main_status(pods[0])["state"]["waiting"]["reason"], "ContainerCreating")
        s.run(0.5)
        self.assertEqual(s.pods()[0]["status"]["phase"], "Running")
        s.run(1)
        self.assertEqual(s.pods()[0]["status"]["phase"], "Succeeded")
        self.assertEqual(main_status(s.pods()[0])["state"]["terminated"]["reason"], "Completed")
        # The Job: created active, then its terminal status, nothing in between (as before).
        jobs = s.history("jobs")
        self.assertEqual([t for t, _ in jobs], ["ADDED", "MODIFIED"])
        self.assertEqual({k: jobs[0][1]["status"][k] for k in ("active", "ready")},
                         {"active": 1, "ready": 1})
        self.assertEqual(jobs[1][1]["status"]["conditions"][-1]["type"], "Complete")
        # History limit 3: the first Job goes with its pod.
        s.run(20)
        names = {j["metadata"]["name"] for j in s.objects("jobs")}
        self.assertEqual(len(names), 3)
        self.assertEqual({p["metadata"]["labels"]["job-name"] for p in s.pods()}, names)
        deleted = [o for t, o in s.history("pods") if t == "DELETED"]
        self.assertEqual(len(deleted), s.sim.cronjobs[0].stats["created"] - 3)

    def test_fail_is_exit_1(self):
        s = Sim([SimCronJob("batch", "bad", 5, run_seconds=1, fail=True)])
        s.run(6.2)
        pod = s.pods()[0]
        self.assertEqual(pod["status"]["phase"], "Failed")
        self.assertEqual(main_status(pod)["state"]["terminated"]["exitCode"], 1)
        job = s.objects("jobs")[0]
        self.assertEqual(job["status"]["conditions"][-1]["reason"], "BackoffLimitExceeded")
        self.assertEqual(s.sim.cronjobs[0].pod_stats, {"Error": 1})

    def test_oom_with_retries(self):
        cj = SimCronJob("batch", "oom", 10, run_seconds=1, failure="oom", backoff_limit=2)
        s = Sim([cj])
        s.run(13.5)
        pods = s.pods()
        self.assertEqual(len(pods), 3)
        for pod in pods:
            self.assertEqual(pod["status"]["phase"], "Failed")
            term = main_status(pod)["state"]["terminated"]
            self.assertEqual((term["exitCode"], term["reason"]), (137, "OOMKilled"))
            self.assertEqual(pod["metadata"]["finalizers"], [])
        job = s.objects("jobs")[0]
        self.assertEqual(job["spec"]["backoffLimit"], 2)
        self.assertEqual(job["status"]["failed"], 3)
        self.assertEqual(job["status"]["conditions"][-1]["type"], "Failed")
        self.assertEqual(cj.pod_stats, {"OOMKilled": 3})
        self.assertEqual(cj.stats["failed"], 1)
        self.assertEqual(len(s.events("BackoffLimitExceeded")), 1)

    def test_exit_code(self):
        cj = SimCronJob("batch", "exit", 10, run_seconds=1, failure="exit", exit_code=42)
        s = Sim([cj])
        s.run(11.5)
        term = main_status(s.pods()[0])["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (42, "Error"))

    def test_evicted_and_preempted(self):
        ev = SimCronJob("batch", "evicted", 10, run_seconds=1, failure="evicted")
        pre = SimCronJob("batch", "preempted", 10, run_seconds=1, failure="preempted")
        s = Sim([ev, pre])
        s.run(11.5)
        by_job = {p["metadata"]["labels"]["job-name"].split("-")[0]: p for p in s.pods()}
        self.assertEqual((by_job["evicted"]["status"]["phase"],
                          by_job["evicted"]["status"]["reason"]), ("Failed", "Evicted"))
        self.assertNotIn("DisruptionTarget",
                         [c["type"] for c in by_job["evicted"]["status"]["conditions"]])
        target = [c for c in by_job["preempted"]["status"]["conditions"]
                  if c["type"] == "DisruptionTarget"][0]
        self.assertEqual((target["status"], target["reason"]), ("True", "PreemptionByScheduler"))
        self.assertEqual(ev.pod_stats, {"Evicted": 1})
        self.assertEqual(pre.pod_stats, {"PreemptionByScheduler": 1})

    def test_retry_then_success(self):
        cj = SimCronJob("batch", "retried", 10, run_seconds=1, failure="retry_success")
        s = Sim([cj])
        s.run(13)
        phases = sorted(p["status"]["phase"] for p in s.pods())
        self.assertEqual(phases, ["Failed", "Succeeded"])
        job = s.objects("jobs")[0]
        self.assertEqual((job["spec"]["backoffLimit"], job["status"]["failed"],
                          job["status"]["succeeded"]), (1, 1, 1))
        self.assertEqual(job["status"]["conditions"][-1]["type"], "Complete")
        self.assertEqual((cj.stats["succeeded"], cj.stats["failed"]), (1, 0))
        self.assertEqual(cj.pod_stats, {"Error": 1})

    def test_on_failure_restarts(self):
        cj = SimCronJob("batch", "restarts", 10, run_seconds=3, failure="restarts", restarts=2,
                        exit_code=137)
        s = Sim([cj])
        s.run(10.2)
        pod = s.pods()[0]
        self.assertEqual(pod["spec"]["restartPolicy"], "OnFailure")
        s.run(3)
        counts = [main_status(o)["restartCount"] for t, o in s.history("pods")
                  if o["status"].get("containerStatuses")]
        self.assertEqual(sorted(set(counts)), [0, 1, 2])
        pod = s.pods()[0]
        last = main_status(pod)["lastState"]["terminated"]
        self.assertEqual((last["exitCode"], last["reason"]), (137, "OOMKilled"))
        self.assertEqual(pod["status"]["phase"], "Succeeded")
        self.assertEqual(len(s.pods()), 1)
        job = s.objects("jobs")[0]
        self.assertEqual(job["spec"]["template"]["spec"]["restartPolicy"], "OnFailure")
        self.assertEqual(job["status"]["conditions"][-1]["type"], "Complete")
        self.assertEqual(cj.pod_stats, {"OOMKilled": 2})

    def test_image_pull_waits_until_the_image_is_there(self):
        cj = SimCronJob("ops", "img", 10, policy="Forbid", run_seconds=1, failure="image_pull",
                        retry_seconds=2)
        s = Sim([cj])
        s.run(30)
        pods = s.pods()
        self.assertEqual(len(pods), 1)  # Forbid: the one run holds the others back
        self.assertEqual(pods[0]["status"]["phase"], "Pending")
        reasons = [main_status(o)["state"].get("waiting", {}).get("reason")
                   for t, o in s.history("pods") if o["status"].get("containerStatuses")]
        self.assertIn("ErrImagePull", reasons)
        self.assertIn("ImagePullBackOff", reasons)
        self.assertIn('Back-off pulling image "registry.example.com/batch/worker:1.4.2"',
                      [main_status(o)["state"].get("waiting", {}).get("message")
                       for t, o in s.history("pods") if o["status"].get("containerStatuses")])
        self.assertEqual(s.objects("jobs")[0]["status"]["ready"], 0)
        self.assertEqual(cj.stats["succeeded"] + cj.stats["failed"], 0)
        s.sim.set_failure("ops", "img", None)
        s.run(1.5)
        self.assertEqual(s.pods()[0]["status"]["phase"], "Succeeded")
        self.assertEqual(cj.stats["succeeded"], 1)

    def test_unschedulable(self):
        cj = SimCronJob("ops", "big", 10, run_seconds=1, failure="unschedulable")
        s = Sim([cj])
        s.run(15)
        pod = s.pods()[0]
        sched = [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"][0]
        self.assertEqual((sched["status"], sched["reason"]), ("False", "Unschedulable"))
        self.assertIn("Insufficient memory", sched["message"])
        self.assertNotIn("containerStatuses", pod["status"])
        s.sim.set_failure("ops", "big", None)
        s.run(2)
        self.assertEqual(s.pods()[0]["status"]["phase"], "Succeeded")

    def test_pods_refused_by_quota(self):
        cj = SimCronJob("batch", "quota", 100, policy="Forbid", run_seconds=1,
                        failure="pods_refused", retry_seconds=2)
        s = Sim([cj])
        s.run(100.05 + 2 * 13)
        self.assertEqual(s.pods(), [])
        job = s.objects("jobs")[0]
        self.assertEqual((job["status"]["active"], job["status"]["ready"]), (0, 0))
        refused = s.events("FailedCreate")
        for ev in refused:
            self.assertEqual(ev["involvedObject"]["kind"], "Job")
            self.assertEqual(ev["involvedObject"]["uid"], job["metadata"]["uid"])
            self.assertIn("Error creating: pods \"quota-", ev["message"])
            self.assertIn("is forbidden: exceeded quota: compute-resources", ev["message"])
            self.assertEqual(ev["source"], {"component": "job-controller"})
        occurrences = sum(e["count"] for e in refused)
        self.assertEqual(occurrences, cj.create_failures[("pod", "quota")])
        self.assertGreaterEqual(occurrences, 13)
        modified = [o for t, o in s.history("events") if t == "MODIFIED"
                    and o["reason"] == "FailedCreate"]
        self.assertTrue(modified, "repeats raise the count of the combined event")
        self.assertEqual([o["count"] for o in modified], list(range(2, len(modified) + 2)))
        s.sim.set_failure("batch", "quota", None)
        s.run(4)
        self.assertEqual([p["status"]["phase"] for p in s.pods()], ["Succeeded"])
        self.assertEqual(cj.stats["succeeded"], 1)

    def test_each_refusal_cause_has_its_message(self):
        for cause in po.CREATE_REFUSALS:
            cj = SimCronJob("batch", "r", 100, run_seconds=1, failure="pods_refused",
                            refusal=cause)
            s = Sim([cj])
            s.run(100.2)
            (ev,) = s.events("FailedCreate")
            self.assertTrue(ev["message"].startswith("Error creating: "), ev["message"])
            self.assertEqual(cj.create_failures, {("pod", cause): 1})
        with self.assertRaises(ValueError):
            SimCronJob("batch", "r", 5, failure="pods_refused", refusal="nope")
        with self.assertRaises(ValueError):
            SimCronJob("batch", "r", 5, failure="sometimes")

    def test_job_refused_by_a_webhook(self):
        cj = SimCronJob("ops", "hooked", 10, run_seconds=1, failure="job_refused",
                        retry_seconds=2)
        s = Sim([cj])
        s.run(20.05)
        self.assertEqual(s.objects("jobs"), [])
        (ev,) = s.events("FailedCreate")
        self.assertEqual((ev["involvedObject"]["kind"], ev["involvedObject"]["uid"]),
                         ("CronJob", cj.uid))
        self.assertEqual(ev["source"], {"component": "cronjob-controller"})
        self.assertIn('Error creating job: admission webhook "validate.policy.example.com" '
                      'denied the request', ev["message"])
        self.assertEqual(ev["count"], cj.create_failures[("job", "webhook")])
        self.assertGreaterEqual(ev["count"], 5)
        self.assertNotIn("lastScheduleTime", s.objects("cronjobs")[0]["status"])
        s.sim.set_failure("ops", "hooked", None)
        s.run(2)
        (job,) = s.objects("jobs")
        self.assertEqual(job["metadata"]["name"], "hooked-%d" % (T0 + 20))
        self.assertEqual(len(s.events("SuccessfulCreate")), 2)  # the Job and its pod

    def test_job_groups_have_pods_deleted_with_the_job(self):
        s = Sim(groups=[SimJobGroup("batch", "migrate", 3, run_seconds=1)])
        s.run(10)
        g = s.sim.job_groups[0]
        self.assertGreaterEqual(g.stats["succeeded"], 3)
        history = [(r, t, o["metadata"]["name"]) for _, r, t, o in s.cluster.events
                   if r in ("jobs", "pods") and t == "DELETED"]
        kinds = [r for r, _, _ in history]
        # TTL 0: both orders happen (pods gone before the Job, and after).
        self.assertIn(["pods", "jobs"], [kinds[i:i + 2] for i in range(len(kinds) - 1)])
        self.assertIn(["jobs", "pods"], [kinds[i:i + 2] for i in range(len(kinds) - 1)])
        live_jobs = {j["metadata"]["name"] for j in s.objects("jobs")}
        self.assertEqual({p["metadata"]["labels"]["job-name"] for p in s.pods()}, live_jobs)

    def test_replace_deletes_the_pods_too(self):
        s = Sim([SimCronJob("ops", "rep", 3, policy="Replace", run_seconds=5)])
        s.run(9.5)
        live_jobs = {j["metadata"]["name"] for j in s.objects("jobs")}
        self.assertEqual(len(live_jobs), 1)
        self.assertEqual({p["metadata"]["labels"]["job-name"] for p in s.pods()}, live_jobs)


class Scenarios(unittest.TestCase):
    def test_existing_scenarios_unchanged(self):
        self.assertEqual([cj.name for cj in scenario("e2e")],
                         ["healthy-report", "failing-backup", "overrunning-etl",
                          "flaky-controller"])
        self.assertTrue(all(cj.failure is None for cj in scenario("e2e")))

    def test_demo_shows_each_new_cause_with_an_alert(self):
        demo = {cj.name: cj for cj in scenario("demo")}
        failures = {cj.failure for cj in demo.values()}
        self.assertLessEqual({"oom", "pods_refused", "image_pull", "job_refused"}, failures)
        problems = {name: alerts for _, name, _, alerts in DEMO_PROBLEMS}
        for name, cj in demo.items():
            if cj.failure is not None:
                self.assertTrue(problems.get(name), name)
        expected = {a for a, _, _, _ in expected_alerts(scenario("demo"))}
        self.assertLessEqual(POD_EVENT_ALERTS - {"BatchwatchJobGroupCreateFailures"}, expected)

    def test_causes_scenario_runs(self):
        s = Sim(scenario("causes"))
        s.run(15)
        by = {cj.name: cj for cj in s.sim.cronjobs}
        self.assertGreaterEqual(by["oom-report"].pod_stats.get("OOMKilled", 0), 1)
        self.assertGreaterEqual(by["retried-report"].stats["succeeded"], 1)
        self.assertEqual(by["retried-report"].stats["failed"], 0)
        self.assertGreaterEqual(by["quota-import"].create_failures[("pod", "quota")], 1)
        self.assertGreaterEqual(by["webhook-cleanup"].create_failures[("job", "webhook")], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
