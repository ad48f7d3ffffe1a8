import { randomUUID } from "node:crypto";
import { chmodSync, readdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { PreparedTask, Program, ResolvedRunnerSpec } from "@gantry/core";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bash, testTask } from "../../testing/tasks.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";
import type { RunnerResult, Stream } from "../types.js";
import { DockerRunner } from "./docker-runner.js";
import { BUSYBOX, DOCKER_CLI_IMAGE, ensurePodman } from "./podman.js";

function task(program: Program, runner: Partial<ResolvedRunnerSpec> = {}, extra: Partial<PreparedTask> = {}) {
  return testTask(program, { runner: { type: "docker", image: BUSYBOX, ...runner }, ...extra });
}

describe("DockerRunner against Podman's Docker API", () => {
  let docker: Docker;
  let runner: DockerRunner;
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(() => {
    ensurePodman();
    docker = new Docker();
    tmp = tempDir("gantry-docker-");
    runner = new DockerRunner({ docker, tmpRoot: tmp.dir, killGraceSeconds: 1, workerId: "test-worker" });
  });
  afterAll(() => tmp.cleanup());

  async function run(
    t: PreparedTask,
    options: {
      signal?: AbortSignal;
      actionDir?: string;
      runId?: string;
      onLine?: (line: string) => void;
    } = {},
  ): Promise<{ result: RunnerResult; lines: Array<[Stream, string]>; runId: string }> {
    const lines: Array<[Stream, string]> = [];
    const runId = options.runId ?? randomUUID();
    const result = await runner.run({
      task: t,
      runId,
      onLine: (stream, line) => {
        lines.push([stream, line]);
        options.onLine?.(line);
      },
      signal: options.signal ?? new AbortController().signal,
      ...(options.actionDir ? { actionDir: options.actionDir } : {}),
    });
    return { result, lines, runId };
  }

  const containersOf = (runId: string) =>
    docker.listContainers({ all: true, filters: { label: [`gantry.run=${runId}`] } });

  it("runs an inline script in the image, with inputs, env and outputs as on the local runner", async () => {
    const t = task(
      bash(
        [
          'echo "$INPUT_TARGET_ENV|$INPUT_TAGS|$GIVEN|$FROM_RUNNER|$(pwd)"',
          'cat "$GANTRY_INPUTS"; echo',
          // busybox has no bash: the runner fell back to sh, as GitHub Actions does.
          "command -v bash || echo no-bash",
          'echo "greeting=hello from busybox" >> "$GANTRY_OUTPUT"',
          'printf "notes<<END\\nline 1\\nline 2\\nEND\\n" >> "$GITHUB_OUTPUT"',
          "echo to-stderr >&2",
        ].join("\n"),
      ),
      { env: { FROM_RUNNER: "runner-env" } },
      {
        inputs: { "target-env": "prod", tags: ["a", "b"] },
        env: { GIVEN: "step-env" },
        workingDirectory: "sub",
      },
    );
    const { result, lines } = await run(t);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("succeeded");
    expect(result.exitCode).toBe(0);
    expect(lines.filter(([s]) => s === "stdout")).toEqual([
      ["stdout", 'prod|["a","b"]|step-env|runner-env|/gantry/work/sub'],
      ["stdout", '{"target-env":"prod","tags":["a","b"]}'],
      ["stdout", "no-bash"],
    ]);
    expect(lines.filter(([s]) => s === "stderr")).toEqual([["stderr", "to-stderr"]]);
    expect(result.outputs).toEqual({ greeting: "hello from busybox", notes: "line 1\nline 2" });
  });

  it("passes none of the worker's own environment into the container", async () => {
    process.env.GANTRY_DATABASE_FOR_TEST = "postgres://secret@db";
    try {
      const { lines } = await run(task(bash("env | cut -d= -f1 | sort")));
      const names = lines.map(([, l]) => l);
      expect(names).not.toContain("GANTRY_DATABASE_FOR_TEST");
      expect(names).toContain("GANTRY_OUTPUT");
    } finally {
      delete process.env.GANTRY_DATABASE_FOR_TEST;
    }
  });

  it("reports a failing exit code, and removes the container", async () => {
    const { result, runId } = await run(task(bash("echo out; exit 7")));
    expect(result).toMatchObject({ status: "failed", exitCode: 7, error: "exited with code 7" });
    expect(await containersOf(runId)).toEqual([]);
  });

  it("runs an action's script from its folder, mounted read-only", async () => {
    const action = path.join(tmp.dir, "action");
    tmp.write(
      "action/greet.sh",
      'echo "from $GANTRY_ACTION_PATH: $INPUT_NAME"\ntouch "$GANTRY_ACTION_PATH/x" || echo read-only\n',
    );
    const tool = tmp.write("action/bin/tool", '#!/bin/sh\necho "tool $*"\n');
    chmodSync(tool, 0o755);
    const script = await run(
      task({ kind: "file", shell: "sh", path: "greet.sh" }, {}, { inputs: { name: "ada" } }),
      {
        actionDir: action,
      },
    );
    expect(script.result.status).toBe("succeeded");
    // The engine reads stdout and stderr through separate pipes: order is kept within a stream only.
    const of = (stream: Stream) => script.lines.filter(([s]) => s === stream).map(([, l]) => l);
    expect(of("stdout")).toEqual(["from /gantry/action: ada", "read-only"]);
    expect(of("stderr")).toEqual([expect.stringMatching(/Read-only/)]);
    const exec = await run(task({ kind: "exec", command: ["./bin/tool", "a", "b c"] }), {
      actionDir: action,
    });
    expect(exec.lines).toEqual([["stdout", "tool a b c"]]);
  });

  it("runs a container action: the image with its command, in the step's folder", async () => {
    const { result, lines } = await run(
      task({ kind: "container", command: ["sh", "-c", 'echo "made=$(pwd)" >> "$GANTRY_OUTPUT"; echo done'] }),
    );
    expect(result.status).toBe("succeeded");
    expect(lines).toEqual([["stdout", "done"]]);
    expect(result.outputs).toEqual({ made: "/gantry/work" });
  });

  it("runs as another user, who can still write outputs", async () => {
    const { result, lines } = await run(
      task(bash('id -u; echo "ok=1" >> "$GANTRY_OUTPUT"; touch x'), { user: "65534" }),
    );
    expect(result.status).toBe("succeeded");
    expect(lines).toEqual([["stdout", "65534"]]);
    expect(result.outputs).toEqual({ ok: "1" });
  });

  it("times out: the container is stopped and removed", async () => {
    const started = Date.now();
    const { result, lines, runId } = await run(task(bash("echo started; sleep 30"), {}, { timeoutMs: 1500 }));
    expect(result.status).toBe("timed_out");
    expect(result.error).toBe("timed out after 1500 ms");
    expect(lines).toEqual([["stdout", "started"]]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await containersOf(runId)).toEqual([]);
  });

  it("cancels: a step that ignores SIGTERM is killed after the grace period and removed", async () => {
    const abort = new AbortController();
    const { result, lines, runId } = await run(task(bash("trap '' TERM; echo ready; sleep 30")), {
      signal: abort.signal,
      onLine: (line) => line === "ready" && abort.abort(),
    });
    expect(result.status).toBe("cancelled");
    expect(lines).toEqual([["stdout", "ready"]]);
    expect(await containersOf(runId)).toEqual([]);
  });

  it("labels its containers, and removes those of a worker that is gone", async () => {
    const labels = {
      "gantry.managed": "true",
      "gantry.worker": "crashed-worker",
      "gantry.run": "orphan-test",
    };
    const orphan = await docker.createContainer({ Image: BUSYBOX, Cmd: ["sleep", "300"], Labels: labels });
    await orphan.start();
    const alive = await docker.createContainer({
      Image: BUSYBOX,
      Cmd: ["sleep", "300"],
      Labels: { ...labels, "gantry.worker": "alive-worker" },
    });
    try {
      const removed = await runner.removeOrphans(async (id) => id === "alive-worker");
      expect(removed).toBeGreaterThanOrEqual(1);
      const left = await containersOf("orphan-test");
      expect(left.map((c) => c.Labels["gantry.worker"])).toEqual(["alive-worker"]);
    } finally {
      await alive.remove({ force: true });
    }
  });

  it("with pull: never, says clearly that an image is missing", async () => {
    const { result } = await run(task(bash("true"), { image: "localhost/not-there:1", pull: "never" }));
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/image 'localhost\/not-there:1' is not on the engine and pull is 'never'/);
  });

  it("fails with the engine's message when an image cannot be pulled", async () => {
    const { result } = await run(task(bash("true"), { image: "localhost/not-there:1", pull: "if-missing" }));
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/not-there/);
  });

  it("Docker-in-Docker: a step builds an image with `docker build` and runs it", async () => {
    const tag = `localhost/gantry-dind-test:${randomUUID().slice(0, 8)}`;
    const script = [
      "mkdir ctx",
      `printf 'FROM ${BUSYBOX}\\nRUN echo built > /built.txt\\nCMD ["cat", "/built.txt"]\\n' > ctx/Dockerfile`,
      `docker build -q -t ${tag} ctx > /dev/null`,
      `echo "ran=$(docker run --rm ${tag})" >> "$GANTRY_OUTPUT"`,
      'echo "host=$DOCKER_HOST"',
    ].join("\n");
    try {
      const { result, lines } = await run(task(bash(script), { image: DOCKER_CLI_IMAGE, docker: true }));
      expect(result.error).toBeUndefined();
      expect(result.status).toBe("succeeded");
      expect(result.outputs).toEqual({ ran: "built" });
      expect(lines).toContainEqual(["stdout", "host=unix:///var/run/docker.sock"]);
    } finally {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  it("ends a step whose log follow and wait the engine never answers, with its code and every line", async () => {
    // Podman's API, with each `logs?follow` and `wait` left unanswered, as Podman does at times for a
    // container that has just exited (podman#6627, #11461).
    const engine = (process.env.DOCKER_HOST ?? "").replace(/^unix:\/\//, "");
    const held: http.ServerResponse[] = [];
    const proxy = http.createServer((req, res) => {
      const url = req.url ?? "";
      if (/\/containers\/[^/]+\/wait/.test(url) || (/\/logs\?/.test(url) && /follow=(1|true)/.test(url))) {
        held.push(res);
        return;
      }
      const upstream = http.request(
        { socketPath: engine, path: url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", (error) => res.destroy(error));
      req.pipe(upstream);
    });
    const socket = path.join(tmp.dir, "engine.sock");
    await new Promise<void>((resolve) => proxy.listen(socket, resolve));
    try {
      const stalled = new DockerRunner({
        docker: new Docker({ socketPath: socket }),
        tmpRoot: tmp.dir,
        killGraceSeconds: 1,
        workerId: "test-worker",
      });
      const lines: Array<[Stream, string]> = [];
      const result = await stalled.run({
        task: task(bash("echo one; echo two >&2; exit 3")),
        runId: randomUUID(),
        onLine: (stream, line) => lines.push([stream, line]),
        signal: new AbortController().signal,
      });
      expect(held.length).toBeGreaterThanOrEqual(2);
      expect([result.status, result.exitCode]).toEqual(["failed", 3]);
      expect(lines).toEqual([
        ["stdout", "one"],
        ["stderr", "two"],
      ]);
    } finally {
      for (const res of held) res.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("streams lines while the step runs, not only at its end", async () => {
    const seen: string[] = [];
    const pending = run(
      task(
        bash(
          `echo first; i=0; while [ ! -f /gantry/work/go ]; do i=$((i+1)); [ $i -gt 300 ] && exit 3; sleep 0.05; done; echo second`,
        ),
      ),
      {
        onLine: (line) => seen.push(line),
      },
    );
    await waitFor(() => seen.includes("first"), { timeoutMs: 15_000, what: "the first line, live" });
    expect(seen).not.toContain("second");
    const base = await waitFor(async () => {
      const step = readdirSync(tmp.dir).find((n) => n.startsWith("gantry-step-"));
      return step ? path.join(tmp.dir, step) : undefined;
    });
    tmp.write(path.relative(tmp.dir, path.join(base, "work", "go")), "");
    const { result } = await pending;
    expect(result.status).toBe("succeeded");
    expect(seen).toEqual(["first", "second"]);
  });
});
