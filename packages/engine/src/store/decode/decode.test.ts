import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { RunState } from "@gantry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqliteDatabase } from "../../testing/databases.js";
import type { Database } from "../database.js";
import { getRun } from "../queries/get-run.js";
import { insertRun } from "../queries/insert-run.js";
import { runRow } from "../store-suite.js";
import {
  decodeGroups,
  decodeInputs,
  decodeRunInfo,
  decodeRunOutputs,
  decodeRunState,
  decodeRunTrigger,
} from "./index.js";

describe("JSON column decoders", () => {
  let database: Database;
  beforeAll(async () => {
    database = await sqliteDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it("read back what the store wrote, and say null where a column holds none", async () => {
    const state: RunState = { status: "running", cancelRequested: false, steps: {}, outputs: {} };
    await insertRun(
      database.db,
      runRow("done", {
        trigger_json: JSON.stringify({ type: "schedule", schedule: "nightly:0" }),
        inputs_json: JSON.stringify({ target: "prod" }),
        info_json: JSON.stringify({
          id: "done",
          workflow: "build",
          attempt: 1,
          trigger: { type: "schedule" },
        }),
        state_json: JSON.stringify(state),
        outputs_json: JSON.stringify({ image: "x:1" }),
      }),
    );
    await insertRun(database.db, runRow("pending", { status: "pending" }));
    const done = (await getRun(database.db, "done"))!;
    expect(decodeRunTrigger(done)).toEqual({ type: "schedule", schedule: "nightly:0" });
    expect(decodeInputs(done)).toEqual({ target: "prod" });
    expect(decodeRunInfo(done).trigger.type).toBe("schedule");
    expect(decodeRunState(done)).toEqual(state);
    expect(decodeRunOutputs(done)).toEqual({ image: "x:1" });
    const pending = (await getRun(database.db, "pending"))!;
    expect(decodeRunState(pending)).toBeNull();
    expect(decodeRunOutputs(pending)).toBeNull();
    expect(decodeGroups({ groups_json: null })).toEqual([]);
    expect(decodeGroups({ groups_json: '["ops"]' })).toEqual(["ops"]);
  });
});

function sources(dir: string, root: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "dist") sources(full, root, out);
    } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$|-suite\.ts$/.test(entry.name)) {
      out.push(path.relative(root, full));
    }
  }
  return out;
}

describe("JSON columns outside the store", () => {
  it("are read through the store's decoders, never parsed and cast in place", () => {
    const root = path.resolve(import.meta.dirname, "../../../../..");
    const packages = path.join(root, "packages");
    const offenders: string[] = [];
    for (const pkg of readdirSync(packages)) {
      const src = path.join(packages, pkg, "src");
      for (const file of sources(src, root)) {
        if (file.startsWith("packages/engine/src/store/")) continue;
        readFileSync(path.join(root, file), "utf8")
          .split("\n")
          .forEach((line, index) => {
            if (/JSON\.parse\(\s*[\w.?!]+_json\b/.test(line)) offenders.push(`${file}:${index + 1}`);
          });
      }
    }
    expect(offenders).toEqual([]);
  });
});
