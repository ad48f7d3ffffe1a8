import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The built `gantry` binary: `gantry up` fires the schedules, `gantry schedules …` talks to its API.
const repo = fileURLToPath(new URL("../../../../", import.meta.url));
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

describe("gantry schedules (against gantry up)", () => {
  let dir: string;
  let up: ChildProcess;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-schedules-cli-"));
    mkdirSync(path.join(dir, "flows"));
    writeFileSync(
      path.join(dir, "flows", "clock.yaml"),
      `name: clock
on:
  schedule:
    - {cron: "* * * * * *", name: tick}
    - {cron: "0 3 * * *", name: nightly, timezone: Europe/Berlin}
steps:
  a: {run: "true"}
`,
    );
    up = spawn(
      process.execPath,
      [bin, "up", "--port", "0", "--data", path.join(dir, "data"), "--dir", path.join(dir, "flows")],
      { cwd: dir, env: { ...process.env, NO_COLOR: "1" } },
    );
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
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists, suspends, resumes, fires now and shows the history", async () => {
    const list = await gantry(["schedules", "list", "--server", url]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+CRON\s+TIMEZONE\s+STATE\s+NEXT \(UTC\)\s+LAST$/);
    expect(lines[1]).toMatch(
      /^clock:tick\s+\* \* \* \* \* \*\s+UTC\s+active\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/,
    );
    expect(lines[2]).toMatch(
      /^clock:nightly\s+0 3 \* \* \*\s+Europe\/Berlin\s+active\s+\d{4}-\d\d-\d\d 0[12]:00:00\s+-$/,
    );

    // The every-second schedule fires by itself.
    const deadline = Date.now() + 10_000;
    let fires: Array<{ status: string; kind: string; run_id: string }> = [];
    while (fires.length < 2 && Date.now() < deadline) {
      const r = await gantry(["schedules", "fires", "clock:tick", "--json", "--server", url]);
      fires = (JSON.parse(r.stdout) as { fires: typeof fires }).fires;
    }
    expect(fires.length).toBeGreaterThanOrEqual(2);
    expect(fires.every((f) => f.kind === "cron" && f.status === "fired" && f.run_id)).toBe(true);

    const suspended = await gantry(["schedules", "suspend", "clock:tick", "--server", url]);
    expect(suspended.stdout.trim()).toBe("clock:tick suspended");
    const resumed = await gantry(["schedules", "resume", "clock:nightly", "--server", url]);
    expect(resumed.stdout.trim()).toMatch(/^clock:nightly active; next \d{4}-\d\d-\d\d 0[12]:00:00 UTC$/);

    const fired = await gantry(["schedules", "fire", "clock:nightly", "--server", url]);
    expect(fired.code).toBe(0);
    const runId = fired.stdout.trim();
    expect(fired.stderr).toContain(`run ${runId} queued`);
    const history = await gantry(["schedules", "fires", "clock:nightly", "--server", url]);
    expect(history.stdout).toMatch(new RegExp(`manual\\s+fired\\s+${runId}`));

    const missing = await gantry(["schedules", "fire", "clock:nope", "--server", url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe("gantry: 404: unknown schedule 'clock:nope'");
  });
});
