#!/usr/bin/env python3
"""Sharding adds up: 3 shards (--shard N --total-shards 3) and 1 unsharded instance watch the
same fake API server through rounds of churn, relists (compaction + 410, expired continue
tokens, dropped watches, an API server restart) and restarts of shard processes with their
state files. After every round, once everything is quiet, the shards' batchwatch_* series
(without the per-instance self metrics of exporter/metrics/self_metrics.h), added up, must
equal the unsharded instance's exactly, and no series may appear in two shards. (After the
first restart one family is left out: NOT_RESTORED below.)

The churn is this test's own seeded driver, not sim/simulator.py: the simulator deletes Jobs
soon after they end, and an instance that relists after such a delete counts the run as
deleted while one that saw the end counts it as succeeded, so the instances would disagree by
timing, not by sharding. Here a Job is deleted only in a round after every instance showed its
final state, CronJob schedules are never due during the test (slot decisions and lag gauges
depend on each instance's tick time), and nothing is deleted while a shard is down.

Quiet means: faults cleared, every instance synced, every instance's store holding exactly the
cluster's objects, and every Job's gauges (--job-gauges all) showing its current status, in the
unsharded instance and in exactly one shard. Then the comparison must hold twice in a row; a
wait that never gets there fails with the differences (no timed assertions).

The last rounds change Jobs' shard keys (group label edited, owner reference removed): a Job
stays in the shard of its first key, as one instance keeps its first owner. They come after the
last restart: a shard restarted after a key change decides from the new key (docs/scaling.md).

BATCHWATCH_SHARD_SEED overrides the seed. Every process binds 127.0.0.1 on a free port and is
stopped by its PID, also on failure."""
import os
import random
import re
import signal
import sys
import time
import unittest
import urllib.error
import urllib.request

