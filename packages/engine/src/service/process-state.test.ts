import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretProviders } from "../secrets/registry.js";
import { resolveSecretRef } from "../secrets/resolve.js";
import type { Database } from "../store/database.js";
import { putBundle } from "../store/queries/bundles.js";
import { sqliteDatabase } from "../testing/databases.js";
import { resolveTriggerConfig } from "../triggers/secret-config.js";
import { processState } from "./process-state.js";

/** What the roles share in memory is made per process state: two never see each other's. */
describe("a process's in-memory state", () => {
  let database: Database;
  beforeAll(async () => {
    database = await sqliteDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it("keeps the definitions it read, apart from another state's", async () => {
    const definition = { name: "wf", root: "/r", workflow: { name: "wf", steps: {} }, actions: {} };
    await putBundle(database.db, "rev-1", JSON.stringify(definition), 1);
    const first = processState();
    expect(await first.definitions.at(database.db, "rev-1")).toEqual(definition);
    await database.db.deleteFrom("bundles").where("hash", "=", "rev-1").execute();
    // Revisions never change: the state that read it answers from memory; another one reads the store.
    expect(await first.definitions.at(database.db, "rev-1")).toEqual(definition);
    await expect(processState().definitions.at(database.db, "rev-1")).rejects.toThrow(
      "workflow revision rev-1 is missing from the store",
    );
  });

  it("wakes its own subscribers on a change, and no other state's", () => {
    const a = processState();
    const b = processState();
    const woken: string[] = [];
    const stop = a.changes.schedules.subscribe(() => woken.push("a schedules"));
    b.changes.schedules.subscribe(() => woken.push("b schedules"));
    a.changes.triggers.subscribe(() => woken.push("a triggers"));
    a.changes.schedules.notify();
    expect(woken).toEqual(["a schedules"]);
    stop();
    a.changes.schedules.notify();
    a.changes.triggers.notify();
    expect(woken).toEqual(["a schedules", "a triggers"]);
  });

  it("tells when it last captured step output, for its own server only", () => {
    const a = processState();
    const b = processState();
    expect(a.logCapture.within(250, 1_000)).toBe(false);
    a.logCapture.note(1_000);
    expect(a.logCapture.within(250, 1_200)).toBe(true);
    expect(a.logCapture.within(250, 1_300)).toBe(false);
    expect(b.logCapture.within(250, 1_200)).toBe(false);
  });
});

describe("secret providers", () => {
  it("a provider registered on one set resolves through it only, never through the built-in set", async () => {
    const providers = new SecretProviders();
    providers.register({ name: "fixed", resolve: async () => ({ value: "v", format: "text" }) });
    expect(await resolveSecretRef("ref+fixed://x", { baseDir: ".", providers })).toBe("v");
    expect(providers.names()).toContain("env");
    await expect(resolveSecretRef("ref+fixed://x", { baseDir: "." })).rejects.toThrow(
      /unknown provider "fixed" \(known: .*env/,
    );
  });

  it("each process state has its own set: a provider a role adds is seen by its context's resolvers only", async () => {
    const a = processState();
    const b = processState();
    a.secretProviders.register({ name: "fixed", resolve: async () => ({ value: "from-a", format: "text" }) });
    const config = { url: "ref+fixed://x", port: 5 };
    expect(await resolveTriggerConfig(config, a.secretProviders)).toEqual({ url: "from-a", port: 5 });
    await expect(resolveTriggerConfig(config, b.secretProviders)).rejects.toThrow(/unknown provider "fixed"/);
    expect(b.secretProviders.names()).not.toContain("fixed");
  });
});
