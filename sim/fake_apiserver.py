#!/usr/bin/env python3
"""A fake Kubernetes API server for batch/v1 Jobs and CronJobs and core/v1 Pods and Events
(Python standard library only).

It speaks the list/watch protocol batchwatch uses (pagination with expiring continue tokens,
resourceVersions, chunked newline-delimited watch streams with bookmarks, 410 after
compaction, bearer tokens re-read from a file, optional TLS, label and field selectors applied
server side) and offers a control API to mutate objects and inject faults.
Jobs and CronJobs are served under /apis/batch/v1, Pods and Events under /api/v1, each for all
namespaces and under namespaces/NS/. Selectors (as the API server reads them; anything else is
400 BadRequest): labelSelector `key`, `!key`, `key=value`, `key==value`, `key!=value`;
fieldSelector `path=value`, `path==value`, `path!=value` on a dotted path into the object
(`involvedObject.kind`, `metadata.name`, ...); requirements joined with commas all apply. A
watch with a selector sends the changes of matching objects (the real server also turns an
object that stops matching into DELETED; batchwatch's selectors are on fields that never change).

Use it as a module:
    cluster = FakeCluster()
    server = serve(cluster, port=0)            # a running FakeServer (thread)
    cluster.create("jobs", make_job("default", "j1"))
    cluster.inject(Fault("drop", resource="jobs", verb="watch", after_events=1))
    server.stop()
or as a program:
    fake_apiserver.py --port 0 --port-file F [--tls-dir D] [--token-file T] [--objects FILE]
Control API (JSON over HTTP on the same port, no auth):
    GET  /_control/state                    -> {"resourceVersion", "jobs": [...], "cronjobs": [...],
                                                "pods": [...], "events": [...]}
    POST /_control/objects/RESOURCE  body: object                  -> created object
    PUT  /_control/objects/RESOURCE  body: object                  -> updated object
    DELETE /_control/objects/RESOURCE/NS/NAME                      -> final object
    POST /_control/faults   body: Fault fields (see Fault)         -> {"id": N}
                            e.g. {"kind": "forbidden", "resource": "pods", "count": -1}: RBAC
                            refuses pods (403 on list and watch) until the fault is cleared
    DELETE /_control/faults                                        -> clears faults (lifts them)
    DELETE /_control/faults/N                                      -> clears fault N
    POST /_control/compact                                         -> expires older RVs/tokens
    GET  /_control/requests                                        -> request log
"""

import argparse
import base64
import copy
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {"jobs": "Job", "cronjobs": "CronJob", "pods": "Pod", "events": "Event"}
# The API group of each resource ("" = core) and the apiVersion its objects carry.
API_GROUP = {"jobs": "batch", "cronjobs": "batch", "pods": "", "events": ""}
API_VERSION = {"jobs": "batch/v1", "cronjobs": "batch/v1", "pods": "v1", "events": "v1"}


class BadSelector(ValueError):
    pass


def parse_label_selector(text):
    """[(key, op, value)] with op in exists, !exists, =, !=."""
    reqs = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        if part.startswith("!"):
            key, op, value = part[1:].strip(), "!exists", None
        elif "!=" in part:
            key, value = part.split("!=", 1)
            op = "!="
        elif "==" in part:
            key, value = part.split("==", 1)
            op = "="
        elif "=" in part:
            key, value = part.split("=", 1)
            op = "="
        else:
            key, op, value = part, "exists", None
        key = key.strip()
        if not key or any(c in key for c in " ()=!"):
            raise BadSelector(f"unable to parse requirement: {part!r}")
        reqs.append((key, op, value.strip() if value is not None else None))
    return reqs


def parse_field_selector(text):
    """[(path, op, value)] with op in =, !=."""
    reqs = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        for op, token in (("!=", "!="), ("=", "=="), ("=", "=")):
            if token in part:
                path, value = part.split(token, 1)
                break
        else:
            raise BadSelector(f"invalid selector: {part!r}; can't understand it")
        if not path.strip():
            raise BadSelector(f"invalid selector: {part!r}")
        reqs.append((path.strip(), op, value.strip()))
    return reqs


def field_value(obj, path):
    v = obj
    for key in path.split("."):
        if not isinstance(v, dict):
            return ""
        v = v.get(key)
    return "" if v is None else str(v)


