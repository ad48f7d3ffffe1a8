import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { OUTPUT_FILE_LIMIT_BYTES, parseOutputFile } from "@gantry/core";
import { readSummaryHead, SUMMARY_LIMIT_BYTES } from "../../summaries/limits.js";
import { LineSplitter } from "../lines.js";
import { readOutputFile } from "../output-file.js";
import { exitResult, failedResult, stoppedResult } from "../result.js";
import type { JobSession, JobStart, RunnerLike, RunnerResult, RunnerTask } from "../types.js";
import { commandFor } from "./command.js";
import { stepEnvironment } from "./environment.js";
import { InlineSpawner } from "./inline-spawner.js";
import type { LauncherChoice } from "./launcher-choice.js";
import { HelperSpawner } from "./spawner.js";
import type { SpawnerLike, StepFolder, StepProcess } from "./step-process.js";

export interface LocalRunnerOptions {
  /** Where step folders are made; the OS temporary folder by default. */
  tmpRoot?: string;
  /** After SIGTERM, how long a step has to exit before SIGKILL. */
  killGraceMs?: number;
  /**
   * Who starts the steps' processes: this process (`inline`, the default: nothing more to start, right
   * for `gantry run`), or a small process of its own (`helper`: a worker's event loop is not blocked by
   * a fork of itself for each step; see spawner.ts).
   */
  spawner?: "inline" | "helper";
  /**
   * With `helper`: whether that process is the Python step launcher or the Node helper (see
   * launcher-choice.ts); GANTRY_SPAWNER_LAUNCHER by default.
   */
  launcher?: LauncherChoice;
}

/**
 * Runs each task as a process of this machine, in a new process group and a fresh temporary folder that
 * is removed afterwards. The step's files for Gantry (inputs, outputs) live beside that folder, not in it.
 */
export class LocalRunner implements RunnerLike {
  private readonly tmpRoot: string;
  private readonly killGraceMs: number;
  private readonly spawner: SpawnerLike;

  constructor(options: LocalRunnerOptions = {}) {
    this.tmpRoot = options.tmpRoot ?? os.tmpdir();
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.spawner =
      options.spawner === "helper"
        ? new HelperSpawner(options.launcher ? { launcher: options.launcher } : {})
        : new InlineSpawner();
  }

  /** Stops the step launcher or helper, if any (it also exits by itself with this process). */
  close(): void {
    this.spawner.close();
  }

