import path from "node:path";
import type { Program, Shell } from "@gantry/core";

/** The interpreter and arguments for each shell, as GitHub Actions runs them (bash fails fast on errors). */
const INTERPRETERS: Record<Shell, { program: string; args: string[]; extension: string }> = {
  bash: { program: "bash", args: ["--noprofile", "--norc", "-eo", "pipefail"], extension: ".sh" },
  sh: { program: "sh", args: ["-e"], extension: ".sh" },
  python: { program: "python3", args: [], extension: ".py" },
  // Inline node scripts are CommonJS (.cjs), so `require` works as users expect of a script.
  node: { program: process.execPath, args: [], extension: ".cjs" },
};

export interface Command {
  program: string;
  args: string[];
  /** An inline script to write to `scriptPath` before starting. */
  script?: { path: string; text: string };
}

/** Turns a prepared program into the process to start. `workDir` holds generated files. */
export function commandFor(program: Program, workDir: string, actionDir?: string): Command {
  switch (program.kind) {
    case "inline": {
      const interp = INTERPRETERS[program.shell];
      const scriptPath = path.join(workDir, `.gantry-script${interp.extension}`);
      return {
        program: interp.program,
        args: [...interp.args, scriptPath],
        script: { path: scriptPath, text: program.script },
      };
    }
    case "file": {
      const interp = INTERPRETERS[program.shell];
      return {
        program: interp.program,
        args: [...interp.args, path.resolve(actionDir ?? workDir, program.path)],
      };
    }
    case "exec": {
      const [first, ...args] = program.command;
      if (!first) throw new Error("exec: empty command");
      // A program named with a slash is a file of the action; a bare name is looked up on PATH.
      const executable = first.includes("/") ? path.resolve(actionDir ?? workDir, first) : first;
      return { program: executable, args };
    }
    case "container":
      throw new Error("a container action runs on runner type docker or kubernetes, not local");
  }
}
