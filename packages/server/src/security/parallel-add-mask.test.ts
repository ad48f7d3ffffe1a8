import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Worker } from "@gantry/engine";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

/** Made at run time by both steps, so no workflow file or command line holds it. */
const LATE = "late-secret-42";

// `register` registers the value and keeps running until `print` is done; `print`, started alongside,
// prints the value only once the test saw the registration kept with the run.
const parallel = (gates: string) => `name: parallel
steps:
  register:
    run: |
      V="late-$(echo secret)-$((40 + 2))"
      echo "::add-mask::$V"
      while [ ! -f "${gates}/printed" ]; do sleep 0.05; done
  print:
    run: |
      while [ ! -f "${gates}/go" ]; do sleep 0.05; done
      V="late-$(echo secret)-$((40 + 2))"
      echo "value: $V"
      printf '%s\\n' "$V" | base64
      echo "v=$V" >> "$GANTRY_OUTPUT"
      touch "${gates}/printed"
`;

describe("an ::add-mask:: value reaches the steps already running in parallel", () => {
  let t: TestApp | undefined;
  let gates: string | undefined;
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await t?.close();
    if (gates) rmSync(gates, { recursive: true, force: true });
  });

  it.each([
    ["on the same worker", [2]],
    ["on another worker", [1, 1]],
  ])(
    "%s: the parallel step's log (API and stored chunks) and its output show it masked",
    async (_name, concurrencies) => {
      gates = mkdtempSync(path.join(tmpdir(), "gantry-late-mask-"));
      t = await openTestApp("gantry-late-mask-", { "parallel.yaml": parallel(gates) });
      const { app, service, dir } = t;
      const errors: Error[] = [];
      for (const concurrency of concurrencies)
        workers.push(await startTestWorker(service, dir, { concurrency, onError: (e) => errors.push(e) }));
      const started = await app.inject({
        method: "POST",
        url: "/api/v1/workflows/parallel/runs",
        payload: {},
      });
      expect(started.statusCode).toBe(201);
      const id = started.json().id as string;

      // Both steps run; the registration is kept with the run while they do.
      await waitFor(
        async () =>
          (
            await service.database.db
              .selectFrom("runs")
              .select("masked_values")
              .where("id", "=", id)
              .executeTakeFirst()
          )?.masked_values,
        { what: "the ::add-mask:: value kept with the run" },
      );
      const running = await service.database.db
        .selectFrom("jobs")
        .select(["step", "status", "worker_id"])
        .where("run_id", "=", id)
        .execute();
      expect(running.map((j) => [j.step, j.status]).sort()).toEqual([
        ["print", "running"],
        ["register", "running"],
      ]);
      if (concurrencies.length === 2) expect(new Set(running.map((j) => j.worker_id)).size).toBe(2);
      writeFileSync(path.join(gates, "go"), "");

      const status = await waitFor(async () => {
        const s = (await app.inject({ url: `/api/v1/runs/${id}` })).json().status as string;
        return ["succeeded", "failed"].includes(s) ? s : undefined;
      });
      expect(status).toBe("succeeded");
      const log = (await app.inject({ url: `/api/v1/runs/${id}/logs?step=print` })).body;
      expect(log).toContain("value: ***");
      const detail = (await app.inject({ url: `/api/v1/runs/${id}` })).body;
      const chunks = JSON.stringify(await service.database.db.selectFrom("log_chunks").selectAll().execute());
      const base64 = Buffer.from(`${LATE}\n`).toString("base64");
      for (const [where, text] of [
        ["log", log],
        ["run", detail],
        ["store", chunks],
      ] as const) {
        expect(text, where).not.toContain(LATE);
        expect(text, where).not.toContain(base64.slice(0, 16));
      }
      expect(errors).toEqual([]);
    },
  );
});
