import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseOutputFile } from "@gantry/core";
import { LineSplitter } from "../lines.js";
import type { RunnerLike, RunnerResult, RunnerTask } from "../types.js";
import { commandFor } from "./command.js";
import { stepEnvironment } from "./environment.js";

export interface LocalRunnerOptions {
  /** Where step folders are made; the OS temporary folder by default. */
  tmpRoot?: string;
  /** After SIGTERM, how long a step has to exit before SIGKILL. */
  killGraceMs?: number;
}

/**
 * Runs each task as a process of this machine, in a new process group and a fresh temporary folder that
 * is removed afterwards. The step's files for Gantry (inputs, outputs) live beside that folder, not in it.
 */
export class LocalRunner implements RunnerLike {
  private readonly tmpRoot: string;
  private readonly killGraceMs: number;

  constructor(options: LocalRunnerOptions = {}) {
    this.tmpRoot = options.tmpRoot ?? os.tmpdir();
    this.killGraceMs = options.killGraceMs ?? 5000;
  }

  async run({ task, runId, actionDir, onLine, signal, flow }: RunnerTask): Promise<RunnerResult> {
    const startedAt = Date.now();
    const base = await mkdtemp(path.join(this.tmpRoot, "gantry-step-"));
    const fail = (error: string): RunnerResult => ({
      status: "failed",
      exitCode: null,
      outputs: {},
      error,
      startedAt,
      finishedAt: Date.now(),
    });
    try {
      const workDir = path.join(base, "work");
      const files = {
        inputs: path.join(base, "inputs.json"),
        output: path.join(base, "output"),
        workDir,
        ...(actionDir ? { actionDir } : {}),
      };
      const command = commandFor(task.program, base, actionDir);
      const cwd = task.workingDirectory ? path.resolve(workDir, task.workingDirectory) : workDir;
      await Promise.all([
        mkdir(cwd, { recursive: true }),
        writeFile(files.inputs, JSON.stringify(task.inputs)),
        writeFile(files.output, ""),
        command.script ? writeFile(command.script.path, command.script.text) : undefined,
      ]);
      if (signal.aborted) return { ...fail("cancelled before it started"), status: "cancelled" };
      const env = stepEnvironment(task, files, runId);
      const exit = await this.spawnAndWait(
        command.program,
        command.args,
        { cwd, env },
        task.timeoutMs,
        signal,
        onLine,
        flow,
      );
      if (exit.spawnError) return fail(exit.spawnError);
      const parsed = parseOutputFile(await readFile(files.output, "utf8"));
      const finishedAt = Date.now();
      if (exit.reason) {
        return {
          status: exit.reason,
          exitCode: exit.code,
          outputs: parsed.outputs,
          startedAt,
          finishedAt,
          error: exit.message,
        };
      }
      if (parsed.errors.length > 0) {
        return { ...fail(`invalid $GANTRY_OUTPUT: ${parsed.errors.join("; ")}`), exitCode: exit.code };
      }
      const status = exit.code === 0 ? "succeeded" : "failed";
      return {
        status,
        exitCode: exit.code,
        outputs: parsed.outputs,
        startedAt,
        finishedAt,
        ...(status === "failed" ? { error: `exited with code ${exit.code}` } : {}),
      };
    } catch (error) {
      return fail((error as Error).message);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  }

  private spawnAndWait(
    program: string,
    args: string[],
    options: { cwd: string; env: Record<string, string> },
    timeoutMs: number | undefined,
    signal: AbortSignal,
    onLine: RunnerTask["onLine"],
    flow?: RunnerTask["flow"],
  ): Promise<ExitInfo> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(program, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      } catch (error) {
        resolve({ code: null, spawnError: `cannot start ${program}: ${(error as Error).message}` });
        return;
      }
      let reason: ExitInfo["reason"];
      let message: string | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (why: "timed_out" | "cancelled", text: string) => {
        if (reason) return;
        reason = why;
        message = text;
        killGroup(child, "SIGTERM");
        killTimer = setTimeout(() => killGroup(child, "SIGKILL"), this.killGraceMs);
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
      const throttle = () => {
        if (!flow?.full) return;
        child.stdout?.pause();
        child.stderr?.pause();
        void flow.waitForRoom().then(() => {
          child.stdout?.resume();
          child.stderr?.resume();
        });
      };
      child.stdout?.on("data", (chunk: Buffer) => {
        out.write(chunk);
        throttle();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        err.write(chunk);
        throttle();
      });
      // Background processes a step left behind would hold its output open forever: end them with it.
      child.on("exit", () => killGroup(child, "SIGKILL"));
      child.on("error", (error: NodeJS.ErrnoException) => {
        cleanup();
        const what = error.code === "ENOENT" ? "not found (is it installed and on PATH?)" : error.message;
        resolve({ code: null, spawnError: `cannot start '${program}': ${what}` });
      });
      child.on("close", (code, sig) => {
        cleanup();
        out.end();
        err.end();
        resolve({ code: code ?? (sig ? 128 + signalNumber(sig) : null), reason, message });
      });
      function cleanup() {
        if (timer) clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        signal.removeEventListener("abort", onAbort);
      }
    });
  }
}

interface ExitInfo {
  code: number | null;
  reason?: "timed_out" | "cancelled" | undefined;
  message?: string | undefined;
  spawnError?: string;
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return os.constants.signals[sig] ?? 0;
}
