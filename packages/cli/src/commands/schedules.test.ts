import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gantry, startGantryUp } from "../testing/gantry-process.js";

// The built `gantry` binary: `gantry up` fires the schedules, `gantry schedules …` talks to its API.
describe("gantry schedules (against gantry up)", () => {
  let dir: string;
  let up: Awaited<ReturnType<typeof startGantryUp>>;
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
    up = await startGantryUp(["--data", path.join(dir, "data"), "--dir", path.join(dir, "flows")], dir);
    url = up.url;
  });

  afterAll(async () => {
    await up.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Nine CLI processes: each took 2-3 s to start at load 16 on 2 cores (measured), past the default 20 s.
  it("lists, suspends, resumes, fires now and shows the history", { timeout: 60_000 }, async () => {
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
    const deadline = Date.now() + 120_000;
    let fires: Array<{ status: string; kind: string; run_id: string }> = [];
    // On a busy machine a second can pass unserved (recorded missed or skipped): count the ones fired.
    const firedRuns = () => fires.filter((f) => f.kind === "cron" && f.status === "fired" && f.run_id);
    while (firedRuns().length < 2 && Date.now() < deadline) {
      const r = await gantry(["schedules", "fires", "clock:tick", "--json", "--server", url]);
      fires = (JSON.parse(r.stdout) as { fires: typeof fires }).fires;
    }
    expect(firedRuns().length).toBeGreaterThanOrEqual(2);
    expect(fires.every((f) => f.kind === "cron")).toBe(true);

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