class Selector:
    """labelSelector and fieldSelector of one request."""

    def __init__(self, label_selector="", field_selector=""):
        self.labels = parse_label_selector(label_selector)
        self.fields = parse_field_selector(field_selector)

    def matches(self, obj):
        labels = (obj.get("metadata") or {}).get("labels") or {}
        for key, op, value in self.labels:
            have = key in labels
            if ((op == "exists" and not have) or (op == "!exists" and have) or
                    (op == "=" and labels.get(key) != value) or
                    (op == "!=" and have and labels.get(key) == value)):
                return False
        for path, op, value in self.fields:
            if (field_value(obj, path) == value) != (op == "="):
                return False
        return True


EVERYTHING = Selector()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def make_job(namespace, name, *, cronjob=None, cronjob_uid=None, slot=None, manual=False,
             labels=None, start=None, succeeded=None, failed=None, reason=None, active=None,
             created=None, extra_status=None):
    """A realistic batch/v1 Job. cronjob/cronjob_uid: controller owner reference; slot: the
    scheduled-timestamp annotation (Unix seconds); succeeded/failed: end time (Unix seconds)."""
    created = created if created is not None else (slot if slot is not None else time.time())
    annotations = {}
    if slot is not None:
        annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] = rfc3339(slot)
    if manual:
        annotations["cronjob.kubernetes.io/instantiate"] = "manual"
    md = {"name": name, "namespace": namespace, "labels": dict(labels or {}),
          "annotations": annotations, "creationTimestamp": rfc3339(created),
          "managedFields": [{"manager": "kube-controller-manager", "operation": "Update",
                             "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}]}
    if cronjob:
        md["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cronjob,
                                  "uid": cronjob_uid or str(uuid.uuid4()), "controller": True,
                                  "blockOwnerDeletion": True}]
    status = {}
    if start is not None:
        status["startTime"] = rfc3339(start)
    if active is not None:
        status["active"] = active
    if succeeded is not None:
        status.update({"completionTime": rfc3339(succeeded), "succeeded": 1, "ready": 0,
                       "conditions": [
                           {"type": "SuccessCriteriaMet", "status": "True",
                            "reason": "CompletionsReached", "lastTransitionTime": rfc3339(succeeded)},
                           {"type": "Complete", "status": "True", "reason": "CompletionsReached",
                            "lastTransitionTime": rfc3339(succeeded)}]})
    if failed is not None:
        status.update({"failed": 1, "ready": 0, "conditions": [
            {"type": "FailureTarget", "status": "True", "reason": reason or "BackoffLimitExceeded",
             "lastTransitionTime": rfc3339(failed)},
            {"type": "Failed", "status": "True", "reason": reason or "BackoffLimitExceeded",
             "lastTransitionTime": rfc3339(failed)}]})
    status.update(extra_status or {})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": md,
            "spec": {"backoffLimit": 6, "completions": 1, "parallelism": 1,
                     "completionMode": "NonIndexed", "suspend": False,
                     "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "x"}},
                     "template": {"metadata": {"labels": {"job-name": name}},
                                  "spec": {"restartPolicy": "Never", "containers": [
                                      {"name": "main", "image": "busybox:1.36",
                                       "command": ["sh", "-c", "sleep 5"],
                                       "resources": {"requests": {"cpu": "10m"}}}]}}},
            "status": status}


def make_cronjob(namespace, name, schedule="*/5 * * * *", *, time_zone=None,
                 concurrency_policy="Allow", suspend=False, starting_deadline_seconds=None,
                 last_schedule=None, last_successful=None, active=None, created=None):
    """A realistic batch/v1 CronJob. active: list of (name, uid) of running jobs."""
    spec = {"schedule": schedule, "concurrencyPolicy": concurrency_policy, "suspend": suspend,
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
            "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure",
                                                           "containers": [{"name": "main",
                                                                           "image": "busybox"}]}}}}}
    if time_zone is not None:
        spec["timeZone"] = time_zone
    if starting_deadline_seconds is not None:
        spec["startingDeadlineSeconds"] = starting_deadline_seconds
    status = {}
    if last_schedule is not None:
        status["lastScheduleTime"] = rfc3339(last_schedule)
    if last_successful is not None:
        status["lastSuccessfulTime"] = rfc3339(last_successful)
    if active:
        status["active"] = [{"kind": "Job", "namespace": namespace, "name": n, "uid": u,
                             "apiVersion": "batch/v1"} for n, u in active]
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": namespace,
                         "creationTimestamp": rfc3339(created if created is not None else time.time())},
            "spec": spec, "status": status}


