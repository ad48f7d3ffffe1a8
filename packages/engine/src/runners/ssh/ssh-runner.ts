import { randomBytes } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { type NodeRecord, type PreparedTask, parseOutputFile, type RunnerType } from "@gantry/core";
import type { Client, ClientChannel } from "ssh2";
import { LineSplitter } from "../lines.js";
import { readStepFilesScript } from "../remote-step-files.js";
import { exitResult, failedResult, stoppedResult } from "../result.js";
import type { JobSession, JobStart, RunnerLike, RunnerResult, RunnerTask } from "../types.js";
import { connectNode, type SshClientSettings } from "./connect.js";
import { environmentFile, type RemoteFiles, sshStepEnvironment } from "./environment.js";
import { execCollect, execStream, shCommand, shellQuote, wrapperScript } from "./remote.js";

export interface SshRunnerOptions extends SshClientSettings {
  /** After a stop is asked, how long the step has to exit before SIGKILL (on the node). */
  killGraceMs?: number;
}

/** The interpreters a script runs with on a node, as the local runner runs them (bash fails fast). */
const INTERPRETERS = {
  bash: { argv: ["bash", "--noprofile", "--norc", "-eo", "pipefail"], extension: ".sh" },
  sh: { argv: ["sh", "-e"], extension: ".sh" },
  python: { argv: ["python3"], extension: ".py" },
  node: { argv: ["node"], extension: ".cjs" },
} as const;

/** The most of an action's folder copied to a node: scripts, not build trees. */
const MAX_ACTION_BYTES = 16 * 1024 * 1024;
/** A stop (cancel, timeout) that the node does not answer within this long is given up on. */
const STOP_WAIT_MS = 15_000;
/** Stands for the step's folder until mktemp names it: NUL, which no variable or argument can hold. */
const REMOTE_DIR = "\u0000dir\u0000";
/**
 * Makes the step's private folder (mktemp -d: mode 700) and unpacks the step's files from stdin into it;
 * prints the folder, or removes it again on failure.
 */
const PREPARE =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, run on the node.
  'd=$(mktemp -d "${TMPDIR:-/tmp}/gantry-step-XXXXXXXXXX") || exit 1; if cd "$d" && tar -xf -; then echo "$d"; else rm -rf "$d"; exit 1; fi';
/** Makes a job's workspace on the node (mktemp -d: mode 700) and prints it. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, run on the node.
const MAKE_JOB_DIR = 'mktemp -d "${TMPDIR:-/tmp}/gantry-job-XXXXXXXXXX"';

/**
 * Runs a step on an inventory node over SSH (ssh2): connects with strict host key checking, makes a
 * private folder on the node (mktemp, mode 700), copies the script, inputs and the action's files there,
 * runs it with the same contract as a local step (INPUT_*, $GANTRY_INPUTS, $GANTRY_OUTPUT, exit code),
 * streams its output line by line, reads its outputs and removes the folder. Only exec channels and sh,
 * mktemp, tar, cat and head are needed on the node: no SFTP subsystem, no AcceptEnv.
 */
export class SshRunner implements RunnerLike {
  readonly types: readonly RunnerType[] = ["ssh"];
  private readonly killGraceMs: number;
  /**
   * Folders on nodes that a lost connection kept this runner from removing (a step's, a job's), by node
   * name: removed on the next connection to that node.
   */
  private readonly leftBehind = new Map<string, Set<string>>();

  constructor(private readonly options: SshRunnerOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 5000;
  }

  async run(runnerTask: RunnerTask): Promise<RunnerResult> {
    const { task, onLine, signal } = runnerTask;
    const startedAt = Date.now();
    const node = task.runner?.node;
    if (!node) return failedResult(startedAt, "runner type ssh: the task names no node");
    if (task.program.kind === "container") {
      return failedResult(startedAt, "a container action runs on runner type docker or kubernetes, not ssh");
    }
    if (signal.aborted) return failedResult(startedAt, "cancelled before it started", "cancelled");
    let connection: Connection;
    try {
      connection = await this.connect(node, signal, onLine);
    } catch (error) {
      const cancelled = signal.aborted;
      return failedResult(startedAt, (error as Error).message, cancelled ? "cancelled" : "failed");
    }
    try {
      return await this.runOn(connection, runnerTask);
    } finally {
      connection.client.end();
    }
  }

