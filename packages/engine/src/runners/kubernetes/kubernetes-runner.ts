import os from "node:os";
import { Writable } from "node:stream";
import { parseOutputFile, type ResolvedRunnerSpec } from "@gantry/core";
import type * as k8s from "@kubernetes/client-node";
import { CONTAINER_PATHS, containerCommand } from "../container/command.js";
import { containerEnvironment } from "../container/environment.js";
import { containerName, MANAGED_LABEL, stepLabels } from "../container/labels.js";
import { LineSplitter } from "../lines.js";
import { exitResult, failedResult } from "../result.js";
import type { JobSession, JobStart, RunnerLike, RunnerResult, RunnerTask } from "../types.js";
import { filesScript, folderFiles, type StepFile } from "./files-script.js";
import { openKubernetesJob } from "./kubernetes-job.js";

type Client = typeof k8s;

export interface KubernetesRunnerOptions {
  /** A loaded config; by default in-cluster (a pod's service account) or $KUBECONFIG / ~/.kube/config. */
  kubeConfig?: k8s.KubeConfig;
  /** A kubeconfig file to load instead of the default places. */
  kubeconfigPath?: string;
  /** For steps that name none; by default the kubeconfig context's namespace, else `default`. */
  namespace?: string;
  /** The init container that writes the step's files; needs `sh` and `base64`. */
  initImage?: string;
  /** The sidecar for `docker: true` (privileged; the cluster must allow it). */
  dindImage?: string;
  /**
   * The Pod Security Standard step pods are made to pass (default `restricted`): a namespace labelled
   * `pod-security.kubernetes.io/enforce: restricted` admits them. `restricted` runs steps as a non-root
   * user (the step's `user`, else 1000:1000) with no privilege escalation, no capabilities and the
   * runtime's seccomp profile; `baseline` keeps the image's user; only `privileged` allows `docker: true`.
   */
  podSecurity?: "restricted" | "baseline" | "privileged";
  /** How often a running pod's status is read. */
  pollMs?: number;
  /** Grace for a deleted pod's containers (SIGTERM, then SIGKILL), as `kubectl delete --grace-period`. */
  killGraceSeconds?: number;
  /** Labels pods when the task names no worker (`gantry run`). */
  workerId?: string;
}

const STEP_CONTAINER = "step";
/** Waiting reasons that will not resolve by themselves: fail the step rather than wait forever. */
const FATAL_WAITING = new Set([
  "ErrImageNeverPull",
  "ImagePullBackOff",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
]);
const LOG_DRAIN_MS = 5_000;
/** The user restricted step pods run as when the step names none: the first user of most images. */
const DEFAULT_UID = 1000;
const WORKER_ANNOTATION = "gantry.dev/worker";

/**
 * Runs each task as a pod: an init container writes the step's files (script, inputs, action folder)
 * into an emptyDir mounted at /gantry in both; the step container runs with /gantry/output as its
 * termination message file, so the outputs come back in the pod's status (at most 4 KiB, Kubernetes'
 * limit). Logs are followed live (Kubernetes merges stdout and stderr into one stream, read as stdout);
 * the pod is deleted when the step ends, however it ends.
 */
export class KubernetesRunner implements RunnerLike {
  readonly types = ["kubernetes"] as const;
  private readonly kc: k8s.KubeConfig;
  private readonly api: k8s.CoreV1Api;
  private readonly namespace: string;
  private readonly pollMs: number;
  private readonly killGraceSeconds: number;
  private readonly workerId: string;
  /** Namespaces pods were started in, searched for orphans besides the default one. */
  private readonly namespaces = new Set<string>();

  /** Loads the Kubernetes client (on first use only: it is large) and makes the runner. */
  static async create(options: KubernetesRunnerOptions = {}): Promise<KubernetesRunner> {
    return new KubernetesRunner(await import("@kubernetes/client-node"), options);
  }

