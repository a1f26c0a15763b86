// Validates deploy/ without a cluster: every object against the Kubernetes (kubernetes-models)
// and Prometheus Operator (@kubernetes-models/prometheus-operator) schemas, the kustomization's
// file list, the security settings the pod must have, and the references between objects
// (Service -> Deployment labels and ports, probes -> ports, RBAC -> ServiceAccount, ...).
// Each rule also runs against a broken copy of the manifests to prove it catches the breakage.
//
// Usage: node validate_manifests.mjs [--rendered FILE [--sharded BASE_FILE]]
//   Reads deploy/ from $BATCHWATCH_SOURCE_DIR (default: two folders up). With --rendered, the
//   objects come from `kubectl kustomize deploy/` output instead of the raw files, and the
//   namespace kustomize applied is checked as well. With --sharded, FILE is
//   `kubectl kustomize deploy-sharded/` and BASE_FILE the rendering of deploy/: the same rules
//   apply to its StatefulSet, plus the sharding rules, and its pod template must be the base
//   Deployment's apart from the shard flags.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { Namespace, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.BATCHWATCH_SOURCE_DIR ?? path.resolve(here, "../..");
const deployDir = path.join(sourceDir, "deploy");
const renderedArg = process.argv.indexOf("--rendered");
const renderedFile = renderedArg > 0 ? process.argv[renderedArg + 1] : null;
const shardedArg = process.argv.indexOf("--sharded");
const baseFile = shardedArg > 0 ? process.argv[shardedArg + 1] : null;

const NAMESPACE = "batchwatch";
const METRICS_PORT = 9981;
// Applied on its own (kubectl apply -n batchwatch -f): not every cluster has the CRD.
const SEPARATE_FILES = ["servicemonitor.yaml", "prometheusrule.yaml"];
const MODELS = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);

function parseDocuments(text, source) {
  const docs = YAML.parseAllDocuments(text);
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj !== null) objects.push({ source, obj });
  }
  return objects;
}

function loadKustomization() {
  const file = path.join(deployDir, "kustomization.yaml");
  return YAML.parse(fs.readFileSync(file, "utf8"));
}

// The objects under test: {source, obj}. Raw mode reads the kustomization's resources plus the
// separately applied files; rendered mode reads kubectl kustomize output plus those files.
function loadObjects() {
  const objects = [];
  if (renderedFile) {
    const text = fs.readFileSync(renderedFile === "-" ? 0 : renderedFile, "utf8");
    objects.push(...parseDocuments(text, `kubectl kustomize ${baseFile ? "deploy-sharded" : "deploy"}/`));
  } else {
    for (const file of loadKustomization().resources ?? []) {
      const full = path.join(deployDir, file);
      if (fs.existsSync(full)) objects.push(...parseDocuments(fs.readFileSync(full, "utf8"), file));
    }
  }
  for (const file of SEPARATE_FILES) {
    const text = fs.readFileSync(path.join(deployDir, file), "utf8");
    objects.push(...parseDocuments(text, file));
  }
  return objects;
}

