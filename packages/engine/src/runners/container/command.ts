import path from "node:path";
import type { Program } from "@gantry/core";

/** Where a step's files appear inside its container or pod (one folder, so one mount carries them). */
export const CONTAINER_PATHS = {
  root: "/gantry",
  work: "/gantry/work",
  inputs: "/gantry/inputs.json",
  output: "/gantry/output",
  summary: "/gantry/summary",
  action: "/gantry/action",
} as const;

/** Where a step's files are inside the container: one step's own folder, or a job step's. */
export interface StepPaths {
  root: string;
  inputs: string;
  output: string;
  summary: string;
  action: string;
}

/** The files of the step at `index` of a job, whose container holds the job's workspace at /gantry/work. */
export function jobStepPaths(index: number): StepPaths {
  const root = `${CONTAINER_PATHS.root}/steps/${index}`;
  return {
    root,
    inputs: `${root}/inputs.json`,
    output: `${root}/output`,
    summary: `${root}/summary`,
    action: `${root}/action`,
  };
}

/**
 * Bash as GitHub Actions runs it (fail fast), falling back to `sh -e` in images that have no bash
 * (alpine, busybox), as GitHub does for container jobs. `$0` is the script.
 */
const BASH_OR_SH =
  'if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc -eo pipefail "$0"; fi; exec sh -e "$0"';

const INTERPRETERS = {
  bash: { argv: (script: string) => ["sh", "-c", BASH_OR_SH, script], extension: ".sh" },
  sh: { argv: (script: string) => ["sh", "-e", script], extension: ".sh" },
  python: { argv: (script: string) => ["python3", script], extension: ".py" },
  // CommonJS, so `require` works, as on the local runner.
  node: { argv: (script: string) => ["node", script], extension: ".cjs" },
} as const;

export interface ContainerCommand {
  /** Replaces the image's ENTRYPOINT; absent keeps it (container actions). */
  entrypoint?: string[];
  /** The arguments; absent keeps the image's CMD. */
  cmd?: string[];
  /** An inline script to write, as `name` in the step's folder (CONTAINER_PATHS.root inside). */
  script?: { name: string; text: string };
}

/**
 * The process a container runs for a prepared program. Scripts and programs run with the image's
 * ENTRYPOINT replaced, so an image built around its own entrypoint (`docker`, `node`) still runs the step.
 */
export function containerCommand(program: Program, paths: StepPaths = CONTAINER_PATHS): ContainerCommand {
  const inAction = (file: string) => path.posix.join(paths.action, file);
  switch (program.kind) {
    case "inline": {
      const interp = INTERPRETERS[program.shell];
      const name = `.gantry-script${interp.extension}`;
      const [first, ...rest] = interp.argv(path.posix.join(paths.root, name));
      return { entrypoint: [first as string], cmd: rest, script: { name, text: program.script } };
    }
    case "file": {
      const [first, ...rest] = INTERPRETERS[program.shell].argv(inAction(program.path));
      return { entrypoint: [first as string], cmd: rest };
    }
    case "exec": {
      const [first, ...args] = program.command;
      if (!first) throw new Error("exec: empty command");
      // A program named with a slash is a file of the action; a bare name is looked up on the image's PATH.
      return { entrypoint: [first.includes("/") ? inAction(first) : first], cmd: args };
    }
    case "container":
      return {
        ...(program.entrypoint ? { entrypoint: program.entrypoint } : {}),
        ...(program.command ? { cmd: program.command } : {}),
      };
  }
}
