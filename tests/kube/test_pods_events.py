#!/usr/bin/env python3
"""Pods and Events against the fake API server: the server-side selectors decide what the
probe's store holds, the two Event watches relist apart, and a 403 on pods or events degrades
that resource (logged once, batchwatch_watch_degraded 1) while Jobs stay synced and ready."""

import time
import unittest

from harness import CONVERGE_LIMIT, KubeTestCase, expected_view, fake, metric, probe_view


def selected(cluster, resource):
    """What the watches select, as the real API server would: pods labelled job-name, events
    whose involvedObject is a Job or a CronJob."""
    out = {}
    for o in cluster.list(resource):
        if resource == "pods" and "job-name" not in o["metadata"].get("labels", {}):
            continue
        if resource == "events" and o["involvedObject"]["kind"] not in ("Job", "CronJob"):
            continue
        out[o["metadata"]["uid"]] = o["metadata"]["resourceVersion"]
    return out


def core_view(dump):
    return {res: {uid: o["resourceVersion"] for uid, o in dump[res].items()}
            for res in ("pods", "events")}


class PodsEventsTest(KubeTestCase):
    def populate_core(self):
        self.populate()
        job = self.cluster.list("jobs")[0]
        md = job["metadata"]
        self.cluster.create("pods", fake.make_pod(
            md["namespace"], md["name"] + "-abcde", job=md["name"], job_uid=md["uid"],
            phase="Failed", containers=[fake.container_status(terminated="OOMKilled",
                                                              exit_code=137)]))
        self.cluster.create("pods", fake.make_pod("ops", "web-1"))  # no job-name: not selected
        self.cluster.create("pods", fake.make_pod(
            "ops", "orphan-x", labels={"job-name": "gone"}))  # selected, no owner
        self.cluster.create("events", fake.make_event(
            md["namespace"], "e-job", kind="Job", involved_name=md["name"],
            involved_uid=md["uid"], reason="FailedCreate", message="exceeded quota", count=3))
        cj = self.cluster.list("cronjobs")[0]["metadata"]
        self.cluster.create("events", fake.make_event(
            cj["namespace"], "e-cj", kind="CronJob", involved_name=cj["name"],
            involved_uid=cj["uid"], reason="SuccessfulCreate"))
        self.cluster.create("events", fake.make_event("ops", "e-pod", kind="Pod"))

    def wait_core(self, probe, want_degraded=None):
        deadline = time.monotonic() + CONVERGE_LIMIT
        while True:
            dump = probe.dump()
            want = {res: selected(self.cluster, res) for res in ("pods", "events")}
            if (core_view(dump) == want and probe_view(dump) == expected_view(self.cluster)
                    and not dump["unsynced"]):
                self.assertEqual(dump["violations"], [])
                return dump
            if time.monotonic() > deadline:
                self.fail(f"pods/events did not converge: want {want}, have {core_view(dump)}"
                          f"\n{probe.log()}")
            time.sleep(0.05)

    def test_selectors_decide_what_is_stored(self):
        self.populate_core()
        probe = self.start_probe(*self.default_args())
        dump = self.wait_core(probe)
        self.assertEqual(len(dump["pods"]), 2)
        self.assertEqual(len(dump["events"]), 2)
        owned = [p for p in dump["pods"].values() if p["ownerUid"]]
        self.assertEqual(len(owned), 1)
        self.assertEqual({e["involvedKind"] for e in dump["events"].values()}, {"Job", "CronJob"})
        for res in ("pods", "events"):
            self.assertEqual(metric(dump, "batchwatch_synced", resource=res), 1)
            self.assertEqual(metric(dump, "batchwatch_watch_degraded", resource=res), 0)
        self.assertEqual(metric(dump, "batchwatch_tracked_objects", resource="pods"), 2)
        with self.cluster.cond:
            queries = [(r["resource"], r["query"]) for r in self.cluster.requests]
        self.assertTrue(all(q.get("labelSelector") == "job-name"
                            for res, q in queries if res == "pods"))
        self.assertEqual({q.get("fieldSelector") for res, q in queries if res == "events"},
                         {"involvedObject.kind=Job", "involvedObject.kind=CronJob"})
        # Changes through the watches: a count going up, a pod deleted, a new pod.
        ev = self.cluster.get("events", "default", "e-job")
        ev["count"] = 5
        self.cluster.update("events", ev)
        pod = self.cluster.get("pods", "ops", "orphan-x")
        self.cluster.delete("pods", "ops", "orphan-x")
        self.cluster.create("pods", fake.make_pod("ops", "late-1", job="late", phase="Pending"))
        dump = self.wait_core(probe)
        self.assertNotIn(pod["metadata"]["uid"], dump["pods"])
        self.assertIn(5, [e["count"] for e in dump["events"].values()])
        self.assertGreaterEqual(dump["counts"].get("pod_deletes", 0), 1)

    def test_relist_after_compaction_vanishes_nothing_twice(self):
        self.populate_core()
        probe = self.start_probe(*self.default_args())
        self.wait_core(probe)
        # Both Event watches and the pod watch relist (410); meanwhile one Job event is gone and
        # a CronJob event arrived: the CronJob watch's relist must not vanish the Job events.
        self.cluster.delete("events", "default", "e-job")
        self.cluster.compact()
        self.cluster.create("events", fake.make_event("default", "e-cj2", kind="CronJob"))
        self.cluster.create("events", fake.make_event("default", "e-job2", kind="Job"))
        dump = self.wait_core(probe)
        self.assertEqual(len(dump["events"]), 3)

    def test_forbidden_at_start_degrades_and_recovers(self):
        self.populate_core()
        self.cluster.inject(fake.Fault("forbidden", resource="pods", count=-1))
        probe = self.start_probe(*self.default_args(), "--forbidden-retry-seconds", "0.5")
        dump = self.wait_for(probe, lambda d: metric(d, "batchwatch_watch_degraded",
                                                     resource="pods") == 1, "pods degraded")
        # Jobs and CronJobs keep working, and the degraded resource does not hold back ready.
        dump = self.wait_for(probe, lambda d: probe_view(d) == expected_view(self.cluster)
                             and not d["unsynced"], "jobs synced while pods are refused")
        self.assertEqual(metric(dump, "batchwatch_synced", resource="jobs"), 1)
        self.assertEqual(metric(dump, "batchwatch_synced", resource="pods"), 0)
        self.assertEqual(metric(dump, "batchwatch_watch_degraded", resource="events"), 0)
        self.assertEqual(dump["degraded"], {"pods": True})
        time.sleep(1.5)  # a few rare retries: still one log line
        log = "\n".join(probe.stderr)
        self.assertEqual(log.count("no RBAC permission"), 1, log)
        self.assertIn('cannot list resource \\"pods\\" in API group \\"\\" at the cluster scope',
                      log)
        self.assertIn("--watch-pods=false", log)
        self.cluster.clear_faults()
        dump = self.wait_core(probe)
        self.assertEqual(metric(dump, "batchwatch_watch_degraded", resource="pods"), 0)
        self.assertEqual(dump["degraded"], {"pods": False})
        self.assertEqual(dump["counts"].get("synced_pods"), 1)

    def test_forbidden_later_degrades_events_only(self):
        self.populate_core()
        probe = self.start_probe(*self.default_args(), "--forbidden-retry-seconds", "0.5")
        self.wait_core(probe)
        self.cluster.inject(fake.Fault("forbidden", resource="events", count=-1))
        self.cluster.inject(fake.Fault("drop", resource="events", verb="watch", count=2))
        # The watches end (dropped, or timed out after at most 4 s) and reopen into the 403.
        dump = self.wait_for(probe, lambda d: metric(d, "batchwatch_watch_degraded",
                                                     resource="events") == 1, "events degraded")
        self.cluster.create("jobs", fake.make_job("ops", "while-degraded"))
        dump = self.wait_for(probe, lambda d: probe_view(d) == expected_view(self.cluster)
                             and not d["unsynced"], "jobs still converge")
        self.assertEqual(metric(dump, "batchwatch_watch_degraded", resource="pods"), 0)
        self.assertEqual(metric(dump, "batchwatch_api_requests_total", resource="events",
                                code="403") >= 1, True)
        self.cluster.clear_faults()
        dump = self.wait_for(probe, lambda d: metric(d, "batchwatch_watch_degraded",
                                                     resource="events") == 0, "events recovered")
        self.assertEqual(dump["degraded"], {"events": False})
        self.assertEqual(dump["violations"], [])

    def test_watches_can_be_turned_off(self):
        self.populate_core()
        probe = self.start_probe(*self.default_args(), "--watch-pods=false",
                                 "--watch-events=false")
        dump = self.wait_converged(probe)
        self.assertEqual(dump["pods"], {})
        self.assertEqual(dump["events"], {})
        self.assertNotIn('resource="pods"', dump["metrics"])
        self.assertNotIn('resource="events"', dump["metrics"])
        with self.cluster.cond:
            served = {r["resource"] for r in self.cluster.requests}
        self.assertEqual(served, {"jobs", "cronjobs"})

    def test_namespaces_and_exclusions_apply(self):
        self.populate_core()
        self.cluster.create("pods", fake.make_pod("kube-system", "sys-1", job="sys"))
        probe = self.start_probe(*self.default_args(), "--exclude-namespaces", "kube-system")
        dump = self.wait_for(probe, lambda d: not d["unsynced"] and len(d["pods"]) == 2,
                             "pods synced")
        self.assertNotIn("kube-system", {p["namespace"] for p in dump["pods"].values()})
        probe2 = self.start_probe(*self.default_args(), "--namespaces", "ops")
        dump = self.wait_for(probe2, lambda d: not d["unsynced"], "ops synced")
        self.assertEqual({p["namespace"] for p in dump["pods"].values()}, {"ops"})
        with self.cluster.cond:
            paths = {(r["resource"], r["namespace"]) for r in self.cluster.requests[-40:]}
        self.assertIn(("events", "ops"), paths)


if __name__ == "__main__":
    unittest.main()
