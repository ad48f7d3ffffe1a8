import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalLogArchive } from "../logs/local-archive.js";
import { BUSYBOX, ensurePodman } from "../runners/docker/podman.js";
import { createRunners } from "../runners/index.js";
import { registerFolder } from "../service/register-folder.js";
import { listArtifacts } from "../store/queries/artifacts.js";
import { listStepSummaries } from "../store/queries/step-summaries.js";
import { sqliteDatabase } from "../testing/databases.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness, runView } from "../testing/service-harness.js";

// Summaries, artifacts and caches from containers (the docker runner on Podman): the files cross from
// a container's workspace to the store and back into another container's.
describe("summaries, artifacts and caches in containers (Podman)", () => {
  let h: Harness;

  beforeAll(async () => {
    ensurePodman();
    h = await openHarness(await sqliteDatabase());
    h.tmp.write(
      "wf/boxed.yaml",
      `
name: boxed
defaults:
  runner: { type: docker, image: ${BUSYBOX} }
steps:
  make:
    uses: gantry/upload-artifact
    with:
      name: out
      path: build/
      run: |
        mkdir -p build && echo "made in a container" > build/result.txt
        echo "### Built in \\\`$(hostname)\\\`" >> "$GANTRY_STEP_SUMMARY"
  cached:
    uses: gantry/cache
    with:
      key: boxed-1
      path: deps
      run: mkdir -p deps && echo dep > deps/lib.txt
  read:
    needs: [make, cached]
    uses: gantry/download-artifact
    with:
      name: out
      run: echo "text=$(cat build/result.txt)" >> "$GANTRY_OUTPUT"
outputs:
  text: \${{ steps.read.outputs.text }}
`,
    );
    const { problems } = await registerFolder(h.ctx, path.join(h.tmp.dir, "wf"));
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    await h?.stopWorkers();
    await h?.close();
  });

  it("moves files through the worker around a container's workspace and keeps its summary", async () => {
    const objects = new LocalLogArchive(path.join(h.tmp.dir, "objects"));
    await h.worker({
      runner: createRunners(["local", "docker"], {
        local: { tmpRoot: h.tmp.dir },
        docker: { tmpRoot: h.tmp.dir, killGraceSeconds: 1 },
      }),
      files: { objects, workspaceRoot: h.tmp.dir },
    });
    const { id } = await createRunInUnit(h.ctx, { workflow: "boxed", inputs: {} });
    const row = await h.waitForRun(id, ["succeeded", "failed"], 120_000);
    const errors = (await h.attempts(id)).map((a) => a.error).filter(Boolean);
    expect(errors).toEqual([]);
    expect(row.status).toBe("succeeded");
    expect(runView(row).outputs).toEqual({ text: "made in a container" });
    expect((await listArtifacts(h.database.db, id)).map((a) => [a.name, a.files])).toEqual([["out", 1]]);
    const [summary] = await listStepSummaries(h.database.db, id);
    expect(summary?.step).toBe("make");
    expect(summary?.markdown).toMatch(/^### Built in `\S+`\n$/);
    const cacheRows = await h.database.db
      .withTables<{ caches: { key: string } }>()
      .selectFrom("caches")
      .select("key")
      .execute();
    expect(cacheRows.map((c) => c.key)).toEqual(["boxed-1"]);
  });
});
