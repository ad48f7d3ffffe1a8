import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../testing/wait-for.js";
import type { Stream } from "../types.js";
import { HELPER_SOURCE } from "./helper-source.js";
import { findPython, type LauncherChoice, launcherChoice, launcherPython } from "./launcher-choice.js";
import { LAUNCHER_SOURCE } from "./launcher-source.js";
import { HelperSpawner, helperNodeArgs } from "./spawner.js";
import type { StepProcess } from "./step-process.js";

const request = (script: string) => ({
  program: "bash",
  args: ["-c", script],
  cwd: process.cwd(),
  env: { PATH: process.env.PATH ?? "" },
});

/** `request`, run in a step folder at `base` that the spawner makes (work/ and an empty output). */
const inFolder = (base: string, script: string) => ({
  ...request(script),
  cwd: path.join(base, "work"),
  folder: {
    base,
    dirs: [path.join(base, "work")],
    files: [[path.join(base, "output"), ""]] as Array<[string, string]>,
    collect: { path: path.join(base, "output"), limit: 1024 },
  },
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

/** The text a step wrote on one stream. */
function textOf(chunks: Array<[Stream, string]>, stream: Stream): string {
  return chunks
    .filter(([s]) => s === stream)
    .map(([, c]) => c)
    .join("");
}

function killQuietly(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

// Both starters, which speak one protocol: the Node helper forks itself (node), the Python launcher vforks.
describe.each(["node", "python"] as const)("HelperSpawner (%s launcher)", (launcher) => {
  const spawner = new HelperSpawner({ launcher });
  afterEach(() => spawner.close());
  /** The process a step's process is the child of. */
  const starter = () => spawner.helperPid;
  const starterName = launcher === "python" ? "the step launcher process" : "the step spawner process";

  it("starts steps in the helper or the launcher, not in this process, and passes their output and exit code", async () => {
    const step = spawner.spawn(request('echo out; echo err >&2; echo "ppid=$PPID"; exit 3'));
    const chunks = collect(step);
    expect(await step.ended).toEqual({ code: 3, signal: null });
    expect(spawner.launcherPid === undefined).toBe(launcher === "node");
    expect(textOf(chunks, "stdout")).toBe(`out\nppid=${starter()}\n`);
    expect(textOf(chunks, "stderr")).toBe("err\n");
  });

  it("reports a signal that ended the step, and an exit code past 128 as a code", async () => {
    expect(await spawner.spawn(request("kill -USR1 $$")).ended).toEqual({ code: null, signal: "SIGUSR1" });
    expect(await spawner.spawn(request("exit 200")).ended).toEqual({ code: 200, signal: null });
  });

  it("fails a step that cannot start with the errno's code, as Node names it", async () => {
    const missing = spawner.spawn({ ...request(""), program: "no-such-program-gantry", args: [] });
    expect(await missing.ended).toEqual({
      error: { code: "ENOENT", message: "spawn no-such-program-gantry ENOENT" },
    });
    const noFolder = spawner.spawn({ ...request("true"), cwd: "/nonexistent/gantry" });
    expect(await noFolder.ended).toMatchObject({ error: { code: "ENOENT" } });
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-eacces-"));
    try {
      const notExecutable = path.join(dir, "tool");
      writeFileSync(notExecutable, "#!/bin/sh\n");
      chmodSync(notExecutable, 0o644);
      const denied = spawner.spawn({ ...request(""), program: notExecutable, args: [] });
      expect(await denied.ended).toEqual({
        error: { code: "EACCES", message: `spawn ${notExecutable} EACCES` },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The failures cost nothing to the next step.
    expect(await spawner.spawn(request("exit 0")).ended).toEqual({ code: 0, signal: null });
  });

  it("gives the step /dev/null as stdin and a session of its own", async () => {
    const step = spawner.spawn(request('readlink /proc/self/fd/0; ps -o sid= -p $$; echo "$$"'));
    const chunks = collect(step);
    expect(await step.ended).toEqual({ code: 0, signal: null });
    const [stdin, sid, pid] = textOf(chunks, "stdout").trim().split("\n");
    expect(stdin).toBe("/dev/null");
    expect(sid?.trim()).toBe(pid);
  });

  it("passes megabytes of output whole and in order, on both streams at once", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-big-output-"));
    try {
      const step = spawner.spawn({
        ...request("head -c 3145728 /dev/urandom > data; seq 1 200000 >&2 & cat data; wait"),
        cwd: dir,
      });
      const out: Buffer[] = [];
      let err = "";
      step.onOutput((stream, chunk) => {
        if (stream === "stdout") out.push(Buffer.from(chunk));
        else err += chunk.toString();
      });
      expect(await step.ended).toEqual({ code: 0, signal: null });
      expect(Buffer.concat(out).equals(readFileSync(path.join(dir, "data")))).toBe(true);
      expect(err).toBe(`${Array.from({ length: 200000 }, (_, i) => i + 1).join("\n")}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops reading a paused step's output, so it blocks on a full pipe, and reads the rest after resume", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-pause-"));
    const size = 4 * 1024 * 1024;
    try {
      const step = spawner.spawn({
        ...request(`echo $$; while [ ! -e go ]; do sleep 0.01; done; exec head -c ${size} /dev/zero`),
        cwd: dir,
      });
      let received = 0;
      let pid: number | undefined;
      const started = new Promise<void>((resolve) =>
        step.onOutput((_stream, chunk) => {
          if (pid === undefined) {
            pid = Number(chunk.toString().split("\n")[0]);
            received += chunk.length - `${pid}\n`.length;
            resolve();
          } else received += chunk.length;
        }),
      );
      await started;
      step.pause();
      // A step started after the pause was asked ends after it was applied: requests keep their order.
      expect(await spawner.spawn(request("true")).ended).toEqual({ code: 0, signal: null });
      writeFileSync(path.join(dir, "go"), "");
      // Blocked in the kernel writing to a full pipe (the launcher's) or socket (libuv's stdio).
      await waitFor(
        () => /pipe_write|sock_alloc_send|unix_stream/.test(readFileSync(`/proc/${pid}/wchan`, "utf8")),
        {
          what: "the paused step to block writing its output",
        },
      );
      const whilePaused = received;
      expect(whilePaused).toBeLessThan(size / 2);
      step.resume();
      expect(await step.ended).toEqual({ code: 0, signal: null });
      expect(received).toBe(size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails the steps it was running when the starter dies, removes their folders, and starts a new one for the next step", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-lost-helper-"));
    const base = path.join(dir, "step");
    const step = spawner.spawn(inFolder(base, "echo $$; sleep 30 & wait"));
    const stepPid = Number(await firstLine(step));
    const helper = spawner.helperPid as number;
    process.kill(helper, "SIGKILL");
    expect(await step.ended).toEqual({ error: { message: `${starterName} exited (SIGKILL)` } });
    // The step runs in a session of its own, so the starter's death alone would not end it: the worker
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

  it("writes a step's files as UTF-8, a lone surrogate as U+FFFD, as Node writes it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-surrogate-"));
    const base = path.join(dir, "step");
    try {
      const step = spawner.spawn({
        ...request("cat ../inputs.json"),
        cwd: path.join(base, "work"),
        folder: {
          base,
          dirs: [path.join(base, "work")],
          files: [
            [path.join(base, "inputs.json"), JSON.stringify({ name: "é\ud800x" })],
            [path.join(base, "output"), ""],
          ],
          collect: { path: path.join(base, "output"), limit: 1024 },
        },
      });
      const out: Buffer[] = [];
      step.onOutput((_stream, chunk) => out.push(Buffer.from(chunk)));
      expect(await step.ended).toMatchObject({ code: 0 });
      expect(Buffer.concat(out).toString("utf8")).toBe('{"name":"é\\ud800x"}');
      const raw = spawner.spawn({
        ...request("cat ../note"),
        cwd: path.join(base, "work"),
        folder: {
          base,
          dirs: [path.join(base, "work")],
          files: [
            [path.join(base, "note"), "é\ud800x"],
            [path.join(base, "output"), ""],
          ],
          collect: { path: path.join(base, "output"), limit: 1024 },
        },
      });
      const text: Buffer[] = [];
      raw.onOutput((_stream, chunk) => text.push(Buffer.from(chunk)));
      expect(await raw.ended).toMatchObject({ code: 0 });
      expect(Buffer.concat(text).toString("utf8")).toBe("é\ufffdx");
      expect(existsSync(base)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts the helper with its own Node flags and those of GANTRY_SPAWNER_NODE_ARGS, the launcher isolated", async () => {
    expect(helperNodeArgs({})).toEqual([]);
    expect(helperNodeArgs({ GANTRY_SPAWNER_NODE_ARGS: " --cpu-prof  --cpu-prof-dir=/tmp/p " })).toEqual([
      "--cpu-prof",
      "--cpu-prof-dir=/tmp/p",
    ]);
    const step = spawner.spawn(request("true"));
    await step.ended;
    const argv = readFileSync(`/proc/${spawner.helperPid}/cmdline`, "utf8").split("\0");
    if (launcher === "node")
      expect(argv.slice(1, 3)).toEqual(["--max-semi-space-size=1", "--single-threaded"]);
    else expect(argv.slice(1, 7)).toEqual(["-I", "-S", "-u", "-X", "utf8", "-c"]);
  });

  it("kills a step's whole process group when asked", async () => {
    const step = spawner.spawn(request("sleep 30 & echo $!; wait"));
    const child = Number(await firstLine(step));
    step.kill("SIGTERM");
    expect(await step.ended).toEqual({ code: null, signal: "SIGTERM" });
    // The background sleep was in the step's group: it is gone too (or a zombie, its parent gone).
    await waitFor(() => ended(child), { timeoutMs: 5000, what: `the background sleep ${child} to end` });
  });

  it("ends what a step left running in its group when the step exits", async () => {
    const step = spawner.spawn(request("sleep 30 & echo $!"));
    const child = Number(await firstLine(step));
    expect(await step.ended).toEqual({ code: 0, signal: null });
    await waitFor(() => ended(child), { timeoutMs: 5000, what: `the background sleep ${child} to end` });
  });
});

describe("the step launcher", () => {
  const spawners: HelperSpawner[] = [];
  const make = (launcher: LauncherChoice) => {
    const spawner = new HelperSpawner({ launcher });
    spawners.push(spawner);
    return spawner;
  };
  afterEach(() => {
    for (const spawner of spawners.splice(0)) spawner.close();
  });

  // A step that wrote nothing yet: the launcher did not send its pid (see launcher-source.ts).
  it("has the steps of a launcher or a helper that dies killed even before they wrote anything", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-quiet-step-"));
    try {
      for (const victim of ["python", "node"] as const) {
        const spawner = make(victim);
        const file = path.join(dir, `${victim}-step`);
        // It ignores SIGTERM: only a SIGKILL ends it, and within the time asked below.
        const step = spawner.spawn(request(`trap '' TERM; echo $$ > ${file}; sleep 30 & wait`));
        await waitFor(() => existsSync(file) && readFileSync(file, "utf8").endsWith("\n"), {
          what: "the step to start",
        });
        const stepPid = Number(readFileSync(file, "utf8"));
        const killedAt = Date.now();
        expect(spawner.launcherPid === undefined).toBe(victim === "node");
        process.kill(spawner.helperPid as number, "SIGKILL");
        expect(await step.ended).toMatchObject({ error: {} });
        await waitFor(() => ended(stepPid), { timeoutMs: 5000, what: `the step ${stepPid} to end` });
        expect(Date.now() - killedAt).toBeLessThan(400);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is given up for the helper's own starts when it cannot run (auto), and its failure is the steps' when it is required", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-no-python-"));
    const saved = process.env.PATH;
    try {
      // A python3 that exits at once, as one before 3.8 does.
      writeFileSync(path.join(dir, "python3"), "#!/bin/sh\nexit 3\n");
      chmodSync(path.join(dir, "python3"), 0o755);
      const printPpid = request('echo "ppid=$PPID"');
      const succeed = request("true");
      process.env.PATH = dir;
      const auto = make("auto");
      const step = auto.spawn(printPpid);
      const out = collect(step);
      expect(await step.ended).toEqual({ code: 0, signal: null });
      expect(textOf(out, "stdout")).toBe(`ppid=${auto.helperPid}\n`);
      expect(auto.launcherPid).toBeUndefined();
      const required = make("python").spawn(succeed);
      expect(await required.ended).toEqual({
        error: { message: "the step launcher process exited (code 3)" },
      });
    } finally {
      process.env.PATH = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is chosen by GANTRY_SPAWNER_LAUNCHER, on Linux by default, with a python3 that is not a shim", () => {
    expect(launcherChoice({})).toBe("auto");
    expect(launcherChoice({ GANTRY_SPAWNER_LAUNCHER: "node" })).toBe("node");
    expect(launcherChoice({ GANTRY_SPAWNER_LAUNCHER: "python" })).toBe("python");
    expect(() => launcherChoice({ GANTRY_SPAWNER_LAUNCHER: "perl" })).toThrow(/auto, node or python/);
    const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-find-python-"));
    try {
      const shims = path.join(dir, "shims");
      const real = path.join(dir, "bin");
      for (const [folder, text] of [
        [shims, '#!/bin/sh\nexec python3 "$@"\n'],
        [real, "\x7fELF"],
      ] as const) {
        mkdirSync(folder);
        writeFileSync(path.join(folder, "python3"), text);
        chmodSync(path.join(folder, "python3"), 0o755);
      }
      expect(findPython(`${shims}:${real}`)).toBe(path.join(real, "python3"));
      expect(findPython(shims)).toBe(path.join(shims, "python3"));
      expect(findPython(path.join(dir, "none"))).toBeUndefined();
      const env = { PATH: `${shims}:${real}` };
      expect(launcherPython("auto", env, "linux")).toEqual({
        python: path.join(real, "python3"),
        required: false,
      });
      expect(launcherPython("auto", env, "darwin")).toBeUndefined();
      expect(launcherPython("python", env, "darwin")).toEqual({
        python: path.join(real, "python3"),
        required: true,
      });
      expect(launcherPython("node", env, "linux")).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A worker in miniature: a process that starts a starter as HelperSpawner does (the Node helper, or the
 * Python launcher when PYTHON names one) and has it run three steps, each with a background process; two
 * ignore SIGTERM. Prints the starter's pid when all run (each wrote its pid).
 */
const FAKE_WORKER = `
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const dir = process.env.DIR;
const starter = process.env.PYTHON
  ? spawn(process.env.PYTHON, ["-I", "-S", "-u", "-X", "utf8", "-c", process.env.SOURCE], { stdio: ["pipe", "ignore", "inherit"], env: { PATH: process.env.PATH } })
  : spawn(process.execPath, ["-e", process.env.SOURCE], { stdio: ["pipe", "ignore", "inherit"], env: { PATH: process.env.PATH } });
const send = (m) => starter.stdin.write(JSON.stringify(m) + "\\n");
const started = ["step-1", "step-2", "folder-3/step-3"].map((f) => dir + "/" + f);
const poll = setInterval(() => {
  if (!started.every((f) => fs.existsSync(f) && fs.readFileSync(f, "utf8").endsWith("\\n"))) return;
  clearInterval(poll);
  console.log(String(starter.pid));
}, 20);
const script = (id, trap) => trap + "sleep 60 & echo $! > " + dir + "/bg-" + id + "; echo $$ > " + dir + "/step-" + id + "; wait";
const env = { PATH: process.env.PATH };
send({ op: "spawn", id: 1, program: "bash", args: ["-c", script(1, "")], cwd: dir, env });
send({ op: "spawn", id: 2, program: "bash", args: ["-c", script(2, "trap '' TERM; ")], cwd: dir, env });
const base = dir + "/folder-3";
send({ op: "spawn", id: 3, program: "bash", args: ["-c", "trap '' TERM; sleep 60 & echo $$ > ../step-3; wait"], cwd: base + "/work", env,
  folder: { base, dirs: [base + "/work"], files: [[base + "/output", ""]], collect: { path: base + "/output", limit: 1024 } } });
`;

describe.each(["node", "python"] as const)(
  "the step starter when its worker dies (%s launcher)",
  (launcher) => {
    it("ends every step's process group within 2 s of a SIGKILL of the worker, removes their folders, then exits", async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-orphans-"));
      const pids: number[] = [];
      const python = launcherPython(launcher, process.env);
      expect(python === undefined).toBe(launcher === "node");
      const worker = spawn(process.execPath, ["-e", FAKE_WORKER], {
        env: {
          PATH: process.env.PATH ?? "",
          DIR: dir,
          SOURCE: python ? LAUNCHER_SOURCE : HELPER_SOURCE,
          PYTHON: python?.python ?? "",
        },
        stdio: ["ignore", "pipe", "inherit"],
      });
      try {
        const starterPid = await new Promise<number>((resolve, reject) => {
          worker.stdout.on("data", (d: Buffer) => resolve(Number(d.toString().trim())));
          worker.on("exit", (code) => reject(new Error(`the fake worker exited with ${code}`)));
        });
        // The starter goes too.
        pids.push(starterPid);
        const files = ["step-1", "bg-1", "step-2", "bg-2"].map((f) => path.join(dir, f));
        await waitFor(() => files.every((f) => existsSync(f) && readFileSync(f, "utf8").endsWith("\n")), {
          what: "both steps and their background processes to start",
        });
        pids.push(...files.map((f) => Number(readFileSync(f, "utf8"))));
        for (const pid of pids) expect(ended(pid), `process ${pid} runs`).toBe(false);
        const killedAt = Date.now();
        worker.kill("SIGKILL");
        await waitFor(() => pids.every(ended), {
          timeoutMs: 10_000,
          intervalMs: 20,
          what: "the steps to end",
        });
        expect(Date.now() - killedAt).toBeLessThan(2000);
        await waitFor(() => !existsSync(path.join(dir, "folder-3")), {
          timeoutMs: 10_000,
          what: "the starter to remove the folder of the step it killed",
        });
      } finally {
        worker.kill("SIGKILL");
        for (const pid of pids) killQuietly(pid, "SIGKILL");
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
