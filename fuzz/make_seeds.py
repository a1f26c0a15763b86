#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_watch_stream, fuzz_pod_event_decode, fuzz_state_file and
fuzz_kubeconfig into
fuzz/corpus/<name>/seed_* from realistic objects (sim/). Regression inputs found by
fuzzing live next to them as regress_* and are never overwritten. Run after changing formats."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sim"))
from fake_apiserver import (container_status, make_cronjob, make_event, make_job,  # noqa: E402
                            make_pod, status_body)

T = 1730611800  # 2024-11-03 05:30 UTC, a DST change in America/New_York


def write(corpus, name, data):
    folder = os.path.join(HERE, "corpus", corpus)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def with_meta(obj, uid, rv):
    obj["metadata"]["uid"] = uid
    obj["metadata"]["resourceVersion"] = str(rv)
    return obj


def lean(obj):
    """Without the subtrees the decoder drops unread (pod template, managedFields): small seeds
    keep the fuzzer fast. seed_*_whole keeps one realistic full-size stream per resource."""
    obj = json.loads(json.dumps(obj))
    obj["metadata"].pop("managedFields", None)
    obj.get("spec", {}).pop("template", None)
    obj.get("spec", {}).pop("jobTemplate", None)
    return obj


def event(type_, obj, full=False):
    return json.dumps({"type": type_, "object": obj if full else lean(obj)}) + "\n"


