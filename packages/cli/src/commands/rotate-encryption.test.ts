import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { runToEnd, SECRET_LENGTH_WORKFLOW } from "../testing/api-runs.js";
import { gantry, startGantryUp } from "../testing/gantry-process.js";

const newKey = () => randomBytes(32).toString("base64");

// `gantry keys rotate-encryption` on SQLite, through the real CLI and `gantry up` (the PostgreSQL side is
// in deploy/roles.services.test.ts).
describe("one encryption key per deployment, and its rotation, with gantry up on SQLite", () => {
  const tmp = tempDir("gantry-rotate-");
  afterAll(() => tmp.cleanup());
  tmp.write("flows/secret.yaml", SECRET_LENGTH_WORKFLOW);
  const data = path.join(tmp.dir, "data");
  const up = (env: Record<string, string> = {}) =>
    startGantryUp(["--data", data, "--dir", path.join(tmp.dir, "flows")], tmp.dir, env);

  it("re-encrypts stored secret inputs with the new key; old runs re-run with it; the old key is refused", async () => {
    const first = await up();
    let runId: string;
    try {
      const run = await runToEnd(first.url, "/api/v1/workflows/secret/runs", {
        inputs: { token: "s3cr3t-1234" },
      });
      expect(run.status).toBe("succeeded");
      runId = run.id as string;
    } finally {
      await first.stop();
    }
    // The key `gantry up` made for itself on first start.
    const oldKey = readFileSync(path.join(data, "encryption.key"), "utf8").trim();
    const next = newKey();

    const missing = await gantry(["keys", "rotate-encryption", "--data", data], { cwd: tmp.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("GANTRY_ENCRYPTION_KEY is not set: give the new key first");
    const lacking = await gantry(["keys", "rotate-encryption", "--data", data], {
      cwd: tmp.dir,
      env: { GANTRY_ENCRYPTION_KEY: `${next},${newKey()}` },
    });
    expect(lacking.code).toBe(1);
    expect(lacking.stderr).toContain("does not hold the deployment's current key");

    const rotated = await gantry(["keys", "rotate-encryption", "--data", data], {
      cwd: tmp.dir,
      env: { GANTRY_ENCRYPTION_KEY: `${next},${oldKey}` },
    });
    expect(rotated.stderr).toMatch(
      /the deployment's encryption key is now sha256:[0-9a-f]{16} \(retired sha256:[0-9a-f]{16}\); re-encrypted 1 stored secret \(secret inputs, ::add-mask:: values\)\./,
    );
    expect(rotated.code).toBe(0);
    expect(rotated.stdout + rotated.stderr).not.toContain(next);

    // The new key alone reads the old run: its re-run gets the same secret input.
    const second = await up({ GANTRY_ENCRYPTION_KEY: next });
    try {
      const rerun = await runToEnd(second.url, `/api/v1/runs/${runId}/rerun`, {});
      expect(rerun.status).toBe("succeeded");
      expect(rerun.outputs).toEqual({ length: "11" });
    } finally {
      await second.stop();
    }

    // The key file still holds the old key: `gantry up` without GANTRY_ENCRYPTION_KEY now refuses it.
    const stale = await up().catch((error: Error) => error);
    expect(stale).toBeInstanceOf(Error);
    expect((stale as Error).message).toMatch(
      /GANTRY_ENCRYPTION_KEY is not this deployment's key.*retired on/s,
    );
    const other = await up({ GANTRY_ENCRYPTION_KEY: newKey() }).catch((error: Error) => error);
    expect((other as Error).message).toContain("GANTRY_ENCRYPTION_KEY is not this deployment's key");
  });
});
