#!/usr/bin/env python3
"""Random sequences of mutations mixed with random faults: after the faults stop, the probe's
store equals the server's objects exactly (nothing lost, nothing duplicated, deletions seen),
and the EventSink contract held throughout (no duplicate adds, no unknown deletes)."""

import os
import random
import time
import unittest

from harness import KubeTestCase, fake

NAMESPACES = ("default", "ops", "data")
FAULTS = [
    lambda r: fake.Fault("drop", resource=r, verb="watch", after_events=random.randint(0, 3)),
    lambda r: fake.Fault("truncated", resource=r),
    lambda r: fake.Fault("malformed", resource=r, after_events=random.randint(0, 2)),
    lambda r: fake.Fault("oversized", resource=r, size=100 * 1024),
    lambda r: fake.Fault("error410", resource=r),
    lambda r: fake.Fault("status", resource=r, code=random.choice([500, 503, 429]),
                         retry_after=random.choice([None, 0])),
    lambda r: fake.Fault("drop", resource=r, verb="list"),
    lambda r: fake.Fault("expire_continue", resource=r),
    lambda r: fake.Fault("slow", resource=r, delay=0.2),
    None,  # compaction
]


class ConvergenceTest(KubeTestCase):
    def mutate(self, rng, serial):
        res = rng.choice(["jobs", "jobs", "jobs", "cronjobs"])
        existing = self.cluster.list(res)
        op = rng.random()
        if not existing or op < 0.4:
            ns = rng.choice(NAMESPACES)
            name = f"obj-{self.seed}-{serial}"
            obj = (fake.make_job(ns, name, slot=1680000000 + serial * 60) if res == "jobs"
                   else fake.make_cronjob(ns, name, schedule=f"{serial % 60} * * * *"))
            self.cluster.create(res, obj)
        elif op < 0.75:
            obj = rng.choice(existing)
            if res == "jobs":
                obj["status"]["active"] = rng.randint(0, 3)
            else:
                obj["spec"]["suspend"] = not obj["spec"]["suspend"]
            self.cluster.update(res, obj)
        else:
            md = rng.choice(existing)["metadata"]
            self.cluster.delete(res, md["namespace"], md["name"])
            self.deleted += 1

    def run_sequence(self, seed, steps, probe_args=(), namespaces=(), exclude=()):
        self.seed = seed
        rng = random.Random(seed)
        random.seed(seed)
        self.deleted = 0
        for i in range(12):
            self.mutate(rng, i)
        probe = self.start_probe(*self.default_args(), *probe_args)
        self.wait_converged(probe, namespaces, exclude)
        for step in range(steps):
            if rng.random() < 0.3:
                make = rng.choice(FAULTS)
                if make is None:
                    self.cluster.compact()
                else:
                    self.cluster.inject(make(rng.choice(["jobs", "cronjobs"])))
            for _ in range(rng.randint(1, 4)):
                self.mutate(rng, 100 + step * 10 + _)
            if rng.random() < 0.2:
                time.sleep(rng.random() * 0.3)  # let watches, restarts and relists interleave
        self.cluster.clear_faults()
        dump = self.wait_converged(probe, namespaces, exclude)
        # Objects created and deleted while the probe was disconnected are never seen; every
        # other deletion reached the sink (the store converged and the mirror, which only
        # drops objects on OnJobDelete/OnCronJobDelete, reported no violation).
        seen_deletes = dump["counts"].get("job_deletes", 0) + dump["counts"].get(
            "cronjob_deletes", 0)
        self.assertGreater(seen_deletes, 0)
        return dump

    def test_random_sequences_all_namespaces(self):
        seeds = int(os.environ.get("BW_KUBE_SEEDS", "4"))
        for seed in range(seeds):
            with self.subTest(seed=seed):
                self.run_sequence(seed, steps=40)
                self._close_probes()
                self.probes = []
                self.cluster.clear_faults()

    def test_random_sequence_per_namespace_watches(self):
        self.run_sequence(100, steps=40, probe_args=("--namespaces", "ops,data,default",
                                                     "--exclude-namespaces", "default"),
                          namespaces=("ops", "data"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
