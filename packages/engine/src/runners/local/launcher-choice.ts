import { accessSync, closeSync, constants, openSync, readSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Whether a worker starts steps through the Python step launcher (launcher-source.ts) or the Node helper,
 * which forks itself for each (helper-source.ts), from GANTRY_SPAWNER_LAUNCHER:
 * - `auto` (the default): the launcher on Linux when a `python3` is on the worker's PATH; the helper
 *   elsewhere (macOS's libuv does not fork the whole process), without a python3, and when the
 *   launcher does not start (a Python before 3.8 refuses to).
 * - `python`: the launcher, required: when it cannot start, the steps fail with its reason.
 * - `node`: never the launcher (the way to opt out).
 */
export type LauncherChoice = "auto" | "node" | "python";

export function launcherChoice(env: NodeJS.ProcessEnv): LauncherChoice {
  const value = (env.GANTRY_SPAWNER_LAUNCHER ?? "").trim();
  if (value === "" || value === "auto") return "auto";
  if (value === "node" || value === "python") return value;
  throw new Error(`GANTRY_SPAWNER_LAUNCHER must be auto, node or python, not '${value}'`);
}

/** The interpreter the helper starts the launcher with, and whether it must; none: it forks itself. */
export function launcherPython(
  choice: LauncherChoice,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): { python: string; required: boolean } | undefined {
  if (choice === "node" || (choice === "auto" && platform !== "linux")) return undefined;
  const python = findPython(env.PATH);
  if (python) return { python, required: choice === "python" };
  // Named anyway, so that its start fails and says why.
  return choice === "python" ? { python: "python3", required: true } : undefined;
}

/**
 * The first `python3` on `path` that is a program rather than a script: a version manager's shim
 * (pyenv, asdf: a shell script in front of the real one) costs about 400 ms a start and may pick
 * another interpreter per folder. The first shim when there is nothing else.
 */
export function findPython(pathVariable: string | undefined): string | undefined {
  let shim: string | undefined;
  for (const dir of (pathVariable ?? "").split(path.delimiter)) {
    if (dir === "" || !path.isAbsolute(dir)) continue;
    const file = path.join(dir, "python3");
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
    } catch {
      continue;
    }
    if (!startsWithShebang(file)) return file;
    shim ??= file;
  }
  return shim;
}

function startsWithShebang(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const start = Buffer.alloc(2);
    return readSync(fd, start, 0, 2, 0) === 2 && start.toString("latin1") === "#!";
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
