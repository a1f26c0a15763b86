#!/usr/bin/env python3
"""batchwatch against a real Kubernetes 1.20.2 control plane (etcd, kube-apiserver,
kube-controller-manager built from Debian's kubernetes source by scripts/k8s-build.sh).

Three scenarios share one control plane and run at the same time (the controller scenario
waits on minute boundaries, the others fill that time):
  rbac         deploy/'s ServiceAccount, ClusterRole and ClusterRoleBinding, that
               ServiceAccount's real token: batchwatch syncs and counts; each permission
               removed in turn is named and handled as documented; every permission granted is
               used (the apiserver's audit log says which requests batchwatch made).
  watch        churn, etcd compaction, an apiserver restart and a paginated list of 5,000 Jobs
               with writes and a compaction between its pages: batchwatch's objects, per-Job
               gauges and counters equal what the API holds.
  controllers  the real Job and CronJob controllers run a healthy, a failing, an overrunning
               Forbid and a Replace CronJob; batchwatch's counters equal what the controllers
               did, read back from their Jobs and events.
Usage: test_realk8s.py [--only rbac,watch,controllers] [--keep] (see docs/testing.md)."""

import argparse
import base64
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import realk8s as rk  # noqa: E402
from realk8s import ApiError, log  # noqa: E402

CONTROLLER_NS = "cron"
RBAC_DATA_NS = "rbac-data"
CHURN_NS = "churn"
PAGES_NS = "pages"
PAGES_JOBS = 5000
GROUP_LABEL = "app.kubernetes.io/name"
JOBS = "/apis/batch/v1/namespaces/{}/jobs"
CRONJOBS_V1BETA1 = "/apis/batch/v1beta1/namespaces/{}/cronjobs"
# A hang guard for convergence, not a timing assertion.
CONVERGE_LIMIT = 90
# The watch scenario restarts the apiserver only once the rbac scenario is done: that one
# judges batchwatch's startup and its every request, which an outage would disturb.
RBAC_DONE = threading.Event()