SRC = os.environ.get("BATCHWATCH_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("BATCHWATCH_BIN", os.path.join(SRC, "build", "exporter", "app", "batchwatch"))
sys.path.insert(0, os.path.join(SRC, "sim"))
from fake_apiserver import Fault, FakeCluster, make_cronjob, make_job, serve  # noqa: E402
from soak import parse_metrics  # noqa: E402
import stack  # noqa: E402

SHARDS = 3
NAMESPACES = ("default", "etl", "ops")
GROUP_LABEL = "app.kubernetes.io/name"
# Never due while the test runs: slot decisions would depend on each instance's tick.
SCHEDULES = ("0 0 1 1 *", "@yearly", "0 12 1 7 *", "30 4 29 2 *", "not a schedule")
# No Replace: whether a deleted run counts as replaced depends on when an instance saw the
# delete and the next run (a relist shows both at once), which differs between instances.
POLICIES = ("Allow", "Forbid")
ROUNDS = 12
RESTART_ROUNDS = {3: 1, 5: 0, 7: 2}  # round -> shard stopped before its churn, started after
KEY_CHANGE_ROUNDS = {9, 10, 11}      # after the last restart (see the module docstring)
QUIET_TIMEOUT = 180
# Not kept in the state file (tracker/state_file.cc keeps neither the failures since the last
# success nor that success's run order), so a restarted shard's value differs from the single
# instance's: a tracker defect, not a sharding one. Compared until the first restart.
NOT_RESTORED = {"batchwatch_cronjob_consecutive_failures"}


def self_metric_names():
    """The per-instance self metrics: every name in exporter/metrics/self_metrics.h."""
    with open(os.path.join(SRC, "exporter", "metrics", "self_metrics.h")) as f:
        names = set(re.findall(r'"(batchwatch_[a-z0-9_]+)"', f.read()))
    assert "batchwatch_shard_ordinal" in names and "batchwatch_tracked_objects" in names, names
    return names


class Instance:
    def __init__(self, name, workdir, shard=None):
        self.name, self.shard = name, shard
        self.state_file = os.path.join(workdir, name + ".state")
        self.proc = None
        self.url = None
        self.log = None
        self.starts = 0

    def args(self):
        a = ["--job-group-label", GROUP_LABEL, "--job-gauges", "all",
             "--state-file", self.state_file]
        if self.shard is not None:
            a += ["--shard", str(self.shard), "--total-shards", str(SHARDS)]
        return a


class ShardsAddUpTest(unittest.TestCase):
    def setUp(self):
        self.seed = int(os.environ.get("BATCHWATCH_SHARD_SEED", random.randrange(1 << 30)))
        self.rng = random.Random(self.seed)
        print("seed %d (BATCHWATCH_SHARD_SEED)" % self.seed, flush=True)
        self.group = stack.ProcessGroup()
        self.cluster = FakeCluster(bookmark_interval=1.0, max_watch_seconds=15)
        self.server = serve(self.cluster, 0)
        self.port = self.server.port
        self.self_metrics = self_metric_names()
        self.instances = [Instance("single", self.group.workdir)] + [
            Instance("shard%d" % s, self.group.workdir, s) for s in range(SHARDS)]
        self.jobs = {}      # (ns, name) -> {"kw": make_job kwargs, "status": kwargs, "labels"}
        self.serial = 0
        self.stats = {"created": 0, "finished": 0, "deleted": 0, "relabelled": 0,
                      "orphaned": 0, "faults": 0, "restarts": 0, "compared": 0}

    def tearDown(self):
        self.group.stop()  # every batchwatch by PID
        if self.server is not None:
            self.server.stop()

    # ---- processes -------------------------------------------------------------------------
    def start(self, inst):
        inst.starts += 1
        inst.log = "%s-%d" % (inst.name, inst.starts)  # one log per start
        inst.url = stack.start_batchwatch(self.group, BIN, "http://127.0.0.1:%d" % self.port,
                                          inst.args(), name=inst.log)
        inst.proc = self.group.procs[-1][1]

    def stop(self, inst):
        inst.proc.send_signal(signal.SIGTERM)
        self.assertEqual(inst.proc.wait(30), 0, "%s did not exit 0 on TERM" % inst.name)
        inst.proc, inst.url = None, None

    def restart_apiserver(self):
        self.server.stop()
        time.sleep(0.5)
        for attempt in range(50):
            try:
                self.cluster.closed = False
                self.server = serve(self.cluster, self.port)
                return
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.1)

    # ---- churn -----------------------------------------------------------------------------
    def put_job(self, key, create=False):
        j = self.jobs[key]
        obj = make_job(key[0], key[1], labels=j["labels"], **j["kw"], **j["status"])
        if j["orphaned"]:
            obj["metadata"].pop("ownerReferences", None)
        (self.cluster.create if create else self.cluster.update)("jobs", obj)

    def finished_status(self, now):
        if self.rng.random() < 0.7:
            return {"succeeded": now}
        return {"failed": now, "reason": self.rng.choice(("BackoffLimitExceeded",
                                                          "DeadlineExceeded"))}

    def create_job(self, owners):
        self.serial += 1
        now = int(time.time())
        ns = self.rng.choice(NAMESPACES)
        kw = {"created": now, "start": now}
        labels = {}
        mine = [(n, uid) for (o_ns, n), uid in owners.items() if o_ns == ns]
        if mine and self.rng.random() < 0.6:
            cronjob, uid = self.rng.choice(mine)
            kw.update(cronjob=cronjob, cronjob_uid=uid, manual=self.rng.random() < 0.2)
            name = "%s-r%d" % (cronjob, self.serial)
        else:
            group = self.rng.choice(("loader", "indexer", "migrate", "compact", "export"))
            if self.rng.random() < 0.7:
                labels[GROUP_LABEL] = group
            name = "%s-r%d" % (group, self.serial)
        status = self.finished_status(now) if self.rng.random() < 0.15 else {"active": 1}
        key = (ns, name)
        self.jobs[key] = {"kw": kw, "status": status, "labels": labels, "orphaned": False}
        self.put_job(key, create=True)
        self.stats["created"] += 1
        return key

    def unfinished(self, exclude):
        return [k for k, j in self.jobs.items() if "active" in j["status"] and k not in exclude]

    def churn(self, round_no, allow_deletes):
        owners = {(c["metadata"]["namespace"], c["metadata"]["name"]): c["metadata"]["uid"]
                  for c in self.cluster.list("cronjobs")}
        touched = set()  # Jobs changed this round: not deleted in it
        for _ in range(self.rng.randint(20, 40)):
            op = self.rng.random()
            if op < 0.30 or not self.jobs:
                touched.add(self.create_job(owners))
            elif op < 0.50:
                keys = self.unfinished(set())
                if keys:
                    key = self.rng.choice(keys)
                    self.jobs[key]["status"] = self.finished_status(int(time.time()))
                    self.put_job(key)
                    touched.add(key)
                    self.stats["finished"] += 1
            elif op < 0.60:
                keys = self.unfinished(set())
                if keys:
                    key = self.rng.choice(keys)
                    self.jobs[key]["status"] = {"active": self.rng.randint(0, 3)}
                    self.put_job(key)
                    touched.add(key)
            elif op < 0.80:
                keys = sorted(set(self.jobs) - touched)
                if allow_deletes and keys:
                    key = self.rng.choice(keys)
                    del self.jobs[key]
                    self.cluster.delete("jobs", *key)
                    self.stats["deleted"] += 1
            else:
                self.churn_cronjob(owners, allow_deletes)
            if self.rng.random() < 0.08:
                self.fault()
            time.sleep(self.rng.uniform(0.0, 0.03))
        if round_no in KEY_CHANGE_ROUNDS:
            self.change_keys(touched)

    def churn_cronjob(self, owners, allow_deletes):
        churned = [o for o in self.cluster.list("cronjobs")
                   if o["metadata"]["name"].startswith("churn-")]
        op = self.rng.random()
        if not churned or op < 0.4:
            self.serial += 1
            obj = self.cluster.create("cronjobs", make_cronjob(
                self.rng.choice(NAMESPACES), "churn-%d" % self.serial,
                self.rng.choice(SCHEDULES),
                concurrency_policy=self.rng.choice(POLICIES),
                time_zone=self.rng.choice((None, "Europe/Berlin")),
                created=int(time.time()) - 3600))
            owners[(obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj["metadata"]["uid"]
        elif op < 0.75 or not allow_deletes:
            obj = self.rng.choice(churned)
            obj["spec"]["suspend"] = not obj["spec"]["suspend"]
            self.cluster.update("cronjobs", obj)
        else:
            md = self.rng.choice(churned)["metadata"]
            self.cluster.delete("cronjobs", md["namespace"], md["name"])
            owners.pop((md["namespace"], md["name"]), None)

    def change_keys(self, touched):
        """Edits group labels of standalone Jobs and removes the owner reference of CronJob
        Jobs (what `kubectl delete cronjob --cascade=orphan` does), so that many keys move
        to another shard."""
        keys = sorted(set(self.jobs) - touched)
        self.rng.shuffle(keys)
        for key in keys[:12]:
            j = self.jobs[key]
            if "cronjob" in j["kw"] and not j["orphaned"]:
                j["orphaned"] = True
                self.stats["orphaned"] += 1
            else:
                j["labels"] = {GROUP_LABEL: "moved-%d" % self.rng.randrange(1000)}
                self.stats["relabelled"] += 1
            self.put_job(key)

    def fault(self):
        self.stats["faults"] += 1
        res = self.rng.choice(("jobs", "cronjobs", ""))
        kind = self.rng.randrange(5)
        if kind == 0:  # relist: history compacted, watches told 410
            self.cluster.compact()
            for _ in range(self.rng.randint(1, 4)):
                self.cluster.inject(Fault("error410", resource=res))
        elif kind == 1:
            self.cluster.compact()
            self.cluster.inject(Fault("error410", resource=res))
            self.cluster.inject(Fault("expire_continue", resource=res))
        elif kind == 2:
            self.cluster.inject(Fault("drop", resource=res, verb="watch",
                                      after_events=self.rng.randint(0, 3)))
        elif kind == 3:
            self.cluster.inject(Fault("status", resource=res, code=self.rng.choice((429, 500)),
                                      count=self.rng.randint(1, 4)))
        else:
            self.restart_apiserver()

    # ---- comparison ------------------------------------------------------------------------
    def cluster_jobs(self):
        """(namespace, job_name) -> (active, succeeded, failed) as the per-Job gauges show."""
        out = {}
        for o in self.cluster.list("jobs"):
            st = o.get("status", {})
            out[(o["metadata"]["namespace"], o["metadata"]["name"])] = (
                float(st.get("active", 0)), float(st.get("succeeded", 0)),
                float(st.get("failed", 0)))
        return out

    @staticmethod
    def job_view(series):
        view = {}
        for (name, labels), value in series.items():
            field = {"batchwatch_job_active_pods": 0, "batchwatch_job_succeeded_pods": 1,
                     "batchwatch_job_failed_pods": 2}.get(name)
            if field is None:
                continue
            d = dict(labels)
            view.setdefault((d["namespace"], d["job_name"]), [0.0, 0.0, 0.0])[field] = value
        return {k: tuple(v) for k, v in view.items()}

    def problems(self):
        """[] when every instance is quiet and the shards add up to the single instance."""
        want_jobs = self.cluster_jobs()
        counts = {"jobs": len(want_jobs), "cronjobs": len(self.cluster.list("cronjobs"))}
        scraped = {}
        for inst in self.instances:
            try:
                with urllib.request.urlopen(inst.url + "/metrics", timeout=10) as r:
                    scraped[inst.name] = parse_metrics(r.read().decode())
            except (urllib.error.URLError, OSError) as e:
                return ["%s: scrape failed: %s" % (inst.name, e)]
        problems = []
        for name, series in scraped.items():
            for res, n in counts.items():
                if series.get(("batchwatch_synced", (("resource", res),))) != 1:
                    problems.append("%s: %s not synced" % (name, res))
                got = series.get(("batchwatch_tracked_objects", (("resource", res),)))
                if got != n:
                    problems.append("%s: stores %s %s, cluster %d" % (name, got, res, n))
        skip = self.self_metrics | (NOT_RESTORED if self.stats["restarts"] else set())
        tracker = {name: {k: v for k, v in s.items()
                          if k[0].startswith("batchwatch_") and k[0] not in skip}
                   for name, s in scraped.items()}
        single = tracker["single"]
        if self.job_view(single) != want_jobs:
            problems.append("single: Job gauges differ from the cluster's Jobs")
        summed, owner = {}, {}
        for inst in self.instances[1:]:
            for key, value in tracker[inst.name].items():
                if key in owner:
                    problems.append("series in %s and %s: %s%s" % (owner[key], inst.name, key[0],
                                                                    dict(key[1])))
                owner[key] = inst.name
                summed[key] = summed.get(key, 0.0) + value
        if self.job_view(summed) != want_jobs:
            problems.append("shards: Job gauges differ from the cluster's Jobs")
        for key in sorted(set(single) | set(summed)):
            if single.get(key) != summed.get(key):
                problems.append("%s%s: single %s, shards %s (%s)" % (
                    key[0], dict(key[1]), single.get(key), summed.get(key), owner.get(key)))
        self.last = {"single": single, "owner": owner, "scraped": scraped}
        return problems

    def wait_quiet_and_compare(self, label):
        self.cluster.clear_faults()
        deadline = time.time() + QUIET_TIMEOUT
        problems, agreed = ["not compared"], 0
        while time.time() < deadline:
            for inst in self.instances:
                if inst.proc.poll() is not None:
                    self.fail("%s exited with %s:\n%s" % (inst.name, inst.proc.returncode,
                                                          self.group.log(inst.log)[-4000:]))
            problems = self.problems()
            agreed = agreed + 1 if not problems else 0
            if agreed == 2:
                self.stats["compared"] += 1
                return
            time.sleep(0.5)
        logs = "\n".join("--- %s\n%s" % (n, self.group.log(n)[-1500:])
                         for n, _, _ in self.group.procs)
        self.fail("%s: the shards do not add up to the single instance within %ds (seed %d):"
                  "\n  %s\n%s" % (label, QUIET_TIMEOUT, self.seed, "\n  ".join(problems[:30]),
                                  logs))

    # ---- the test --------------------------------------------------------------------------
    def test_three_shards_add_up_to_one_instance(self):
        now = int(time.time())
        for i, ns in enumerate(NAMESPACES):
            for j, name in enumerate(("backup", "report", "sync", "cleanup")):
                self.cluster.create("cronjobs", make_cronjob(
                    ns, name, SCHEDULES[(i + j) % len(SCHEDULES)], created=now - 7200,
                    concurrency_policy=POLICIES[j % 2]))
        owners = {(c["metadata"]["namespace"], c["metadata"]["name"]): c["metadata"]["uid"]
                  for c in self.cluster.list("cronjobs")}
        for _ in range(30):  # state before the instances start: gauges, not runs
            self.create_job(owners)
        for inst in self.instances:
            self.start(inst)
        self.wait_quiet_and_compare("initial list")
        for round_no in range(ROUNDS):
            down = RESTART_ROUNDS.get(round_no)
            if down is not None:
                self.stop(self.instances[1 + down])
            self.churn(round_no, allow_deletes=down is None)
            if down is not None:
                # The startup probe gives up on its first error (a 429 included): start clean.
                self.cluster.clear_faults()
                self.start(self.instances[1 + down])
                self.stats["restarts"] += 1
            self.wait_quiet_and_compare("round %d" % round_no)
            print("round %d: %s" % (round_no, self.stats), flush=True)

        # The comparison saw something: runs of every kind, every shard with CronJobs, relists.
        single, owner = self.last["single"], self.last["owner"]
        runs = {dict(k[1]).get("result"): v for k, v in single.items()
                if k[0] in ("batchwatch_cronjob_runs_total", "batchwatch_job_runs_total")}
        for result in ("succeeded", "failed", "deleted"):
            self.assertTrue(any(v > 0 for r, v in runs.items() if r == result), result)
        for inst in self.instances[1:]:
            self.assertTrue(any(o == inst.name and k[0] == "batchwatch_cronjob_info"
                                for k, o in owner.items()), inst.name + " has no CronJob")
        relists = sum(v for inst in self.instances
                      for k, v in self.last["scraped"][inst.name].items()
                      if k[0] == "batchwatch_watch_restarts_total")
        self.assertGreater(relists, 0)
        self.assertGreater(self.stats["relabelled"] + self.stats["orphaned"], 0)
        print("summary: %s, %d series compared, %g watch restarts" % (
            self.stats, len(single), relists), flush=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
