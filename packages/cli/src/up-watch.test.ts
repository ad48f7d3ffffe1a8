import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../engine/src/testing/wait-for.js";
import { gantry, startGantryUp } from "./testing/gantry-process.js";

const flow = (word: string) => `name: watched\nsteps:\n  a: {run: "echo ${word}"}\n`;

describe("gantry up --dir watches the folder", () => {
  let tmp: string;
  let dir: string;
  let up: Awaited<ReturnType<typeof startGantryUp>>;
  const json = async <T>(url: string) => (await (await fetch(`${up.url}${url}`)).json()) as T;
  type Folders = { folders: { dir: string; state: string; errors: string[]; workflows: string[] }[] };
  const stepRun = async () =>
    (await json<{ steps: { id: string }[] }>("/api/v1/workflows/watched")).steps.map((s) => s.id).join(",");

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "gantry-up-watch-"));
    dir = path.join(tmp, "flows");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "watched.yaml"), flow("one"));
    up = await startGantryUp(["--data", path.join(tmp, "data"), "--dir", dir, "--runners", "local,docker"]);
  });

  afterAll(async () => {
    await up?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("loads a new or edited file, keeps the last good set while a file is invalid, and says why", async () => {
    expect(await stepRun()).toBe("a");
    writeFileSync(path.join(dir, "added.yaml"), "name: added\nsteps:\n  b: {run: 'true'}\n");
    await waitFor(async () => (await fetch(`${up.url}/api/v1/workflows/added`)).status === 200, {
      timeoutMs: 60_000,
      what: "the added workflow",
    });

    writeFileSync(path.join(dir, "watched.yaml"), `${flow("two")}  c: {run: "true", needs: [nope]}\n`);
    const refused = await waitFor(
      async () => (await json<Folders>("/api/v1/sources")).folders.find((f) => f.state === "error"),
      { timeoutMs: 60_000, what: "the folder to report the invalid file" },
    );
    expect(refused.dir).toBe(dir);
    expect(refused.errors).toEqual([
      `${dir}/watched.yaml:4:28: steps.c.needs: unknown step 'nope' (the steps are: a)`,
    ]);
    expect(refused.workflows).toEqual(["added", "watched"]);
    expect(await stepRun()).toBe("a");

    writeFileSync(path.join(dir, "watched.yaml"), `${flow("two")}  c: {run: "true", needs: [a]}\n`);
    await waitFor(async () => (await stepRun()) === "a,c", { timeoutMs: 60_000, what: "the fixed file" });
    expect((await json<Folders>("/api/v1/sources")).folders[0]).toMatchObject({ state: "ok", errors: [] });
  });

  it("offers the runner types given with --runners", async () => {
    const checked = await gantry(["up", "--check-config", "--runners", "local,docker", "--dir", dir]);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout).worker.runners).toEqual(["local", "docker"]);
    const workers = await json<{ workers: { runners: string[] }[] }>("/api/v1/workers");
    expect(workers.workers[0]?.runners).toEqual(["local", "docker"]);
  });
});
