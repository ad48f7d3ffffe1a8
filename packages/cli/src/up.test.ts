import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `gantry up` as the README's first command starts it: SQLite, the examples, a port it prints.
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const bin = path.join(repo, "packages/cli/bin/gantry.js");

function gantry(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("gantry up, then gantry logs", () => {
  let data: string;
  let up: ChildProcess;
  let url: string;

  beforeAll(async () => {
    data = mkdtempSync(path.join(os.tmpdir(), "gantry-up-"));
    up = spawn(process.execPath, [bin, "up", "--port", "0", "--data", data], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: "1" },
    });
    url = await new Promise<string>((resolve, reject) => {
      let text = "";
      up.stderr?.on("data", (d: Buffer) => {
        text += d;
        const match = /Gantry is up: (http:\/\/\S+)/.exec(text);
        if (match) resolve(match[1] as string);
      });
      up.on("exit", (code) => reject(new Error(`gantry up exited with ${code}: ${text}`)));
    });
  });

  afterAll(async () => {
    const exited = new Promise((resolve) => up.on("exit", resolve));
    up.kill("SIGTERM");
    await exited;
    rmSync(data, { recursive: true, force: true });
  });

  it("loads the examples and follows a run's log until it ends", async () => {
    const workflows = (await (await fetch(`${url}/api/v1/workflows`)).json()) as {
      workflows: Array<{ name: string }>;
    };
    expect(workflows.workflows.map((w) => w.name)).toContain("dag-languages");
    const created = await fetch(`${url}/api/v1/workflows/dag-languages/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: { count: 4 } }),
    });
    const { id } = (await created.json()) as { id: string };
    const followed = await gantry(["logs", id, "--follow", "--server", url]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/^report \| sum of 1\.\.4 is 10$/m);
    expect(followed.stdout).toMatch(/^report \| squares: \[1,4,9,16\]$/m);
    // After the run: the text from the archive, one step only.
    const text = await gantry(["logs", id, "--step", "report", "--server", url]);
    expect(text.stdout).toBe("sum of 1..4 is 10\nsquares: [1,4,9,16]\n");
    const missing = await gantry(["logs", "no-such-run", "--server", url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe("gantry: 404: unknown run 'no-such-run'");
  });
});