const key = (o) => `${o.apiVersion}/${o.kind}`;
const find = (objects, kind) => objects.filter((o) => o.obj.kind === kind).map((o) => o.obj);
const one = (objects, kind) => {
  const found = find(objects, kind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return found[0];
};
const subset = (small, big) =>
  Object.entries(small ?? {}).every(([k, v]) => (big ?? {})[k] === v);
// The exporters' workload: the Deployment of deploy/, or the StatefulSet of deploy-sharded/.
const workload = (objects) => {
  const found = objects.filter((o) => ["Deployment", "StatefulSet"].includes(o.obj.kind));
  if (found.length !== 1) throw new Error(`expected exactly one Deployment or StatefulSet, found ${found.length}`);
  return found[0].obj;
};
const containerOf = (objects) => {
  const containers = workload(objects).spec.template.spec.containers;
  const c = containers.find((x) => x.name === "batchwatch");
  if (!c) throw new Error("the Deployment has no container named batchwatch");
  return c;
};
const portRefOk = (container, port) =>
  (container.ports ?? []).some((p) => p.name === port || p.containerPort === port);

// Each rule throws with a message saying what is wrong.
const RULES = {
  "every object validates against its schema": (objects) => {
    for (const { source, obj } of objects) {
      const Model = MODELS[key(obj)];
      if (!Model) throw new Error(`${source}: no schema for ${key(obj)}`);
      try {
        new Model(obj).validate();
      } catch (e) {
        throw new Error(`${source}: ${key(obj)} ${obj.metadata?.name}: ${e.message}`);
      }
    }
  },
  "objects are namespace-agnostic or in the kustomization's namespace": (objects) => {
    for (const { source, obj } of objects) {
      const ns = obj.metadata?.namespace;
      if (CLUSTER_SCOPED.has(obj.kind)) {
        if (ns !== undefined) throw new Error(`${source}: cluster-scoped ${obj.kind} has a namespace`);
      } else if (renderedFile && !SEPARATE_FILES.includes(source) ? ns !== NAMESPACE : ns !== undefined) {
        throw new Error(`${source}: ${obj.kind} ${obj.metadata?.name} has namespace ${ns}`);
      }
    }
  },
  "the Service selects the exporter's pods": (objects) => {
    const d = workload(objects);
    const s = one(objects, "Service");
    const labels = d.spec.template.metadata?.labels;
    if (!s.spec.selector || !Object.keys(s.spec.selector).length)
      throw new Error("the Service has no selector");
    if (!subset(s.spec.selector, labels))
      throw new Error(`Service selector ${JSON.stringify(s.spec.selector)} does not match pod labels ${JSON.stringify(labels)}`);
    if (!subset(d.spec.selector.matchLabels, labels))
      throw new Error("the workload's selector does not match its own pod labels");
  },
  "the Service's named metrics port reaches the container port": (objects) => {
    const s = one(objects, "Service");
    const port = (s.spec.ports ?? []).find((p) => p.name === "metrics");
    if (!port) throw new Error("the Service has no port named metrics");
    if (port.port !== METRICS_PORT) throw new Error(`the metrics port is ${port.port}, not ${METRICS_PORT}`);
    if (!portRefOk(containerOf(objects), port.targetPort ?? port.port))
      throw new Error(`targetPort ${port.targetPort} is not a container port`);
  },
  "the container listens where its port and probes point": (objects) => {
    const c = containerOf(objects);
    const metrics = (c.ports ?? []).find((p) => p.name === "metrics");
    if (metrics?.containerPort !== METRICS_PORT)
      throw new Error(`container port metrics must be ${METRICS_PORT}`);
    const listen = (c.args ?? []).find((a) => a.startsWith("--listen-address="));
    if (listen && !listen.endsWith(`:${METRICS_PORT}`))
      throw new Error(`${listen} does not match container port ${METRICS_PORT}`);
    for (const [probe, wanted] of [["livenessProbe", "/healthz"], ["readinessProbe", "/readyz"]]) {
      const get = c[probe]?.httpGet;
      if (!get) throw new Error(`${probe} is missing or not an httpGet probe`);
      if (get.path !== wanted) throw new Error(`${probe} path is ${get.path}, want ${wanted}`);
      if (!portRefOk(c, get.port)) throw new Error(`${probe} port ${get.port} is not a container port`);
    }
  },
  "the pod runs under the ServiceAccount the ClusterRoleBinding grants": (objects) => {
    const sa = one(objects, "ServiceAccount").metadata.name;
    const d = workload(objects);
    if (d.spec.template.spec.serviceAccountName !== sa)
      throw new Error(`the pod uses ServiceAccount ${d.spec.template.spec.serviceAccountName}, not ${sa}`);
    const crb = one(objects, "ClusterRoleBinding");
    const role = one(objects, "ClusterRole").metadata.name;
    if (crb.roleRef.kind !== "ClusterRole" || crb.roleRef.name !== role)
      throw new Error(`the binding refers to ${crb.roleRef.kind} ${crb.roleRef.name}, not ClusterRole ${role}`);
    const subject = (crb.subjects ?? []).find((x) => x.kind === "ServiceAccount" && x.name === sa);
    if (!subject) throw new Error(`the ClusterRoleBinding does not name ServiceAccount ${sa}`);
    if (subject.namespace !== NAMESPACE)
      throw new Error(`the binding's subject is in namespace ${subject.namespace}, not ${NAMESPACE}`);
  },
  "the ClusterRole only reads Jobs, CronJobs, Pods and Events": (objects) => {
    const rules = one(objects, "ClusterRole").rules ?? [];
    // What batchwatch lists and watches, by API group ("" = core).
    const readable = { batch: ["jobs", "cronjobs"], "": ["pods", "events"] };
    const granted = new Set();
    for (const r of rules) {
      if (r.nonResourceURLs || r.resourceNames) throw new Error("unexpected nonResourceURLs/resourceNames");
      for (const g of r.apiGroups ?? []) {
        if (!(g in readable)) throw new Error(`the ClusterRole grants API group "${g}"`);
        for (const res of r.resources ?? []) {
          if (!readable[g].includes(res)) throw new Error(`the ClusterRole grants ${res} in group "${g}"`);
          for (const v of r.verbs ?? []) {
            if (!["list", "watch"].includes(v)) throw new Error(`the ClusterRole grants verb ${v}`);
            granted.add(`${g}/${res}/${v}`);
          }
        }
      }
    }
    for (const need of ["batch/jobs/list", "batch/jobs/watch", "batch/cronjobs/list", "batch/cronjobs/watch"])
      if (!granted.has(need)) throw new Error(`the ClusterRole lacks ${need}`);
  },
  "the pod is locked down (restricted Pod Security Standard)": (objects) => {
    const pod = workload(objects).spec.template.spec;
    const c = containerOf(objects);
    const psc = pod.securityContext ?? {};
    const csc = c.securityContext ?? {};
    const nonRoot = csc.runAsNonRoot ?? psc.runAsNonRoot;
    const uid = csc.runAsUser ?? psc.runAsUser;
    if (nonRoot !== true) throw new Error("runAsNonRoot is not true");
    if (uid === 0) throw new Error("runAsUser is 0");
    if (csc.readOnlyRootFilesystem !== true) throw new Error("readOnlyRootFilesystem is not true");
    if (csc.allowPrivilegeEscalation !== false) throw new Error("allowPrivilegeEscalation is not false");
    if (!(csc.capabilities?.drop ?? []).includes("ALL")) throw new Error("capabilities are not all dropped");
    if ((csc.capabilities?.add ?? []).length) throw new Error("capabilities are added");
    if ((csc.seccompProfile ?? psc.seccompProfile)?.type !== "RuntimeDefault")
      throw new Error("seccompProfile is not RuntimeDefault");
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC || csc.privileged)
      throw new Error("the pod uses host namespaces or privileged mode");
    for (const kind of ["requests", "limits"])
      for (const res of ["cpu", "memory"])
        if (!c.resources?.[kind]?.[res]) throw new Error(`resources.${kind}.${res} is not set`);
  },
  "the image's numeric user and port match the Dockerfile": (objects) => {
    const dockerfile = fs.readFileSync(path.join(sourceDir, "Dockerfile"), "utf8");
    const user = [...dockerfile.matchAll(/^USER\s+(\d+)/gm)].pop()?.[1];
    const pod = workload(objects).spec.template.spec;
    const uid = containerOf(objects).securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
    if (user === undefined) throw new Error("the Dockerfile has no numeric USER");
    if (uid !== undefined && String(uid) !== user)
      throw new Error(`runAsUser ${uid} differs from the image's USER ${user}`);
    if (!new RegExp(`^EXPOSE\\s+${METRICS_PORT}\\b`, "m").test(dockerfile))
      throw new Error(`the Dockerfile does not EXPOSE ${METRICS_PORT}`);
  },
  "the state file lives on a mounted volume": (objects) => {
    const pod = workload(objects).spec.template.spec;
    const c = containerOf(objects);
    const arg = (c.args ?? []).find((a) => a.startsWith("--state-file="));
    if (!arg) throw new Error("no --state-file argument");
    const dir = path.posix.dirname(arg.slice("--state-file=".length));
    const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === dir);
    if (!mount) throw new Error(`${dir} is not a volume mount (the root filesystem is read-only)`);
    if (mount.readOnly) throw new Error(`${dir} is mounted read-only`);
    for (const m of c.volumeMounts ?? [])
      if (!(pod.volumes ?? []).some((v) => v.name === m.name))
        throw new Error(`volumeMount ${m.name} has no volume`);
  },
  "the ServiceMonitor scrapes the Service's metrics port": (objects) => {
    const sm = one(objects, "ServiceMonitor");
    const s = one(objects, "Service");
    if (!subset(sm.spec.selector.matchLabels, s.metadata.labels) || !Object.keys(sm.spec.selector.matchLabels ?? {}).length)
      throw new Error("the ServiceMonitor selector does not match the Service's labels");
    const names = (s.spec.ports ?? []).map((p) => p.name);
    for (const e of sm.spec.endpoints ?? []) {
      if (!names.includes(e.port)) throw new Error(`endpoint port ${e.port} is not a Service port name`);
      if ((e.path ?? "/metrics") !== "/metrics") throw new Error(`endpoint path ${e.path}`);
      if (e.honorLabels !== true)
        throw new Error("honorLabels must be true: the metrics carry their own namespace label");
    }
    if (!(sm.spec.endpoints ?? []).length) throw new Error("the ServiceMonitor has no endpoints");
  },
};

