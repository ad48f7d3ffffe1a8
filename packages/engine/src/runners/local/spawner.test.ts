import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../testing/wait-for.js";
import type { Stream } from "../types.js";
import { HELPER_SOURCE, HelperSpawner, helperNodeArgs, type StepProcess } from "./spawner.js";

const request = (script: string) => ({
  program: "bash",
  args: ["-c", script],
  cwd: process.cwd(),
  env: { PATH: process.env.PATH ?? "" },
});

function collect(step: StepProcess): Array<[Stream, string]> {
  const chunks: Array<[Stream, string]> = [];
  step.onOutput((stream, chunk) => chunks.push([stream, chunk.toString()]));
  return chunks;
}

/** Resolves with the first stdout line of a step. */
function firstLine(step: StepProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    step.onOutput((stream, chunk) => {
      if (stream !== "stdout") return;
      text += chunk.toString();
      if (text.includes("\n")) resolve(text.split("\n")[0] as string);
    });
  });
}

/** True once a process is gone or a zombie (only its exit status is left). */
function ended(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

describe("HelperSpawner", () => {
  const spawner = new HelperSpawner();
  afterEach(() => spawner.close());

  it("starts steps in the helper, not in this process, and passes their output and exit code", async () => {
    const step = spawner.spawn(request('echo out; echo err >&2; echo "ppid=$PPID"; exit 3'));
    const chunks = collect(step);
    expect(await step.ended).toEqual({ code: 3, signal: null });
    const text = (stream: Stream) =>
      chunks
        .filter(([s]) => s === stream)
        .map(([, c]) => c)
        .join("");
    expect(text("stdout")).toBe(`out\nppid=${spawner.helperPid}\n`);
    expect(text("stderr")).toBe("err\n");
  });

  it("fails the steps it was running when the helper dies, removes their folders, and starts a new helper for the next step", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-lost-helper-"));
    const base = path.join(dir, "step");
    const step = spawner.spawn({
      ...request("echo $$; exec sleep 30"),
      cwd: path.join(base, "work"),
      folder: {
        base,
        dirs: [path.join(base, "work")],
        files: [[path.join(base, "output"), ""]],
        collect: { path: path.join(base, "output"), limit: 1024 },
      },
    });
    const stepPid = Number(await firstLine(step));
    const helper = spawner.helperPid as number;
    process.kill(helper, "SIGKILL");
    expect(await step.ended).toEqual({
      error: { message: "the step spawner process exited (SIGKILL)" },
    });
    // The step runs in a session of its own, so the helper's death alone would not end it: the worker
    // ends it, so that a retry never runs beside it.
    await waitFor(() => ended(stepPid), { timeoutMs: 5000, what: `the step ${stepPid} to end` });
    expect(existsSync(base)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
    const next = spawner.spawn(request("exit 0"));
    expect(await next.ended).toEqual({ code: 0, signal: null });
    expect(spawner.helperPid).not.toBe(helper);
  });

  it("sends the environment once, then what differs: each step sees exactly its own", async () => {
    const printEnv = (env: Record<string, string>) =>
      spawner.spawn({
        ...request('env | grep -E "^(A|B|C)=" | sort'),
        env: { PATH: "/usr/bin:/bin", ...env },
      });
    const outputOf = async (step: StepProcess) => {
      const chunks = collect(step);
      expect(await step.ended).toEqual({ code: 0, signal: null });
      return chunks.map(([, c]) => c).join("");
    };
    expect(await outputOf(printEnv({ A: "1", B: "2" }))).toBe("A=1\nB=2\n");
    // B gone, A changed, C new: against the first step's environment, which the helper keeps.
    expect(await outputOf(printEnv({ A: "3", C: "4" }))).toBe("A=3\nC=4\n");
    expect(await outputOf(printEnv({ B: "2" }))).toBe("B=2\n");
  });

  it("makes the next step's folder ahead, gives it to the next step, and removes an unused one on close", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-ahead-"));
    const folderRequest = (base: string, script: string) => ({
      ...request(script),
      cwd: path.join(base, "work"),
      folder: {
        base,
        dirs: [path.join(base, "work")],
        files: [
          [path.join(base, "output"), ""],
          [path.join(base, "note"), "kept"],
        ] as Array<[string, string]>,
        collect: { path: path.join(base, "output"), limit: 1024 },
      },
    });
    const steps = () => readdirSync(dir).filter((name) => name.startsWith("gantry-step-"));
    try {
      const first = spawner.folderName(dir);
      const one = spawner.spawn(folderRequest(first, "echo a=1 >> ../output"));
      expect(await one.ended).toMatchObject({ code: 0, collected: "a=1\n" });
      // The first step's folder is gone; the next one's is there, laid out alike, its files empty.
      const ahead = steps();
      expect(ahead).toHaveLength(1);
      const next = spawner.folderName(dir);
      expect(next).toBe(path.join(dir, ahead[0] as string));
      expect(readdirSync(next).sort()).toEqual(["output", "work"]);
      const two = spawner.spawn(folderRequest(next, 'cat ../note; echo "b=$(ls -A | wc -l)" >> ../output'));
      const out = collect(two);
      expect(await two.ended).toMatchObject({ code: 0, collected: "b=0\n" });
      expect(out.map(([, c]) => c).join("")).toBe("kept");
      // A name given out and not spawned goes back; one made ahead and never used goes with close.
      const unused = spawner.folderName(dir);
      expect(existsSync(unused)).toBe(true);
      spawner.discardFolder(unused);
      await waitFor(() => !existsSync(unused), { what: "the discarded folder to be removed" });
      const three = spawner.spawn(folderRequest(spawner.folderName(dir), "true"));
      expect(await three.ended).toMatchObject({ code: 0 });
      expect(steps()).toHaveLength(1);
      spawner.close();
      expect(steps()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads back the head of a step's summary: at most the limit, none when the step wrote nothing", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-summary-"));
    const summaryOf = async (script: string) => {
      const base = path.join(dir, `step-${Math.random().toString(16).slice(2)}`);
      const summary = path.join(base, "summary");
      const step = spawner.spawn({
        ...request(script),
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", SUMMARY: summary },
        folder: {
          base,
          dirs: [],
          files: [
            [path.join(base, "output"), ""],
            [summary, ""],
          ],
          collect: { path: path.join(base, "output"), limit: 1024 },
          summary: { path: summary, limit: 5 },
        },
      });
      const end = await step.ended;
      expect(end).toMatchObject({ code: 0 });
      return "summary" in end ? end.summary : "no end";
    };
    try {
      expect(await summaryOf("true")).toBeUndefined();
      expect(await summaryOf('printf abc >> "$SUMMARY"')).toBe("abc");
      expect(await summaryOf('printf abcde >> "$SUMMARY"')).toBe("abcde");
      expect(await summaryOf('printf abcdefghij >> "$SUMMARY"')).toBe("abcde");
      // Replaced by something that is not a regular file: no summary, and no read that could block.
      expect(await summaryOf('ln -sf /dev/zero "$SUMMARY"')).toBeUndefined();
      expect(await summaryOf('rm "$SUMMARY" && mkfifo "$SUMMARY"')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts the helper with its own Node flags and those of GANTRY_SPAWNER_NODE_ARGS", async () => {
    expect(helperNodeArgs({})).toEqual([]);
    expect(helperNodeArgs({ GANTRY_SPAWNER_NODE_ARGS: " --cpu-prof  --cpu-prof-dir=/tmp/p " })).toEqual([
      "--cpu-prof",
      "--cpu-prof-dir=/tmp/p",
    ]);
    const step = spawner.spawn(request("true"));
    await step.ended;
    const argv = readFileSync(`/proc/${spawner.helperPid}/cmdline`, "utf8").split("\0");
    expect(argv.slice(1, 3)).toEqual(["--max-semi-space-size=1", "--single-threaded"]);
  });

  it("kills a step's whole process group when asked", async () => {
    const step = spawner.spawn(request("sleep 30 & echo $!; wait"));
    const child = Number(await firstLine(step));
    step.kill("SIGTERM");
    expect(await step.ended).toEqual({ code: null, signal: "SIGTERM" });
    // The background sleep was in the step's group: it is gone too (or a zombie, its parent gone).
    await waitFor(() => ended(child), { timeoutMs: 5000, what: `the background sleep ${child} to end` });
  });
});

/**
 * A worker in miniature: a process that starts the helper as HelperSpawner does and has it run two
 * steps, each with a background process; one step ignores SIGTERM. Prints the helper's pid when both run.
 */
const FAKE_WORKER = `
const { spawn } = require("node:child_process");
const dir = process.env.DIR;
const helper = spawn(process.execPath, ["-e", process.env.HELPER], {
  stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "advanced", env: { PATH: process.env.PATH },
});
let started = 0;
helper.on("message", (m) => { if (m.op === "pid" && ++started === 3) console.log(helper.pid); });
const script = (id, trap) => trap + "sleep 60 & echo $! > " + dir + "/bg-" + id + "; echo $$ > " + dir + "/step-" + id + "; wait";
helper.send({ op: "spawn", id: 1, program: "bash", args: ["-c", script(1, "")], cwd: dir, env: { PATH: process.env.PATH } });
helper.send({ op: "spawn", id: 2, program: "bash", args: ["-c", script(2, "trap '' TERM; ")], cwd: dir, env: { PATH: process.env.PATH } });
const base = dir + "/folder-3";
helper.send({ op: "spawn", id: 3, program: "bash", args: ["-c", "trap '' TERM; sleep 60 & wait"], cwd: base + "/work", env: { PATH: process.env.PATH },
  folder: { base, dirs: [base + "/work"], files: [[base + "/output", ""]], collect: base + "/output" } });
`;

describe("the spawner helper when its worker dies", () => {
  it("ends every step's process group within 2 s of a SIGKILL of the worker, removes their folders, then exits", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-orphans-"));
    const pids: number[] = [];
    const worker = spawn(process.execPath, ["-e", FAKE_WORKER], {
      env: { PATH: process.env.PATH ?? "", DIR: dir, HELPER: HELPER_SOURCE },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const helperPid = await new Promise<number>((resolve, reject) => {
        worker.stdout.on("data", (d: Buffer) => resolve(Number(d.toString().trim())));
        worker.on("exit", (code) => reject(new Error(`the fake worker exited with ${code}`)));
      });
      pids.push(helperPid);
      const files = ["step-1", "bg-1", "step-2", "bg-2"].map((f) => path.join(dir, f));
      await waitFor(() => files.every((f) => existsSync(f) && readFileSync(f, "utf8").endsWith("\n")), {
        what: "both steps and their background processes to start",
      });
      pids.push(...files.map((f) => Number(readFileSync(f, "utf8"))));
      for (const pid of pids) expect(ended(pid), `process ${pid} runs`).toBe(false);
      const killedAt = Date.now();
      worker.kill("SIGKILL");
      await waitFor(() => pids.every(ended), { timeoutMs: 10_000, intervalMs: 20, what: "the steps to end" });
      expect(Date.now() - killedAt).toBeLessThan(2000);
      await waitFor(() => !existsSync(path.join(dir, "folder-3")), {
        timeoutMs: 10_000,
        what: "the helper to remove the folder of the step it killed",
      });
    } finally {
      worker.kill("SIGKILL");
      for (const pid of pids) killQuietly(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