  /**
   * A job on a node: one connection and one workspace folder on the node (mktemp -d, mode 700) for all
   * its steps, each step's own files in a private folder beside it as for a step alone; the workspace is
   * removed and the connection closed at the end.
   */
  async openJob(job: JobStart): Promise<JobSession> {
    if (Object.keys(job.services).length > 0) throw new Error("service containers need runner type docker");
    const node = job.task.runner?.node;
    if (!node) throw new Error("runner type ssh: the job names no node");
    const connection = await this.connect(node, job.signal, job.onLine);
    try {
      const made = await execCollect(connection.client, shCommand(MAKE_JOB_DIR));
      const workspace = made.stdout.trim();
      if (made.code !== 0 || !/^\/[\w./-]+$/.test(workspace))
        throw new Error(
          `${node.name}: cannot make the job's folder (${made.stderr.trim() || `exit ${made.code}`})`,
        );
      return {
        run: (task) => this.runOn(connection, task, workspace),
        close: async () => {
          try {
            if (connection.lost === undefined)
              await execCollect(connection.client, shCommand(`rm -rf ${shellQuote(workspace)}`));
            else this.leaveBehind(node, workspace);
          } finally {
            connection.client.end();
          }
        },
      };
    } catch (error) {
      connection.client.end();
      throw error;
    }
  }

  /** Connects to a node; the connection notes why it was lost, when it is. */
  private async connect(
    node: NodeRecord,
    signal: AbortSignal,
    onLine: RunnerTask["onLine"],
  ): Promise<Connection> {
    const client = await connectNode(node, credentialsOf(node), this.options, signal, (line) =>
      onLine("stderr", line),
    );
    const connection: Connection = { client, node };
    // A connection that drops mid-step fails the step with the reason, rather than hanging it.
    client.on("error", (error: Error) => {
      connection.lost ??= error.message;
    });
    client.on("close", () => {
      connection.lost ??= "the connection closed";
    });
    await this.removeLeftBehind(connection);
    return connection;
  }

  private leaveBehind(node: NodeRecord, dir: string): void {
    const dirs = this.leftBehind.get(node.name) ?? new Set<string>();
    dirs.add(dir);
    this.leftBehind.set(node.name, dirs);
  }

  /** Removes what lost connections left on this connection's node (kept for the next one if this fails). */
  private async removeLeftBehind({ client, node }: Connection): Promise<void> {
    const dirs = this.leftBehind.get(node.name);
    if (!dirs) return;
    this.leftBehind.delete(node.name);
    const removed = await execCollect(
      client,
      shCommand(`rm -rf ${[...dirs].map(shellQuote).join(" ")}`),
    ).then(
      (result) => result.code === 0,
      () => false,
    );
    if (!removed) for (const dir of dirs) this.leaveBehind(node, dir);
  }