// deploy-sharded/ only.
const argValue = (c, flag) => (c.args ?? []).find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
const SHARD_FLAGS = ["--shard", "--shard-from-pod-name", "--total-shards"];
const withoutShardFlags = (template) => {
  const t = structuredClone(template);
  for (const c of t.spec.containers) {
    c.args = (c.args ?? []).filter((a) => !SHARD_FLAGS.some((f) => a.startsWith(`${f}=`)));
    c.env = (c.env ?? []).filter((e) => e.name !== "POD_NAME");
    if (!c.env.length) delete c.env;
  }
  return t;
};
const SHARDED_RULES = {
  "each pod takes its shard from its own name, of as many shards as replicas": (objects) => {
    const sts = one(objects, "StatefulSet");
    const c = containerOf(objects);
    const env = (c.env ?? []).find((e) => e.name === "POD_NAME");
    if (env?.valueFrom?.fieldRef?.fieldPath !== "metadata.name")
      throw new Error("POD_NAME does not come from the downward API's metadata.name");
    if (argValue(c, "--shard-from-pod-name") !== "$(POD_NAME)")
      throw new Error("no --shard-from-pod-name=$(POD_NAME) argument");
    if (argValue(c, "--shard") !== undefined) throw new Error("a fixed --shard in a StatefulSet");
    const total = Number(argValue(c, "--total-shards"));
    if (!Number.isInteger(total) || total < 2) throw new Error(`--total-shards is ${total}`);
    if (sts.spec.replicas !== total)
      throw new Error(`${sts.spec.replicas} replicas but --total-shards=${total}`);
  },
  "the StatefulSet's governing Service is headless (every shard is scraped)": (objects) => {
    const sts = one(objects, "StatefulSet");
    const s = one(objects, "Service");
    if (s.metadata.name !== sts.spec.serviceName)
      throw new Error(`serviceName ${sts.spec.serviceName} is not the Service ${s.metadata.name}`);
    if (s.spec.clusterIP !== "None") throw new Error("the Service is not headless (clusterIP: None)");
  },
  "the pod template is the base Deployment's apart from the shard flags": (objects) => {
    const base = parseDocuments(fs.readFileSync(baseFile, "utf8"), "kubectl kustomize deploy/");
    assert.deepEqual(withoutShardFlags(one(objects, "StatefulSet").spec.template),
      withoutShardFlags(one(base, "Deployment").spec.template));
  },
};
if (baseFile) Object.assign(RULES, SHARDED_RULES);