  private constructor(
    private readonly k8s: Client,
    private readonly options: KubernetesRunnerOptions = {},
  ) {
    this.kc = options.kubeConfig ?? new k8s.KubeConfig();
    if (!options.kubeConfig) {
      if (options.kubeconfigPath) this.kc.loadFromFile(options.kubeconfigPath);
      else this.kc.loadFromDefault();
    }
    this.api = this.kc.makeApiClient(k8s.CoreV1Api);
    this.namespace =
      options.namespace ?? this.kc.getContextObject(this.kc.getCurrentContext())?.namespace ?? "default";
    this.namespaces.add(this.namespace);
    this.pollMs = options.pollMs ?? 1000;
    this.killGraceSeconds = options.killGraceSeconds ?? 5;
    this.workerId = options.workerId ?? `${os.hostname()}-${process.pid}`;
  }

  async run(runnerTask: RunnerTask): Promise<RunnerResult> {
    const { task, signal } = runnerTask;
    const startedAt = Date.now();
    const spec = task.runner as ResolvedRunnerSpec;
    const fail = (error: string, status?: RunnerResult["status"]) => failedResult(startedAt, error, status);
    if (!spec?.image) return fail("runner type kubernetes needs an 'image'");
    if (spec.credentials) {
      return fail("runner.credentials is for docker; on kubernetes name a pull secret in image_pull_secrets");
    }
    const level = this.options.podSecurity ?? "restricted";
    if (spec.docker && level !== "privileged") {
      return fail(
        `docker: true needs a privileged Docker-in-Docker sidecar, which this worker's step pods may not have ` +
          `(worker.kubernetes.pod_security: ${level}); use pod_security: privileged in a namespace whose Pod ` +
          "Security admits it, or build images without a daemon (kaniko, buildah)",
      );
    }
    if (signal.aborted) return fail("cancelled before it started", "cancelled");
    const namespace = spec.namespace ?? this.namespace;
    this.namespaces.add(namespace);
    let name: string | undefined;
    let reason: "timed_out" | "cancelled" | undefined;
    const stop = (why: "timed_out" | "cancelled") => {
      if (reason) return;
      reason = why;
      if (name) void this.deletePod(name, namespace, this.killGraceSeconds);
    };
    const onAbort = () => stop("cancelled");
    signal.addEventListener("abort", onAbort, { once: true });
    const timer =
      task.timeoutMs !== undefined ? setTimeout(() => stop("timed_out"), task.timeoutMs) : undefined;
    let logs: Promise<void> | undefined;
    let cutLogs: (() => void) | undefined;
    try {
      const pod = await this.podFor(runnerTask, spec);
      const created = await this.api.createNamespacedPod({ namespace, body: pod });
      name = created.metadata?.name ?? pod.metadata?.name;
      if (reason) await this.deletePod(name as string, namespace, this.killGraceSeconds);
      let terminated: k8s.V1ContainerStateTerminated | undefined;
      while (!reason) {
        const status = (await this.api.readNamespacedPod({ name: name as string, namespace })).status;
        const problem = fatalProblem(status);
        if (problem) return fail(problem);
        const state = status?.containerStatuses?.find((c) => c.name === STEP_CONTAINER)?.state;
        if (!logs && (state?.running || state?.terminated)) {
          ({ done: logs, cut: cutLogs } = this.followLogs(name as string, namespace, runnerTask));
        }
        terminated = state?.terminated;
        if (terminated) break;
        await this.pause(signal);
      }
      if (logs) await Promise.race([logs, new Promise((r) => setTimeout(r, LOG_DRAIN_MS).unref())]);
      cutLogs?.();
      const finishedAt = Date.now();
      if (reason) {
        const error = reason === "timed_out" ? `timed out after ${task.timeoutMs} ms` : "cancelled";
        return { status: reason, exitCode: null, outputs: {}, startedAt, finishedAt, error };
      }
      return exitResult({
        exitCode: terminated?.exitCode ?? null,
        output: parseOutputFile(terminated?.message ?? ""),
        startedAt,
        finishedAt,
        hint: terminated?.reason ? ` (${terminated.reason})` : "",
      });
    } catch (error) {
      return fail(kubernetesError(error));
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      cutLogs?.();
      if (name) await this.deletePod(name, namespace, 0);
    }
  }

