"""core/v1 Pods and Events as a real API server returns them (Kubernetes 1.30, the Job and
CronJob controllers, the scheduler, the kubelet, admission), for the simulated cluster: a Job's
pod is about 4 KB of JSON like a real one (labels, controller ownerReference, finalizer,
managedFields, the projected service account volume, tolerations, conditions, container
statuses), so that decoders and the scale script see what clusters send.

make_pod() builds a pod as the Job controller creates it; the set_*() functions move it on the
way the scheduler and the kubelet do (each returns the pod, changed in place). make_event()
builds an Event; EventRecorder writes them the way client-go's event recorder does (the same
event again raises `count` on the existing object; more than ten similar ones within ten
minutes become one "(combined from similar events)" event).

The messages are the components' own formats (job controller, CronJob controller, ResourceQuota,
PodSecurity and LimitRange admission, admission webhooks, scheduler, kubelet).
"""
import hashlib
import time
import uuid

from fake_apiserver import rfc3339

# FailedCreate messages by cause (the cause vocabulary of docs/metrics.md). `{name}` is the
# refused object's name: the API server generates a pod's name before validating admission, so
# each refused pod of a Job has another one.
CREATE_REFUSALS = {
    "quota": 'pods "{name}" is forbidden: exceeded quota: compute-resources, requested: '
             'limits.memory=512Mi, used: limits.memory=3840Mi, limited: limits.memory=4Gi',
    "pod_security": 'pods "{name}" is forbidden: violates PodSecurity "restricted:latest": '
                    'allowPrivilegeEscalation != false (container "main" must set '
                    'securityContext.allowPrivilegeEscalation=false), unrestricted capabilities '
                    '(container "main" must set securityContext.capabilities.drop=["ALL"]), '
                    'runAsNonRoot != true (pod or container "main" must set '
                    'securityContext.runAsNonRoot=true)',
    "webhook": 'admission webhook "validate.policy.example.com" denied the request: '
               'images from docker.io are not allowed in this namespace',
    "limit_range": 'pods "{name}" is forbidden: maximum memory usage per Container is 1Gi, '
                   'but limit is 2Gi',
    "forbidden": 'pods "{name}" is forbidden: error looking up service account '
                 '{namespace}/batch-runner: serviceaccount "batch-runner" not found',
    "invalid": 'Pod "{name}" is invalid: spec.containers[0].resources.requests: Invalid '
               'value: "2Gi": must be less than or equal to memory limit of 1Gi',
}

# How the kubelet reports images it cannot pull, in the order it cycles through them.
IMAGE_PULL_WAITING = [
    ("ErrImagePull", 'rpc error: code = NotFound desc = failed to pull and unpack image '
                     '"{image}": failed to resolve reference "{image}": {image}: not found'),
    ("ImagePullBackOff", 'Back-off pulling image "{image}"'),
]

UNSCHEDULABLE_MESSAGE = ("0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes "
                         "are available: 3 No preemption victims found for incoming pod.")
EVICTED_MESSAGE = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: "
                   "51200Ki. Container main was using 1843200Ki, request is 128Mi, has larger "
                   "consumption of memory. ")
PREEMPTED_MESSAGE = "batch/high-priority-etl: preempting to accommodate a higher priority pod"

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery's rand.String


def pod_name(job_name, seed):
    """<job name>-<five characters>, as generateName makes it (deterministic from seed)."""
    digest = hashlib.sha256(("%s/%s" % (job_name, seed)).encode()).digest()
    return "%s-%s" % (job_name, "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)]
                                        for b in digest[:5]))