const objects = loadObjects();

describe("deploy/ kustomization", () => {
  const k = loadKustomization();
  it("sets the batchwatch namespace", () => assert.equal(k.namespace, NAMESPACE));
  it("lists only files that exist", () => {
    for (const file of k.resources ?? [])
      assert.ok(fs.existsSync(path.join(deployDir, file)), `deploy/${file} is listed but missing`);
  });
  it("leaves the Prometheus Operator objects out (they need its CRDs)", () => {
    for (const f of SEPARATE_FILES) assert.ok(!(k.resources ?? []).includes(f), f);
  });
  it("accounts for every manifest in deploy/", () => {
    const yamls = fs.readdirSync(deployDir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml");
    for (const f of yamls)
      assert.ok((k.resources ?? []).includes(f) || SEPARATE_FILES.includes(f),
        `deploy/${f} is neither a kustomize resource nor documented as applied separately`);
  });
  it("keeps selectors out of its common labels", () => {
    for (const l of k.labels ?? []) assert.notEqual(l.includeSelectors, true);
    assert.equal(k.commonLabels, undefined, "commonLabels would change the immutable selector");
  });
});

describe(`${baseFile ? "deploy-sharded" : "deploy"}/ manifests${renderedFile ? " (rendered by kubectl kustomize)" : ""}`, () => {
  for (const [name, rule] of Object.entries(RULES)) it(name, () => rule(objects));
});

// Broken copies of the manifests: the named rule must reject each one.
const MUTATIONS = [
  ["the Service selects the exporter's pods", "a Service selector with a typo",
    (o) => { one(o, "Service").spec.selector["app.kubernetes.io/name"] = "batchwach"; }],
  ["the Service's named metrics port reaches the container port", "a renamed Service port",
    (o) => { one(o, "Service").spec.ports[0].name = "http"; }],
  ["the Service's named metrics port reaches the container port", "a targetPort no container has",
    (o) => { one(o, "Service").spec.ports[0].targetPort = "web"; }],
  ["the container listens where its port and probes point", "a liveness probe on /health",
    (o) => { containerOf(o).livenessProbe.httpGet.path = "/health"; }],
  ["the container listens where its port and probes point", "a readiness probe on an unknown port",
    (o) => { containerOf(o).readinessProbe.httpGet.port = "http"; }],
  ["the container listens where its port and probes point", "a listen address on another port",
    (o) => { const c = containerOf(o); c.args = c.args.map((a) => a.startsWith("--listen-address=") ? "--listen-address=:8080" : a); }],
  ["the pod runs under the ServiceAccount the ClusterRoleBinding grants", "a binding to another ServiceAccount",
    (o) => { one(o, "ClusterRoleBinding").subjects[0].name = "default"; }],
  ["the pod runs under the ServiceAccount the ClusterRoleBinding grants", "a pod on the default ServiceAccount",
    (o) => { delete workload(o).spec.template.spec.serviceAccountName; }],
  ["the ClusterRole only reads Jobs, CronJobs, Pods and Events", "a delete verb",
    (o) => { one(o, "ClusterRole").rules[0].verbs.push("delete"); }],
  ["the ClusterRole only reads Jobs, CronJobs, Pods and Events", "access to secrets",
    (o) => { one(o, "ClusterRole").rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }); }],
  ["the ClusterRole only reads Jobs, CronJobs, Pods and Events", "pods/log (a subresource)",
    (o) => { one(o, "ClusterRole").rules[1].resources.push("pods/log"); }],
  ["the ClusterRole only reads Jobs, CronJobs, Pods and Events", "a get verb on events",
    (o) => { one(o, "ClusterRole").rules[2].verbs.push("get"); }],
  ["the ClusterRole only reads Jobs, CronJobs, Pods and Events", "no watch on cronjobs",
    (o) => { one(o, "ClusterRole").rules[0].resources = ["jobs"]; }],
  ["the pod is locked down (restricted Pod Security Standard)", "a writable root filesystem",
    (o) => { containerOf(o).securityContext.readOnlyRootFilesystem = false; }],
  ["the pod is locked down (restricted Pod Security Standard)", "privilege escalation",
    (o) => { delete containerOf(o).securityContext.allowPrivilegeEscalation; }],
  ["the pod is locked down (restricted Pod Security Standard)", "kept capabilities",
    (o) => { containerOf(o).securityContext.capabilities.drop = ["NET_RAW"]; }],
  ["the pod is locked down (restricted Pod Security Standard)", "no memory limit",
    (o) => { delete containerOf(o).resources.limits.memory; }],
  ["the pod is locked down (restricted Pod Security Standard)", "an unconfined seccomp profile",
    (o) => {
      delete workload(o).spec.template.spec.securityContext.seccompProfile;
      containerOf(o).securityContext.seccompProfile = { type: "Unconfined" };
    }],
  ["the pod is locked down (restricted Pod Security Standard)", "root allowed",
    (o) => {
      delete workload(o).spec.template.spec.securityContext.runAsNonRoot;
      delete containerOf(o).securityContext.runAsNonRoot;
    }],
  ["the image's numeric user and port match the Dockerfile", "a runAsUser the image does not use",
    (o) => { workload(o).spec.template.spec.securityContext.runAsUser = 1000; }],
  ["the state file lives on a mounted volume", "a state file on the read-only root",
    (o) => { const c = containerOf(o); c.args = c.args.map((a) => a.startsWith("--state-file=") ? "--state-file=/data/state.json" : a); }],
  ["the ServiceMonitor scrapes the Service's metrics port", "a ServiceMonitor on a port number",
    (o) => { one(o, "ServiceMonitor").spec.endpoints[0].port = "9981"; }],
  ["the ServiceMonitor scrapes the Service's metrics port", "a ServiceMonitor selecting nothing",
    (o) => { one(o, "ServiceMonitor").spec.selector.matchLabels = { app: "other" }; }],
  ["every object validates against its schema", "a string containerPort",
    (o) => { containerOf(o).ports[0].containerPort = "9981"; }],
  ["every object validates against its schema", "a Service without ports list type",
    (o) => { one(o, "Service").spec.ports = { name: "metrics" }; }],
  ["every object validates against its schema", "a ServiceMonitor with a numeric endpoint port",
    (o) => { one(o, "ServiceMonitor").spec.endpoints[0].port = 9981; }],
];