  /** A job of steps: one pod for the whole job, each step an exec in it (see kubernetes-job.ts). */
  openJob(job: JobStart): Promise<JobSession> {
    const spec = job.task.runner as ResolvedRunnerSpec | undefined;
    const level = this.options.podSecurity ?? "restricted";
    if (spec?.docker && level !== "privileged")
      return Promise.reject(
        new Error(
          `docker: true needs a privileged Docker-in-Docker sidecar, which this worker's step pods may not have (worker.kubernetes.pod_security: ${level})`,
        ),
      );
    this.namespaces.add(spec?.namespace ?? this.namespace);
    return openKubernetesJob(
      {
        k8s: this.k8s,
        kc: this.kc,
        api: this.api,
        namespace: this.namespace,
        killGraceSeconds: this.killGraceSeconds,
        podFor: (task, spec) => this.podFor(task, spec),
        problem: fatalProblem,
        pause: (signal) => this.pause(signal),
        deletePod: (name, ns, grace) => this.deletePod(name, ns, grace),
        extraEnv: (spec): Record<string, string> =>
          spec.docker ? { DOCKER_HOST: "tcp://localhost:2375" } : {},
      },
      job,
    );
  }

  /** Deletes pods labelled with a worker that is no longer alive, in the namespaces this runner used. */
  async removeOrphans(isAlive: (workerId: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const namespace of this.namespaces) {
      const pods = await this.api.listNamespacedPod({ namespace, labelSelector: `${MANAGED_LABEL}=true` });
      for (const pod of pods.items) {
        const worker = pod.metadata?.annotations?.[WORKER_ANNOTATION];
        if (worker !== undefined && (await isAlive(worker))) continue;
        if (pod.metadata?.name && (await this.deletePod(pod.metadata.name, namespace, 0))) removed++;
      }
    }
    return removed;
  }