class Scenario:
    name = ""

    def __init__(self, cp, workdir):
        self.cp = cp
        self.api = cp.admin
        self.dir = os.path.join(workdir, self.name)
        os.makedirs(self.dir)
        self.cleanups = []
        self.admin_token_file = os.path.join(self.dir, "admin-token")
        with open(self.admin_token_file, "w") as f:
            f.write(cp.admin_token + "\n")

    def defer(self, fn):
        self.cleanups.append(fn)

    def close(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # cleanup must go on
                log(f"{self.name}: cleanup: {e}")

    def proxy(self):
        p = rk.V1CronJobProxy(self.cp.port, os.path.join(self.cp.pki, "server.crt"),
                              os.path.join(self.cp.pki, "server.key"), self.cp.ca_file)
        self.defer(p.stop)
        return p

    def batchwatch(self, name, proxy, token_file, *extra):
        bw = rk.Batchwatch(name, ["--apiserver", proxy.url, "--token-file", token_file,
                                  "--ca-file", self.cp.ca_file, *extra], self.dir)
        self.defer(bw.stop)
        return bw

    def ensure_namespace(self, ns):
        try:
            self.api.create("/api/v1/namespaces", rk.namespace(ns))
        except ApiError as e:
            if e.status != 409:
                raise
        # Pods need the namespace's default ServiceAccount (ServiceAccount admission).
        self.api.wait_for(f"ServiceAccount default in {ns}", lambda: self.api.get(
            f"/api/v1/namespaces/{ns}/serviceaccounts/default"))


def job_finished(j):
    for c in j.get("status", {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c
    return None


def controller_cronjob(j):
    for ref in j["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == "CronJob":
            return ref["name"]
    return ""


def job_gauge_view(metrics, namespaces):
    """{(ns, job): {family: value}} of batchwatch's per-Job gauges in `namespaces`."""
    view = {}
    for name, labels, value in metrics.samples:
        if not name.startswith("batchwatch_job_") or "job_name" not in labels:
            continue
        if labels.get("namespace") not in namespaces:
            continue
        view.setdefault((labels["namespace"], labels["job_name"]), {})[name] = value
    return view


# The per-Job gauges and where the API holds their values; a family batchwatch exports that is
# not listed here is still checked to cover only unfinished Jobs.
JOB_GAUGES = {
    "batchwatch_job_start_time_seconds": lambda j: rk.parse_time(j["status"].get("startTime")),
    "batchwatch_job_active_pods": lambda j: float(j["status"].get("active", 0)),
    "batchwatch_job_failed_pods": lambda j: float(j["status"].get("failed", 0)),
    "batchwatch_job_deadline_seconds": lambda j: j["spec"].get("activeDeadlineSeconds"),
    "batchwatch_job_completions": lambda j: j["spec"].get("completions"),
    "batchwatch_job_succeeded_pods": lambda j: float(j["status"].get("succeeded", 0)),
    "batchwatch_job_ready_pods": lambda j: j["status"].get("ready"),
    "batchwatch_job_backoff_limit": lambda j: j["spec"].get("backoffLimit"),
}


def compare_job_gauges(metrics, jobs, namespaces):
    """Differences between batchwatch's per-Job gauges and the unfinished Jobs of the API."""
    have = job_gauge_view(metrics, namespaces)
    exported = {f for v in have.values() for f in v}
    want = {}
    for j in jobs:
        if job_finished(j):
            continue
        key = (j["metadata"]["namespace"], j["metadata"]["name"])
        want[key] = {}
        for family, get in JOB_GAUGES.items():
            v = get(j)
            if family in exported and v is not None:
                want[key][family] = float(v)
    diffs = []
    for key in sorted(set(have) | set(want)):
        if key not in want:
            diffs.append(f"{key}: batchwatch has per-Job gauges, the API has no unfinished Job")
        elif key not in have:
            diffs.append(f"{key}: unfinished in the API, no per-Job gauges in batchwatch")
        else:
            known = {f: v for f, v in have[key].items() if f in JOB_GAUGES}
            if known != want[key]:
                diffs.append(f"{key}: batchwatch {known} != API {want[key]}")
    return diffs


# ---------------------------------------------------------------------------------------------


class RbacScenario(Scenario):
    """deploy/'s RBAC objects on a real apiserver with a real ServiceAccount token."""

    name = "rbac"

    def run(self):
        try:
            import yaml  # python3-yaml (installed by scripts/k8s-build.sh)
        except ImportError:
            raise AssertionError(f"PyYAML is not available to {sys.executable}: install "
                                 "python3-yaml (scripts/k8s-build.sh does for Debian's python3)")

        deploy = os.path.join(rk.SRC, "deploy")
        with open(os.path.join(deploy, "kustomization.yaml")) as f:
            sa_ns = yaml.safe_load(f)["namespace"]
        docs = {}
        for fname in ("namespace.yaml", "serviceaccount.yaml", "clusterrole.yaml",
                      "clusterrolebinding.yaml"):
            with open(os.path.join(deploy, fname)) as f:
                for d in yaml.safe_load_all(f):
                    if d:
                        docs[d["kind"]] = d
        sa, role, binding = docs["ServiceAccount"], docs["ClusterRole"], docs["ClusterRoleBinding"]
        sa["metadata"]["namespace"] = sa_ns  # what kustomize does
        self.api.create("/api/v1/namespaces", docs["Namespace"])
        self.api.create(f"/api/v1/namespaces/{sa_ns}/serviceaccounts", sa)
        self.api.create("/apis/rbac.authorization.k8s.io/v1/clusterroles", role)
        self.api.create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding)
        sa_name = sa["metadata"]["name"]
        self.user = f"system:serviceaccount:{sa_ns}:{sa_name}"
        subject = binding["subjects"][0]
        if (subject["kind"], subject.get("namespace"), subject["name"]) != \
                ("ServiceAccount", sa_ns, sa_name):
            raise AssertionError(f"the ClusterRoleBinding binds {subject}, not {self.user}")

        # 1.20 mints ServiceAccount tokens as Secrets (the serviceaccount-token controller).
        def token():
            s = self.api.get(f"/api/v1/namespaces/{sa_ns}/serviceaccounts/{sa_name}")
            for ref in s.get("secrets") or []:
                sec = self.api.get(f"/api/v1/namespaces/{sa_ns}/secrets/{ref['name']}")
                if sec.get("type") == "kubernetes.io/service-account-token" and \
                        sec.get("data", {}).get("token"):
                    return base64.b64decode(sec["data"]["token"]).decode()
            return None
        self.token_file = os.path.join(self.dir, "sa-token")
        with open(self.token_file, "w") as f:
            f.write(self.api.wait_for("the ServiceAccount's token Secret", token))

        # Something to count.
        self.ensure_namespace(RBAC_DATA_NS)
        for i in range(3):
            self.api.create(JOBS.format(RBAC_DATA_NS), rk.job(RBAC_DATA_NS, f"standalone-{i}",
                                                              parallelism=0))
        for i in range(2):
            self.api.create(CRONJOBS_V1BETA1.format(RBAC_DATA_NS), rk.cronjob_v1beta1(
                RBAC_DATA_NS, f"nightly-{i}", "0 3 * * *", suspend=True))

        self.rules = role["rules"]
        granted = sorted({(g, r, v) for rule in self.rules for g in rule.get("apiGroups", [])
                          for r in rule.get("resources", []) for v in rule.get("verbs", [])})
        if any("*" in p for p in granted) or any(rule.get("nonResourceURLs")
                                                 for rule in self.rules):
            raise AssertionError(f"the ClusterRole grants wildcards or URLs: {self.rules}")

        problems = []
        started = time.time()
        self.full_permissions_run(problems)
        self.bad_token_run(problems)
        for perm in granted:
            self.without(perm, granted, problems)
        # Least privilege: every granted permission was used by batchwatch's own requests.
        used = self.used_permissions(since=started)
        unused = [p for p in granted if p not in used]
        for g, r, v in unused:
            problems.append(f"least privilege: the ClusterRole grants \"{v}\" on "
                            f"\"{r}\" (group \"{g}\") but batchwatch never made such a request "
                            f"(it used {sorted(used)})")
        if problems:
            raise AssertionError("\n".join(problems))

    def sar(self, group, resource, verb):
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                  "spec": {"user": self.user,
                           "groups": ["system:serviceaccounts",
                                      "system:serviceaccounts:" + self.user.split(":")[2],
                                      "system:authenticated"],
                           "resourceAttributes": {"group": group, "resource": resource,
                                                  "verb": verb}}}
        out = self.api.create("/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
        return out["status"].get("allowed", False)

    def set_role(self, rules, granted, removed=None):
        role = self.api.get("/apis/rbac.authorization.k8s.io/v1/clusterroles/batchwatch")
        role["rules"] = rules
        self.api.request("PUT", "/apis/rbac.authorization.k8s.io/v1/clusterroles/batchwatch", role)
        # RBAC changes reach the authorizer through an informer: wait until they apply.
        self.api.wait_for("the ClusterRole change to apply", lambda: all(
            self.sar(*p) == (p != removed) for p in granted), limit=30)

    def used_permissions(self, since):
        used = set()
        for e in self.cp.audit_entries():
            ref = e.get("objectRef") or {}
            code = (e.get("responseStatus") or {}).get("code", 0)
            if e.get("user", {}).get("username") != self.user or not 200 <= code < 300:
                continue
            if e.get("userAgent", "").split("/")[0] != "batchwatch":
                continue
            used.add((ref.get("apiGroup", ""), ref.get("resource", ""), e.get("verb")))
        return used

    def audit_watch_ok(self, resource, after):
        """True once the audit log has a watch of `resource` by batchwatch answered 200 after
        `after` (wall clock)."""
        for e in self.cp.audit_entries():
            if e.get("user", {}).get("username") != self.user or e.get("verb") != "watch":
                continue
            if (e.get("objectRef") or {}).get("resource") != resource:
                continue
            ts = e.get("stageTimestamp") or e.get("requestReceivedTimestamp") or ""
            if (e.get("responseStatus") or {}).get("code") == 200 and \
                    rk.parse_time(ts[:19] + "Z") >= int(after):
                return True
        return False

    def full_permissions_run(self, problems):
        bw = self.batchwatch("batchwatch-rbac-full", self.proxy(), self.token_file)
        bw.started = time.time() - 1
        bw.wait_ready()
        want_jobs = {f"standalone-{i}" for i in range(3)}
        want_cjs = {f"nightly-{i}" for i in range(2)}

        def counted():
            m = bw.metrics()
            jobs = {k[1] for k in job_gauge_view(m, {RBAC_DATA_NS})}
            cjs = {l["cronjob"] for l, _ in m.series("batchwatch_cronjob_info")
                   if l.get("namespace") == RBAC_DATA_NS}
            return (jobs, cjs) == (want_jobs, want_cjs) and m
        try:
            m = self.api.wait_for("batchwatch (deploy/ RBAC) to count the Jobs and CronJobs",
                                  counted, limit=CONVERGE_LIMIT)
        except AssertionError as e:
            problems.append(f"with deploy/'s RBAC: {e}:\n{bw.proc.tail()}")
            bw.stop()
            return
        for res in ("jobs", "cronjobs"):
            if m.value("batchwatch_synced", resource=res) != 1:
                problems.append(f"with deploy/'s RBAC: batchwatch_synced{{resource={res}}} != 1")
            if m.value("batchwatch_api_requests_total", resource=res, code="403"):
                problems.append(f"with deploy/'s RBAC: 403 answers for {res}")
        code = bw.stop()
        if code != 0:
            problems.append(f"with deploy/'s RBAC: exit code {code} on SIGTERM, expected 0")
        # 1.20 audits a watch when it ends: batchwatch's stop closed them.
        try:
            self.api.wait_for("the audit entries of batchwatch's watches", lambda: all(
                self.audit_watch_ok(r, bw.started) for r in ("jobs", "cronjobs")), limit=30)
        except AssertionError as e:
            problems.append(f"with deploy/'s RBAC: {e}")

    def bad_token_run(self, problems):
        """A token the apiserver does not know: its real 401 Status body, named at startup."""
        bad = os.path.join(self.dir, "bad-token")
        with open(bad, "w") as f:
            f.write("not-a-real-token\n")
        bw = self.batchwatch("batchwatch-rbac-bad-token", self.proxy(), bad)
        code = bw.wait_exit(60)
        text = bw.log_text()
        if code != 1 or "rejected the credentials (401 Unauthorized" not in text:
            problems.append(f"with an unknown token: exit code {code} (expected 1 and a 401 "
                            f"message):\n{text[-1500:]}")

    def without(self, perm, granted, problems):
        group, resource, verb = perm
        what = f"without \"{verb}\" on \"{resource}\""
        rules = []
        for rule in self.rules:
            for g in rule["apiGroups"]:
                for r in rule["resources"]:
                    verbs = [v for v in rule["verbs"] if (g, r, v) != perm]
                    if verbs:
                        rules.append({"apiGroups": [g], "resources": [r], "verbs": verbs})
        self.set_role(rules, granted, removed=perm)
        log(f"rbac: {what}")
        named = f'verb "{verb}" on resource "{resource}"'
        bw = self.batchwatch(f"batchwatch-rbac-no-{verb}-{resource}", self.proxy(),
                             self.token_file)
        try:
            if group == "batch" and resource in ("jobs", "cronjobs") and verb == "list":
                # Documented: the startup probe fails, batchwatch names the permission, exits 1.
                code = bw.wait_exit(60)
                text = bw.log_text().replace('\\"', '"')
                if code != 1:
                    problems.append(f"{what}: exit code {code}, expected 1")
                if named not in text or "forbidden (403)" not in text:
                    problems.append(f"{what}: the log does not name {named}:\n{text[-1500:]}")
            elif group == "" and resource in ("pods", "events"):
                # Documented (README, "Running against a real cluster"): without list or watch
                # on pods or events batchwatch stays ready on Jobs and CronJobs, exports
                # batchwatch_watch_degraded{resource} 1 and logs once which permission is
                # missing. (Its retry is 5 minutes apart: the restore is covered by
                # tests/kube with a short retry, not waited for here.)
                bw.wait_ready()
                self.api.wait_for(f"batchwatch_watch_degraded{{resource={resource}}} 1",
                                  lambda: bw.metrics().value("batchwatch_watch_degraded",
                                                             resource=resource) == 1, limit=30)
                m = bw.metrics()
                if m.value("batchwatch_synced", resource="jobs") != 1:
                    problems.append(f"{what}: batchwatch_synced{{resource=jobs}} != 1")
                other = "events" if resource == "pods" else "pods"
                if m.value("batchwatch_watch_degraded", resource=other) != 0:
                    problems.append(f"{what}: {other} degraded too")
                text = bw.log_text().replace('\\"', '"')
                missing = f'missing="cannot {verb} resource "{resource}" in API group ""'
                lines = [line for line in text.splitlines()
                         if f"running without {resource}" in line]
                if len(lines) != 1 or missing not in lines[0]:
                    problems.append(f"{what}: expected one warning naming {missing!r}, got "
                                    f"{len(lines)}:\n{text[-1500:]}")
                if not bw.proc.alive():
                    problems.append(f"{what}: batchwatch exited")
            elif verb == "watch":
                # Documented: batchwatch lists (and reports ready) but cannot follow changes; it
                # logs the forbidden watch, counts the 403 (BatchwatchKubeApiErrors) and keeps
                # retrying with backoff until RBAC allows it.
                bw.wait_ready()
                self.api.wait_for(f"a 403 watch of {resource} in the metrics", lambda: bw.metrics(
                ).value("batchwatch_api_requests_total", resource=resource, verb="watch",
                        code="403") >= 1, limit=30)
                text = bw.log_text().replace('\\"', '"')
                if named not in text:
                    problems.append(f"{what}: the log does not name {named}:\n{text[-1500:]}")
                self.set_role(self.rules, granted)
                # Once RBAC allows it the retried watch must deliver changes: an object created
                # now reaches batchwatch only through a watch (its one list is done). The
                # backoff after a few failures is under 10 s; 45 s is a hang guard.
                name = f"after-restore-{resource}"
                if resource == "jobs":
                    self.api.create(JOBS.format(RBAC_DATA_NS), rk.job(RBAC_DATA_NS, name,
                                                                      parallelism=0))
                    seen = lambda: (RBAC_DATA_NS, name) in job_gauge_view(  # noqa: E731
                        bw.metrics(), {RBAC_DATA_NS})
                else:
                    self.api.create(CRONJOBS_V1BETA1.format(RBAC_DATA_NS), rk.cronjob_v1beta1(
                        RBAC_DATA_NS, name, "0 3 * * *", suspend=True))
                    seen = lambda: bw.metrics().value(  # noqa: E731
                        "batchwatch_cronjob_info", namespace=RBAC_DATA_NS, cronjob=name)
                self.api.wait_for(f"batchwatch to see a new {resource[:-1]} once RBAC allows "
                                  "the watch", seen, limit=45)
                if not bw.proc.alive():
                    problems.append(f"{what}: batchwatch exited")
            else:
                # A permission batchwatch does not need: it must work as with all of them (and
                # the least-privilege check below reports the permission as unused).
                bw.wait_ready()
        except AssertionError as e:
            problems.append(f"{what}: {e}\n{bw.proc.tail()}")
        finally:
            bw.stop()
        self.set_role(self.rules, granted)


# ---------------------------------------------------------------------------------------------


class WatchScenario(Scenario):
    """The list/watch protocol against the real apiserver's resourceVersions, 410s and
    continue tokens."""

    name = "watch"
    excluded = (CONTROLLER_NS, RBAC_DATA_NS)

    def run(self):
        for ns in (CHURN_NS, PAGES_NS):
            self.ensure_namespace(ns)
        self.kubelet = rk.Kubelet(self.api, [CHURN_NS], self.plan)
        self.kubelet.start()
        self.defer(self.kubelet.stop)
        self.bw = self.batchwatch("batchwatch-watch", self.proxy(), self.admin_token_file,
                                  "--exclude-namespaces", ",".join(self.excluded))
        self.bw.wait_ready()
        self.deleted = {}  # job group -> Jobs the test deleted before they finished
        self.seq = 0

        self.churn(rounds=8)
        rev = self.cp.compact()
        log(f"watch: compacted etcd at revision {rev} while batchwatch watches")
        self.churn(rounds=4)
        self.restart_apiserver()
        self.churn(rounds=6)
        self.pages()
        problems = self.converge(self.bw, [CHURN_NS, PAGES_NS, "default"], counters=True)
        m = self.bw.metrics()
        for res in ("jobs", "cronjobs"):
            if m.value("batchwatch_watch_restarts_total", resource=res, reason="gone") < 1:
                problems.append(f"batchwatch_watch_restarts_total{{resource={res},reason=gone}}"
                                " is 0: the restarted apiserver's 410 was not seen")
        if problems:
            raise AssertionError("\n".join(problems))

    @staticmethod
    def plan(pod):
        job = pod["metadata"].get("labels", {}).get("job-name", "")
        if job.startswith("ok-"):
            return "Succeeded", time.time() + 1
        if job.startswith("fail-"):
            return "Failed", time.time() + 1
        return None, None

    def churn(self, rounds):
        """Jobs that succeed, fail, or are deleted unfinished; label changes; CronJobs
        created and deleted."""
        api = self.api
        for _ in range(rounds):
            i = self.seq
            self.seq += 1
            for kind in ("ok", "fail", "del"):
                api.create(JOBS.format(CHURN_NS), rk.job(
                    CHURN_NS, f"{kind}-{i}", labels={GROUP_LABEL: f"churn-{kind}"},
                    parallelism=0 if kind == "del" else 1, deadline=3600 if kind == "ok" else None),
                    retries=30)
            api.merge_patch(JOBS.format(CHURN_NS) + f"/del-{i}",
                            {"metadata": {"labels": {"round": str(i)}}}, retries=30)
            if i >= 2:
                api.delete(JOBS.format(CHURN_NS) + f"/del-{i - 2}", retries=30)
                self.deleted["churn-del"] = self.deleted.get("churn-del", 0) + 1
            api.create(CRONJOBS_V1BETA1.format(CHURN_NS), rk.cronjob_v1beta1(
                CHURN_NS, f"cj-{i}", "0 4 * * *", suspend=True), retries=30)
            api.merge_patch(CRONJOBS_V1BETA1.format(CHURN_NS) + f"/cj-{i}",
                            {"spec": {"schedule": "0 5 * * *"}}, retries=30)
            if i >= 3:
                api.delete(CRONJOBS_V1BETA1.format(CHURN_NS) + f"/cj-{i - 3}", retries=30)
            time.sleep(0.2)

    def restart_apiserver(self):
        def list_count():
            return self.bw.metrics().value("batchwatch_api_requests_total", resource="jobs",
                                           verb="list", code="200")
        lists_before = list_count()

        def while_down():
            # A write batchwatch cannot see (the apiserver ignores this key) and a compaction:
            # the restarted apiserver's watch cache starts after batchwatch's resourceVersion,
            # so its watch must be answered 410 and batchwatch must list again.
            self.cp.etcdctl("put", "/batchwatch-realk8s/bump", str(time.time()))
            self.cp.compact()
        if not RBAC_DONE.wait(timeout=300):
            raise AssertionError("the rbac scenario did not end within 5 minutes")
        rk.in_quiet_part_of_minute()
        t = time.monotonic()
        self.cp.restart_apiserver(while_down)
        log(f"watch: apiserver restarted (down and back up in {time.monotonic() - t:.1f} s)")
        # Churn resumes once batchwatch has listed again: a Job created and deleted while it
        # was backing off could never be seen by any client, so no counter could show it.
        self.api.wait_for("batchwatch to list again after the restart",
                          lambda: list_count() > lists_before, limit=CONVERGE_LIMIT)

    def pages(self):
        """5,000 Jobs, then a fresh batchwatch lists them in pages of 500 while Jobs are
        created, changed and deleted between its pages, and etcd is compacted under one of them
        (its continue token then answers 410 and the list must start over)."""
        started = time.monotonic()
        errors = []

        def create(lo, hi):
            try:
                for k in range(lo, hi):
                    self.api.create(JOBS.format(PAGES_NS), rk.job(
                        PAGES_NS, f"bulk-{k:05d}", labels={GROUP_LABEL: "bulk"}, parallelism=0),
                        retries=5)
            except Exception as e:
                errors.append(e)
        threads = [threading.Thread(target=create, args=(k * PAGES_JOBS // 4,
                                                         (k + 1) * PAGES_JOBS // 4))
                   for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        log(f"watch: created {PAGES_JOBS} Jobs in {time.monotonic() - started:.0f} s")

        proxy = self.proxy()
        state = {"pages": 0, "compacted": False, "writes": 0}

        def between_pages(path, query):
            if path != JOBS.format(PAGES_NS) or "continue" not in query or "watch" in query:
                return
            state["pages"] += 1
            n = state["pages"]
            self.api.create(JOBS.format(PAGES_NS), rk.job(
                PAGES_NS, f"between-{n}", labels={GROUP_LABEL: "bulk"}, parallelism=0))
            self.api.delete(JOBS.format(PAGES_NS) + f"/bulk-{n * 7:05d}")
            self.api.merge_patch(JOBS.format(PAGES_NS) + f"/bulk-{PAGES_JOBS - n:05d}",
                                 {"metadata": {"labels": {"touched": str(n)}}})
            self.deleted["bulk"] = self.deleted.get("bulk", 0) + 1
            state["writes"] += 3
            if n == 3 and not state["compacted"]:
                state["compacted"] = True
                self.cp.compact()
        proxy.before_request = between_pages
        bw = self.batchwatch("batchwatch-pages", proxy, self.admin_token_file,
                             "--namespaces", PAGES_NS)
        bw.wait_ready(limit=120)
        proxy.before_request = None
        m = bw.metrics()
        problems = []
        if m.value("batchwatch_api_requests_total", resource="jobs", verb="list", code="410") < 1:
            problems.append("the list of 5,000 Jobs was never answered 410 after the compaction")
        if "list continue token expired" not in bw.log_text():
            problems.append("batchwatch did not log the expired continue token")
        log(f"watch: batchwatch listed {PAGES_JOBS} Jobs in pages, {state['pages']} continue "
            f"requests, {state['writes']} writes between pages, one compaction")
        problems += self.converge(bw, [PAGES_NS], counters=False)
        if problems:
            raise AssertionError("pages: " + "\n".join(problems))

    def converge(self, bw, namespaces, counters):
        """Polls until batchwatch's view equals the API's; returns the differences left."""
        deadline = time.monotonic() + CONVERGE_LIMIT
        while True:
            diffs = self.differences(bw, namespaces, counters)
            if not diffs or time.monotonic() > deadline:
                return diffs
            time.sleep(1)

    def differences(self, bw, namespaces, counters):
        m = bw.metrics()
        jobs, cjs = [], []
        for ns in namespaces:
            jobs += self.api.list_all(JOBS.format(ns))[0]
            cjs += self.api.list_all(CRONJOBS_V1BETA1.format(ns))[0]
        diffs = []
        # What batchwatch holds for every namespace it watches; the test's namespaces hold all
        # Jobs and CronJobs outside the excluded ones.
        tracked_jobs = m.value("batchwatch_tracked_objects", resource="jobs")
        tracked_cjs = m.value("batchwatch_tracked_objects", resource="cronjobs")
        if tracked_jobs != len(jobs):
            diffs.append(f"batchwatch_tracked_objects{{resource=jobs}} {tracked_jobs:.0f}, "
                         f"the API holds {len(jobs)}")
        if tracked_cjs != len(cjs):
            diffs.append(f"batchwatch_tracked_objects{{resource=cronjobs}} {tracked_cjs:.0f}, "
                         f"the API holds {len(cjs)}")
        have_cj = {(l["namespace"], l["cronjob"], l.get("schedule"))
                   for l, _ in m.series("batchwatch_cronjob_info")}
        want_cj = {(c["metadata"]["namespace"], c["metadata"]["name"], c["spec"]["schedule"])
                   for c in cjs}
        if have_cj != want_cj:
            diffs.append(f"CronJobs: only in batchwatch {sorted(have_cj - want_cj)[:5]}, "
                         f"only in the API {sorted(want_cj - have_cj)[:5]}")
        diffs += compare_job_gauges(m, jobs, set(namespaces))[:10]
        if counters:
            # Runs that ended: every finished Job is still in the API (nothing deletes them);
            # deleted runs are the Jobs the test deleted unfinished.
            want = {}
            for j in jobs:
                c = job_finished(j)
                if c:
                    result = "succeeded" if c["type"] == "Complete" else "failed"
                    key = (j["metadata"]["namespace"], j["metadata"]["labels"][GROUP_LABEL],
                           result, c.get("reason", ""))
                    want[key] = want.get(key, 0) + 1
            for group, n in self.deleted.items():
                ns = PAGES_NS if group == "bulk" else CHURN_NS
                want[(ns, group, "deleted", "")] = n
            have = {}
            for l, v in m.series("batchwatch_job_runs_total"):
                if v:
                    have[(l["namespace"], l["job_group"], l["result"], l.get("reason", ""))] = v
            if have != want:
                diffs.append(f"batchwatch_job_runs_total {sorted(have.items())} != "
                             f"from the API {sorted(want.items())}")
        for res in ("jobs", "cronjobs"):
            if m.value("batchwatch_decode_errors_total", resource=res):
                diffs.append(f"decode errors for {res}")
        return diffs


# ---------------------------------------------------------------------------------------------


class ControllerScenario(Scenario):
    """The real CronJob and Job controllers (1.20's CronJob controller v2)."""

    name = "controllers"
    # concurrencyPolicy, extra spec, and what a run of it does (see plan()).
    CRONJOBS = {
        "healthy": ("Allow", {"successfulJobsHistoryLimit": 1}),
        "failing": ("Allow", {"failedJobsHistoryLimit": 1}),
        "forbid": ("Forbid", {}),
        "replace": ("Replace", {}),
    }
    FORBID_FIRST_RUN = 130  # seconds after its slot: the run overruns two later slots
    SUSPEND_AFTER = 160     # seconds after the first slot: three slots, all runs settled

    def run(self):
        ns = CONTROLLER_NS
        self.ensure_namespace(ns)
        bw = self.batchwatch("batchwatch-controllers", self.proxy(), self.admin_token_file,
                             "--namespaces", ns)
        bw.wait_ready()
        # The first slot: the next minute boundary, with time to create the CronJobs before it
        # and no boundary between their creation and it (the controller would run that one):
        # closer than 10 s to a boundary, wait until it has passed.
        next_boundary = (int(time.time()) // 60 + 1) * 60
        if next_boundary - time.time() < 10:
            rk.wait_until(next_boundary + 1)
        self.first_slot = (int(time.time()) // 60 + 1) * 60
        kubelet = rk.Kubelet(self.api, [ns], self.plan)
        kubelet.start()
        self.defer(kubelet.stop)
        created = {}
        for name, (policy, extra) in self.CRONJOBS.items():
            cj = rk.cronjob_v1beta1(ns, name, "* * * * *", policy=policy)
            cj["spec"].update(extra)
            created[name] = self.api.create(CRONJOBS_V1BETA1.format(ns), cj, retries=30)
        log(f"controllers: 4 CronJobs, first slot {time.strftime('%H:%M:%S', time.gmtime(self.first_slot))}"
            f" UTC, suspended at +{self.SUSPEND_AFTER} s")
        rk.wait_until(self.first_slot + self.SUSPEND_AFTER)
        suspended_at = {}
        for name in self.CRONJOBS:
            self.api.merge_patch(CRONJOBS_V1BETA1.format(ns) + "/" + name,
                                 {"spec": {"suspend": True}}, retries=30)
            suspended_at[name] = time.time()
        log("controllers: CronJobs suspended; comparing batchwatch with the controllers")

        deadline = time.monotonic() + CONVERGE_LIMIT
        while True:
            evidence = self.evidence(created, suspended_at)
            have = self.batchwatch_view(bw.metrics())
            settled = all(e["settled"] for e in evidence.values())
            diffs = [f"{name}: batchwatch {have[name]} != controllers {evidence[name]['counts']}"
                     for name in self.CRONJOBS if have[name] != evidence[name]["counts"]]
            if (settled and not diffs) or time.monotonic() > deadline:
                break
            time.sleep(1)
        problems = list(diffs)
        if not settled:
            problems.append("the controllers did not settle (a run still unfinished): "
                            f"{ {n: e['outcomes'] for n, e in evidence.items()} }")
        # The scenario did what it is meant to show (else the comparison above proves less).
        plan = {
            "healthy": {"succeeded": 3, "failed": 0, "deleted": 0, "active": 0, "missed": 0,
                        "forbid_skipped": 0, "replaced": 0},
            "failing": {"succeeded": 0, "failed": 3, "deleted": 0, "active": 0, "missed": 0,
                        "forbid_skipped": 0, "replaced": 0},
            "forbid": {"succeeded": 2, "failed": 0, "deleted": 0, "active": 0, "missed": 0,
                       "forbid_skipped": 1, "replaced": 0},
            "replace": {"succeeded": 0, "failed": 0, "deleted": 2, "active": 1, "missed": 0,
                        "forbid_skipped": 0, "replaced": 2},
        }
        for name, want in plan.items():
            if evidence[name]["counts"] != want:
                problems.append(f"{name}: the controllers did {evidence[name]['counts']}, the "
                                f"scenario expects {want} (outcomes {evidence[name]['outcomes']},"
                                f" events {evidence[name]['events']})")
        if evidence["forbid"]["events"].get("JobAlreadyActive", 0) < 1:
            problems.append("forbid: no JobAlreadyActive event")
        for name in ("healthy", "failing"):
            if evidence[name]["events"].get("SuccessfulDelete", 0) < 1:
                problems.append(f"{name}: no SuccessfulDelete event from history cleanup")
        for name, e in evidence.items():
            log(f"controllers: {name}: {e['counts']}; events {e['events']}")
        m = bw.metrics()
        for l, v in m.series("batchwatch_cronjob_runs_total"):
            if v and l["result"] == "failed" and l.get("reason") != "BackoffLimitExceeded":
                problems.append(f"runs_total failed with reason {l.get('reason')!r}")
        if problems:
            raise AssertionError("\n".join(problems))

    def plan(self, pod):
        job = pod["metadata"].get("labels", {}).get("job-name", "")
        cronjob, _, suffix = job.rpartition("-")
        if not suffix.isdigit():
            return None, None
        slot = int(suffix) * 60  # 1.20 names Jobs <cronjob>-<slot in Unix minutes>
        now = time.time()
        if cronjob == "healthy":
            return "Succeeded", now + 3
        if cronjob == "failing":
            return "Failed", now + 3
        if cronjob == "forbid":
            if slot == self.first_slot:
                return "Succeeded", slot + self.FORBID_FIRST_RUN
            return "Succeeded", now + 3
        if cronjob == "replace":
            return "Succeeded", now + 3600  # runs until Replace deletes its Job
        return None, None

    def evidence(self, created, suspended_at):
        """What the controllers did, per CronJob, from their Jobs and events."""
        ns = CONTROLLER_NS
        jobs = self.api.list_all(JOBS.format(ns))[0]
        events = self.api.list_all(f"/api/v1/namespaces/{ns}/events")[0]
        out = {}
        for name, (policy, _) in self.CRONJOBS.items():
            ev_counts, made, completed, deleted = {}, set(), {}, set()
            for e in events:
                io = e["involvedObject"]
                if io.get("kind") != "CronJob" or io.get("name") != name:
                    continue
                reason, msg = e.get("reason", ""), e.get("message", "")
                ev_counts[reason] = ev_counts.get(reason, 0) + (e.get("count") or 1)
                if reason == "SuccessfulCreate" and msg.startswith("Created job "):
                    made.add(msg[len("Created job "):])
                elif reason == "SawCompletedJob" and msg.startswith("Saw completed job: "):
                    job_name, _, status = msg[len("Saw completed job: "):].partition(", status: ")
                    completed[job_name] = status
                elif reason == "SuccessfulDelete" and msg.startswith("Deleted job "):
                    deleted.add(msg[len("Deleted job "):])
            present = {j["metadata"]["name"]: j for j in jobs if controller_cronjob(j) == name}
            made |= set(present)
            outcomes = {}
            for job_name in sorted(made):
                j = present.get(job_name)
                c = job_finished(j) if j else None
                if c:
                    outcomes[job_name] = c["type"]
                elif job_name in completed:
                    outcomes[job_name] = completed[job_name]
                elif job_name in deleted:
                    outcomes[job_name] = "deleted"
                else:
                    outcomes[job_name] = "active"
            created_at = rk.parse_time(created[name]["metadata"]["creationTimestamp"])
            slots = range((int(created_at) // 60 + 1) * 60, int(suspended_at[name]) + 1, 60)
            ran = {int(n.rpartition("-")[2]) * 60 for n in made}
            unran = len([s for s in slots if s not in ran])
            values = list(outcomes.values())
            counts = {
                "succeeded": values.count("Complete"),
                "failed": values.count("Failed"),
                "deleted": values.count("deleted"),
                "active": values.count("active"),
                "missed": 0 if policy == "Forbid" else unran,
                "forbid_skipped": unran if policy == "Forbid" else 0,
                "replaced": values.count("deleted") if policy == "Replace" else 0,
            }
            settled = counts["active"] == (1 if policy == "Replace" else 0)
            out[name] = {"counts": counts, "outcomes": outcomes, "events": ev_counts,
                         "settled": settled}
        return out

    def batchwatch_view(self, m):
        out = {}
        for name in self.CRONJOBS:
            lab = {"namespace": CONTROLLER_NS, "cronjob": name}
            out[name] = {
                "succeeded": m.value("batchwatch_cronjob_runs_total", result="succeeded", **lab),
                "failed": m.value("batchwatch_cronjob_runs_total", result="failed", **lab),
                "deleted": m.value("batchwatch_cronjob_runs_total", result="deleted", **lab),
                "active": m.value("batchwatch_cronjob_active_jobs", **lab),
                "missed": m.value("batchwatch_cronjob_missed_schedules_total", **lab),
                "forbid_skipped": m.value("batchwatch_cronjob_forbid_skipped_total", **lab),
                "replaced": m.value("batchwatch_cronjob_replaced_total", **lab),
            }
            if m.value("batchwatch_cronjob_runs_total", trigger="manual", **lab):
                out[name]["manual"] = m.value("batchwatch_cronjob_runs_total", trigger="manual",
                                              **lab)
        return out


# ---------------------------------------------------------------------------------------------

SCENARIOS = {"rbac": RbacScenario, "watch": WatchScenario, "controllers": ControllerScenario}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=",".join(SCENARIOS),
                    help="comma-separated scenarios to run (default: all)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        ap.error(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
    total = time.monotonic()
    try:
        bindir = rk.k8s_binaries()
    except (rk.SetupError, OSError) as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    workdir = tempfile.mkdtemp(prefix="bw-realk8s-")
    cp = rk.ControlPlane(bindir, workdir)
    results = {}
    try:
        cp.start()

        def run(name):
            t = time.monotonic()
            s = None
            try:
                s = SCENARIOS[name](cp, workdir)
                s.run()
                results[name] = (True, "", time.monotonic() - t)
            except Exception as e:
                detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
                results[name] = (False, detail, time.monotonic() - t)
            finally:
                if s:
                    s.close()
                if name == "rbac":
                    RBAC_DONE.set()
            log(f"{name}: {'ok' if results[name][0] else 'FAILED'} "
                f"({results[name][2]:.0f} s)")
        # The watch scenario restarts the apiserver: it runs in the main thread, which outlives
        # the restarted process (children die with the thread that started them).
        if "rbac" not in names:
            RBAC_DONE.set()
        threads = [threading.Thread(target=run, args=(n,)) for n in names if n != "watch"]
        for t in threads:
            t.start()
        if "watch" in names:
            run("watch")
        for t in threads:
            t.join()
    except rk.SetupError as e:
        print(f"FAIL: the control plane did not start: {e}", flush=True)
        return 1
    finally:
        cp.stop()
    failed = [n for n in names if not results.get(n, (False,))[0]]
    for n in names:
        ok, detail, secs = results.get(n, (False, "did not run", 0))
        print(f"{'ok  ' if ok else 'FAIL'} {n} ({secs:.0f} s)" + (f"\n{detail}" if detail else ""),
              flush=True)
    if failed:
        print(f"logs kept in {workdir}/logs and {workdir}/<scenario>/", flush=True)
    elif not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"realk8s: {len(names) - len(failed)} of {len(names)} scenarios passed in "
          f"{time.monotonic() - total:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
