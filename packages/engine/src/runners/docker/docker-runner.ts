import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseOutputFile, type ResolvedRunnerSpec } from "@gantry/core";
import Docker from "dockerode";
import { readSummaryHead } from "../../summaries/limits.js";
import { CONTAINER_PATHS, containerCommand } from "../container/command.js";
import { containerEnvironment, envList } from "../container/environment.js";
import { containerName, MANAGED_LABEL, stepLabels, WORKER_LABEL } from "../container/labels.js";
import { parseCpus, parseMemory } from "../container/quantity.js";
import { LineSplitter } from "../lines.js";
import { readOutputFile } from "../output-file.js";
import { exitResult, failedResult, stoppedResult } from "../result.js";
import type { JobSession, JobStart, RunnerLike, RunnerResult, RunnerTask } from "../types.js";
import { Demuxer, readDemuxed } from "./demux.js";
import { openDockerJob } from "./docker-job.js";
import { emitMissedLogs } from "./missed-logs.js";

export interface DockerRunnerOptions {
  /** A client; by default one from DOCKER_HOST (unix socket, tcp), as the docker CLI reads it. */
  docker?: Docker;
  /**
   * Where step folders are made. The engine must see this path (they are bind-mounted), so with a remote
   * engine or a worker in a container it must be a folder shared with the engine at the same path.
   */
  tmpRoot?: string;
  /** After `docker stop`'s SIGTERM, seconds before SIGKILL. */
  killGraceSeconds?: number;
  /**
   * For `docker: true` steps: the engine's socket as the engine's host sees it (bind-mounted into the
   * step). By default the socket of DOCKER_HOST; set it when the worker reaches the engine another way.
   */
  engineSocket?: string;
  /** Labels containers when the task names no worker (`gantry run`). */
  workerId?: string;
}

/** The socket path inside a step with `docker: true`, where the docker CLI looks by default. */
const INNER_SOCKET = "/var/run/docker.sock";
/** How long the log stream may lag the container's exit before it is cut. */
const LOG_DRAIN_MS = 5_000;
/** How often a running container is inspected, in case its wait is never answered. */
const EXIT_POLL_MS = 2_000;

/**
 * Runs each task in a container through the Docker Engine API (Docker, Podman, a remote engine). The
 * step's folder (its script, inputs, output file and working folder) is bind-mounted at /gantry and the
 * action's folder read-only at /gantry/action, so scripts, actions and outputs work as on the local
 * runner. The container is removed when the step ends, however it ends.
 */
export class DockerRunner implements RunnerLike {
  readonly types = ["docker"] as const;
  private readonly docker: Docker;
  private readonly tmpRoot: string;
  private readonly killGraceSeconds: number;
  private readonly workerId: string;

  constructor(private readonly options: DockerRunnerOptions = {}) {
    this.docker = options.docker ?? new Docker();
    this.tmpRoot = options.tmpRoot ?? os.tmpdir();
    this.killGraceSeconds = options.killGraceSeconds ?? 5;
    this.workerId = options.workerId ?? `${os.hostname()}-${process.pid}`;
  }