  /** The pod for a task: see the class comment. */
  async podFor(runnerTask: RunnerTask, spec: ResolvedRunnerSpec): Promise<k8s.V1Pod> {
    const { task, runId, actionDir } = runnerTask;
    const command = containerCommand(task.program);
    const workingDir = task.workingDirectory
      ? `${CONTAINER_PATHS.work}/${task.workingDirectory}`.replace(/\/+$/, "")
      : CONTAINER_PATHS.work;
    const files: StepFile[] = [
      { path: CONTAINER_PATHS.inputs, content: JSON.stringify(task.inputs), mode: 0o644 },
      { path: CONTAINER_PATHS.output, content: "", mode: 0o666 },
      ...(command.script
        ? [
            {
              path: `${CONTAINER_PATHS.root}/${command.script.name}`,
              content: command.script.text,
              mode: 0o644,
            },
          ]
        : []),
      ...(actionDir ? await folderFiles(actionDir, CONTAINER_PATHS.action) : []),
    ];
    const workerId = runnerTask.workerId ?? this.workerId;
    const extraEnv: Record<string, string> = spec.docker ? { DOCKER_HOST: "tcp://localhost:2375" } : {};
    const env = containerEnvironment(task, runId, actionDir !== undefined, extraEnv);
    const mount = [{ name: "gantry", mountPath: CONTAINER_PATHS.root }];
    const level = this.options.podSecurity ?? "restricted";
    const user = userIds(spec.user);
    const restricted = level === "restricted";
    // Pod Security "restricted": every container without privilege escalation or capabilities.
    const hardened: k8s.V1SecurityContext =
      level === "privileged"
        ? {}
        : { allowPrivilegeEscalation: false, ...(restricted ? { capabilities: { drop: ["ALL"] } } : {}) };
    const runAs = restricted
      ? {
          runAsUser: user?.runAsUser ?? DEFAULT_UID,
          runAsGroup: user?.runAsGroup ?? user?.runAsUser ?? DEFAULT_UID,
        }
      : user;
    const limits: Record<string, string> = { ...stringValues(spec.resources?.limits) };
    if (spec.cpus !== undefined) limits.cpu = String(spec.cpus);
    if (spec.memory !== undefined) limits.memory = String(spec.memory);
    const requests = stringValues(spec.resources?.requests);
    const timeoutSeconds = task.timeoutMs !== undefined ? Math.ceil(task.timeoutMs / 1000) : undefined;
    const labels = Object.fromEntries(
      Object.entries(stepLabels(task, runId, workerId)).map(([k, v]) => [k, labelValue(v)]),
    );
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: containerName(task, runId, 63),
        labels,
        // Labels cannot hold every worker id or run id; annotations can, and clean-up reads them.
        annotations: { [WORKER_ANNOTATION]: workerId, "gantry.dev/run": runId, "gantry.dev/step": task.step },
      },
      spec: {
        restartPolicy: "Never",
        // Steps never call the Kubernetes API with this worker's rights: no token unless the step asks
        // for a service account of its own.
        automountServiceAccountToken: spec.service_account !== undefined,
        ...(restricted
          ? {
              securityContext: {
                runAsNonRoot: true,
                ...runAs,
                // The files volume is the step user's group's, so the step can write its outputs.
                fsGroup: runAs?.runAsGroup,
                seccompProfile: { type: "RuntimeDefault" },
              },
            }
          : {}),
        // A backstop should this worker die: the cluster ends the pod a little after the step's timeout.
        ...(timeoutSeconds !== undefined ? { activeDeadlineSeconds: timeoutSeconds + 60 } : {}),
        ...(spec.service_account ? { serviceAccountName: spec.service_account } : {}),
        ...(spec.node_selector ? { nodeSelector: spec.node_selector } : {}),
        ...(spec.tolerations ? { tolerations: spec.tolerations as k8s.V1Toleration[] } : {}),
        ...(spec.image_pull_secrets
          ? { imagePullSecrets: spec.image_pull_secrets.map((n) => ({ name: n })) }
          : {}),
        volumes: [{ name: "gantry", emptyDir: {} }],
        initContainers: [
          {
            name: "gantry-files",
            image: this.options.initImage ?? "busybox:1.36",
            command: ["sh", "-c", filesScript([CONTAINER_PATHS.root, workingDir], files)],
            volumeMounts: mount,
            ...(Object.keys(hardened).length ? { securityContext: hardened } : {}),
          },
        ],
        containers: [
          {
            name: STEP_CONTAINER,
            image: spec.image as string,
            ...(command.entrypoint ? { command: command.entrypoint } : {}),
            ...(command.cmd ? { args: command.cmd } : {}),
            env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
            workingDir,
            volumeMounts: mount,
            terminationMessagePath: CONTAINER_PATHS.output,
            terminationMessagePolicy: "File",
            imagePullPolicy: PULL_POLICY[spec.pull ?? "if-missing"],
            ...(Object.keys(limits).length + Object.keys(requests).length > 0
              ? {
                  resources: {
                    ...(Object.keys(limits).length ? { limits } : {}),
                    ...(Object.keys(requests).length ? { requests } : {}),
                  },
                }
              : {}),
            ...(runAs || Object.keys(hardened).length ? { securityContext: { ...runAs, ...hardened } } : {}),
          },
          ...(spec.docker
            ? [
                {
                  // Isolated Docker-in-Docker: an engine of the pod's own, reached on localhost:2375.
                  name: "dind",
                  image: this.options.dindImage ?? "docker:dind",
                  securityContext: { privileged: true },
                  env: [{ name: "DOCKER_TLS_CERTDIR", value: "" }],
                },
              ]
            : []),
        ],
      },
    };
  }

  /** Follows the step container's log into lines; back-pressure holds the HTTP stream. */
  private followLogs(
    name: string,
    namespace: string,
    { onLine, flow }: RunnerTask,
  ): { done: Promise<void>; cut: () => void } {
    const splitter = new LineSplitter((line) => onLine("stdout", line));
    let controller: AbortController | undefined;
    let cut = false;
    const done = new Promise<void>((resolve) => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          splitter.write(chunk);
          if (flow?.full) void flow.waitForRoom().then(() => callback());
          else callback();
        },
        final(callback) {
          callback();
          resolve();
        },
      });
      sink.on("error", () => resolve());
      new this.k8s.Log(this.kc)
        .log(namespace, name, STEP_CONTAINER, sink, { follow: true })
        .then((c) => {
          controller = c;
          if (cut) c.abort();
        })
        .catch(() => resolve());
    }).finally(() => splitter.end());
    return {
      done,
      cut: () => {
        cut = true;
        controller?.abort();
      },
    };
  }

  private pause(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** True when deleted; a pod already gone counts as deleted. */
  private async deletePod(name: string, namespace: string, gracePeriodSeconds: number): Promise<boolean> {
    try {
      await this.api.deleteNamespacedPod({ name, namespace, gracePeriodSeconds });
      return true;
    } catch (error) {
      return (error as { code?: number }).code === 404;
    }
  }
}

