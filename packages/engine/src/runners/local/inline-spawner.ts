import { type ChildProcess, spawn } from "node:child_process";
import type { Stream } from "../types.js";
import {
  killGroup,
  type ProcessEnd,
  type SpawnerLike,
  type SpawnRequest,
  type StepProcess,
} from "./step-process.js";

/**
 * Starts steps from this process. Node forks the whole process to start one (libuv's fork + exec), so
 * each start blocks the event loop for as long as copying this process's page tables takes: 3–8 ms for
 * a worker (measured on this 2-core machine, more under load), during which nothing else in it runs.
 * Right for `gantry run`, which starts few steps and must not pay for a helper's start.
 */
export class InlineSpawner implements SpawnerLike {
  readonly makesFolders = false;

  spawn(request: SpawnRequest): StepProcess {
    let child: ChildProcess;
    try {
      child = spawn(request.program, request.args, {
        cwd: request.cwd,
        env: request.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      return failed({ message: (error as Error).message });
    }
    let output: ((stream: Stream, chunk: Buffer) => void) | undefined;
    child.stdout?.on("data", (chunk: Buffer) => output?.("stdout", chunk));
    child.stderr?.on("data", (chunk: Buffer) => output?.("stderr", chunk));
    // Background processes a step left behind would hold its output open forever: end them with it.
    child.on("exit", () => killGroup(child.pid, "SIGKILL"));
    const ended = new Promise<ProcessEnd>((resolve) => {
      child.on("error", (error: NodeJS.ErrnoException) =>
        resolve({ error: { code: error.code, message: error.message } }),
      );
      child.on("close", (code, signal) => resolve({ code, signal }));
    });
    return {
      onOutput: (handler) => {
        output = handler;
      },
      pause: () => {
        child.stdout?.pause();
        child.stderr?.pause();
      },
      resume: () => {
        child.stdout?.resume();
        child.stderr?.resume();
      },
      kill: (signal) => killGroup(child.pid, signal),
      ended,
    };
  }

  close(): void {}
}

function failed(error: { code?: string; message: string }): StepProcess {
  return {
    onOutput: () => {},
    pause: () => {},
    resume: () => {},
    kill: () => {},
    ended: Promise.resolve({ error }),
  };
}
