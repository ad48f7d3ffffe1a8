// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import type { RunInfo } from "@gantry/core";
import type { V1Pod } from "@kubernetes/client-node";
import { Pod } from "kubernetes-models/v1/Pod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWorkflow } from "../../loader/load-workflow.js";
import type { RunEvent } from "../../run/events.js";
import { runWorkflow } from "../../run/run-workflow.js";
import { podSecurityViolations } from "../../testing/pod-security.js";
import { tempDir } from "../../testing/temp-dir.js";
import { FakeKubernetesApi } from "./fake-api-server.js";
import { KubernetesRunner } from "./kubernetes-runner.js";

// No Kubernetes API server can run on this machine. FakeKubernetesApi implements the pod endpoints and
// the exec subresource (a WebSocket speaking v5.channel.k8s.io, as a real API server does), and runs each
// exec as a process of this machine with the pod's /gantry mapped to a folder: the requests and the
// reading of answers are checked, the pod is checked against the Kubernetes OpenAPI schema
// (kubernetes-models), and the steps really share a workspace. No real cluster or kubelet is involved.
describe("jobs of steps on the kubernetes runner (fake API server)", () => {
  const api = new FakeKubernetesApi();
  const tmp = tempDir("gantry-k8s-job-");
  let runner: KubernetesRunner;

  beforeAll(async () => {
    const server = await api.start();
    api.kubelet = { root: `${tmp.dir}/pods` };
    const kubeconfig = tmp.write(
      "kubeconfig.yaml",
      `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: gantry, user: {token: t0k3n}}]
contexts: [{name: fake, context: {cluster: fake, user: gantry, namespace: ci}}]
current-context: fake
`,
    );
    runner = await KubernetesRunner.create({ kubeconfigPath: kubeconfig, pollMs: 5, killGraceSeconds: 1 });
  });
  afterAll(async () => {
    await api.stop();
    tmp.cleanup();
  });

  async function run(yaml: string) {
    const file = tmp.write(`wf-${api.pods.size}.yaml`, yaml);
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    if (!loaded) throw new Error("not loaded");
    const info: RunInfo = {
      id: "run-k8s",
      workflow: "wf",
      attempt: 1,
      trigger: { type: "manual" },
      inputs: {},
    };
    const events: RunEvent[] = [];
    const result = await runWorkflow(loaded, { runner, info, parallel: 2, onEvent: (e) => events.push(e) });
    const lines = (step: string) =>
      events.flatMap((e) => (e.type === "line" && e.step === step ? [e.line] : []));
    return { ...result, lines };
  }

  it("runs the job's steps as execs in one pod sharing /gantry/work, and deletes the pod", async () => {
    // The pod stays up until deleted; its step container only waits.
    api.behaviour = () => ({ hang: true });
    const before = api.execs.length;
    const { report, lines } = await run(`
steps:
  job:
    runner: {type: kubernetes, image: "debian:12"}
    env: {JOB: job-env}
    steps:
      - id: write
        run: |
          mkdir -p sub && echo "made in $JOB" > sub/made.txt
          echo "ws=$GANTRY_WORKSPACE" >> "$GANTRY_OUTPUT"
      - id: read
        working_directory: sub
        env: {SECRETISH: "it's \\"quoted\\" $HOME"}
        run: |
          echo "read: $(cat made.txt) / $SECRETISH"
          echo "text=$(cat made.txt)" >> "$GANTRY_OUTPUT"
      - run: exit 3
        continue_on_error: true
      - if: \${{ failure() }}
        run: echo never
      - run: echo "after \${{ steps.read.outputs.text }}"
    outputs:
      text: \${{ steps.read.outputs.text }}
      ws: \${{ steps.write.outputs.ws }}
`);
    expect(report.steps.job?.status, report.steps.job?.error).toBe("succeeded");
    // $GANTRY_WORKSPACE is /gantry/work in the pod; the fake kubelet maps it to the pod's folder here.
    expect(report.steps.job?.outputs).toEqual({
      text: "made in job-env",
      ws: expect.stringMatching(/\/pods\/ci-[^/]+\/work$/),
    });
    expect(report.steps.job?.steps?.map((s) => s.status)).toEqual([
      "succeeded",
      "succeeded",
      "failed",
      "skipped",
      "succeeded",
    ]);
    expect(lines("job").filter((l) => !l.startsWith("##[step]"))).toEqual([
      `read: made in job-env / it's "quoted" $HOME`,
      "gantry: exited with code 3",
      "after made in job-env",
    ]);
    // One pod for the whole job, valid by the Kubernetes OpenAPI schema and the restricted Pod Security
    // Standard, deleted at the end.
    const pods = [...api.pods.values()];
    expect(pods).toHaveLength(1);
    const { pod, deleted } = pods[0] as { pod: V1Pod; deleted: boolean };
    new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate();
    expect(podSecurityViolations(pod.spec, "restricted")).toEqual([]);
    expect(deleted).toBe(true);
    // Three execs a step that ran (its files on stdin, the step, its outputs), in the step container;
    // the step's env, secrets included, travels on stdin, never in the request's URL.
    const execs = api.execs.slice(before);
    expect(execs).toHaveLength(4 * 3);
    expect(execs.every((e) => e.container === "step")).toBe(true);
    expect(execs[0]?.command).toEqual(["sh", "-s"]);
    expect(execs[0]?.stdin).toContain("export JOB=");
    expect(execs[0]?.stdin).toContain("job-env");
    expect(execs.some((e) => e.command.join(" ").includes("job-env"))).toBe(false);
    expect(api.requests.every((r) => r.authorization === "Bearer t0k3n")).toBe(true);
  });

  it("stops a step that outlives its timeout, and fails a job whose image cannot be pulled", async () => {
    api.behaviour = () => ({ hang: true });
    const { report } = await run(`
steps:
  job:
    runner: {type: kubernetes, image: "debian:12"}
    steps:
      - run: echo started; sleep 30
        timeout: 1s
      - if: \${{ always() }}
        run: echo cleanup
`);
    expect(report.steps.job?.status).toBe("timed_out");
    expect(report.steps.job?.steps?.map((s) => s.status)).toEqual(["timed_out", "succeeded"]);

    api.behaviour = () => ({ waiting: "ImagePullBackOff" });
    const pulled = await run(`
steps:
  job:
    runner: {type: kubernetes, image: "nope:1"}
    steps:
      - run: echo never
`);
    expect(pulled.report.steps.job?.status).toBe("failed");
    expect(pulled.report.steps.job?.error).toMatch(/ImagePullBackOff/);
    expect([...api.pods.values()].every((p) => p.deleted)).toBe(true);
  });
});
