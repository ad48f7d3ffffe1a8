import { randomBytes } from "node:crypto";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { parseOutputFile, type ResolvedRunnerSpec } from "@gantry/core";
import type * as k8s from "@kubernetes/client-node";
import { CONTAINER_PATHS, containerCommand, jobStepPaths } from "../container/command.js";
import { containerEnvironment } from "../container/environment.js";
import { LineSplitter } from "../lines.js";
import { readStepFilesScript } from "../remote-step-files.js";
import { exitResult, failedResult, stoppedResult } from "../result.js";
import { shellQuote } from "../ssh/remote.js";
import type { JobSession, JobStart, RunnerResult, RunnerTask } from "../types.js";
import { folderFiles } from "./files-script.js";

/** What a job needs of the Kubernetes runner that holds it. */
export interface KubernetesJobHost {
  k8s: typeof k8s;
  kc: k8s.KubeConfig;
  api: k8s.CoreV1Api;
  namespace: string;
  killGraceSeconds: number;
  /** The pod the runner would make for this task (see KubernetesRunner.podFor). */
  podFor(task: RunnerTask, spec: ResolvedRunnerSpec): Promise<k8s.V1Pod>;
  /** Why the pod will never run, or undefined while it may (see fatalProblem). */
  problem(status: k8s.V1PodStatus | undefined): string | undefined;
  pause(signal: AbortSignal): Promise<void>;
  deletePod(name: string, namespace: string, gracePeriodSeconds: number): Promise<boolean>;
  /** Env the step container gets besides the step's (DOCKER_HOST for the Docker-in-Docker sidecar). */
  extraEnv(spec: ResolvedRunnerSpec): Record<string, string>;
}

const STEP_CONTAINER = "step";
/**
 * PID 1 of a job's step container: it waits until the pod is deleted. A stopped step is ended with
 * `kill -1` from an exec, which reaches every process of the user but PID 1 and the exec's own shell.
 */
const KEEP_ALIVE = "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done";

/**
 * A job on Kubernetes: one pod for the whole job, whose step container only waits; each step is an exec
 * in it (the API's exec subresource, over a WebSocket), sharing the emptyDir workspace /gantry/work.
 * A step's files (its script, inputs, env, action) travel on the exec's stdin, never in the request's
 * URL (where audit logs would keep them); its outputs and summary are read back by a last exec. The pod
 * is deleted when the job ends. The job's image needs `sh`, `cat`, `head` and, for an action's files,
 * `base64`.
 */
export async function openKubernetesJob(host: KubernetesJobHost, job: JobStart): Promise<JobSession> {
  if (Object.keys(job.services).length > 0)
    throw new Error("service containers need runner type docker (on kubernetes, add them to the pod's spec)");
  const spec = job.task.runner as ResolvedRunnerSpec;
  if (!spec?.image) throw new Error("runner type kubernetes needs an 'image'");
  if (spec.credentials)
    throw new Error(
      "runner.credentials is for docker; on kubernetes name a pull secret in image_pull_secrets",
    );
  const namespace = spec.namespace ?? host.namespace;
  const pod = await host.podFor(
    {
      task: { ...job.task, program: { kind: "exec", command: ["sh", "-c", KEEP_ALIVE] }, inputs: {} },
      runId: job.runId,
      onLine: job.onLine,
      signal: job.signal,
      ...(job.workerId ? { workerId: job.workerId } : {}),
    },
    spec,
  );
  const created = await host.api.createNamespacedPod({ namespace, body: pod });
  const name = (created.metadata?.name ?? pod.metadata?.name) as string;
  const close = async () => {
    await host.deletePod(name, namespace, 0);
  };
  try {
    for (;;) {
      if (job.signal.aborted) throw new Error("cancelled while the job's pod started");
      const status = (await host.api.readNamespacedPod({ name, namespace })).status;
      const problem = host.problem(status);
      if (problem) throw new Error(problem);
      const state = status?.containerStatuses?.find((c) => c.name === STEP_CONTAINER)?.state;
      if (state?.terminated) throw new Error(`the job's pod ended (exit ${state.terminated.exitCode})`);
      if (state?.running) break;
      await host.pause(job.signal);
    }
  } catch (error) {
    await close();
    throw error;
  }
  const exec = new host.k8s.Exec(host.kc);
  let count = 0;
  return {
    run: (task) => runInPod({ host, exec, namespace, name, spec }, count++, task),
    close,
  };
}