def make_pod(namespace, job_name, job_uid, *, name=None, uid=None, created=None,
             image="registry.example.com/batch/worker:1.4.2", restart_policy="Never",
             memory_limit="512Mi", init_container=False, command=None):
    """A Job's pod as the Job controller creates it: phase Pending, not yet scheduled."""
    created = time.time() if created is None else created
    name = name or pod_name(job_name, created)
    uid = uid or str(uuid.uuid4())
    volume = "kube-api-access-" + name[-5:]
    when = rfc3339(created)
    mount = {"name": volume, "readOnly": True,
             "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}

    def container(cname, cmd):
        return {"name": cname, "image": image, "command": cmd,
                "env": [{"name": "JOB_NAME", "value": job_name},
                        {"name": "POD_NAME", "valueFrom": {"fieldRef": {
                            "apiVersion": "v1", "fieldPath": "metadata.name"}}}],
                "resources": {"limits": {"memory": memory_limit},
                              "requests": {"cpu": "100m", "memory": "128Mi"}},
                "volumeMounts": [mount],
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}

    spec = {
        "volumes": [{"name": volume, "projected": {"sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt",
                           "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
            "defaultMode": 420}}],
        "containers": [container("main", command or ["/bin/worker", "--batch-size=500"])],
        "restartPolicy": restart_policy,
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "serviceAccount": "default",
        "securityContext": {},
        "schedulerName": "default-scheduler",
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "effect": "NoExecute", "tolerationSeconds": 300}],
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
    }
    if init_container:
        spec["initContainers"] = [container("fetch-input", ["/bin/fetch", "--to=/work"])]
    return {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": name, "generateName": job_name + "-", "namespace": namespace, "uid": uid,
            "creationTimestamp": when,
            "labels": {"batch.kubernetes.io/controller-uid": job_uid,
                       "batch.kubernetes.io/job-name": job_name,
                       "controller-uid": job_uid, "job-name": job_name},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job_name,
                                 "uid": job_uid, "controller": True,
                                 "blockOwnerDeletion": True}],
            "finalizers": ["batch.kubernetes.io/job-tracking"],
            "managedFields": [{
                "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                "time": when, "fieldsType": "FieldsV1", "fieldsV1": {
                    "f:metadata": {"f:finalizers": {".": {}, "v:\"batch.kubernetes.io/job-tracking\"": {}},
                                   "f:generateName": {}, "f:labels": {
                                       ".": {}, "f:batch.kubernetes.io/controller-uid": {},
                                       "f:batch.kubernetes.io/job-name": {},
                                       "f:controller-uid": {}, "f:job-name": {}},
                                   "f:ownerReferences": {".": {}, "k:{\"uid\":\"%s\"}" % job_uid: {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"main\"}": {
                        ".": {}, "f:command": {}, "f:env": {}, "f:image": {},
                        "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {
                            ".": {}, "f:limits": {".": {}, "f:memory": {}},
                            "f:requests": {".": {}, "f:cpu": {}, "f:memory": {}}},
                        "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}},
                        "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {},
                        "f:schedulerName": {}, "f:securityContext": {},
                        "f:terminationGracePeriodSeconds": {}}}}]},
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": "Burstable"},
    }


def _condition(type_, status, t, reason=None, message=None):
    c = {"type": type_, "status": status, "lastProbeTime": None,
         "lastTransitionTime": rfc3339(t)}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def _set_condition(pod, cond):
    conds = [c for c in pod["status"].get("conditions", []) if c["type"] != cond["type"]]
    pod["status"]["conditions"] = conds + [cond]


def _containers(pod, init=False):
    return pod["spec"].get("initContainers" if init else "containers", [])


def _status_of(pod, name, init=False):
    key = "initContainerStatuses" if init else "containerStatuses"
    for s in pod["status"].get(key, []):
        if s["name"] == name:
            return s
    raise KeyError(name)


def _new_status(c, state):
    return {"name": c["name"], "state": state, "lastState": {}, "ready": False,
            "restartCount": 0, "image": c["image"], "imageID": "", "started": False}


def set_unschedulable(pod, t, message=UNSCHEDULABLE_MESSAGE):
    """The scheduler found no node: PodScheduled False, no container statuses."""
    _set_condition(pod, _condition("PodScheduled", "False", t, "Unschedulable", message))
    return pod


def set_scheduled(pod, t, node="sim-node-1", waiting="ContainerCreating", message=None):
    """Bound to a node; the kubelet reports the containers waiting (init containers first)."""
    st = pod["status"]
    st.update({"hostIP": "10.0.0.11", "hostIPs": [{"ip": "10.0.0.11"}], "startTime": rfc3339(t)})
    pod["spec"]["nodeName"] = node
    init = bool(_containers(pod, init=True))
    conds = [_condition("PodReadyToStartContainers", "False", t),
             _condition("Initialized", "False" if init else "True", t,
                        "ContainersNotInitialized" if init else None,
                        "containers with incomplete status: [fetch-input]" if init else None),
             _condition("Ready", "False", t, "ContainersNotReady",
                        "containers with unready status: [main]"),
             _condition("ContainersReady", "False", t, "ContainersNotReady",
                        "containers with unready status: [main]"),
             _condition("PodScheduled", "True", t)]
    st["conditions"] = conds
    wait = {"reason": waiting}
    if message:
        wait["message"] = message
    if init:
        st["initContainerStatuses"] = [_new_status(c, {"waiting": dict(wait)})
                                       for c in _containers(pod, init=True)]
        st["containerStatuses"] = [_new_status(c, {"waiting": {"reason": "PodInitializing"}})
                                   for c in _containers(pod)]
    else:
        st["containerStatuses"] = [_new_status(c, {"waiting": dict(wait)})
                                   for c in _containers(pod)]
    return pod