const PULL_POLICY = { always: "Always", "if-missing": "IfNotPresent", never: "Never" } as const;

/** Why a pod will never run its step, or undefined while it may still. */
function fatalProblem(status: k8s.V1PodStatus | undefined): string | undefined {
  for (const init of status?.initContainerStatuses ?? []) {
    const t = init.state?.terminated;
    if (t && t.exitCode !== 0)
      return `the pod's init container (writing the step's files) exited with ${t.exitCode}`;
    const w = init.state?.waiting;
    if (w?.reason && FATAL_WAITING.has(w.reason))
      return `init container: ${w.reason}: ${w.message ?? ""}`.trim();
  }
  const step = status?.containerStatuses?.find((c) => c.name === STEP_CONTAINER);
  const waiting = step?.state?.waiting;
  if (waiting?.reason && FATAL_WAITING.has(waiting.reason))
    return `${waiting.reason}: ${waiting.message ?? ""}`.trim();
  if (status?.phase === "Failed" && !step?.state?.terminated) {
    return `the pod failed: ${status.reason ?? ""} ${status.message ?? ""}`.trim();
  }
  return undefined;
}

/** `1000` or `1000:1000` as a securityContext; a user name cannot be expressed there. */
function userIds(user: string | number | undefined): k8s.V1SecurityContext | undefined {
  if (user === undefined) return undefined;
  const match = /^(\d+)(?::(\d+))?$/.exec(String(user));
  if (!match) throw new Error(`runner.user '${user}': kubernetes takes a numeric uid or uid:gid`);
  return { runAsUser: Number(match[1]), ...(match[2] ? { runAsGroup: Number(match[2]) } : {}) };
}

function stringValues(map: Record<string, string | number> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, String(v)]));
}

/** A label value: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

function kubernetesError(error: unknown): string {
  const e = error as { code?: number; body?: unknown; message?: string; cause?: { code?: string } };
  if (e.code !== undefined && e.body !== undefined) {
    const body = typeof e.body === "string" ? safeJson(e.body) : e.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `kubernetes API ${e.code}: ${message ?? e.message ?? "error"}`;
  }
  return `kubernetes API: ${e.message ?? String(error)}${e.cause?.code ? ` (${e.cause.code})` : ""}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
