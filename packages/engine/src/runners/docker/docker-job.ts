import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseHealthOptions, parseOutputFile, type ResolvedRunnerSpec, type ServiceSpec } from "@gantry/core";
import type Docker from "dockerode";
import { readSummaryHead } from "../../summaries/limits.js";
import { CONTAINER_PATHS, containerCommand, jobStepPaths } from "../container/command.js";
import { containerEnvironment, envList } from "../container/environment.js";
import { containerName, stepLabels } from "../container/labels.js";
import { parseCpus, parseMemory } from "../container/quantity.js";
import { LineSplitter } from "../lines.js";
import { readOutputFile } from "../output-file.js";
import { exitResult, failedResult, stoppedResult } from "../result.js";
import type { JobSession, JobStart, RunnerResult, RunnerTask } from "../types.js";
import { Demuxer, readDemuxed } from "./demux.js";

export interface DockerJobOptions {
  docker: Docker;
  tmpRoot: string;
  workerId: string;
  killGraceSeconds: number;
  ensureImage(spec: ResolvedRunnerSpec, log: (line: string) => void): Promise<void>;
  /** Binds and env for `docker: true` (the engine's socket). */
  engineAccess(binds: string[]): Record<string, string>;
}

/**
 * PID 1 of a job's container: it waits until the job ends, and a TERM (the container's removal) ends
 * it. A stopped step is ended with `kill -1` from inside, which reaches every process but PID 1.
 */
const KEEP_ALIVE = "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done";

/**
 * A docker job: its service containers on a network of their own (reachable from the job by name, and
 * healthy before the first step), then one container for the whole job, in which each step is an exec
 * sharing the workspace /gantry/work. Everything is removed on close.
 */
