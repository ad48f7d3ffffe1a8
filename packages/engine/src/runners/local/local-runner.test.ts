import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { PreparedTask, Program } from "@gantry/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bash, testTask } from "../../testing/tasks.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";
import { OUTPUT_NOT_A_FILE } from "../output-file.js";
import type { RunnerResult, Stream } from "../types.js";
import { LocalRunner } from "./local-runner.js";

const task = testTask;

async function run(
  runner: LocalRunner,
  t: PreparedTask,
  options: { signal?: AbortSignal; actionDir?: string } = {},
): Promise<{ result: RunnerResult; lines: Array<[Stream, string]> }> {
  const lines: Array<[Stream, string]> = [];
  const result = await runner.run({
    task: t,
    runId: "run-1",
    onLine: (stream, line) => lines.push([stream, line]),
    signal: options.signal ?? new AbortController().signal,
    ...(options.actionDir ? { actionDir: options.actionDir } : {}),
  });
  return { result, lines };
}

// Every behaviour holds whoever starts the processes: this process, or for workers the Node helper,
// forking itself, or the Python launcher.
describe.each([
  { spawner: "inline", launcher: "node" },
  { spawner: "helper", launcher: "node" },
  { spawner: "helper", launcher: "python" },
] as const)("LocalRunner ($spawner spawner, $launcher launcher)", ({ spawner, launcher }) => {
  let tmp: ReturnType<typeof tempDir>;
  let runner: LocalRunner;
  beforeEach(() => {
    tmp = tempDir();
    runner = new LocalRunner({ tmpRoot: tmp.dir, killGraceMs: 500, spawner, launcher });
  });
  afterEach(() => {
    runner.close();
    tmp.cleanup();
  });

  it("runs bash, sh, python and node scripts and reads their outputs", async () => {
    const programs: Record<string, Program> = {
      bash: bash('echo "x=from bash" >> "$GANTRY_OUTPUT"'),
      sh: { kind: "inline", shell: "sh", script: 'echo "x=from sh" >> "$GITHUB_OUTPUT"' },
      python: {
        kind: "inline",
        shell: "python",
        script: 'import os\nopen(os.environ["GANTRY_OUTPUT"], "a").write("x=from python\\n")',
      },
      // CommonJS, so require works in inline node scripts.
      node: {
        kind: "inline",
        shell: "node",
        script: 'require("fs").appendFileSync(process.env.GANTRY_OUTPUT, "x=from node\\n")',
      },
    };
    for (const [name, program] of Object.entries(programs)) {
      const { result } = await run(runner, task(program));
      expect(result.status, name).toBe("succeeded");
      expect(result.outputs, name).toEqual({ x: `from ${name}` });
    }
  });

  it("reads multi-line outputs in GitHub's heredoc syntax", async () => {
    const { result } = await run(
      runner,
      task(bash('printf "notes<<END\\nline 1\\nline 2\\nEND\\n" >> "$GANTRY_OUTPUT"')),
    );
    expect(result.outputs).toEqual({ notes: "line 1\nline 2" });
  });

  it("gives inputs as INPUT_<NAME> and as JSON in $GANTRY_INPUTS", async () => {
    const t = task(bash('echo "$INPUT_TARGET_ENV|$INPUT_REPLICAS|$INPUT_TAGS"; cat "$GANTRY_INPUTS"'), {
      inputs: { "target-env": "prod", replicas: 3, tags: ["a", "b"] },
    });
    const { result, lines } = await run(runner, t);
    expect(result.status).toBe("succeeded");
    expect(lines[0]).toEqual(["stdout", 'prod|3|["a","b"]']);
    expect(JSON.parse(lines[1]?.[1] ?? "")).toEqual({ "target-env": "prod", replicas: 3, tags: ["a", "b"] });
  });

  it("lets a step see only the allow-listed host variables and what it is given, never the worker's settings", async () => {
    const settings = {
      GANTRY_DATABASE_URL: "postgres://gantry:db-password@db/gantry",
      GANTRY_ENCRYPTION_KEY: "encryption-key-value",
      GANTRY_OIDC_CLIENT_SECRET: "oidc-client-secret",
      GANTRY_S3_SECRET_ACCESS_KEY: "s3-secret",
      SOME_HOST_SECRET: "must-not-leak",
      HTTP_PROXY: "http://proxy:3128",
      GANTRY_STEP_ENV: "HTTP_PROXY, GANTRY_ENCRYPTION_KEY",
    };
    Object.assign(process.env, settings);
    try {
      const { lines } = await run(runner, task(bash("env | sort"), { env: { GIVEN: "1" } }));
      const printed = lines.map(([, l]) => l).join("\n");
      const names = lines.map(([, l]) => l.split("=")[0]);
      expect(names).toContain("PATH");
      expect(names).toContain("GIVEN");
      // An operator's addition passes, unless it names one of Gantry's own settings.
      expect(names).toContain("HTTP_PROXY");
      for (const [name, value] of Object.entries(settings)) {
        if (name === "HTTP_PROXY") continue;
        expect(names).not.toContain(name);
        expect(printed).not.toContain(value);
      }
      const unexpected = names.filter(
        (n) =>
          !/^(PATH|HOME|USER|LOGNAME|LANG|LC_ALL|TZ|TMPDIR|GIVEN|HTTP_PROXY|GANTRY_(RUN_ID|STEP_ID|ATTEMPT|WORKSPACE|INPUTS|OUTPUT|STEP_SUMMARY)|GITHUB_OUTPUT|GITHUB_STEP_SUMMARY|PWD|SHLVL|_|OLDPWD)$/.test(
            n ?? "",
          ),
      );
      expect(unexpected).toEqual([]);
    } finally {
      for (const name of Object.keys(settings)) delete process.env[name];
    }
  });

  it("runs each step in its own temporary folder and removes it afterwards", async () => {
    const { lines } = await run(runner, task(bash('pwd; ls -A | wc -l; echo "$GANTRY_WORKSPACE"')));
    const cwd = lines[0]?.[1] as string;
    expect(lines[1]?.[1]?.trim()).toBe("0");
    expect(lines[2]?.[1]).toBe(cwd);
    expect(cwd.startsWith(tmp.dir)).toBe(true);
    expect(existsSync(cwd)).toBe(false);
  });

  it("makes working_directory inside the step folder", async () => {
    const { lines, result } = await run(runner, task(bash("pwd"), { workingDirectory: "sub/dir" }));
    expect(result.status).toBe("succeeded");
    expect(lines[0]?.[1]?.endsWith(path.join("work", "sub", "dir"))).toBe(true);
  });

  it("reports a failing exit code and keeps both streams apart", async () => {
    const { result, lines } = await run(runner, task(bash("echo out; echo err >&2; exit 7")));
    expect(result.status).toBe("failed");
    expect(result.exitCode).toBe(7);
    expect(lines).toContainEqual(["stdout", "out"]);
    expect(lines).toContainEqual(["stderr", "err"]);
  });

  it("fails a bash script at the first failing command, as GitHub Actions does", async () => {
    const { result, lines } = await run(runner, task(bash("false\necho after")));
    expect(result.status).toBe("failed");
    expect(lines).toEqual([]);
  });

  it("joins a line printed in pieces", async () => {
    const { lines } = await run(
      runner,
      task(bash('printf "par"; sleep 0.05; printf "tial\\n"; printf "no newline"')),
    );
    expect(lines).toEqual([
      ["stdout", "partial"],
      ["stdout", "no newline"],
    ]);
  });

  it("kills the whole process group on timeout", async () => {
    const pidFile = path.join(tmp.dir, "child.pid");
    // Long enough for bash to start its child on a busy machine; the sleep outlasts any test limit.
    const t = task(bash(`sleep 600 & echo $! > ${pidFile}; wait`), { timeoutMs: 10_000 });
    const { result } = await run(runner, t);
    expect(result.status).toBe("timed_out");
    const child = Number(readFileSync(pidFile, "utf8"));
    await waitFor(() => !isAlive(child));
  });

  it("kills the process group on cancel, even a process that ignores SIGTERM", async () => {
    const abort = new AbortController();
    const t = task(bash("trap '' TERM; echo ready; sleep 30"));
    const lines: string[] = [];
    const pending = runner.run({
      task: t,
      runId: "r",
      signal: abort.signal,
      onLine: (_s, line) => {
        lines.push(line);
        if (line === "ready") abort.abort();
      },
    });
    const result = await pending;
    expect(result.status).toBe("cancelled");
    expect(lines).toEqual(["ready"]);
  });

  it("ends background processes a step leaves behind", async () => {
    const pidFile = path.join(tmp.dir, "bg.pid");
    const { result } = await run(runner, task(bash(`sleep 30 & echo $! > ${pidFile}`)));
    expect(result.status).toBe("succeeded");
    const pid = Number(readFileSync(pidFile, "utf8"));
    await waitFor(() => !isAlive(pid));
  });

  it("runs an exec action's program relative to the action folder", async () => {
    const tool = tmp.write("action/bin/tool.sh", '#!/bin/sh\necho "args: $*"\n');
    const { chmodSync } = await import("node:fs");
    chmodSync(tool, 0o755);
    const { result, lines } = await run(
      runner,
      task({ kind: "exec", command: ["./bin/tool.sh", "a", "b c"] }),
      {
        actionDir: path.join(tmp.dir, "action"),
      },
    );
    expect(result.status).toBe("succeeded");
    expect(lines).toEqual([["stdout", "args: a b c"]]);
  });

  it("says clearly when a program is missing", async () => {
    const { result } = await run(runner, task({ kind: "exec", command: ["no-such-program-xyz"] }));
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/cannot start 'no-such-program-xyz': not found/);
  });

  it("fails a step whose output file is malformed", async () => {
    const { result } = await run(runner, task(bash('echo "just text" >> "$GANTRY_OUTPUT"')));
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/invalid \$GANTRY_OUTPUT/);
  });

  it("fails a step whose output file is over 1 MiB, reading no more than that", async () => {
    const { result } = await run(
      runner,
      task(bash('head -c 3000000 /dev/zero | tr "\\0" x | sed "s/^/big=/" >> "$GANTRY_OUTPUT"')),
    );
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/invalid \$GANTRY_OUTPUT: larger than 1024 KiB/);
  });

  it("fails a step that put a FIFO in place of its output file, and the next step still runs", async () => {
    const { result } = await run(runner, task(bash('rm "$GANTRY_OUTPUT" && mkfifo "$GANTRY_OUTPUT"')));
    expect(result.status).toBe("failed");
    expect(result.error).toBe(OUTPUT_NOT_A_FILE);
    const next = await run(runner, task(bash('echo "x=after" >> "$GANTRY_OUTPUT"')));
    expect(next.result.outputs).toEqual({ x: "after" });
  });
});

/** A killed process whose parent is gone stays a zombie until PID 1 reaps it (if ever, in a container). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