def make_pod(namespace, name, *, job=None, job_uid=None, phase="Running", restart_policy="Never",
             containers=None, init_containers=None, reason=None, conditions=None, labels=None,
             created=None):
    """A core/v1 Pod of a Job (label job-name, controller owner reference when job is given).
    containers / init_containers: lists of containerStatuses entries (container_status())."""
    created = created if created is not None else time.time()
    md = {"name": name, "namespace": namespace, "creationTimestamp": rfc3339(created),
          "labels": dict(labels if labels is not None else
                         ({"job-name": job, "batch.kubernetes.io/job-name": job} if job else {}))}
    if job:
        md["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                                  "uid": job_uid or str(uuid.uuid4()), "controller": True,
                                  "blockOwnerDeletion": True}]
    status = {"phase": phase, "conditions": list(conditions or [])}
    if reason:
        status["reason"] = reason
    if containers is not None:
        status["containerStatuses"] = containers
    if init_containers is not None:
        status["initContainerStatuses"] = init_containers
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {"restartPolicy": restart_policy, "containers": [
                {"name": "main", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}]},
            "status": status}


def container_status(name="main", *, waiting=None, running=False, terminated=None, exit_code=0,
                     last_terminated=None, last_exit_code=0, restart_count=0, started=None):
    """One containerStatuses entry: waiting/terminated/last_terminated are reasons; started: when
    a running container started (Unix seconds, default now)."""
    state = {}
    if waiting is not None:
        state["waiting"] = {"reason": waiting}
    if running:
        state["running"] = {"startedAt": rfc3339(started if started is not None else time.time())}
    if terminated is not None:
        state["terminated"] = {"reason": terminated, "exitCode": exit_code}
    entry = {"name": name, "image": "busybox:1.36", "ready": running, "started": running,
             "restartCount": restart_count, "state": state, "lastState": {}}
    if last_terminated is not None:
        entry["lastState"] = {"terminated": {"reason": last_terminated,
                                             "exitCode": last_exit_code}}
    return entry


def make_event(namespace, name, *, kind="Job", involved_name="j", involved_uid=None,
               reason="SuccessfulCreate", message="Created pod", type_="Normal", count=1,
               series_count=None, first=None, last=None):
    """A core/v1 Event about a Job or CronJob (involvedObject)."""
    first = first if first is not None else time.time()
    last = last if last is not None else first
    ev = {"apiVersion": "v1", "kind": "Event",
          "metadata": {"name": name, "namespace": namespace},
          "involvedObject": {"kind": kind, "namespace": namespace, "name": involved_name,
                             "uid": involved_uid if involved_uid is not None else str(uuid.uuid4()),
                             "apiVersion": "batch/v1"},
          "reason": reason, "message": message, "type": type_, "count": count,
          "firstTimestamp": rfc3339(first), "lastTimestamp": rfc3339(last),
          "source": {"component": "job-controller"}, "reportingComponent": "job-controller"}
    if series_count is not None:
        ev["series"] = {"count": series_count, "lastObservedTime": rfc3339(last)}
    return ev


class Fault:
    """A fault applied to matching requests. kind:
      status     answer `code` (e.g. 429, 500, 401, 403) with a Status body; `retry_after` seconds
      drop       close the connection (list: mid-body; watch: after `after_events` events)
      truncated  watch: send half of the next event line, then close
      malformed  watch: send a line that is not JSON (after `after_events` events)
      oversized  watch: send a line of `size` bytes
      error410   watch: send an ERROR event with a 410 Status, then close
      slow       sleep `delay` seconds before answering
      expire_continue  list: the next request with a continue token answers 410
      unauthorized_until_token_change  401 until the token file's content differs
      forbidden  403 for `resource` (persistent until cleared: count=-1), worded as RBAC does
    resource/verb/namespace ("" = any) select requests; count: how many uses (-1 = unlimited)."""

    FIELDS = ("kind", "resource", "verb", "namespace", "count", "code", "retry_after",
              "after_events", "size", "delay")

    def __init__(self, kind, resource="", verb="", namespace="", count=1, code=500,
                 retry_after=None, after_events=0, size=1 << 20, delay=1.0):
        self.kind, self.resource, self.verb, self.namespace = kind, resource, verb, namespace
        self.count, self.code, self.retry_after = count, code, retry_after
        self.after_events, self.size, self.delay = after_events, size, delay
        self.id = None
        self.token_snapshot = None

    @classmethod
    def from_dict(cls, d):
        return cls(**{k: v for k, v in d.items() if k in cls.FIELDS})

    def to_dict(self):
        d = {k: getattr(self, k) for k in self.FIELDS}
        d["id"] = self.id
        return d

    def matches(self, resource, verb, namespace):
        return ((not self.resource or self.resource == resource) and
                (not self.verb or self.verb == verb) and
                (not self.namespace or self.namespace == namespace))