interface Pod {
  host: KubernetesJobHost;
  exec: k8s.Exec;
  namespace: string;
  name: string;
  spec: ResolvedRunnerSpec;
}

/** One step of the job: its files written by an exec, run by another, its outputs read by a third. */
async function runInPod(pod: Pod, index: number, runnerTask: RunnerTask): Promise<RunnerResult> {
  const { task, runId, actionDir, signal, onLine } = runnerTask;
  const startedAt = Date.now();
  try {
    const paths = jobStepPaths(index);
    const command = containerCommand(task.program, paths);
    const argv = [...(command.entrypoint ?? []), ...(command.cmd ?? [])];
    if (argv.length === 0) return failedResult(startedAt, "a container action cannot be a step of a job");
    const workingDir = task.workingDirectory
      ? path.posix.resolve(CONTAINER_PATHS.work, task.workingDirectory)
      : CONTAINER_PATHS.work;
    if (path.posix.relative(CONTAINER_PATHS.work, workingDir).startsWith(".."))
      return failedResult(
        startedAt,
        `working_directory '${task.workingDirectory}' leaves the job's workspace`,
      );
    if (signal.aborted) return failedResult(startedAt, "cancelled before it started", "cancelled");
    const env = containerEnvironment(
      task,
      runId,
      actionDir !== undefined,
      pod.host.extraEnv(pod.spec),
      paths,
    );
    const lines = [
      "set -e",
      `mkdir -p ${shellQuote(paths.root)} ${shellQuote(workingDir)}`,
      writeText(`${paths.root}/env.sh`, envFile(env)),
      writeText(paths.inputs, JSON.stringify(task.inputs)),
      `: > ${shellQuote(paths.output)}`,
      `: > ${shellQuote(paths.summary)}`,
      ...(command.script ? [writeText(`${paths.root}/${command.script.name}`, command.script.text)] : []),
    ];
    for (const file of actionDir ? await folderFiles(actionDir, paths.action) : []) {
      lines.push(`mkdir -p ${shellQuote(path.posix.dirname(file.path))}`);
      lines.push(
        `printf '%s' '${Buffer.from(file.content).toString("base64")}' | base64 -d > ${shellQuote(file.path)}`,
      );
      lines.push(`chmod ${(file.mode & 0o777).toString(8)} ${shellQuote(file.path)}`);
    }
    const prepared = await execIn(pod, ["sh", "-s"], { stdin: `${lines.join("\n")}\n` });
    if (prepared.code !== 0)
      return failedResult(
        startedAt,
        `cannot write the step's files in the pod: ${prepared.error ?? prepared.stderr}`,
      );

    let reason: "timed_out" | "cancelled" | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: "timed_out" | "cancelled") => {
      if (reason) return;
      reason = why;
      // Steps run one at a time: every process but the pod's PID 1 and the stopping shell is this step's.
      void execIn(pod, ["sh", "-c", "kill -TERM -1 2>/dev/null; true"]).catch(() => undefined);
      killTimer = setTimeout(
        () => void execIn(pod, ["sh", "-c", "kill -KILL -1 2>/dev/null; true"]).catch(() => undefined),
        pod.host.killGraceSeconds * 1000,
      );
    };
    const onAbort = () => stop("cancelled");
    signal.addEventListener("abort", onAbort, { once: true });
    const timer =
      task.timeoutMs !== undefined ? setTimeout(() => stop("timed_out"), task.timeoutMs) : undefined;
    let ran: ExecResult;
    try {
      ran = await execIn(
        pod,
        [
          "sh",
          "-c",
          '. "$1/env.sh" && cd "$2" && shift 2 && exec "$@"',
          "sh",
          paths.root,
          workingDir,
          ...argv,
        ],
        { onLine },
      );
    } finally {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal.removeEventListener("abort", onAbort);
    }
    // The outputs, then the summary's head, after a line no step can have written; the step's folder goes.
    const separator = `gantry-summary-${randomBytes(12).toString("hex")}`;
    const read = await execIn(pod, [
      "sh",
      "-c",
      readStepFilesScript({ output: '"$1/output"', summary: '"$1/summary"', dir: '"$1"', separator: '"$2"' }),
      "sh",
      paths.root,
      separator,
    ]);
    const [outputText = "", summary = ""] = read.stdout.split(`\n${separator}\n`);
    const output = parseOutputFile(outputText);
    const finishedAt = Date.now();
    const withSummary = (result: RunnerResult): RunnerResult => (summary ? { ...result, summary } : result);
    if (reason) {
      const error = reason === "timed_out" ? `timed out after ${task.timeoutMs} ms` : "cancelled";
      return withSummary(stoppedResult({ reason, exitCode: ran.code, output, startedAt, finishedAt, error }));
    }
    if (ran.code === null)
      return failedResult(startedAt, `the exec ended without an exit status: ${ran.error}`);
    return withSummary(
      exitResult({
        exitCode: ran.code,
        output,
        startedAt,
        finishedAt,
        hint: ran.code === 127 ? " (command not found in the image)" : "",
      }),
    );
  } catch (error) {
    return failedResult(startedAt, `kubernetes exec: ${(error as Error).message}`);
  }
}

interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/**
 * Runs a command in the job's step container and waits for it to end. With `onLine`, its output goes
 * there line by line (a step's), else it is collected (a few bytes of Gantry's own commands).
 */
async function execIn(
  pod: Pod,
  command: string[],
  options: { stdin?: string; onLine?: RunnerTask["onLine"] } = {},
): Promise<ExecResult> {
  const collected = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const sink = (stream: "stdout" | "stderr") => {
    const splitter = options.onLine ? new LineSplitter((line) => options.onLine?.(stream, line)) : undefined;
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (splitter) splitter.write(chunk);
        else collected[stream].push(chunk);
        callback();
      },
      final(callback) {
        splitter?.end();
        callback();
      },
    });
  };
  let status: k8s.V1Status | undefined;
  const socket = await pod.exec.exec(
    pod.namespace,
    pod.name,
    STEP_CONTAINER,
    command,
    sink("stdout"),
    sink("stderr"),
    options.stdin !== undefined ? Readable.from([Buffer.from(options.stdin)]) : null,
    false,
    (s) => {
      status = s;
    },
  );
  await new Promise<void>((resolve) => {
    if (socket.readyState === socket.CLOSED) return resolve();
    socket.addEventListener("close", () => resolve());
    socket.addEventListener("error", () => resolve());
  });
  const result = {
    stdout: Buffer.concat(collected.stdout).toString("utf8"),
    stderr: Buffer.concat(collected.stderr).toString("utf8"),
  };
  const done = status as k8s.V1Status | undefined;
  if (done?.status === "Success") return { code: 0, ...result };
  const exitCode = done?.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
  if (exitCode !== undefined && /^\d+$/.test(exitCode)) return { code: Number(exitCode), ...result };
  return { code: null, ...result, error: done?.message ?? "the exec's connection closed without a status" };
}

/** `export NAME='value'` lines for the step's environment, sourced before its command. */
function envFile(env: Record<string, string>): string {
  return Object.entries(env)
    .filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join("");
}

/** A shell command writing a text file (any text without NUL, quoted, never interpreted). */
function writeText(file: string, text: string): string {
  return `printf '%s' ${shellQuote(text)} > ${shellQuote(file)}`;
}
