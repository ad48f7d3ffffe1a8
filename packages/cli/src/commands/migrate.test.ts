import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { gantry } from "../testing/gantry-process.js";

// `gantry migrate` on SQLite (on PostgreSQL, with servers waiting for it: deploy/roles.services.test.ts).
describe("gantry migrate", { timeout: 90_000 }, () => {
  const tmp = tempDir("gantry-migrate-");
  afterAll(() => tmp.cleanup());
  const db = path.join(tmp.dir, "gantry.db");

  it("applies every migration once, then finds nothing to do", async () => {
    const before = await gantry(["migrate", "--database", db, "--status"], { cwd: tmp.dir });
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout)).toMatchObject({ applied: [], newer: [] });
    const first = await gantry(["migrate", "--database", db], { cwd: tmp.dir });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^migrating .*gantry\.db: 0001-initial, /m);
    expect(first.stderr).toMatch(/applied 0021-agents\nthe database schema is up to date \(\d+ applied here/);
    const second = await gantry(["migrate", "--database", db], { cwd: tmp.dir });
    expect(second.stderr.trim()).toBe("the database schema is up to date (0021-agents)");
    const after = await gantry(["migrate", "--database", db, "--status"], { cwd: tmp.dir });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).pending).toEqual([]);
  });

  it("waits for a database that does not answer yet, saying so, and gives up after --wait", async () => {
    // A port nothing listens on: the Job started before its database.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const url = `postgres://gantry:secret-pw@127.0.0.1:${port}/gantry`;
    const result = await gantry(["migrate", "--database", url, "--wait", "2"], { cwd: tmp.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `waiting for the database postgres://gantry:***@127.0.0.1:${port}/gantry to answer`,
    );
    expect(result.stderr).toMatch(
      /^gantry: cannot migrate postgres:\/\/gantry:\*\*\*@127\.0\.0\.1:\d+\/gantry: /m,
    );
    expect(result.stderr).not.toContain("secret-pw");
    const bad = await gantry(["migrate", "--database", url, "--wait", "soon"], { cwd: tmp.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--wait 'soon': must be a number of seconds");
  });

  it("says which database it cannot open", async () => {
    const result = await gantry(["migrate", "--database", path.join(tmp.dir, "no", "such", "dir", "x.db")], {
      cwd: tmp.dir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^gantry: cannot open .*x\.db: /);
  });
});