  /**
   * Runs a step over an open connection: in a private folder of its own, working in `workspace` (a job's
   * folder on the node) when given, else in that folder's `work/`.
   */
  private async runOn(
    connection: Connection,
    { task, runId, actionDir, onLine, signal, flow }: RunnerTask,
    workspace?: string,
  ): Promise<RunnerResult> {
    const startedAt = Date.now();
    const { client, node } = connection;
    if (task.program.kind === "container") {
      return failedResult(startedAt, "a container action runs on runner type docker or kubernetes, not ssh");
    }
    if (signal.aborted) return failedResult(startedAt, "cancelled before it started", "cancelled");
    if (connection.lost !== undefined)
      return failedResult(startedAt, `${node.name}: the connection was lost: ${connection.lost}`);
    let dir: string | undefined;
    try {
      const { files, argv } = await this.prepare(client, task, actionDir, runId, node, onLine, workspace);
      dir = files.dir;
      const exit = await this.execute(client, files, argv, task.timeoutMs, signal, onLine, flow);
      const lost = connection.lost;
      if (lost !== undefined) {
        const why =
          exit.reason === "cancelled" ? "cancelled" : exit.reason === "timed_out" ? "timed_out" : "failed";
        return failedResult(
          startedAt,
          `the connection to ${node.name} ended before the step did: ${lost}`,
          why,
        );
      }
      // The outputs, then the summary's head after a line no step can have written, are read and the
      // folder removed in one command: each command costs a login shell.
      const separator = `gantry-summary-${randomBytes(12).toString("hex")}`;
      const output = await execCollect(
        client,
        shCommand(
          readStepFilesScript({
            output: shellQuote(files.output),
            summary: shellQuote(files.summary),
            dir: shellQuote(files.dir),
            separator,
          }),
        ),
      );
      dir = undefined;
      const [outputText = "", summary = ""] = output.stdout.split(`\n${separator}\n`);
      const parsed = parseOutputFile(output.code === 0 ? outputText : "");
      const withSummary = (result: RunnerResult): RunnerResult => (summary ? { ...result, summary } : result);
      const finishedAt = Date.now();
      if (exit.reason) {
        const { reason, code: exitCode, message: error } = exit;
        return withSummary(stoppedResult({ reason, exitCode, output: parsed, startedAt, finishedAt, error }));
      }
      if (exit.code === null)
        return failedResult(startedAt, `${node.name}: the step ended without an exit status`);
      return withSummary(exitResult({ exitCode: exit.code, output: parsed, startedAt, finishedAt }));
    } catch (error) {
      const message = connection.lost ?? (error as Error).message;
      return failedResult(startedAt, `${node.name}: ${message}`);
    } finally {
      if (dir && connection.lost === undefined) {
        await execCollect(client, shCommand(`rm -rf ${shellQuote(dir)}`)).catch(() => undefined);
      } else if (dir) this.leaveBehind(node, dir);
    }
  }

