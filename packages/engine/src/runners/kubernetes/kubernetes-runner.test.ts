import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { PreparedTask, Program, ResolvedRunnerSpec } from "@gantry/core";
import type { V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { podSecurityViolations } from "../../testing/pod-security.js";
import { bash, testTask } from "../../testing/tasks.js";
import { tempDir } from "../../testing/temp-dir.js";
import type { RunnerResult, Stream } from "../types.js";
import { FakeKubernetesApi } from "./fake-api-server.js";
import { KubernetesRunner } from "./kubernetes-runner.js";

// No Kubernetes API server can run on this machine: these tests run the runner against FakeKubernetesApi,
// which implements only the pod endpoints it uses. They check the requests and the reading of answers,
// not a real cluster's behaviour.

function task(program: Program, runner: Partial<ResolvedRunnerSpec> = {}, extra: Partial<PreparedTask> = {}) {
  return testTask(program, {
    step: "build_it",
    name: "build_it",
    runner: { type: "kubernetes", image: "node:20", ...runner },
    ...extra,
  });
}

describe("KubernetesRunner against a fake API server", () => {
  const api = new FakeKubernetesApi();
  let tmp: ReturnType<typeof tempDir>;
  let runner: KubernetesRunner;
  let kubeconfig: string;

  beforeAll(async () => {
    const server = await api.start();
    tmp = tempDir("gantry-k8s-");
    // Authentication through a kubeconfig file, as `kubectl` reads it. The client refuses plain HTTP
    // unless TLS checks are off, and the fake server speaks plain HTTP.
    kubeconfig = tmp.write(
      "kubeconfig.yaml",
      `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: gantry, user: {token: t0k3n}}]
contexts: [{name: fake, context: {cluster: fake, user: gantry, namespace: ci}}]
current-context: fake
`,
    );
    runner = await KubernetesRunner.create({
      kubeconfigPath: kubeconfig,
      pollMs: 5,
      killGraceSeconds: 2,
      workerId: "w-1",
    });
  });
  afterAll(async () => {
    await api.stop();
    tmp.cleanup();
  });
  beforeEach(() => {
    api.behaviour = () => ({ log: "", exitCode: 0 });
  });

  async function run(
    t: PreparedTask,
    options: { signal?: AbortSignal; actionDir?: string; onLine?: (l: string) => void } = {},
  ) {
    const lines: Array<[Stream, string]> = [];
    const result: RunnerResult = await runner.run({
      task: t,
      runId: "3f0c1a52-0000-4000-8000-000000000001",
      workerId: "worker-A_1",
      onLine: (stream, line) => {
        lines.push([stream, line]);
        options.onLine?.(line);
      },
      signal: options.signal ?? new AbortController().signal,
      ...(options.actionDir ? { actionDir: options.actionDir } : {}),
    });
    return { result, lines };
  }

  const lastPod = (): { pod: V1Pod; deleted: boolean } => {
    const last = [...api.pods.values()].at(-1);
    if (!last) throw new Error("no pod was created");
    return last;
  };

  it("runs a step as a pod: logs followed, outputs from the termination message, pod deleted", async () => {
    api.behaviour = () => ({
      log: "hello\nworld\n",
      exitCode: 0,
      message: "greeting=hi\nnotes<<E\na\nb\nE\n",
    });
    const { result, lines } = await run(task(bash("echo hello"), {}, { inputs: { who: "ada" } }));
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({
      status: "succeeded",
      exitCode: 0,
      outputs: { greeting: "hi", notes: "a\nb" },
    });
    expect(lines).toEqual([
      ["stdout", "hello"],
      ["stdout", "world"],
    ]);
    const { pod, deleted } = lastPod();
    expect(deleted).toBe(true);
    expect(pod.metadata?.namespace).toBe("ci");
    expect(api.requests.every((r) => r.authorization === "Bearer t0k3n")).toBe(true);
    const paths = api.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths[0]).toBe("POST /api/v1/namespaces/ci/pods");
    expect(paths).toContain(`GET /api/v1/namespaces/ci/pods/${pod.metadata?.name}/log`);
    expect(paths.at(-1)).toBe(`DELETE /api/v1/namespaces/ci/pods/${pod.metadata?.name}`);
  });

  it("builds the pod from the runner spec: placement, resources, pull policy, env, labels", async () => {
    await run(
      task(
        bash("true"),
        {
          namespace: "builds",
          service_account: "builder",
          node_selector: { pool: "ci" },
          tolerations: [{ key: "ci", operator: "Exists", effect: "NoSchedule" }],
          image_pull_secrets: ["regcred"],
          resources: { requests: { cpu: "250m" }, limits: { memory: "1Gi" } },
          cpus: "2",
          pull: "always",
          user: "1000:2000",
          env: { FROM_RUNNER: "yes" },
        },
        { env: { GIVEN: "1" }, timeoutMs: 90_000, workingDirectory: "src" },
      ),
    );
    const { pod } = lastPod();
    expect(pod.metadata?.name).toMatch(/^gantry-3f0c1a52-build-it-0-1-[a-z0-9]+$/);
    expect(pod.metadata?.namespace).toBe("builds");
    expect(pod.metadata?.labels).toMatchObject({
      "gantry.managed": "true",
      "gantry.worker": "worker-A_1",
      "gantry.step": "build_it",
    });
    expect(pod.metadata?.annotations).toMatchObject({ "gantry.dev/worker": "worker-A_1" });
    const spec = pod.spec;
    expect(spec).toMatchObject({
      restartPolicy: "Never",
      serviceAccountName: "builder",
      nodeSelector: { pool: "ci" },
      tolerations: [{ key: "ci", operator: "Exists", effect: "NoSchedule" }],
      imagePullSecrets: [{ name: "regcred" }],
      activeDeadlineSeconds: 150,
      volumes: [{ name: "gantry", emptyDir: {} }],
    });
    const step = spec?.containers[0];
    expect(step).toMatchObject({
      name: "step",
      image: "node:20",
      imagePullPolicy: "Always",
      workingDir: "/gantry/work/src",
      terminationMessagePath: "/gantry/output",
      terminationMessagePolicy: "File",
      resources: { requests: { cpu: "250m" }, limits: { memory: "1Gi", cpu: "2" } },
      securityContext: { runAsUser: 1000, runAsGroup: 2000 },
      volumeMounts: [{ name: "gantry", mountPath: "/gantry" }],
    });
    expect(step?.command).toEqual(["sh"]);
    expect(step?.args?.[2]).toBe("/gantry/.gantry-script.sh");
    const env = Object.fromEntries((step?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ GIVEN: "1", FROM_RUNNER: "yes", GANTRY_OUTPUT: "/gantry/output" });
    expect(env.PATH).toBeUndefined();
  });

  it("puts none of the worker's settings (database URL, encryption key, OIDC, S3) into the pod", async () => {
    const settings = {
      GANTRY_DATABASE_URL: "postgres://gantry:db-password@db/gantry",
      GANTRY_ENCRYPTION_KEY: "encryption-key-value",
      GANTRY_OIDC_CLIENT_SECRET: "oidc-client-secret",
      GANTRY_S3_SECRET_ACCESS_KEY: "s3-secret",
      GANTRY_STEP_ENV: "GANTRY_ENCRYPTION_KEY",
    };
    Object.assign(process.env, settings);
    try {
      await run(task(bash("env")));
    } finally {
      for (const name of Object.keys(settings)) delete process.env[name];
    }
    const pod = JSON.stringify(lastPod().pod);
    for (const [name, value] of Object.entries(settings)) {
      expect(pod).not.toContain(name);
      expect(pod).not.toContain(value);
    }
  });

  it("writes the step's files through the init container's script", async () => {
    const action = path.join(tmp.dir, "action");
    tmp.write("action/bin/run.sh", "#!/bin/sh\necho it's me\n");
    execFileSync("chmod", ["755", path.join(action, "bin/run.sh")]);
    await run(task(bash("echo 'quotes' \"and\" $HOME"), {}, { inputs: { n: 1 } }), { actionDir: action });
    const init = lastPod().pod.spec?.initContainers?.[0];
    expect(init?.image).toBe("busybox:1.36");
    // Run the script here, with /gantry moved into a temporary folder, to see what it writes.
    const root = path.join(tmp.dir, "pod");
    const script = (init?.command?.[2] ?? "").replaceAll("'/gantry", `'${root}`);
    execFileSync("sh", ["-c", script]);
    expect(readFileSync(path.join(root, ".gantry-script.sh"), "utf8")).toBe("echo 'quotes' \"and\" $HOME");
    expect(readFileSync(path.join(root, "inputs.json"), "utf8")).toBe('{"n":1}');
    expect(readFileSync(path.join(root, "action/bin/run.sh"), "utf8")).toBe("#!/bin/sh\necho it's me\n");
    expect(statSync(path.join(root, "action/bin/run.sh")).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(root, "output")).mode & 0o777).toBe(0o666);
    expect(statSync(path.join(root, "work")).isDirectory()).toBe(true);
  });

  it("reports a failing exit code", async () => {
    api.behaviour = () => ({ log: "oops\n", exitCode: 3 });
    const { result } = await run(task(bash("exit 3")));
    expect(result).toMatchObject({ status: "failed", exitCode: 3, error: "exited with code 3 (Error)" });
    expect(lastPod().deleted).toBe(true);
  });

  it("deletes the pod on cancel", async () => {
    api.behaviour = () => ({ log: "ready\n", hang: true });
    const abort = new AbortController();
    const { result, lines } = await run(task(bash("sleep 100")), {
      signal: abort.signal,
      onLine: (line) => line === "ready" && abort.abort(),
    });
    expect(result.status).toBe("cancelled");
    expect(lines).toEqual([["stdout", "ready"]]);
    expect(lastPod().deleted).toBe(true);
  });

  it("deletes the pod on timeout", async () => {
    api.behaviour = () => ({ log: "", hang: true });
    const { result } = await run(task(bash("sleep 100"), {}, { timeoutMs: 100 }));
    expect(result).toMatchObject({ status: "timed_out", error: "timed out after 100 ms" });
    expect(lastPod().deleted).toBe(true);
  });

  it("fails, and deletes the pod, when the image cannot be pulled", async () => {
    api.behaviour = () => ({ waiting: "ImagePullBackOff" });
    const { result } = await run(task(bash("true"), { image: "nope:1" }));
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/ImagePullBackOff/);
    expect(lastPod().deleted).toBe(true);
  });

  it("runs a container action with the image's entrypoint kept, its command as args", async () => {
    await run(task({ kind: "container", command: ["--version"] }, { image: "alpine/helm:3" }));
    const step = lastPod().pod.spec?.containers[0];
    expect(step?.command).toBeUndefined();
    expect(step?.args).toEqual(["--version"]);
  });

  it("makes step pods that pass Pod Security 'restricted', with no service-account token", async () => {
    await run(task(bash("id")));
    const spec = lastPod().pod.spec;
    expect(podSecurityViolations(spec, "restricted")).toEqual([]);
    expect(spec?.automountServiceAccountToken).toBe(false);
    // No user named: the first user of most images, and the files volume is its group's.
    expect(spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
    });
    // A step with a service account of its own gets that account's token.
    await run(task(bash("id"), { service_account: "deployer", user: "2000" }));
    const own = lastPod().pod.spec;
    expect(own?.automountServiceAccountToken).toBe(true);
    expect(own?.securityContext).toMatchObject({ runAsUser: 2000, runAsGroup: 2000 });
    expect(podSecurityViolations(own, "restricted")).toEqual([]);
  });

  it("refuses docker: true unless the runner's pod security is 'privileged', and then adds a dind sidecar", async () => {
    const refused = await run(task(bash("docker info"), { docker: true }));
    expect(refused.result.status).toBe("failed");
    expect(refused.result.error).toMatch(/docker: true needs a privileged .*pod_security: restricted/);
    const privileged = await KubernetesRunner.create({
      kubeconfigPath: kubeconfig,
      pollMs: 5,
      podSecurity: "privileged",
      dindImage: "registry.example.com/docker:27-dind",
    });
    await privileged.run({
      task: task(bash("docker info"), { docker: true }),
      runId: "3f0c1a52-0000-4000-8000-000000000002",
      onLine: () => {},
      signal: new AbortController().signal,
    });
    const spec = lastPod().pod.spec;
    const containers = spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(["step", "dind"]);
    expect(containers[1]?.image).toBe("registry.example.com/docker:27-dind");
    expect(containers[1]?.securityContext?.privileged).toBe(true);
    expect(containers[0]?.env).toContainEqual({ name: "DOCKER_HOST", value: "tcp://localhost:2375" });
    // The checker itself tells such a pod apart.
    expect(podSecurityViolations(spec, "baseline")).toContain("dind: privileged");
  });

  it("keeps the image's user at pod security 'baseline', still without privilege escalation", async () => {
    const baseline = await KubernetesRunner.create({
      kubeconfigPath: kubeconfig,
      pollMs: 5,
      podSecurity: "baseline",
    });
    await baseline.run({
      task: task(bash("id")),
      runId: "3f0c1a52-0000-4000-8000-000000000003",
      onLine: () => {},
      signal: new AbortController().signal,
    });
    const spec = lastPod().pod.spec;
    expect(spec?.securityContext).toBeUndefined();
    expect(spec?.containers[0]?.securityContext).toEqual({ allowPrivilegeEscalation: false });
    expect(podSecurityViolations(spec, "baseline")).toEqual([]);
    expect(podSecurityViolations(spec, "restricted")).toContain("step: runAsNonRoot not true");
  });

  it("deletes the pods of workers that are gone", async () => {
    const pod = (name: string, worker: string): V1Pod => ({
      metadata: { name, labels: { "gantry.managed": "true" }, annotations: { "gantry.dev/worker": worker } },
    });
    api.addPod("ci", pod("orphan", "crashed"));
    api.addPod("ci", pod("kept", "alive"));
    const removed = await runner.removeOrphans(async (id) => id === "alive");
    expect(removed).toBe(1);
    expect(api.pods.get("ci/orphan")?.deleted).toBe(true);
    expect(api.pods.get("ci/kept")?.deleted).toBe(false);
  });

  it("says what the API answered when it refuses", async () => {
    const broken = await KubernetesRunner.create({
      kubeconfigPath: tmp.write(
        "bad.yaml",
        `apiVersion: v1
kind: Config
clusters: [{name: x, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {}}]
contexts: [{name: x, context: {cluster: x, user: u}}]
current-context: x
`,
      ),
    });
    const result = await broken.run({
      task: task(bash("true")),
      runId: "r",
      onLine: () => undefined,
      signal: new AbortController().signal,
    });
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/^kubernetes API/);
  });
});
