import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../errors.js";
import { CONFIG_ERROR_EXIT, loadConfig } from "./config.js";

describe("gantry.yaml secret references that cannot be resolved", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("name the setting and are a configuration error, not an internal one", async () => {
    const file = path.join(dir, "gantry.yaml");
    writeFileSync(
      file,
      "auth:\n  oidc:\n    issuer: https://idp.example\n    client_id: gantry\n    client_secret: ref+env://GANTRY_TEST_UNSET_OIDC_SECRET\n",
    );
    const error = await loadConfig({ config: file }, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(CONFIG_ERROR_EXIT);
    expect((error as Error).message).toMatch(
      /^configuration error: auth\.oidc\.client_secret: cannot resolve ref\+env:\/\/GANTRY_TEST_UNSET_OIDC_SECRET: /,
    );
  });

  it("in GANTRY_ENCRYPTION_KEY name the variable", async () => {
    const error = await loadConfig({}, { GANTRY_ENCRYPTION_KEY: "ref+env://GANTRY_TEST_UNSET_KEY" }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/^configuration error: GANTRY_ENCRYPTION_KEY: cannot resolve/);
  });
});