  /**
   * Makes the step's folder on the node and writes its files there, in one command: mktemp -d (mode
   * 700), then a tar stream of the files on stdin. Each command costs the node a login shell (a second
   * where ~/.bashrc is slow), so a step takes three: this one, the step, and reading its outputs.
   */
  private async prepare(
    client: Client,
    task: PreparedTask,
    actionDir: string | undefined,
    runId: string,
    node: NodeRecord,
    onLine: RunnerTask["onLine"],
    workspace?: string,
  ): Promise<{ files: RemoteFiles; argv: string[] }> {
    // The folder's name is known only once mktemp made it: until then it is REMOTE_DIR, which the
    // environment file turns into the wrapper's "$d".
    const dir = REMOTE_DIR;
    const files: RemoteFiles = {
      dir,
      inputs: `${dir}/inputs.json`,
      output: `${dir}/output`,
      summary: `${dir}/summary`,
      workDir: workspace ?? `${dir}/work`,
      ...(actionDir ? { actionDir: `${dir}/action` } : {}),
    };
    const env = sshStepEnvironment(task, files, runId, node);
    const cwd = task.workingDirectory ? path.posix.join("work", task.workingDirectory) : "work";
    // In a job, the step works in the job's folder, made beforehand; its working_directory is made there.
    const jobCwd = workspace !== undefined ? path.posix.join(workspace, cwd.slice("work".length)) : undefined;
    if (jobCwd !== undefined && path.posix.relative(workspace as string, jobCwd).startsWith(".."))
      throw new Error(`working_directory '${task.workingDirectory}' leaves the job's workspace`);
    const { text: envText, skipped } = environmentFile(
      { ...env, GANTRY_CWD: jobCwd ?? `${dir}/${cwd}` },
      REMOTE_DIR,
    );
    for (const name of skipped) {
      onLine("stderr", `gantry: env '${name}' is not a shell variable name; it is not set on ${node.name}`);
    }
    const entries: TarEntry[] = [
      ...(workspace === undefined ? [{ name: "work/", mode: 0o700 }] : []),
      ...(workspace === undefined && cwd.startsWith("work/") && !cwd.split("/").includes("..")
        ? [{ name: `${cwd}/`, mode: 0o700 }]
        : []),
      { name: "env.sh", mode: 0o600, content: envText },
      { name: "inputs.json", mode: 0o600, content: JSON.stringify(task.inputs) },
      { name: "output", mode: 0o600, content: "" },
      { name: "summary", mode: 0o600, content: "" },
      { name: "run.sh", mode: 0o700, content: wrapperScript(Math.ceil(this.killGraceMs / 1000)) },
    ];
    let argv: string[];
    const program = task.program;
    if (program.kind === "inline") {
      const interp = INTERPRETERS[program.shell];
      entries.push({ name: `script${interp.extension}`, mode: 0o600, content: program.script });
      argv = [...interp.argv, `${dir}/script${interp.extension}`];
    } else if (program.kind === "file") {
      argv = [...INTERPRETERS[program.shell].argv, `${files.actionDir ?? files.workDir}/${program.path}`];
    } else if (program.kind === "exec") {
      const [first, ...args] = program.command;
      if (!first) throw new Error("exec: empty command");
      argv = [
        first.includes("/") ? path.posix.join(files.actionDir ?? files.workDir, first) : first,
        ...args,
      ];
    } else {
      throw new Error("a container action cannot run on ssh");
    }
    if (actionDir) entries.push(...(await actionFiles(actionDir, "action")));
    const prepare = jobCwd !== undefined ? `mkdir -p ${shellQuote(jobCwd)} || exit 1; ${PREPARE}` : PREPARE;
    const result = await execCollect(client, shCommand(prepare), await tarOf(entries));
    const made = result.stdout.trim();
    if (result.code !== 0 || !/^\/[\w./-]+$/.test(made)) {
      throw new Error(`cannot prepare the step's folder (${result.stderr.trim() || `exit ${result.code}`})`);
    }
    const real = (text: string) => text.split(REMOTE_DIR).join(made);
    return {
      files: {
        dir: made,
        inputs: real(files.inputs),
        output: real(files.output),
        summary: real(files.summary),
        workDir: real(files.workDir),
        ...(files.actionDir ? { actionDir: real(files.actionDir) } : {}),
      },
      argv: argv.map(real),
    };
  }

