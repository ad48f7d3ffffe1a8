import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeStaleSpool } from "./agent-log-stream.js";

describe("an agent's log spool", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("drops at start the files of jobs whose lease ended long ago, and keeps fresh ones", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-spool-"));
    const spool = path.join(dir, "spool", "logs");
    mkdirSync(spool, { recursive: true });
    writeFileSync(path.join(spool, "1-1-100.jsonl"), '["stdout",1,"old"]\n');
    writeFileSync(path.join(spool, "2-1-200.jsonl"), '["stdout",2,"fresh"]\n');
    const twoHoursAgo = (Date.now() - 2 * 3_600_000) / 1000;
    utimesSync(path.join(spool, "1-1-100.jsonl"), twoHoursAgo, twoHoursAgo);
    expect(await removeStaleSpool(spool)).toBe(1);
    expect(readdirSync(spool)).toEqual(["2-1-200.jsonl"]);
    expect(await removeStaleSpool(path.join(dir, "missing"))).toBe(0);
  });
});
