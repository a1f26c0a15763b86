#!/usr/bin/env python3
"""Per fault: the probe's store converges to exactly the server's objects, deletions included,
and the self metrics say what happened."""

import unittest

from harness import KubeTestCase, fake, metric


class FaultTest(KubeTestCase):
    def converge_through(self, fault, mutate_first=True):
        self.populate()
        probe = self.start_probe(*self.default_args())
        before = self.wait_converged(probe)
        self.cluster.inject(fault)
        # Mutations after the fault: an update, a delete, a create.
        job = self.cluster.list("jobs")[0]
        job["status"]["active"] = 1
        self.cluster.update("jobs", job)
        victim = self.cluster.list("jobs")[1]["metadata"]
        self.cluster.delete("jobs", victim["namespace"], victim["name"])
        self.cluster.create("jobs", fake.make_job("ops", "after-fault"))
        after = self.wait_converged(probe)
        self.assertGreaterEqual(after["counts"].get("job_deletes", 0), 1)
        return before, after, probe

    def test_watch_connection_dropped_mid_stream(self):
        _, after, _ = self.converge_through(fake.Fault("drop", resource="jobs", verb="watch",
                                                       after_events=1))
        self.assertGreaterEqual(metric(after, "batchwatch_watch_restarts_total",
                                       resource="jobs", reason="error"), 1)

    def test_truncated_line_is_a_decode_error_and_stream_restarts(self):
        _, after, _ = self.converge_through(fake.Fault("truncated", resource="jobs"))
        self.assertGreaterEqual(metric(after, "batchwatch_decode_errors_total", resource="jobs"), 1)

    def test_malformed_line_is_a_decode_error_and_stream_restarts(self):
        _, after, _ = self.converge_through(fake.Fault("malformed", resource="jobs",
                                                       after_events=1))
        self.assertEqual(metric(after, "batchwatch_decode_errors_total", resource="jobs"), 1)

    def test_oversized_line_is_a_decode_error(self):
        _, after, _ = self.converge_through(fake.Fault("oversized", resource="jobs",
                                                       size=200 * 1024))
        self.assertEqual(metric(after, "batchwatch_decode_errors_total", resource="jobs"), 1)

    def test_error_event_410_relists(self):
        _, after, _ = self.converge_through(fake.Fault("error410", resource="jobs"))
        self.assertGreaterEqual(metric(after, "batchwatch_watch_restarts_total",
                                       resource="jobs", reason="gone"), 1)

    def test_watch_answers_500_then_recovers(self):
        self.populate()
        probe = self.start_probe(*self.default_args())
        self.wait_converged(probe)
        self.cluster.inject(fake.Fault("status", resource="jobs", verb="watch", code=500, count=2))
        self.cluster.inject(fake.Fault("drop", resource="jobs", verb="watch"))
        self.cluster.create("jobs", fake.make_job("ops", "after-500"))
        after = self.wait_converged(probe)
        self.assertEqual(metric(after, "batchwatch_api_requests_total", resource="jobs",
                                verb="watch", code="500"), 2)

    def test_429_with_retry_after_is_honoured(self):
        self.populate()
        self.cluster.inject(fake.Fault("status", resource="cronjobs", verb="list", code=429,
                                       retry_after=1))
        probe = self.start_probe(*self.default_args())
        after = self.wait_converged(probe)
        self.assertEqual(metric(after, "batchwatch_api_requests_total", resource="cronjobs",
                                verb="list", code="429"), 1)
        lists = [r for r in self.cluster.requests
                 if r["resource"] == "cronjobs" and r["verb"] == "list"]
        self.assertGreaterEqual(len(lists), 2)
        # Retry-After: 1 means the retry came no sooner than about a second later (the
        # fake's request log, not a wall-clock assertion on the client).
        self.assertGreaterEqual(lists[1]["time"] - lists[0]["time"], 0.9)

    def test_compaction_while_disconnected_relists_and_emits_deletions(self):
        self.populate()
        probe = self.start_probe(*self.default_args())
        self.wait_converged(probe)
        # Hold the jobs watch down (500s) while objects vanish and history is compacted.
        self.cluster.inject(fake.Fault("status", resource="jobs", verb="watch", code=500,
                                       count=3))
        self.cluster.inject(fake.Fault("drop", resource="jobs", verb="watch"))
        for o in self.cluster.list("jobs")[:3]:
            self.cluster.delete("jobs", o["metadata"]["namespace"], o["metadata"]["name"])
        self.cluster.compact()
        after = self.wait_converged(probe)
        self.assertEqual(after["counts"]["job_deletes"], 3)
        self.assertGreaterEqual(metric(after, "batchwatch_watch_restarts_total",
                                       resource="jobs", reason="gone"), 1)

    def test_expired_continue_token_restarts_the_list(self):
        self.populate(n_jobs=10)
        self.cluster.inject(fake.Fault("expire_continue", resource="jobs"))
        probe = self.start_probe(*self.default_args())
        self.wait_converged(probe)
        conts = [r for r in self.cluster.requests if r["verb"] == "list"
                 and r["resource"] == "jobs" and "continue" not in r["query"]]
        self.assertGreaterEqual(len(conts), 2)  # the list started over

    def test_list_dropped_mid_body_is_retried(self):
        self.populate()
        self.cluster.inject(fake.Fault("drop", resource="jobs", verb="list"))
        probe = self.start_probe(*self.default_args())
        self.wait_converged(probe)

    def test_slow_list_still_syncs(self):
        self.populate()
        self.cluster.inject(fake.Fault("slow", resource="jobs", verb="list", delay=1.5))
        probe = self.start_probe(*self.default_args())
        self.assertIn("jobs", probe.dump()["unsynced"])
        self.wait_converged(probe)

    def test_deleted_event_carries_the_final_object(self):
        self.populate()
        probe = self.start_probe(*self.default_args())
        self.wait_converged(probe)
        j = self.cluster.list("jobs")[0]
        j["status"] = fake.make_job("x", "x", succeeded=1680000500)["status"]
        self.cluster.update("jobs", j)
        self.cluster.delete("jobs", j["metadata"]["namespace"], j["metadata"]["name"])
        after = self.wait_converged(probe)
        self.assertEqual(after["counts"]["job_deletes"], 1)

    def test_stop_is_prompt_during_a_watch(self):
        self.populate()
        probe = self.start_probe(*self.default_args())
        self.wait_converged(probe)
        out = probe.quit()
        self.assertIn("stopped_ms", out)
        print(f"Stop() took {out['stopped_ms']:.1f} ms")


if __name__ == "__main__":
    unittest.main(verbosity=2)