class Gone(Exception):
    pass


# The discovery documents kubectl reads before `kubectl --server URL get cronjobs -A`: the
# legacy /api versions, the group list, the batch group and its v1 resource list, /version.
DISCOVERY_PATHS = [[], ["version"], ["api"], ["apis"], ["apis", "batch"], ["apis", "batch", "v1"],
                   ["api", "v1"]]


def discovery_document(parts):
    batch_version = {"groupVersion": "batch/v1", "version": "v1"}
    if parts == []:
        return {"paths": ["/" + "/".join(p) for p in DISCOVERY_PATHS if p] +
                ["/apis/batch/v1/cronjobs", "/apis/batch/v1/jobs"]}
    if parts == ["version"]:
        return {"major": "1", "minor": "30", "gitVersion": "v1.30.0-batchwatch-sim",
                "platform": "linux/amd64"}
    if parts == ["api"]:
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                "serverAddress": "127.0.0.1"}]}
    if parts == ["api", "v1"]:
        return {"kind": "APIResourceList", "groupVersion": "v1", "resources": []}
    group = {"name": "batch", "versions": [batch_version], "preferredVersion": batch_version}
    if parts == ["apis"]:
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]}
    if parts == ["apis", "batch"]:
        return dict(group, kind="APIGroup", apiVersion="v1")
    verbs = ["get", "list", "watch"]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "batch/v1",
            "resources": [
                {"name": "cronjobs", "singularName": "cronjob", "namespaced": True,
                 "kind": "CronJob", "verbs": verbs, "shortNames": ["cj"],
                 "categories": ["all"]},
                {"name": "jobs", "singularName": "job", "namespaced": True, "kind": "Job",
                 "verbs": verbs, "categories": ["all"]}]}