  /** Runs the wrapper, streaming output; a stop (cancel, timeout) ends its stdin, which it answers. */
  private execute(
    client: Client,
    files: RemoteFiles,
    argv: string[],
    timeoutMs: number | undefined,
    signal: AbortSignal,
    onLine: RunnerTask["onLine"],
    flow: RunnerTask["flow"],
  ): Promise<{ code: number | null; reason?: "timed_out" | "cancelled"; message?: string }> {
    const command = shCommand(
      `exec sh ${[`${files.dir}/run.sh`, files.dir, ...argv].map(shellQuote).join(" ")}`,
    );
    return execStream(client, command).then(
      (channel: ClientChannel) =>
        new Promise((resolve) => {
          let reason: "timed_out" | "cancelled" | undefined;
          let message: string | undefined;
          let code: number | null = null;
          let giveUp: NodeJS.Timeout | undefined;
          const stop = (why: "timed_out" | "cancelled", text: string) => {
            if (reason) return;
            reason = why;
            message = text;
            channel.end();
            giveUp = setTimeout(() => channel.close(), this.killGraceMs + STOP_WAIT_MS);
          };
          const timer =
            timeoutMs !== undefined
              ? setTimeout(() => stop("timed_out", `timed out after ${timeoutMs} ms`), timeoutMs)
              : undefined;
          const onAbort = () => stop("cancelled", "cancelled");
          signal.addEventListener("abort", onAbort, { once: true });
          if (signal.aborted) onAbort();
          const out = new LineSplitter((line) => onLine("stdout", line));
          const err = new LineSplitter((line) => onLine("stderr", line));
          // When the log store falls behind, stop reading: the SSH window fills and the node's step
          // blocks on its output, rather than the worker buffering it without bound.
          let paused = false;
          const throttle = () => {
            if (!flow?.full || paused) return;
            paused = true;
            channel.pause();
            channel.stderr.pause();
            void flow.waitForRoom().then(() => {
              paused = false;
              channel.resume();
              channel.stderr.resume();
            });
          };
          channel.on("data", (chunk: Buffer) => {
            out.write(chunk);
            throttle();
          });
          channel.stderr.on("data", (chunk: Buffer) => {
            err.write(chunk);
            throttle();
          });
          channel.on("exit", (exitCode: number | null, exitSignal?: string) => {
            code = exitCode ?? (exitSignal ? 128 + signalNumber(exitSignal) : null);
          });
          channel.on("close", () => {
            if (timer) clearTimeout(timer);
            if (giveUp) clearTimeout(giveUp);
            signal.removeEventListener("abort", onAbort);
            out.end();
            err.end();
            resolve({ code, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
          });
        }),
    );
  }
}

/** An open connection to a node, and why it was lost, once it is. */
interface Connection {
  client: Client;
  node: NodeRecord;
  lost?: string;
}

/** The node's secrets, resolved by the worker just before the task reached this runner. */
function credentialsOf(node: NodeRecord): { privateKey?: string; passphrase?: string; password?: string } {
  return {
    ...(node.ssh_key ? { privateKey: node.ssh_key } : {}),
    ...(node.ssh_key_passphrase ? { passphrase: node.ssh_key_passphrase } : {}),
    ...(node.password ? { password: node.password } : {}),
  };
}

/** A file or folder (name ending in /) of the step's folder on the node. */
interface TarEntry {
  name: string;
  mode: number;
  content?: string | Buffer;
}

/** The action's files, for the folder on the node; the mode keeps a script executable. */
async function actionFiles(localDir: string, prefix: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [{ name: `${prefix}/`, mode: 0o700 }];
  let total = 0;
  const walk = async (relative: string) => {
    for (const entry of await readdir(path.join(localDir, relative), { withFileTypes: true })) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        entries.push({ name: `${prefix}/${rel}/`, mode: 0o700 });
        await walk(rel);
      } else if (entry.isFile()) {
        const full = path.join(localDir, rel);
        const info = await stat(full);
        total += info.size;
        if (total > MAX_ACTION_BYTES) {
          throw new Error(`the action's folder is larger than ${MAX_ACTION_BYTES / 1024 / 1024} MiB`);
        }
        entries.push({
          name: `${prefix}/${rel}`,
          content: await readFile(full),
          mode: info.mode & 0o111 ? 0o700 : 0o600,
        });
      }
    }
  };
  await walk("");
  return entries;
}

/** A tar archive of the entries, owned by uid 0 (tar run by root keeps it; anyone else becomes the owner). */
async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  // A CommonJS module: its exports are the default export everywhere (the CLI's bundle has no other).
  const { pack } = (await import("tar-stream")).default;
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on("end", resolve);
    archive.on("error", reject);
  });
  const mtime = new Date();
  for (const entry of entries) {
    if (entry.name.endsWith("/")) {
      archive.entry({ name: entry.name, type: "directory", mode: entry.mode, uid: 0, gid: 0, mtime });
    } else {
      archive.entry({ name: entry.name, mode: entry.mode, uid: 0, gid: 0, mtime }, entry.content ?? "");
    }
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, PIPE: 13, TERM: 15 };

function signalNumber(name: string): number {
  return SIGNALS[name.replace(/^SIG/, "")] ?? 0;
}
