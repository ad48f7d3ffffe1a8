import type { Stream } from "../types.js";

/** A step's process as the local runner drives it, whoever started it. */
export interface StepProcess {
  onOutput(handler: (stream: Stream, chunk: Buffer) => void): void;
  /** Stops reading the output (back-pressure: the step then blocks on a full pipe) and goes on. */
  pause(): void;
  resume(): void;
  /** Signals the step's whole process group (it runs in a session of its own). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the process ended and its output was read to the end, or it could not start. */
  readonly ended: Promise<ProcessEnd>;
}

export type ProcessEnd =
  | {
      code: number | null;
      signal: NodeJS.Signals | null;
      /** The text of the step folder's `collect` file, read after the process ended. */
      collected?: string | undefined;
      /** Why `collect` could not be read (the step replaced it with something that is not a file). */
      collectError?: string | undefined;
      /** The head of the step folder's `summary` file (see StepFolder.summary). */
      summary?: string | undefined;
    }
  | {
      /** `prepare`: the step folder could not be made (the message is the file system's). */
      error: { code?: string | undefined; message: string; prepare?: boolean | undefined };
    };

/**
 * A step's folder, made by a spawner that `makesFolders` before it starts the process, and removed
 * after it ended (after `collect` was read): `base` must not exist yet.
 */
export interface StepFolder {
  base: string;
  dirs: string[];
  files: Array<[path: string, text: string]>;
  /** The step's output file, read back (at most `limit` bytes) after the process ended. */
  collect: { path: string; limit: number };
  /** A file of which the first `limit` bytes are read back too (the step summary), when it is not empty. */
  summary?: { path: string; limit: number };
}

export interface SpawnRequest {
  program: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  folder?: StepFolder;
}

export interface SpawnerLike {
  /** Whether it makes and removes the step folder itself (SpawnRequest.folder). */
  readonly makesFolders: boolean;
  /**
   * A spawner that makes folders: the `base` for the next step's folder under `root`, a fresh name
   * (96 random bits) that may have been made ahead. Spawn it, or give it back with `discardFolder`.
   */
  folderName?(root: string): string;
  /** A name from `folderName` that will not be spawned (the step ended before it started). */
  discardFolder?(base: string): void;
  spawn(request: SpawnRequest): StepProcess;
  close(): void;
}

/** Signals a step's whole process group (it runs in a session of its own). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