if (baseFile) {
  const c = containerOf;
  const setArg = (o, flag, value) => {
    const k = c(o);
    k.args = k.args.filter((a) => !a.startsWith(`${flag}=`));
    if (value !== null) k.args.push(`${flag}=${value}`);
  };
  MUTATIONS.push(
    ["each pod takes its shard from its own name, of as many shards as replicas", "4 replicas of 3 shards",
      (o) => { one(o, "StatefulSet").spec.replicas = 4; }],
    ["each pod takes its shard from its own name, of as many shards as replicas", "the namespace as pod name",
      (o) => { c(o).env[0].valueFrom.fieldRef.fieldPath = "metadata.namespace"; }],
    ["each pod takes its shard from its own name, of as many shards as replicas", "a fixed --shard",
      (o) => { setArg(o, "--shard-from-pod-name", null); setArg(o, "--shard", "0"); }],
    ["each pod takes its shard from its own name, of as many shards as replicas", "no --total-shards",
      (o) => { setArg(o, "--total-shards", null); }],
    ["the StatefulSet's governing Service is headless (every shard is scraped)", "a ClusterIP Service",
      (o) => { delete one(o, "Service").spec.clusterIP; }],
    ["the StatefulSet's governing Service is headless (every shard is scraped)", "another serviceName",
      (o) => { one(o, "StatefulSet").spec.serviceName = "batchwatch-shards"; }],
    ["the pod template is the base Deployment's apart from the shard flags", "a drifted memory limit",
      (o) => { c(o).resources.limits.memory = "1Gi"; }],
    ["the pod template is the base Deployment's apart from the shard flags", "a dropped argument",
      (o) => { setArg(o, "--log-format", null); }],
  );
}

describe("each rule rejects manifests that break it", () => {
  for (const [rule, name, mutate] of MUTATIONS) {
    it(`${rule}: rejects ${name}`, () => {
      const copy = structuredClone(objects);
      mutate(copy);
      assert.throws(() => RULES[rule](copy), Error, `the rule accepted ${name}`);
    });
  }
});