export async function openDockerJob(options: DockerJobOptions, job: JobStart): Promise<JobSession> {
  const { docker } = options;
  const spec = job.task.runner as ResolvedRunnerSpec;
  if (!spec?.image) throw new Error("runner type docker needs an 'image'");
  const base = await mkdtemp(path.join(options.tmpRoot, "gantry-job-"));
  const containers: Docker.Container[] = [];
  let network: Docker.Network | undefined;
  const labels = { ...stepLabels(job.task, job.runId, job.workerId ?? options.workerId) };
  const close = async () => {
    for (const c of containers.reverse()) await c.remove({ force: true, v: true }).catch(() => undefined);
    if (network) await network.remove().catch(() => undefined);
    await rm(base, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await mkdir(path.join(base, "work"), { recursive: true });
    await mkdir(path.join(base, "steps"), { recursive: true });
    await openUp(base);
    const log = (line: string) => job.onLine("stderr", line);
    await options.ensureImage(spec, log);
    const name = containerName(job.task, job.runId, 60);
    const services = Object.entries(job.services);
    if (services.length > 0) {
      network = await docker.createNetwork({ Name: name, Labels: labels, CheckDuplicate: true });
      for (const [service, serviceSpec] of services) {
        containers.push(
          await startService(options, { name, network: name, service, spec: serviceSpec, labels, log }),
        );
      }
      for (const [index, [service, serviceSpec]] of services.entries()) {
        await waitHealthy(containers[index] as Docker.Container, service, serviceSpec, job.signal, log);
      }
    }
    const binds = [`${base}:${CONTAINER_PATHS.root}`, ...(spec.volumes ?? [])];
    const extraEnv: Record<string, string> = { GANTRY_HOST_WORKSPACE: path.join(base, "work") };
    if (spec.docker) Object.assign(extraEnv, options.engineAccess(binds));
    const runnerEnv = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v === null ? "" : String(v)}`);
    const container = await docker.createContainer({
      name,
      Image: spec.image,
      Entrypoint: ["sh", "-c", KEEP_ALIVE],
      Cmd: [],
      Env: runnerEnv,
      WorkingDir: CONTAINER_PATHS.work,
      Labels: labels,
      ...(spec.user !== undefined ? { User: String(spec.user) } : {}),
      HostConfig: {
        Binds: binds,
        ...(network ? { NetworkMode: name } : spec.network ? { NetworkMode: spec.network } : {}),
        ...(spec.cpus !== undefined ? { NanoCpus: Math.round(parseCpus(spec.cpus) * 1e9) } : {}),
        ...(spec.memory !== undefined ? { Memory: parseMemory(spec.memory) } : {}),
      },
    });
    containers.push(container);
    await container.start();
    let count = 0;
    return {
      workspace: path.join(base, "work"),
      run: (task) => runInJob(options, container, base, count++, task, extraEnv),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startService(
  options: DockerJobOptions,
  s: {
    name: string;
    network: string;
    service: string;
    spec: ServiceSpec;
    labels: Record<string, string>;
    log: (line: string) => void;
  },
): Promise<Docker.Container> {
  const health = parseHealthOptions(s.spec.options);
  if ("error" in health) throw new Error(`services.${s.service}.options: ${health.error}`);
  await options.ensureImage({ type: "docker", image: s.spec.image }, s.log);
  s.log(`gantry: starting service ${s.service} (${s.spec.image})`);
  const ports: Record<string, Array<{ HostPort: string }>> = {};
  for (const port of s.spec.ports ?? []) {
    const [host, inner] = String(port).includes(":") ? String(port).split(":") : ["", String(port)];
    ports[`${inner}/tcp`] = [{ HostPort: host ?? "" }];
  }
  const env = Object.entries(s.spec.env ?? {}).map(([k, v]) => `${k}=${v === null ? "" : String(v)}`);
  const container = await options.docker.createContainer({
    name: `${s.name}-${s.service}`.slice(0, 128),
    Image: s.spec.image,
    Env: env,
    ...(s.spec.command ? { Cmd: s.spec.command } : {}),
    Labels: { ...s.labels, "gantry.service": s.service },
    ExposedPorts: Object.fromEntries(Object.keys(ports).map((p) => [p, {}])),
    HostConfig: { NetworkMode: s.network, PortBindings: ports },
    NetworkingConfig: { EndpointsConfig: { [s.network]: { Aliases: [s.service] } } },
  });
  await container.start();
  return container;
}

/**
 * Waits for a service: its health command (run here, inside the service's container, so it works the
 * same on engines that run no health checks of their own) until it exits 0, or just until it runs.
 */
async function waitHealthy(
  container: Docker.Container,
  service: string,
  spec: ServiceSpec,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const health = parseHealthOptions(spec.options);
  if ("error" in health) throw new Error(health.error);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  if (health.startPeriodMs > 0) await pause(health.startPeriodMs);
  let last = "";
  for (let attempt = 1; attempt <= health.retries; attempt++) {
    if (signal.aborted) throw new Error("cancelled while waiting for services");
    const info = await container.inspect();
    if (!info.State.Running) {
      throw new Error(`service ${service} stopped (exit code ${info.State.ExitCode}) before it was healthy`);
    }
    if (!health.command) {
      log(`gantry: service ${service} is running (no --health-cmd in its options)`);
      return;
    }
    const result = await execCapture(container, ["sh", "-c", health.command], health.timeoutMs);
    if (result.code === 0) {
      log(`gantry: service ${service} is healthy`);
      return;
    }
    last = result.output.trim().split("\n").slice(-3).join(" | ");
    await pause(health.intervalMs);
  }
  throw new Error(
    `service ${service} is not healthy after ${health.retries} tries of '${health.command}'${last ? `: ${last}` : ""}`,
  );
}

async function execCapture(
  container: Docker.Container,
  cmd: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = "";
  const demux = new Demuxer((_s, payload) => {
    if (output.length < 4096) output += payload.toString("utf8");
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, timeoutMs);
    stream.on("data", (chunk: Buffer) => demux.write(chunk));
    stream.on("end", () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on("error", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const info = await exec.inspect();
  return { code: info.Running ? null : (info.ExitCode ?? null), output };
}

/** One step of the job: its files in /gantry/steps/<n>, then an exec in the job's container. */
async function runInJob(
  options: DockerJobOptions,
  container: Docker.Container,
  base: string,
  index: number,
  runnerTask: RunnerTask,
  extraEnv: Record<string, string>,
): Promise<RunnerResult> {
  const { task, runId, actionDir, signal, onLine, flow } = runnerTask;
  const startedAt = Date.now();
  const paths = jobStepPaths(index);
  const hostDir = path.join(base, "steps", String(index));
  try {
    const command = containerCommand(task.program, paths);
    const workingDir = task.workingDirectory
      ? path.posix.resolve(CONTAINER_PATHS.work, task.workingDirectory)
      : CONTAINER_PATHS.work;
    if (path.posix.relative(CONTAINER_PATHS.work, workingDir).startsWith("..")) {
      return failedResult(
        startedAt,
        `working_directory '${task.workingDirectory}' leaves the job's workspace`,
      );
    }
    await mkdir(hostDir, { recursive: true });
    await Promise.all([
      writeFile(path.join(hostDir, "inputs.json"), JSON.stringify(task.inputs)),
      writeFile(path.join(hostDir, "output"), "", { mode: 0o666 }),
      writeFile(path.join(hostDir, "summary"), "", { mode: 0o666 }),
      command.script ? writeFile(path.join(hostDir, command.script.name), command.script.text) : undefined,
      actionDir ? cp(actionDir, path.join(hostDir, "action"), { recursive: true }) : undefined,
    ]);
    await openUp(hostDir);
    if (signal.aborted) return failedResult(startedAt, "cancelled before it started", "cancelled");
    const env = containerEnvironment(task, runId, actionDir !== undefined, extraEnv, paths);
    const argv = [...(command.entrypoint ?? []), ...(command.cmd ?? [])];
    if (argv.length === 0) return failedResult(startedAt, "a container action cannot be a step of a job");
    await mkdir(path.join(base, "work", path.posix.relative(CONTAINER_PATHS.work, workingDir)), {
      recursive: true,
    });
    const exec = await container.exec({
      Cmd: argv,
      Env: envList(env),
      WorkingDir: workingDir,
      AttachStdout: true,
      AttachStderr: true,
    });
    let reason: "timed_out" | "cancelled" | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: "timed_out" | "cancelled") => {
      if (reason) return;
      reason = why;
      // Steps run one at a time: every process but the container's PID 1 belongs to this one.
      void execCapture(container, ["sh", "-c", "kill -TERM -1"], 10_000).catch(() => undefined);
      killTimer = setTimeout(
        () => void execCapture(container, ["sh", "-c", "kill -KILL -1"], 10_000).catch(() => undefined),
        options.killGraceSeconds * 1000,
      );
    };
    const onAbort = () => stop("cancelled");
    signal.addEventListener("abort", onAbort, { once: true });
    const timer =
      task.timeoutMs !== undefined ? setTimeout(() => stop("timed_out"), task.timeoutMs) : undefined;
    try {
      const stream = await exec.start({ hijack: true, stdin: false });
      const splitters = {
        stdout: new LineSplitter((line) => onLine("stdout", line)),
        stderr: new LineSplitter((line) => onLine("stderr", line)),
      };
      const demux = new Demuxer((s, payload) => splitters[s].write(payload));
      await readDemuxed(stream, demux, flow);
      splitters.stdout.end();
      splitters.stderr.end();
    } finally {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal.removeEventListener("abort", onAbort);
    }
    const info = await exec.inspect();
    const exitCode = info.ExitCode ?? null;
    const output = parseOutputFile(await readOutputFile(path.join(hostDir, "output")));
    const summary = await readSummaryHead(path.join(hostDir, "summary"));
    const withSummary = (result: RunnerResult): RunnerResult => (summary ? { ...result, summary } : result);
    const finishedAt = Date.now();
    if (reason) {
      const error = reason === "timed_out" ? `timed out after ${task.timeoutMs} ms` : "cancelled";
      return withSummary(stoppedResult({ reason, exitCode, output, startedAt, finishedAt, error }));
    }
    return withSummary(
      exitResult({
        exitCode,
        output,
        startedAt,
        finishedAt,
        hint: exitCode === 127 ? " (command not found in the image)" : "",
      }),
    );
  } catch (error) {
    const e = error as { json?: { message?: string }; message?: string };
    return failedResult(startedAt, e.json?.message ?? e.message ?? String(error));
  }
}

/** The container's user may not be the worker's: everyone may write the job's folders. */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o777);
  for (const sub of ["work", "steps", "output", "summary"])
    await chmod(path.join(dir, sub), sub === "output" || sub === "summary" ? 0o666 : 0o777).catch(
      () => undefined,
    );
}
