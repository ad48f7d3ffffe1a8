// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the workflow is full of ${{ }}.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type LogArchiveLike, LogArchiver, type LogLine, type Worker } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { startTestWorker, type TestApp } from "./test-app.js";

/**
 * Secrets of every kind a run knows, chosen to change under each encoding: a space, `/`, `+`, quotes,
 * `!'()*` (which JavaScript's URL encoding keeps and RFC 3986 encodes) and a non-ASCII letter.
 */
export const SWEEP_SECRETS = {
  /** A secret-typed input, typed at run start. */
  input: 'Sup3r S3cret/PW!x+\u00e9"q',
  /** A resolved `ref+env://` reference. */
  reference: "ref-Value_9!'()*~tail",
  /** A multi-line secret (a resolved reference), each line printed on its own. */
  multiLine: "first-line-K3y-aa\nsecond-line-V4l-bb",
};
/** The value the first step makes up at run time and registers with ::add-mask::. */
export const ADD_MASK_VALUE = "made-up-Gen3rated/value";

/**
 * Prints each secret the way programs do: plain, base64 at each of the three byte alignments, RFC 3986
 * (Python's quote) and form encoding (quote_plus), JSON-string escaped, and each line of a multi-line
 * secret; writes each to an output and to the step summary.
 */
const PRINT_ALL = `
import base64, json, os, urllib.parse
names = os.environ["NAMES"].split(",")
with open(os.environ["GANTRY_OUTPUT"], "a") as out, open(os.environ["GANTRY_STEP_SUMMARY"], "a") as summary:
    for name in names:
        v = os.environ[name]
        print(v)
        for pre in ["", "x", "xy"]:
            print(base64.b64encode((pre + v).encode()).decode())
        print(urllib.parse.quote(v, safe=""))
        print(urllib.parse.quote_plus(v))
        print(json.dumps(v))
        for line in v.splitlines():
            print("line: " + line)
        out.write(name.lower() + "<<EOF\\n" + v + "\\nEOF\\n")
        summary.write("- " + v + "\\n")
`;

export const SWEEP_WORKFLOW = `
name: sweep
inputs:
  token: {type: secret, required: true}
secrets:
  reference: ref+env://GANTRY_SWEEP_REFERENCE
  multi: ref+env://GANTRY_SWEEP_MULTI
steps:
  first:
    runner: {labels: [alpha]}
    shell: python
    env:
      TOKEN: \${{ inputs.token }}
      REFERENCE: \${{ secrets.reference }}
      MULTI: \${{ secrets.multi }}
      NAMES: TOKEN,REFERENCE,MULTI,GEN
    run: |
      import os
      os.environ["GEN"] = "made-up-" + "Gen3rated" + "/value"
      print("::add-mask::" + os.environ["GEN"])
${indent(PRINT_ALL, 6)}
  later:
    needs: first
    runner: {labels: [beta]}
    shell: python
    env: {NAMES: GEN}
    run: |
      import os
      os.environ["GEN"] = "made-up-" + "Gen3rated" + "/value"
${indent(PRINT_ALL, 6)}
      raise SystemExit("failing with " + os.environ["GEN"])
outputs:
  token: \${{ steps.first.outputs.token }}
  reference: \${{ steps.first.outputs.reference }}
  multi: \${{ steps.first.outputs.multi }}
  gen: \${{ steps.first.outputs.gen }}
  later: \${{ steps.later.outputs.gen }}
`;

function indent(text: string, spaces: number): string {
  const pad = " ".repeat(spaces);
  return text
    .trim()
    .split("\n")
    .map((line) => pad + line)
    .join("\n");
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * What must not appear anywhere, for one secret: the secret and each of its lines, the encodings the
 * step printed, and of each base64 alignment the characters that come from the secret's bytes alone.
 */
export function clearForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  for (const line of secret.split("\n")) forms.add(line);
  for (const pre of ["", "x", "xy"]) forms.add(b64(pre + secret).slice(4, -4));
  const rfc3986 = encodeURIComponent(secret).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  forms.add(rfc3986);
  forms.add(rfc3986.replace(/%20/g, "+"));
  forms.add(JSON.stringify(secret).slice(1, -1));
  forms.add(
    JSON.stringify(secret)
      .slice(1, -1)
      .replace(/\u00e9/g, "\\u00e9"),
  );
  return [...forms];
}

/** Every form of every secret of the sweep, each named for the failure message. */
export function sweepLeaks(): Array<{ name: string; form: string }> {
  const secrets = { ...SWEEP_SECRETS, addMask: ADD_MASK_VALUE };
  return Object.entries(secrets).flatMap(([name, secret]) =>
    clearForms(secret).map((form) => ({ name, form })),
  );
}

/** Fails naming each secret form that `text` (from `where`) holds in clear. */
export function expectNoLeak(where: string, text: string): void {
  const found = sweepLeaks().filter(({ form }) => text.includes(form));
  expect(found.map(({ name, form }) => `${where}: ${name} as ${JSON.stringify(form)}`)).toEqual([]);
}

export interface SweepTarget {
  /** The test app, on the store and archive to sweep. */
  open(): Promise<TestApp>;
  /** Every row of every table of the store, as text (and the raw file where there is one). */
  dumpStore(app: TestApp): Promise<string>;
  /** Every object of the log archive, as text. */
  dumpArchive(app: TestApp): Promise<string>;
}