def set_waiting(pod, reason, message=None, container="main"):
    """A container (init containers are looked up too) waits for `reason`."""
    for init in (True, False):
        try:
            s = _status_of(pod, container, init)
        except KeyError:
            continue
        s["state"] = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
        s["ready"] = s["started"] = False
        return pod
    raise KeyError(container)


def set_running(pod, t):
    """Init containers (if any) completed, the main container running and ready."""
    st = pod["status"]
    st["phase"] = "Running"
    st["podIP"] = "10.244.1.%d" % (int(t) % 250 + 2)
    st["podIPs"] = [{"ip": st["podIP"]}]
    for s in st.get("initContainerStatuses", []):
        s["state"] = {"terminated": {"exitCode": 0, "reason": "Completed",
                                     "startedAt": rfc3339(t), "finishedAt": rfc3339(t),
                                     "containerID": "containerd://" + uuid.uuid4().hex}}
        s["ready"] = True
        s["imageID"] = s["image"].split(":")[0] + "@sha256:" + "ab" * 32
    for s in st.get("containerStatuses", []):
        s["state"] = {"running": {"startedAt": rfc3339(t)}}
        s["ready"] = s["started"] = True
        s["imageID"] = s["image"].split(":")[0] + "@sha256:" + "ab" * 32
        s["containerID"] = "containerd://" + uuid.uuid4().hex
    for c in st.get("conditions", []):
        if c["type"] in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"):
            c.update(status="True", lastTransitionTime=rfc3339(t))
            c.pop("reason", None)
            c.pop("message", None)
    return pod


def _terminated(exit_code, reason, started, t):
    return {"terminated": {"exitCode": exit_code, "reason": reason, "startedAt": started,
                           "finishedAt": rfc3339(t),
                           "containerID": "containerd://" + uuid.uuid4().hex}}


def set_terminated(pod, t, exit_code=0, reason=None):
    """The main container exited: Succeeded on 0 (reason Completed), else Failed (reason
    `reason`, `Error` by default; `OOMKilled` with 137 when the memory limit was hit)."""
    st = pod["status"]
    reason = reason or ("Completed" if exit_code == 0 else "Error")
    for s in st.get("containerStatuses", []):
        started = s["state"].get("running", {}).get("startedAt", rfc3339(t))
        s["state"] = _terminated(exit_code, reason, started, t)
        s["ready"] = s["started"] = False
    st["phase"] = "Succeeded" if exit_code == 0 else "Failed"
    for c in st.get("conditions", []):
        if c["type"] in ("Ready", "ContainersReady"):
            c.update(status="False", reason="PodCompleted" if exit_code == 0 else "PodFailed",
                     lastTransitionTime=rfc3339(t))
        if c["type"] == "PodReadyToStartContainers":
            c.update(status="False", lastTransitionTime=rfc3339(t))
    return pod


def set_restarted(pod, t, exit_code=1, reason=None):
    """restartPolicy OnFailure: the container exited and the kubelet started it again; the exit
    is in lastState.terminated and restartCount is one higher. The pod stays Running."""
    s = _status_of(pod, "main")
    started = s["state"].get("running", {}).get("startedAt", rfc3339(t))
    s["lastState"] = _terminated(exit_code, reason or ("OOMKilled" if exit_code == 137 else "Error"),
                                 started, t)
    s["restartCount"] += 1
    s["state"] = {"running": {"startedAt": rfc3339(t)}}
    return pod


def set_evicted(pod, t, message=EVICTED_MESSAGE):
    """The kubelet evicted the pod under node pressure (as kubelets before 1.26 write it: no
    DisruptionTarget condition, so status.reason is what tells)."""
    st = pod["status"]
    st.update(phase="Failed", reason="Evicted", message=message)
    for s in st.get("containerStatuses", []):
        started = s["state"].get("running", {}).get("startedAt", rfc3339(t))
        s["state"] = _terminated(137, "ContainerStatusUnknown", started, t)
        s["state"]["terminated"]["message"] = "The container could not be located when the pod was terminated"
        s["ready"] = s["started"] = False
    return pod