class FakeCluster:
    """Objects, resourceVersions, an event history for watches, compaction and faults."""

    def __init__(self, token_file=None, bookmark_interval=1.0, max_watch_seconds=None):
        self.cond = threading.Condition()
        self.rv = 1
        self.objects = {r: {} for r in RESOURCES}      # resource -> (ns, name) -> object
        self.events = []                                # (rv, resource, type, object)
        self.compacted_rv = 0                           # events with rv <= this are gone
        self.faults = []
        self.next_fault_id = 1
        self.token_file = token_file
        self.bookmark_interval = bookmark_interval
        self.max_watch_seconds = max_watch_seconds     # caps client timeoutSeconds
        self.requests = []
        self.closed = False

    # ---- objects --------------------------------------------------------------------------
    def _bump(self):
        self.rv += 1
        return str(self.rv)

    def create(self, resource, obj):
        obj = copy.deepcopy(obj)
        md = obj.setdefault("metadata", {})
        md.setdefault("namespace", "default")
        with self.cond:
            key = (md["namespace"], md["name"])
            if key in self.objects[resource]:
                raise KeyError(f"{resource} {key[0]}/{key[1]} already exists")
            md.setdefault("uid", str(uuid.uuid4()))
            md.setdefault("creationTimestamp", rfc3339(time.time()))
            md["resourceVersion"] = self._bump()
            self.objects[resource][key] = obj
            self._record(resource, "ADDED", obj)
            return copy.deepcopy(obj)

    def update(self, resource, obj):
        obj = copy.deepcopy(obj)
        md = obj["metadata"]
        md.setdefault("namespace", "default")
        with self.cond:
            key = (md["namespace"], md["name"])
            old = self.objects[resource].get(key)
            if old is None:
                raise KeyError(f"{resource} {key[0]}/{key[1]} not found")
            md["uid"] = old["metadata"]["uid"]
            md["creationTimestamp"] = old["metadata"]["creationTimestamp"]
            md["resourceVersion"] = self._bump()
            self.objects[resource][key] = obj
            self._record(resource, "MODIFIED", obj)
            return copy.deepcopy(obj)

    def delete(self, resource, namespace, name):
        with self.cond:
            obj = self.objects[resource].pop((namespace, name), None)
            if obj is None:
                raise KeyError(f"{resource} {namespace}/{name} not found")
            obj["metadata"]["resourceVersion"] = self._bump()
            self._record(resource, "DELETED", obj)
            return copy.deepcopy(obj)

    def get(self, resource, namespace, name):
        with self.cond:
            obj = self.objects[resource].get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, resource, namespace=""):
        with self.cond:
            return [copy.deepcopy(o) for (ns, _), o in sorted(self.objects[resource].items())
                    if not namespace or ns == namespace]

    def state(self):
        with self.cond:
            return {"resourceVersion": str(self.rv),
                    **{r: self.list(r) for r in RESOURCES}}

    def load(self, path):
        """Creates objects from a JSON file: {"jobs": [...], "cronjobs": [...], "pods": [...],
        "events": [...]} or a v1 List ({"items": [...]} with kind Job/CronJob/Pod/Event) or a
        plain list."""
        with open(path) as f:
            data = json.load(f)
        items = []
        if isinstance(data, dict) and "items" in data:
            data = data["items"]
        if isinstance(data, list):
            for o in data:
                res = {v: k for k, v in RESOURCES.items()}.get(o.get("kind"))
                if res is None:
                    raise ValueError(f"{path}: object of kind {o.get('kind')!r} is not served")
                items.append((res, o))
        else:
            for res in RESOURCES:
                items += [(res, o) for o in data.get(res, [])]
        for res, o in items:
            self.create(res, o)

    def _record(self, resource, type_, obj):
        self.events.append((self.rv, resource, type_, copy.deepcopy(obj)))
        self.cond.notify_all()

    def compact(self):
        """Forget history: watches and continue tokens from before now answer 410."""
        with self.cond:
            self.compacted_rv = self.rv
            # History restarts from a base snapshot so later list snapshots can be rebuilt.
            self.events = [(int(o["metadata"]["resourceVersion"]), res, "ADDED", copy.deepcopy(o))
                           for res in RESOURCES for o in self.objects[res].values()]
            self.events.sort(key=lambda e: e[0])
            self.cond.notify_all()

    # ---- faults ---------------------------------------------------------------------------
    def inject(self, fault):
        with self.cond:
            fault.id = self.next_fault_id
            self.next_fault_id += 1
            if fault.kind == "unauthorized_until_token_change":
                fault.token_snapshot = self.current_token()
            self.faults.append(fault)
            return fault.id

    def clear_faults(self):
        with self.cond:
            self.faults = []

    def clear_fault(self, fault_id):
        with self.cond:
            self.faults = [f for f in self.faults if f.id != fault_id]

    def peek_fault(self, resource, verb, namespace, kinds):
        with self.cond:
            for f in self.faults:
                if f.kind in kinds and f.matches(resource, verb, namespace) and f.count != 0:
                    return f
            return None

    def consume(self, fault):
        with self.cond:
            if fault.count > 0:
                fault.count -= 1
            self.faults = [f for f in self.faults if f.count != 0]

    def take_fault(self, resource, verb, namespace, kinds):
        f = self.peek_fault(resource, verb, namespace, kinds)
        if f is not None:
            self.consume(f)
        return f

    def unauthorized(self, resource, verb, namespace):
        """True while an unauthorized_until_token_change fault holds (the token file still has
        the content it had when the fault was injected)."""
        f = self.peek_fault(resource, verb, namespace, ("unauthorized_until_token_change",))
        if f is None:
            return False
        if self.current_token() == f.token_snapshot:
            return True
        with self.cond:
            self.faults = [x for x in self.faults if x is not f]
        return False

    def current_token(self):
        if not self.token_file:
            return None
        try:
            with open(self.token_file) as f:
                return f.read().strip()
        except OSError:
            return None

    # ---- list / watch ---------------------------------------------------------------------
    def list_page(self, resource, namespace, limit, continue_token, selector=EVERYTHING):
        with self.cond:
            if continue_token:
                try:
                    tok = json.loads(base64.urlsafe_b64decode(continue_token.encode()))
                    list_rv, start = int(tok["rv"]), tok["start"]
                except (ValueError, KeyError, TypeError):
                    raise ValueError("invalid continue token")
                if list_rv < self.compacted_rv:
                    raise Gone("The provided continue parameter is too old to display a "
                               "consistent list result. You can start a new list without the "
                               "continue parameter.")
                # Reconstruct the snapshot at list_rv from current state and history.
                items = self._snapshot(resource, namespace, list_rv)
            else:
                list_rv = self.rv
                start = None
                items = self.list(resource, namespace)
            items = [o for o in items if selector.matches(o)]
            keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in items]
            begin = 0
            if start is not None:
                begin = next((i for i, k in enumerate(keys) if list(k) > start), len(keys))
            page = items[begin:begin + limit] if limit else items[begin:]
            more = limit and begin + limit < len(items)
            md = {"resourceVersion": str(list_rv)}
            if more:
                last = keys[begin + limit - 1]
                md["continue"] = base64.urlsafe_b64encode(
                    json.dumps({"rv": list_rv, "start": list(last)}).encode()).decode()
                md["remainingItemCount"] = len(items) - begin - limit
            return {"kind": RESOURCES[resource] + "List", "apiVersion": API_VERSION[resource],
                    "metadata": md, "items": page}

    def _snapshot(self, resource, namespace, at_rv):
        # Replay history (which starts with the state at the last compaction) up to at_rv.
        state = {}
        for rv, res, type_, obj in self.events:
            if rv > at_rv:
                break
            key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
            if res != resource or (namespace and key[0] != namespace):
                continue
            if type_ == "DELETED":
                state.pop(key, None)
            else:
                state[key] = obj
        return [copy.deepcopy(state[k]) for k in sorted(state)]

    def events_after(self, resource, namespace, rv, selector=EVERYTHING):
        """Events newer than rv for the scope. Raises Gone when rv predates compaction."""
        if rv < self.compacted_rv:
            raise Gone(f"too old resource version: {rv} ({self.compacted_rv + 1})")
        return [(erv, t, o) for erv, res, t, o in self.events
                if erv > rv and res == resource and
                (not namespace or o["metadata"]["namespace"] == namespace) and
                selector.matches(o)]