  async run(runnerTask: RunnerTask): Promise<RunnerResult> {
    const { task, runId, actionDir, signal } = runnerTask;
    const startedAt = Date.now();
    const spec = task.runner as ResolvedRunnerSpec;
    const fail = (error: string, status?: RunnerResult["status"]) => failedResult(startedAt, error, status);
    if (!spec?.image) return fail("runner type docker needs an 'image'");
    const base = await mkdtemp(path.join(this.tmpRoot, "gantry-step-"));
    let container: Docker.Container | undefined;
    try {
      const command = containerCommand(task.program);
      const workingDir = task.workingDirectory
        ? path.posix.resolve(CONTAINER_PATHS.work, task.workingDirectory)
        : CONTAINER_PATHS.work;
      // A given workspace (see RunnerTask.workspace) is mounted over the step folder's own work folder.
      const hostWork = runnerTask.workspace ?? path.join(base, "work");
      const relativeDir = path.posix.relative(CONTAINER_PATHS.root, workingDir);
      if (relativeDir.startsWith("..")) {
        return fail(`working_directory '${task.workingDirectory}' leaves the step's folder`);
      }
      await mkdir(path.join(base, relativeDir), { recursive: true });
      if (runnerTask.workspace) {
        const inWork = path.posix.relative(CONTAINER_PATHS.work, workingDir);
        if (!inWork.startsWith(".."))
          await mkdir(path.join(runnerTask.workspace, inWork), { recursive: true });
      }
      await mkdir(path.join(base, "action"), { recursive: true });
      await Promise.all([
        writeFile(path.join(base, "inputs.json"), JSON.stringify(task.inputs)),
        writeFile(path.join(base, "output"), ""),
        writeFile(path.join(base, "summary"), ""),
        command.script ? writeFile(path.join(base, command.script.name), command.script.text) : undefined,
      ]);
      // The container's user may not be the worker's: everyone may write the step's folder.
      await openUp(base, hostWork);
      if (signal.aborted) return fail("cancelled before it started", "cancelled");

      await this.ensureImage(spec, (line) => runnerTask.onLine("stderr", line));
      if (signal.aborted) return fail("cancelled before it started", "cancelled");

      const binds = [`${base}:${CONTAINER_PATHS.root}`, ...(spec.volumes ?? [])];
      if (runnerTask.workspace) binds.push(`${runnerTask.workspace}:${CONTAINER_PATHS.work}`);
      if (actionDir) binds.push(`${actionDir}:${CONTAINER_PATHS.action}:ro`);
      const extraEnv: Record<string, string> = { GANTRY_HOST_WORKSPACE: hostWork };
      if (spec.docker) Object.assign(extraEnv, this.engineAccess(binds));
      const env = containerEnvironment(task, runId, actionDir !== undefined, extraEnv);
      container = await this.docker.createContainer({
        name: containerName(task, runId),
        Image: spec.image,
        ...(command.entrypoint ? { Entrypoint: command.entrypoint } : {}),
        ...(command.cmd ? { Cmd: command.cmd } : {}),
        Env: envList(env),
        WorkingDir: workingDir,
        Labels: stepLabels(task, runId, runnerTask.workerId ?? this.workerId),
        ...(spec.user !== undefined ? { User: String(spec.user) } : {}),
        Tty: false,
        OpenStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: {
          Binds: binds,
          ...(spec.network ? { NetworkMode: spec.network } : {}),
          ...(spec.cpus !== undefined ? { NanoCpus: Math.round(parseCpus(spec.cpus) * 1e9) } : {}),
          ...(spec.memory !== undefined ? { Memory: parseMemory(spec.memory) } : {}),
        },
      });
      const exit = await this.runContainer(container, runnerTask);
      const parsed = parseOutputFile(await readOutputFile(path.join(base, "output")));
      const summary = await readSummaryHead(path.join(base, "summary"));
      const finishedAt = Date.now();
      const withSummary = (result: RunnerResult): RunnerResult => (summary ? { ...result, summary } : result);
      if (exit.reason) {
        const error = exit.reason === "timed_out" ? `timed out after ${task.timeoutMs} ms` : "cancelled";
        return withSummary(
          stoppedResult({
            reason: exit.reason,
            exitCode: exit.code,
            output: parsed,
            startedAt,
            finishedAt,
            error,
          }),
        );
      }
      return withSummary(
        exitResult({
          exitCode: exit.code,
          output: parsed,
          startedAt,
          finishedAt,
          hint: exitHint(exit.code),
        }),
      );
    } catch (error) {
      return fail(dockerError(error, spec.image));
    } finally {
      if (container) await container.remove({ force: true, v: true }).catch(() => undefined);
      await rm(base, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** A job: its services, then one container for all its steps (see docker-job.ts). */
  openJob(job: JobStart): Promise<JobSession> {
    return openDockerJob(
      {
        docker: this.docker,
        tmpRoot: this.tmpRoot,
        workerId: this.workerId,
        killGraceSeconds: this.killGraceSeconds,
        ensureImage: (spec, log) => this.ensureImage(spec, log),
        engineAccess: (binds) => this.engineAccess(binds),
      },
      job,
    );
  }

  /** Removes containers (running or not) labelled with a worker that is no longer alive. */
  async removeOrphans(isAlive: (workerId: string) => Promise<boolean>): Promise<number> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${MANAGED_LABEL}=true`] },
    });
    let removed = 0;
    for (const info of containers) {
      const worker = info.Labels?.[WORKER_LABEL];
      if (worker !== undefined && (await isAlive(worker))) continue;
      await this.docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .then(() => removed++)
        .catch(() => undefined);
    }
    return removed;
  }

  /** Pulls the image as its `pull` policy says (default if-missing), logging in with `credentials`. */
  private async ensureImage(spec: ResolvedRunnerSpec, log: (line: string) => void): Promise<void> {
    const image = spec.image as string;
    const policy = spec.pull ?? "if-missing";
    if (policy !== "always") {
      const present = await this.docker
        .getImage(image)
        .inspect()
        .then(() => true)
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode === 404) return false;
          throw error;
        });
      if (present) return;
      if (policy === "never") throw new Error(`image '${image}' is not on the engine and pull is 'never'`);
    }
    log(`gantry: pulling ${image}`);
    const auth = spec.credentials
      ? {
          authconfig: {
            username: spec.credentials.username,
            password: spec.credentials.password,
            ...(spec.credentials.server ? { serveraddress: spec.credentials.server } : {}),
          },
        }
      : {};
    const stream = await this.docker.pull(image, auth);
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null, events: Array<{ error?: string }>) => {
        const failed = error?.message ?? events?.find((e) => e.error)?.error;
        if (failed) reject(new Error(`cannot pull '${image}': ${failed}`));
        else resolve();
      });
    });
  }

  /** `docker: true`: the engine's socket (or TCP address) for the step, and DOCKER_HOST pointing at it. */
  private engineAccess(binds: string[]): Record<string, string> {
    const modem = this.docker.modem as {
      socketPath?: string;
      host?: string;
      port?: string | number;
      protocol?: string;
    };
    const socket = this.options.engineSocket ?? modem.socketPath;
    if (socket) {
      binds.push(`${socket}:${INNER_SOCKET}`);
      return { DOCKER_HOST: `unix://${INNER_SOCKET}` };
    }
    if (modem.host) return { DOCKER_HOST: `tcp://${modem.host}:${modem.port ?? 2375}` };
    throw new Error("docker: true needs the engine's socket: set the runner's engineSocket");
  }

  /**
   * Starts the container, streams its output line by line, and waits for it. A timeout or a cancel
   * stops it (`docker stop`: SIGTERM, SIGKILL after the grace period); the caller removes it.
   */
  private async runContainer(
    container: Docker.Container,
    { task, signal, onLine, flow }: RunnerTask,
  ): Promise<{ code: number | null; reason?: "timed_out" | "cancelled" }> {
    let reason: "timed_out" | "cancelled" | undefined;
    const stop = (why: "timed_out" | "cancelled") => {
      if (reason) return;
      reason = why;
      void container.stop({ t: this.killGraceSeconds }).catch(() => undefined);
    };
    const onAbort = () => stop("cancelled");
    signal.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      await container.start();
      if (task.timeoutMs !== undefined) timer = setTimeout(() => stop("timed_out"), task.timeoutMs);
      if (signal.aborted) stop("cancelled");
      const splitters = {
        stdout: new LineSplitter((line) => onLine("stdout", line)),
        stderr: new LineSplitter((line) => onLine("stderr", line)),
      };
      // Bytes of each stream already passed on, so a re-read after the exit sends only what is missing.
      const seen = { stdout: 0, stderr: 0 };
      const demux = new Demuxer((stream, payload) => {
        seen[stream] += payload.length;
        splitters[stream].write(payload);
      });
      // The exit is waited for beside the log's follow, not after its answer: Podman may never answer
      // a follow of a container that has just exited (podman#6627, #11461), which left the step running
      // forever. The follow gets LOG_DRAIN_MS after the exit; what it missed is read again below.
      const follow = new AbortController();
      let logs: NodeJS.ReadableStream | undefined;
      // dockerode passes abortSignal on for logs too; its types leave it out.
      const following: Docker.ContainerLogsOptions & { follow: true; abortSignal: AbortSignal } = {
        follow: true,
        stdout: true,
        stderr: true,
        abortSignal: follow.signal,
      };
      const drained = container
        .logs(following)
        .then((stream) => {
          logs = stream;
          return readDemuxed(stream, demux, flow);
        })
        .catch(() => undefined);
      const code = await exitCodeOf(container);
      await Promise.race([drained, new Promise((r) => setTimeout(r, LOG_DRAIN_MS).unref())]);
      follow.abort();
      (logs as { destroy?: () => void } | undefined)?.destroy?.();
      await emitMissedLogs(this.docker, container, seen, (stream, payload) =>
        splitters[stream].write(payload),
      );
      splitters.stdout.end();
      splitters.stderr.end();
      return { code, ...(reason ? { reason } : {}) };
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * The exit code of a started container: its wait's answer, or what an inspect every EXIT_POLL_MS sees
 * once it stopped (a wait Podman left unanswered must not leave the step running forever).
 */
async function exitCodeOf(container: Docker.Container): Promise<number | null> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const polled = new Promise<number | null>((resolve) => {
    const check = async () => {
      const state = await container.inspect().then(
        (info) => info.State,
        () => undefined,
      );
      if (abort.signal.aborted) return;
      if (state && !state.Running && (state.Status === "exited" || state.Status === "dead"))
        resolve(state.ExitCode ?? null);
      else timer = setTimeout(check, EXIT_POLL_MS);
    };
    timer = setTimeout(check, EXIT_POLL_MS);
  });
  const waited = (container.wait({ abortSignal: abort.signal }) as Promise<{ StatusCode?: number }>).then(
    (result) => result.StatusCode ?? null,
  );
  try {
    return await Promise.race([waited, polled]);
  } finally {
    abort.abort();
    clearTimeout(timer);
    // The wait, answered or cut short: its end is no longer anyone's business.
    waited.catch(() => undefined);
  }
}

/** Step folders are made 0700 by mkdtemp; a container running as another user must reach them. */
async function openUp(base: string, work: string): Promise<void> {
  await chmod(base, 0o777);
  await chmod(work, 0o777);
  await chmod(path.join(base, "output"), 0o666);
  await chmod(path.join(base, "summary"), 0o666);
}

function exitHint(code: number | null): string {
  if (code === 127) return " (command not found in the image)";
  if (code === 137) return " (killed: out of memory or stopped)";
  return "";
}

/** The engine's own message ("No such image", "executable file not found") rather than an HTTP status. */
function dockerError(error: unknown, image: string | undefined): string {
  const e = error as { json?: { message?: string }; message?: string; code?: string; address?: string };
  if (e.code === "ENOENT" || e.code === "ECONNREFUSED") {
    return `cannot reach the container engine at ${e.address ?? "DOCKER_HOST"} (${e.code}): is it running, and is DOCKER_HOST set?`;
  }
  const message = e.json?.message ?? e.message ?? String(error);
  return image ? `${message} (image ${image})` : message;
}