def set_disrupted(pod, t, reason="PreemptionByScheduler", message=PREEMPTED_MESSAGE):
    """A DisruptionTarget condition (1.26+: preemption, taint manager, eviction API, pod GC,
    kubelet), then the containers killed (exit 143) and the pod Failed."""
    _set_condition(pod, _condition("DisruptionTarget", "True", t, reason, message))
    st = pod["status"]
    st["phase"] = "Failed"
    for s in st.get("containerStatuses", []):
        started = s["state"].get("running", {}).get("startedAt", rfc3339(t))
        s["state"] = _terminated(143, "Error", started, t)
        s["ready"] = s["started"] = False
    return pod


def make_event(involved, reason, message, *, t=None, count=1, type_="Warning",
               component="job-controller", name=None):
    """A core/v1 Event about `involved` (a Job, CronJob or Pod object), as the event recorder
    writes it: named <object>.<hex nanoseconds>, source and reporting component, first and last
    timestamp."""
    t = time.time() if t is None else t
    md = involved["metadata"]
    api_version = involved.get("apiVersion", "v1")
    return {
        "kind": "Event", "apiVersion": "v1",
        "metadata": {"name": name or "%s.%x" % (md["name"], int(t * 1e9)),
                     "namespace": md.get("namespace", "default"),
                     "creationTimestamp": rfc3339(t),
                     "managedFields": [{"manager": "kube-controller-manager", "operation": "Update",
                                        "apiVersion": "v1", "time": rfc3339(t),
                                        "fieldsType": "FieldsV1", "fieldsV1": {
                                            "f:count": {}, "f:firstTimestamp": {},
                                            "f:involvedObject": {}, "f:lastTimestamp": {},
                                            "f:message": {}, "f:reason": {},
                                            "f:reportingComponent": {}, "f:source": {
                                                "f:component": {}}, "f:type": {}}}]},
        "involvedObject": {"kind": involved.get("kind", ""), "namespace": md.get("namespace"),
                           "name": md["name"], "uid": md.get("uid", ""),
                           "apiVersion": api_version,
                           "resourceVersion": md.get("resourceVersion", "")},
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": rfc3339(t),
        "lastTimestamp": rfc3339(t),
        "count": count,
        "type": type_,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": "",
    }


class EventRecorder:
    """client-go's event recorder in front of a FakeCluster: an event identical to an earlier
    one (object, reason, message, source) raises that Event's count (MODIFIED); more than
    AGGREGATE_MAX similar events (object, reason, type, source: any message) within
    AGGREGATE_SECONDS go to one "(combined from similar events): <message>" Event instead
    (client-go's EventCorrelator)."""

    AGGREGATE_MAX = 10
    AGGREGATE_SECONDS = 600

    def __init__(self, cluster):
        self.cluster = cluster
        self.written = {}    # (uid, reason, message, component) -> event name
        self.similar = {}    # (uid, reason, type, component) -> [first time, number seen]

    def record(self, involved, reason, message, *, t=None, type_="Warning",
               component="job-controller"):
        """Writes (or raises the count of) an Event; returns the Event as stored."""
        t = time.time() if t is None else t
        uid = involved["metadata"].get("uid", "")
        similar_key = (uid, reason, type_, component)
        first, seen = self.similar.get(similar_key, (t, 0))
        if t - first > self.AGGREGATE_SECONDS:
            first, seen = t, 0
        seen += 1
        self.similar[similar_key] = (first, seen)
        if seen > self.AGGREGATE_MAX:
            message = "(combined from similar events): " + message
            key = (uid, reason, "(combined)", component)
        else:
            key = (uid, reason, message, component)
        ns = involved["metadata"].get("namespace", "default")
        name = self.written.get(key)
        if name is not None:
            ev = self.cluster.get("events", ns, name)
            if ev is not None:
                ev["count"] = ev.get("count", 1) + 1
                ev["lastTimestamp"] = rfc3339(t)
                ev["message"] = message
                return self.cluster.update("events", ev)
        ev = make_event(involved, reason, message, t=t, type_=type_, component=component)
        nanos = int(t * 1e9)
        while self.cluster.get("events", ns, ev["metadata"]["name"]) is not None:
            nanos += 1
            ev["metadata"]["name"] = "%s.%x" % (involved["metadata"]["name"], nanos)
        self.written[key] = ev["metadata"]["name"]
        return self.cluster.create("events", ev)