/**
 * Runs the sweep workflow on two workers (its two steps on different ones, so ::add-mask:: must travel
 * through the store) and sweeps the store, the log archive, every API answer about the run and its log
 * WebSocket for each secret in each printed form.
 */
export function secretSweepSuite(
  name: string,
  target: SweepTarget,
  archiveOf: (t: TestApp) => LogArchiveLike,
) {
  describe(`no secret in clear anywhere (${name})`, () => {
    let stack: TestApp;
    const workers: Worker[] = [];
    const archivers: LogArchiver[] = [];
    const errors: Error[] = [];
    let socket: WebSocket | undefined;

    beforeAll(async () => {
      vi.stubEnv("GANTRY_SWEEP_REFERENCE", SWEEP_SECRETS.reference);
      vi.stubEnv("GANTRY_SWEEP_MULTI", SWEEP_SECRETS.multiLine);
      stack = await target.open();
      for (const label of ["alpha", "beta"]) {
        const archiver = new LogArchiver(
          stack.service,
          archiveOf(stack),
          `${stack.dir}/spool-${label}`,
          (e) => errors.push(e),
        );
        archivers.push(archiver);
        workers.push(
          await startTestWorker(stack.service, stack.dir, {
            id: `sweep-${label}`,
            labels: [label],
            logs: { archiver },
            onError: (e) => errors.push(e),
          }),
        );
      }
    });

    afterAll(async () => {
      socket?.terminate();
      for (const worker of workers) await worker.stop();
      for (const archiver of archivers) archiver.stop();
      await stack?.close();
      vi.unstubAllEnvs();
    });

    it("masks each secret in every encoding in the store, the archive, the API and the WebSocket", async () => {
      const started = await stack.app.inject({
        method: "POST",
        url: "/api/v1/workflows/sweep/runs",
        payload: { inputs: { token: SWEEP_SECRETS.input } },
      });
      expect(started.statusCode).toBe(201);
      const id = started.json().id as string;
      expectNoLeak("POST /runs answer", started.body);

      const base = (await stack.app.listen({ port: 0, host: "127.0.0.1" })).replace(/^http/, "ws");
      socket = new WebSocket(`${base}/api/v1/runs/${id}/logs`);
      const live: LogLine[] = [];
      socket.on("message", (data) => live.push(...([] as LogLine[]).concat(JSON.parse(String(data)))));
      const closed = new Promise<void>((resolve) => socket?.on("close", () => resolve()));

      await waitFor(
        async () => (await stack.app.inject({ url: `/api/v1/runs/${id}` })).json().finished_at != null,
        { timeoutMs: 120_000, what: "the sweep run to end" },
      );
      await closed;
      const run = (await stack.app.inject({ url: `/api/v1/runs/${id}` })).json();
      // The second step failed on purpose, with the add-mask value in its error.
      expect(run.status).toBe("failed");
      expect(run.steps.first.status).toBe("succeeded");
      expect(run.steps.later.status).toBe("failed");

      // Every line printed a secret in some form, and each shows *** where it was: 4 secrets × 8 lines,
      // a line more for the second line of the multi-line one (plain), the later step's 9 and its error.
      const text = live.map((l) => l.text);
      expect(text.filter((t) => !t.includes("***"))).toEqual([]);
      expect(text).toHaveLength(4 * 8 + 2 + 9);
      expect(text.filter((t) => t === "line: ***")).toHaveLength(6);
      // The add-mask value, in the step after the one that registered it, on the other worker.
      expect(text.at(-1)).toBe("failing with ***");
      expect(text.join("\n")).not.toContain("::add-mask::");
      expectNoLeak("log WebSocket", JSON.stringify(live));

      // Every API answer about the run.
      for (const url of [
        `/api/v1/runs/${id}`,
        "/api/v1/runs?workflow=sweep",
        `/api/v1/runs/${id}/logs`,
        `/api/v1/runs/${id}/logs?step=first`,
        `/api/v1/runs/${id}/logs?step=later`,
        `/api/v1/runs/${id}/logs?tail=1000`,
        `/api/v1/runs/${id}/artifacts`,
        `/api/v1/runs/${id}/notifications`,
      ]) {
        const res = await stack.app.inject({ url });
        expect(res.statusCode, url).toBe(200);
        expectNoLeak(`GET ${url}`, res.body);
      }
      // Outputs, summaries and the error carry the secrets' places, masked.
      expect(run.outputs.gen).toBe("***");
      expect(run.outputs.later).toBe("***");
      expect(run.outputs.token).toBe("***");
      expect(JSON.stringify(run.steps.later)).toContain("***");

      // The archive once both steps' logs are in it, and the whole store.
      await waitFor(async () => (await target.dumpArchive(stack)).includes("line: ***"), {
        timeoutMs: 60_000,
        what: "the logs to be archived",
      });
      expectNoLeak("log archive", await target.dumpArchive(stack));
      const store = await target.dumpStore(stack);
      expect(store).toContain(id);
      expectNoLeak("store", store);
      expect(errors).toEqual([]);
    });
  });
}

/** Every file under a folder, read as text (binary bytes of a secret still show as its characters). */
export function folderText(folder: string): string {
  if (!existsSync(folder)) return "";
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(path.join(entry.parentPath, entry.name)).toString("utf8"))
    .join("\n");
}