def status_body(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster: FakeCluster = None  # set per server

    def _drop_connection(self):
        """Closes the client's connection abruptly (a dropped stream); it may be gone already."""
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_message(self, fmt, *args):
        pass

    # ---- helpers --------------------------------------------------------------------------
    def _send_json(self, code, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code, reason, message, headers=None):
        self._send_json(code, status_body(code, reason, message), headers)

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null") if n else None

    # ---- routing --------------------------------------------------------------------------
    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")

    def do_DELETE(self):
        self._route("DELETE")

    def _route(self, method):
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            if parts[:1] == ["_control"]:
                return self._control(method, parts[1:])
            if method != "GET":
                return self._status(405, "MethodNotAllowed", "only GET is served")
            if parts in DISCOVERY_PATHS:
                return self._send_json(200, discovery_document(parts))
            group, rest = None, None
            if parts[:3] == ["apis", "batch", "v1"]:
                group, rest = "batch", parts[3:]
            elif parts[:2] == ["api", "v1"]:
                group, rest = "", parts[2:]
            if rest is not None:
                served = {r for r, g in API_GROUP.items() if g == group}
                if len(rest) == 1 and rest[0] in served:
                    return self._api(rest[0], "", query)
                if len(rest) == 3 and rest[0] == "namespaces" and rest[2] in served:
                    return self._api(rest[2], rest[1], query)
            return self._status(404, "NotFound", f"the server could not find {url.path}")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _control(self, method, parts):
        c = self.cluster
        try:
            if parts == ["state"] and method == "GET":
                return self._send_json(200, c.state())
            if parts == ["requests"] and method == "GET":
                with c.cond:
                    return self._send_json(200, list(c.requests))
            if parts == ["compact"] and method == "POST":
                c.compact()
                return self._send_json(200, {"compactedResourceVersion": str(c.compacted_rv)})
            if parts == ["faults"] and method == "POST":
                return self._send_json(200, {"id": c.inject(Fault.from_dict(self._read_body()))})
            if parts == ["faults"] and method == "DELETE":
                c.clear_faults()
                return self._send_json(200, {})
            if len(parts) == 2 and parts[0] == "faults" and method == "DELETE":
                c.clear_fault(int(parts[1]))
                return self._send_json(200, {})
            if parts == ["faults"] and method == "GET":
                with c.cond:
                    return self._send_json(200, [f.to_dict() for f in c.faults])
            if len(parts) >= 2 and parts[0] == "objects" and parts[1] in RESOURCES:
                res = parts[1]
                if method == "POST" and len(parts) == 2:
                    return self._send_json(201, c.create(res, self._read_body()))
                if method == "PUT" and len(parts) == 2:
                    return self._send_json(200, c.update(res, self._read_body()))
                if method == "DELETE" and len(parts) == 4:
                    return self._send_json(200, c.delete(res, parts[2], parts[3]))
                if method == "GET" and len(parts) == 4:
                    obj = c.get(res, parts[2], parts[3])
                    return self._send_json(200 if obj else 404, obj or {})
            return self._send_json(404, {"error": "unknown control endpoint"})
        except KeyError as e:
            return self._send_json(409, {"error": str(e)})
        except (ValueError, TypeError) as e:
            return self._send_json(400, {"error": str(e)})

    def _api(self, resource, namespace, query):
        c = self.cluster
        watch = query.get("watch") in ("1", "true")
        verb = "watch" if watch else "list"
        with c.cond:
            c.requests.append({"resource": resource, "namespace": namespace, "verb": verb,
                               "query": query, "time": time.time()})
        # Authentication.
        expected = c.current_token()
        auth = self.headers.get("Authorization", "")
        if c.unauthorized(resource, verb, namespace):
            return self._status(401, "Unauthorized", "Unauthorized")
        if expected is not None and auth != "Bearer " + expected:
            return self._status(401, "Unauthorized", "Unauthorized")
        if c.take_fault(resource, verb, namespace, ("forbidden",)):
            group = API_GROUP[resource]
            return self._status(403, "Forbidden",
                                f'{resource}{"." + group if group else ""} is forbidden: User '
                                f'"system:serviceaccount:monitoring:batchwatch" cannot {verb} '
                                f'resource "{resource}" in API group "{group}"' +
                                (f' in the namespace "{namespace}"'
                                 if namespace else " at the cluster scope"))
        try:
            selector = Selector(query.get("labelSelector", ""), query.get("fieldSelector", ""))
        except BadSelector as e:
            return self._status(400, "BadRequest", str(e))
        f = c.take_fault(resource, verb, namespace, ("slow",))
        if f is not None:
            time.sleep(f.delay)
        f = c.take_fault(resource, verb, namespace, ("status",))
        if f is not None:
            headers = {"Retry-After": str(f.retry_after)} if f.retry_after is not None else None
            reason = {429: "TooManyRequests", 401: "Unauthorized", 403: "Forbidden",
                      410: "Expired"}.get(f.code, "InternalError")
            return self._status(f.code, reason, f"injected fault {f.code}", headers)
        if watch:
            return self._watch(resource, namespace, query, selector)
        return self._list(resource, namespace, query, selector)

    def _list(self, resource, namespace, query, selector):
        c = self.cluster
        limit = int(query.get("limit") or 0)
        cont = query.get("continue", "")
        if cont and c.take_fault(resource, "list", namespace, ("expire_continue",)):
            return self._status(410, "Expired", "The provided continue parameter is too old")
        try:
            page = c.list_page(resource, namespace, limit, cont, selector)
        except Gone as e:
            return self._status(410, "Expired", str(e))
        except ValueError as e:
            return self._status(400, "BadRequest", str(e))
        if c.take_fault(resource, "list", namespace, ("drop",)):
            data = json.dumps(page).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self._drop_connection()
            return
        self._send_json(200, page)

    def _watch(self, resource, namespace, query, selector):
        c = self.cluster
        try:
            rv = int(query.get("resourceVersion") or 0)
        except ValueError:
            return self._status(400, "BadRequest", "resourceVersion must be an integer here")
        timeout = float(query.get("timeoutSeconds") or 1800)
        if c.max_watch_seconds:
            timeout = min(timeout, c.max_watch_seconds)
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        with c.cond:
            initial = []
            if rv == 0:  # "any": synthetic ADDED for the current state, then changes
                rv = c.rv
                initial = [(rv, "ADDED", o) for o in c.list(resource, namespace)
                           if selector.matches(o)]
            try:
                c.events_after(resource, namespace, rv, selector)
                gone = None
            except Gone as e:
                gone = str(e)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        if gone is not None:
            # The real API server answers 200 and an ERROR event with a 410 Status.
            self._chunk(json.dumps({"type": "ERROR", "object": status_body(
                410, "Expired", gone)}).encode() + b"\n")
            self._chunk(b"")
            return
        deadline = time.monotonic() + timeout
        sent = 0
        next_bookmark = time.monotonic() + c.bookmark_interval
        pending = list(initial)
        kinds = ("drop", "truncated", "malformed", "oversized", "error410")
        while True:
            for erv, type_, obj in pending:
                line = json.dumps({"type": type_, "object": obj}).encode() + b"\n"
                f = c.peek_fault(resource, "watch", namespace, kinds)
                if f is not None and sent >= f.after_events:
                    c.consume(f)
                    if f.kind == "drop":
                        self._drop_connection()
                        return
                    if f.kind == "truncated":
                        self._chunk(line[:len(line) // 2])
                        self._chunk(b"")
                        return
                    if f.kind == "error410":
                        self._chunk(json.dumps({"type": "ERROR", "object": status_body(
                            410, "Expired", "injected: too old resource version")}).encode() + b"\n")
                        self._chunk(b"")
                        return
                    if f.kind == "malformed":
                        self._chunk(b'{"type": "MODIFIED", "object": {"metadata": \n')
                    elif f.kind == "oversized":
                        self._chunk(b'{"type":"MODIFIED","object":{"pad":"' + b"x" * f.size + b'"}}\n')
                self._chunk(line)
                sent += 1
                rv = erv
            now = time.monotonic()
            if now >= deadline or c.closed:
                self._chunk(b"")
                return
            with c.cond:
                try:
                    pending = c.events_after(resource, namespace, rv, selector)
                    if not pending:
                        c.cond.wait(min(0.2, max(0.0, deadline - now)))
                        pending = c.events_after(resource, namespace, rv, selector)
                except Gone as e:
                    gone = str(e)
                bookmark_rv = None
                if gone is None and not pending and bookmarks and now >= next_bookmark:
                    rv = c.rv  # nothing of this scope between rv and now: safe to advance
                    bookmark_rv = str(rv)
            if gone is not None:
                self._chunk(json.dumps({"type": "ERROR", "object": status_body(
                    410, "Expired", gone)}).encode() + b"\n")
                self._chunk(b"")
                return
            if bookmark_rv is not None:
                self._chunk(json.dumps({"type": "BOOKMARK", "object": {
                    "kind": RESOURCES[resource], "apiVersion": API_VERSION[resource],
                    "metadata": {"resourceVersion": bookmark_rv}}}).encode() + b"\n")
                next_bookmark = now + c.bookmark_interval


class FakeServer:
    """A running fake API server (serve() returns one)."""

    def __init__(self, cluster, httpd, thread, scheme):
        self.cluster, self.httpd, self.thread, self.scheme = cluster, httpd, thread, scheme
        self.port = httpd.server_address[1]
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def stop(self):
        self.cluster.closed = True
        with self.cluster.cond:
            self.cluster.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def generate_tls(directory, hosts=("127.0.0.1", "localhost", "::1")):
    """Creates ca.crt/ca.key, server.crt/server.key and client.crt/client.key (signed by the CA)
    in directory with the openssl CLI. Returns the directory."""
    os.makedirs(directory, exist_ok=True)
    p = lambda name: os.path.join(directory, name)  # noqa: E731
    run = lambda *args: subprocess.run(args, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=fake-apiserver-ca", "-keyout", p("ca.key"), "-out", p("ca.crt"))
    san = ",".join(("IP:" if any(ch.isdigit() for ch in h) and not h.isalpha() else "DNS:") + h
                   for h in hosts)
    with open(p("ext.cnf"), "w") as f:
        f.write(f"subjectAltName={san}\n")
    for name, cn in (("server", "fake-apiserver"), ("client", "batchwatch")):
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
            "-keyout", p(f"{name}.key"), "-out", p(f"{name}.csr"))
        args = ["openssl", "x509", "-req", "-in", p(f"{name}.csr"), "-CA", p("ca.crt"),
                "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2", "-out", p(f"{name}.crt")]
        if name == "server":
            args += ["-extfile", p("ext.cnf")]
        run(*args)
    return directory


def serve(cluster, port=0, tls_dir=None, require_client_cert=False, host="127.0.0.1"):
    """Starts the server in a background thread. tls_dir: as made by generate_tls()."""
    handler = type("BoundHandler", (Handler,), {"cluster": cluster})
    httpd = ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    scheme = "http"
    if tls_dir:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(tls_dir, "server.crt"), os.path.join(tls_dir, "server.key"))
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(os.path.join(tls_dir, "ca.crt"))
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return FakeServer(cluster, httpd, thread, scheme)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    ap.add_argument("--tls-dir", help="serve HTTPS with certificates generated into this folder")
    ap.add_argument("--require-client-cert", action="store_true")
    ap.add_argument("--token-file", help="require 'Bearer <content>' (re-read per request)")
    ap.add_argument("--objects", help="JSON file of initial objects")
    ap.add_argument("--bookmark-interval", type=float, default=1.0)
    ap.add_argument("--max-watch-seconds", type=float, default=None)
    args = ap.parse_args(argv)
    cluster = FakeCluster(token_file=args.token_file, bookmark_interval=args.bookmark_interval,
                          max_watch_seconds=args.max_watch_seconds)
    if args.objects:
        cluster.load(args.objects)
    if args.tls_dir:
        generate_tls(args.tls_dir)
    server = serve(cluster, args.port, args.tls_dir, args.require_client_cert)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.port))
        os.replace(tmp, args.port_file)
    print(f"fake apiserver listening on {server.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    sys.exit(main())
