import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../testing/wait-for.js";
import type { Stream } from "../types.js";
import { HelperSpawner, type StepProcess } from "./spawner.js";

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

  it("fails the steps it was running when the helper dies, and starts a new helper for the next step", async () => {
    const step = spawner.spawn(request("echo $$; exec sleep 30"));
    const stepPid = Number(await firstLine(step));
    const helper = spawner.helperPid as number;
    process.kill(helper, "SIGKILL");
    expect(await step.ended).toEqual({
      error: { message: "the step spawner process exited (SIGKILL)" },
    });
    // The step runs in a session of its own: the helper's death does not end it.
    killQuietly(-stepPid, "SIGKILL");
    const next = spawner.spawn(request("exit 0"));
    expect(await next.ended).toEqual({ code: 0, signal: null });
    expect(spawner.helperPid).not.toBe(helper);
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