  /** A job's steps share one working folder, made here and removed when the job ends. */
  async openJob(job: JobStart): Promise<JobSession> {
    if (Object.keys(job.services).length > 0) throw new Error("service containers need runner type docker");
    const workspace = await mkdtemp(path.join(this.tmpRoot, "gantry-job-"));
    return {
      workspace,
      run: (task) => this.run({ ...task, workspace }),
      close: () => rm(workspace, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }),
    };
  }

  async run({ task, runId, actionDir, onLine, signal, flow, workspace }: RunnerTask): Promise<RunnerResult> {
    const startedAt = Date.now();
    // A spawner that makes the folder names it (maybe made ahead); mkdtemp's, made here, otherwise.
    const makes = this.spawner.makesFolders;
    const base = makes
      ? (this.spawner.folderName?.(this.tmpRoot) ??
        path.join(this.tmpRoot, `gantry-step-${randomBytes(12).toString("hex")}`))
      : await mkdtemp(path.join(this.tmpRoot, "gantry-step-"));
    // Until the spawner has the folder, a name it made ahead is this run's to give back.
    let handed = false;
    const fail = (error: string) => failedResult(startedAt, error);
    try {
      // A given workspace is the caller's to make and remove; the step's own files stay in `base`.
      const workDir = workspace ?? path.join(base, "work");
      const files = {
        inputs: path.join(base, "inputs.json"),
        output: path.join(base, "output"),
        summary: path.join(base, "summary"),
        workDir,
        ...(actionDir ? { actionDir } : {}),
      };
      const command = commandFor(task.program, base, actionDir);
      const cwd = task.workingDirectory ? path.resolve(workDir, task.workingDirectory) : workDir;
      // The planner refuses a working_directory that climbs out; this holds even for a task made elsewhere.
      const inside = path.relative(workDir, cwd);
      if (inside.startsWith("..") || path.isAbsolute(inside))
        return fail(`working_directory '${task.workingDirectory}' leaves the step's workspace`);
      const folder: StepFolder = {
        base,
        dirs: [cwd],
        files: [
          [files.inputs, JSON.stringify(task.inputs)],
          [files.output, ""],
          [files.summary, ""],
          ...(command.script ? [[command.script.path, command.script.text] as [string, string]] : []),
        ],
        collect: { path: files.output, limit: OUTPUT_FILE_LIMIT_BYTES + 1 },
        summary: { path: files.summary, limit: SUMMARY_LIMIT_BYTES + 1 },
      };
      if (!makes) {
        await Promise.all([
          mkdir(cwd, { recursive: true }),
          ...folder.files.map(([file, text]) => writeFile(file, text)),
        ]);
      }
      if (signal.aborted) return { ...fail("cancelled before it started"), status: "cancelled" };
      const env = stepEnvironment(task, files, runId);
      handed = true;
      const exit = await this.spawnAndWait(
        command.program,
        command.args,
        { cwd, env, ...(makes ? { folder } : {}) },
        task.timeoutMs,
        signal,
        onLine,
        flow,
      );
      if (exit.prepareError) return fail(exit.prepareError);
      if (exit.spawnError) return fail(exit.spawnError);
      if (exit.collectError) return fail(exit.collectError);
      // Read by the spawner that made the folder (gone by now), or here.
      const parsed = parseOutputFile(makes ? (exit.collected ?? "") : await readOutputFile(files.output));
      const summary = makes ? exit.summary : await readSummaryHead(files.summary);
      const finishedAt = Date.now();
      const withSummary = (result: RunnerResult): RunnerResult => (summary ? { ...result, summary } : result);
      if (exit.reason) {
        const { reason, code: exitCode, message: error } = exit;
        return withSummary(stoppedResult({ reason, exitCode, output: parsed, startedAt, finishedAt, error }));
      }
      return withSummary(exitResult({ exitCode: exit.code, output: parsed, startedAt, finishedAt }));
    } catch (error) {
      return fail((error as Error).message);
    } finally {
      if (!makes) await rm(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      else if (!handed) this.spawner.discardFolder?.(base);
    }
  }

  private spawnAndWait(
    program: string,
    args: string[],
    options: { cwd: string; env: Record<string, string>; folder?: StepFolder },
    timeoutMs: number | undefined,
    signal: AbortSignal,
    onLine: RunnerTask["onLine"],
    flow?: RunnerTask["flow"],
  ): Promise<ExitInfo> {
    return new Promise((resolve) => {
      const child: StepProcess = this.spawner.spawn({ program, args, ...options });
      let reason: ExitInfo["reason"];
      let message: string | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (why: "timed_out" | "cancelled", text: string) => {
        if (reason) return;
        reason = why;
        message = text;
        child.kill("SIGTERM");
        killTimer = setTimeout(() => child.kill("SIGKILL"), this.killGraceMs);
      };
      const timer =
        timeoutMs !== undefined
          ? setTimeout(() => stop("timed_out", `timed out after ${timeoutMs} ms`), timeoutMs)
          : undefined;
      const onAbort = () => stop("cancelled", "cancelled");
      signal.addEventListener("abort", onAbort, { once: true });
      const out = new LineSplitter((line) => onLine("stdout", line));
      const err = new LineSplitter((line) => onLine("stderr", line));
      // When the log store falls behind, stop reading: the step blocks on a full pipe instead of the
      // worker buffering its output without bound.
      let paused = false;
      const throttle = () => {
        if (!flow?.full || paused) return;
        paused = true;
        child.pause();
        void flow.waitForRoom().then(() => {
          paused = false;
          child.resume();
        });
      };
      child.onOutput((stream, chunk) => {
        (stream === "stdout" ? out : err).write(chunk);
        throttle();
      });
      void child.ended.then((end) => {
        if (timer) clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        signal.removeEventListener("abort", onAbort);
        if ("error" in end) {
          if (end.error.prepare) return resolve({ code: null, prepareError: end.error.message });
          const what =
            end.error.code === "ENOENT" ? "not found (is it installed and on PATH?)" : end.error.message;
          resolve({ code: null, spawnError: `cannot start '${program}': ${what}` });
          return;
        }
        out.end();
        err.end();
        resolve({
          code: end.code ?? (end.signal ? 128 + signalNumber(end.signal) : null),
          reason,
          message,
          collected: end.collected,
          collectError: end.collectError,
          summary: end.summary,
        });
      });
    });
  }
}

interface ExitInfo {
  code: number | null;
  reason?: "timed_out" | "cancelled" | undefined;
  message?: string | undefined;
  spawnError?: string;
  /** The step folder could not be made. */
  prepareError?: string;
  /** The output file's text, when the spawner read it. */
  collected?: string | undefined;
  /** Why the spawner could not read it. */
  collectError?: string | undefined;
  /** The head of the summary file, when the spawner read it. */
  summary?: string | undefined;
}

function signalNumber(sig: NodeJS.Signals): number {
  return os.constants.signals[sig] ?? 0;
}