def watch_seeds():
    cj = lambda **kw: with_meta(make_cronjob("ns", "nightly", created=T - 86400, **kw), "cj-1", 5)  # noqa: E731
    job = lambda rv, **kw: with_meta(make_job("ns", "nightly-28843530", cronjob="nightly",  # noqa: E731
                                              cronjob_uid="cj-1", slot=T - 600, created=T - 598,
                                              **kw), "job-1", rv)
    # control byte: bit0 = cronjobs, bits1-6 = chunk size - 1, bit7 = list page.
    jobs_stream = "".join([
        event("ADDED", job(10, start=T - 597, active=1)),
        event("MODIFIED", job(11, start=T - 597, succeeded=T - 500)),
        json.dumps({"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "12"}}}) + "\n",
        event("DELETED", job(13, start=T - 597, succeeded=T - 500)),
        event("ADDED", with_meta(make_job("ns", "standalone", labels={"app.kubernetes.io/name": "etl"},
                                          start=T - 100, failed=T - 50, reason="DeadlineExceeded",
                                          created=T - 101), "job-2", 14)),
        event("ADDED", with_meta(make_job("ns", "manual-1", cronjob="nightly", cronjob_uid="cj-1",
                                          manual=True, start=T - 90, created=T - 91), "job-3", 15)),
        json.dumps({"type": "ERROR", "object": status_body(410, "Expired", "too old")}) + "\n",
    ])
    write("watch_stream", "seed_jobs_whole", bytes([0x7e]) + jobs_stream.encode())
    write("watch_stream", "seed_jobs_full_size", bytes([0x7e]) + event(
        "ADDED", job(10, start=T - 597, active=1), full=True).encode())
    write("watch_stream", "seed_jobs_chunked", bytes([0x06]) + jobs_stream.encode())
    cron_stream = "".join([
        event("ADDED", cj(last_schedule=T - 600)),
        event("MODIFIED", with_meta(make_cronjob("ns", "nightly", "*/5 * * * *", created=T - 86400,
                                                 concurrency_policy="Forbid", last_schedule=T - 300,
                                                 active=[("nightly-28843530", "job-1")]), "cj-1", 6)),
        event("ADDED", with_meta(make_cronjob("ns", "tz", "CRON_TZ=America/New_York 30 1 * * *",
                                              created=T - 86400 * 3, starting_deadline_seconds=200),
                                 "cj-2", 7)),
        event("ADDED", with_meta(make_cronjob("ns", "zoned", "0 2 * * *", time_zone="Europe/Berlin",
                                              created=T - 7200, concurrency_policy="Replace"), "cj-3", 8)),
        event("ADDED", with_meta(make_cronjob("ns", "every", "@every 90s", created=T - 1000,
                                              suspend=True), "cj-4", 9)),
        event("ADDED", with_meta(make_cronjob("ns", "bad", "0 0 30 2 *", created=T - 100), "cj-5", 10)),
        event("DELETED", cj(last_schedule=T - 600)),
    ])
    write("watch_stream", "seed_cronjobs_whole", bytes([0x7f]) + cron_stream.encode())
    write("watch_stream", "seed_cronjobs_chunked", bytes([0x0b]) + cron_stream.encode())
    page = lambda items: json.dumps({"kind": "JobList", "apiVersion": "batch/v1",  # noqa: E731
                                     "metadata": {"resourceVersion": "20", "continue": "abc"},
                                     "items": items})
    write("watch_stream", "seed_job_list", bytes([0x80]) + page([
        lean(job(10, start=T - 597, active=1)), {"metadata": {"name": "no-uid"}},
        lean(with_meta(make_job("ns", "old", start=T - 9000, failed=T - 8000), "job-9", 3))]).encode())
    write("watch_stream", "seed_cronjob_list", bytes([0x81]) + page([
        lean(cj(last_schedule=T - 600)), {"metadata": {"uid": "x", "name": "y"}, "spec": []}]).encode())
    write("watch_stream", "seed_status", bytes([0x80]) +
          json.dumps(status_body(403, "Forbidden", "jobs.batch is forbidden")).encode())
    write("watch_stream", "seed_malformed", bytes([0x10]) +
          b'{"type": "MODIFIED", "object": {"metadata": \n{"type":"ADDED"}\n\r\n[1,2]\n')


def state_seeds():
    runs = {"runs": [{"trigger": "scheduled", "result": "succeeded", "reason": "CompletionsReached",
                      "count": 3},
                     {"trigger": "manual", "result": "failed", "reason": "BackoffLimitExceeded",
                      "count": 1},
                     {"trigger": "scheduled", "result": "deleted", "reason": "", "count": 2}],
            "duration_succeeded": {"buckets": [0] * 5 + [3] + [0] * 10, "sum": 250.0, "count": 3},
            "duration_failed": {"buckets": [1] + [0] * 15, "sum": 0.5, "count": 1}}
    delay = {"buckets": [2, 1] + [0] * 11, "sum": 1.2, "count": 3}
    doc = {"version": 1, "saved_at": T - 60, "counting_since": T - 86400,
           "cronjobs": [
               {"namespace": "ns", "name": "nightly", "counts": runs, "start_delay": delay,
                "missed_deadline_exceeded": 1, "missed_superseded": 2, "forbid_skipped": 1,
                "replaced": 0, "uid": "cj-1", "accounted_until": T - 300,
                "last_success": T - 500, "last_failure": T - 4000},
               {"namespace": "ns", "name": "gone", "counts": {"runs": []},
                "start_delay": {"buckets": [0] * 13, "sum": 0, "count": 0},
                "missed_deadline_exceeded": 0, "missed_superseded": 0, "forbid_skipped": 0,
                "replaced": 1, "deleted_at": T - 100},
               {"namespace": "other", "name": "slots", "uid": "cj-7", "accounted_until": T - 60,
                "counts": {"runs": []},
                "start_delay": {"buckets": [0] * 13, "sum": 0, "count": 0},
                "missed_deadline_exceeded": 0, "missed_superseded": 0, "forbid_skipped": 0,
                "replaced": 0, "slots_only": True}],
           "job_groups": [{"namespace": "ns", "group": "etl", "counts": runs}],
           "counted_jobs": [{"uid": "job-1", "deleted_at": 0}, {"uid": "job-2", "deleted_at": T - 30}]}
    write("state_file", "seed_full", json.dumps(doc, indent=1))
    write("state_file", "seed_empty", json.dumps({"version": 1, "saved_at": T, "counting_since": T,
                                                   "cronjobs": [], "job_groups": [],
                                                   "counted_jobs": []}))
    write("state_file", "seed_wrong_version", json.dumps({"version": 2}))
    write("state_file", "seed_truncated", json.dumps(doc)[:300])
    bad = json.loads(json.dumps(doc))
    bad["cronjobs"][0]["counts"]["duration_failed"]["buckets"] = [1, 2]
    write("state_file", "seed_bad_histogram", json.dumps(bad))


def kubeconfig_seeds():
    # Files named here exist next to the kubeconfig in the harness: token, ca.crt, client.crt,
    # client.key, bad.crt. Plugins can never run there (PATH is an empty folder).
    base = """apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443
    %s
contexts:
- name: main
  context: {cluster: c1, user: u1, namespace: ns}
- name: other
  context: {cluster: c2, user: u2}
- name: nouser
  context: {cluster: c1}
users:
- name: u1
  user:
    %s
"""
    cases = {
        "token": ("insecure-skip-tls-verify: true", "token: bw-test-token-1234"),
        "token_file": ("certificate-authority: ca.crt", "tokenFile: token"),
        "client_cert": ("certificate-authority: ca.crt",
                        "client-certificate: client.crt\n    client-key: client.key"),
        "client_cert_data": ("certificate-authority-data: bm90IGEgY2VydA==",
                             "client-certificate-data: bm90IGEgY2VydA==\n"
                             "    client-key-data: bm90IGEga2V5"),
        "bad_ca": ("certificate-authority: bad.crt", "token: t"),
        "exec": ("insecure-skip-tls-verify: true",
                 "exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                 "      command: bw-no-such-plugin\n      args: [get-token, --x]\n"
                 "      env: [{name: A, value: b}]"),
        "exec_beta": ("insecure-skip-tls-verify: true",
                      "exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: p}"),
        "auth_provider": ("", "auth-provider: {name: oidc}"),
        "basic": ("", "username: admin\n    password: secret"),
        "missing_key": ("", "client-certificate: client.crt"),
    }
    for name, (cluster_extra, user) in cases.items():
        write("kubeconfig", "seed_" + name, base % (cluster_extra, user))
    write("kubeconfig", "seed_no_context", "apiVersion: v1\nclusters: []\n")
    write("kubeconfig", "seed_not_mapping", "- a\n- b\n")
    write("kubeconfig", "seed_flow", '{"clusters": [{"name": "c", "cluster": {"server": "http://h"}}],'
          ' "contexts": [{"name": "x", "context": {"cluster": "c"}}], "current-context": "x"}')
    write("kubeconfig", "seed_clusters_not_list", "clusters: {a: b}\ncurrent-context: x\n")


def pod_event_seeds():
    # control byte: bit0 = events, bits1-6 = chunk size - 1, bit7 = list page.
    pod = lambda rv, **kw: with_meta(make_pod("ns", "nightly-28843530-abcde",  # noqa: E731
                                              job="nightly-28843530", job_uid="job-1",
                                              created=T - 598, **kw), "pod-1", rv)
    pods = "".join([
        event("ADDED", pod(10, phase="Pending", conditions=[
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]), full=True),
        event("MODIFIED", pod(11, phase="Pending", containers=[
            container_status(waiting="ImagePullBackOff")]), full=True),
        event("MODIFIED", pod(12, phase="Running", restart_policy="OnFailure", containers=[
            container_status(running=True, last_terminated="OOMKilled", last_exit_code=137,
                             restart_count=2, started=T - 500)]), full=True),
        event("MODIFIED", pod(13, phase="Failed", reason="Evicted", conditions=[
            {"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI"}],
            init_containers=[container_status("init", terminated="Completed")],
            containers=[container_status(terminated="Error", exit_code=1)]), full=True),
        json.dumps({"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "14"}}}) + "\n",
        event("DELETED", pod(15, phase="Failed"), full=True),
        event("ADDED", with_meta(make_pod("ns", "orphan"), "pod-2", 16), full=True),
    ])
    write("pod_event_decode", "seed_pods_whole", bytes([0x7e]) + pods.encode())
    write("pod_event_decode", "seed_pods_chunked", bytes([0x06]) + pods.encode())
    ev = lambda uid, rv, **kw: with_meta(make_event("ns", "nightly." + uid, first=T - 60,  # noqa: E731
                                                    last=T, **kw), uid, rv)
    events = "".join([
        event("ADDED", ev("e1", 20, kind="CronJob", involved_uid="cj-1", reason="FailedCreate",
                          type_="Warning", message="Error creating job: exceeded quota: q"),
              full=True),
        event("MODIFIED", ev("e1", 21, kind="CronJob", involved_uid="cj-1",
                             reason="FailedCreate", count=3), full=True),
        event("ADDED", ev("e2", 22, kind="Job", involved_uid="job-1", series_count=4,
                          message="caf\u00e9 " * 10), full=True),
        event("ADDED", ev("e3", 23, kind="Job", involved_uid="", count=0), full=True),
        event("DELETED", ev("e1", 24, kind="CronJob", involved_uid="cj-1"), full=True),
    ])
    write("pod_event_decode", "seed_events_whole", bytes([0x7f]) + events.encode())
    write("pod_event_decode", "seed_events_chunked", bytes([0x0b]) + events.encode())
    page = lambda items, kind: json.dumps({"kind": kind, "apiVersion": "v1",  # noqa: E731
                                           "metadata": {"resourceVersion": "30"},
                                           "items": items})
    write("pod_event_decode", "seed_pod_list", bytes([0x80]) + page(
        [pod(10, phase="Succeeded"), with_meta(make_pod("ns", "x"), "pod-3", 11)],
        "PodList").encode())
    write("pod_event_decode", "seed_event_list", bytes([0x81]) + page(
        [ev("e4", 5, kind="Job", involved_uid="job-1", message="m" * 5000)],
        "EventList").encode())


if __name__ == "__main__":
    pod_event_seeds()
    watch_seeds()
    state_seeds()
    kubeconfig_seeds()
