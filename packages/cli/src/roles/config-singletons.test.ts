import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

describe("gantry.yaml singletons", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (text: string) => {
    const file = path.join(dir, "gantry.yaml");
    writeFileSync(file, text);
    return loadConfig({ config: file }, {});
  };

  it("sets the lease of the scheduler and the trigger listeners, in seconds", async () => {
    expect((await load("singletons: {lease: 12}\n")).singletonLeaseMs).toBe(12_000);
    expect((await load("{}\n")).singletonLeaseMs).toBeUndefined();
  });

  it("refuses a lease too short to renew, naming the key", async () => {
    await expect(load("singletons:\n  lease: 1\n")).rejects.toThrow(
      /gantry\.yaml:2:\d+: singletons\.lease.*>= 2/,
    );
  });
});
