import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalNotifier } from "../queue/notifier.js";
import type { ServiceContext } from "../service/context.js";
import { processState } from "../service/process-state.js";
import { SecretBox } from "../service/secret-box.js";
import type { Database } from "../store/database.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { sqliteDatabase } from "../testing/databases.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";
import { type FolderEvent, FolderSource } from "./folder-source.js";

const hello = (word: string) => `name: hello\nsteps:\n  a: {run: "echo ${word}"}\n`;

describe("a watched folder of workflows", () => {
  let database: Database;
  let ctx: ServiceContext;
  let tmp: ReturnType<typeof tempDir>;
  let folder: FolderSource;
  const events: FolderEvent[] = [];

  beforeEach(async () => {
    database = await sqliteDatabase();
    tmp = tempDir("gantry-folder-");
    ctx = {
      database,
      notifier: new LocalNotifier(),
      box: SecretBox.fromConfig(undefined, tmp.dir),
      now: () => Date.now(),
      ...processState(),
    };
    events.length = 0;
    folder = new FolderSource(ctx, tmp.dir, { onEvent: (e) => events.push(e), settleMs: 50 });
  });

  afterEach(async () => {
    await folder.stop();
    await database.close();
    tmp.cleanup();
  });

  const definition = async (name: string) => {
    const row = await getWorkflow(database.db, name);
    return row
      ? (JSON.parse(row.definition_json) as { workflow: { steps: Record<string, { run: string }> } })
      : undefined;
  };

  it("activates all files only when every one is valid, else keeps the last good set and says why", async () => {
    tmp.write("hello.yaml", hello("one"));
    tmp.write("other.yaml", "name: other\nsteps:\n  b: {run: 'true'}\n");
    expect(await folder.load()).toMatchObject({ state: "ok", errors: [], workflows: ["hello", "other"] });

    tmp.write("hello.yaml", hello("two"));
    tmp.write("other.yaml", "name: other\nsteps:\n  b: {run: 'true', needs: [nope]}\n");
    const refused = await folder.load();
    expect(refused.state).toBe("error");
    expect(refused.errors).toEqual([
      `${tmp.dir}/other.yaml:3:28: steps.b.needs: unknown step 'nope' (no other step is defined)`,
    ]);
    // Neither file changed what is active: hello still echoes one.
    expect((await definition("hello"))?.workflow.steps.a?.run).toBe("echo one");
    expect(refused.workflows).toEqual(["hello", "other"]);

    rmSync(`${tmp.dir}/other.yaml`);
    expect(await folder.load()).toMatchObject({ state: "ok", errors: [], workflows: ["hello"] });
    expect((await definition("hello"))?.workflow.steps.a?.run).toBe("echo two");
    expect(await definition("other")).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(["loaded", "invalid", "loaded"]);
  });

  it("reads the folder again after a file is added or edited", async () => {
    tmp.write("hello.yaml", hello("one"));
    await folder.load();
    folder.watch();
    tmp.write("sub/new.yaml", "name: added\nsteps:\n  a: {run: 'true'}\n");
    await waitFor(async () => (await definition("added")) !== undefined, {
      timeoutMs: 30_000,
      what: "the new workflow to be registered",
    });
    tmp.write("hello.yaml", hello("edited"));
    await waitFor(async () => (await definition("hello"))?.workflow.steps.a?.run === "echo edited", {
      timeoutMs: 30_000,
      what: "the edit to be registered",
    });
    expect(folder.status()).toMatchObject({ state: "ok", workflows: ["added", "hello"] });
  });
});
