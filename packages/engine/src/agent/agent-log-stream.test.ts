import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentLogLine } from "../store/queries/agent-log.js";
import { waitFor } from "../testing/wait-for.js";
import { AgentApi } from "./agent-api.js";
import { AgentLogStream, MASKS_PER_BATCH, removeStaleSpool } from "./agent-log-stream.js";

interface Batch {
  from: number;
  lines: AgentLogLine[];
  masks?: string[];
}

/** The server's log route in memory: it holds the lines sent, and is unreachable while `down`. */
class FakeLogRoute extends AgentApi {
  readonly batches: Batch[] = [];
  held = 0;
  down = false;

  constructor() {
    super({ server: "http://127.0.0.1:9", token: "unused" });
  }

  override async post<T>(_route: string, body: unknown): Promise<T> {
    if (this.down) throw new Error("server unreachable");
    const batch = structuredClone(body) as Batch;
    this.batches.push(batch);
    this.held = Math.max(this.held, batch.from + batch.lines.length);
    return { lines: this.held, gap: false } as T;
  }
}

describe("an agent's log spool", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("drops at start the files of jobs whose lease ended long ago, and keeps fresh ones", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-spool-"));
    const spool = path.join(dir, "spool", "logs");
    mkdirSync(spool, { recursive: true });
    writeFileSync(path.join(spool, "1-1-100.jsonl"), '["stdout",1,"old"]\n');
    writeFileSync(path.join(spool, "2-1-200.jsonl"), '["stdout",2,"fresh"]\n');
    const twoHoursAgo = (Date.now() - 2 * 3_600_000) / 1000;
    utimesSync(path.join(spool, "1-1-100.jsonl"), twoHoursAgo, twoHoursAgo);
    expect(await removeStaleSpool(spool)).toBe(1);
    expect(readdirSync(spool)).toEqual(["2-1-200.jsonl"]);
    expect(await removeStaleSpool(path.join(dir, "missing"))).toBe(0);
  });
});

describe("an agent's ::add-mask:: values", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (api: FakeLogRoute, errors: string[] = []) => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-masks-"));
    const spoolFile = path.join(dir, "1-1.jsonl");
    const stream = new AgentLogStream({
      api,
      jobId: 1,
      workerId: "w",
      spoolFile,
      retryMs: 10,
      onError: (error) => errors.push(error.message),
    });
    return { stream, spoolFile };
  };
  const texts = (batch: Batch) => batch.lines.map(([, , text]) => text);

  it("go to the server at once, with the lines printed before, and ahead of every line after", async () => {
    const api = new FakeLogRoute();
    const { stream } = open(api);
    stream.line("stdout", "before");
    stream.mask("generated-value");
    stream.line("stdout", "after");
    await stream.close();
    expect(api.batches.map((b) => [texts(b), b.masks])).toEqual([
      [["before"], ["generated-value"]],
      [["after"], undefined],
    ]);
  });

  it("more values than a batch carries hold the lines back until the server has them all", async () => {
    const api = new FakeLogRoute();
    const { stream } = open(api);
    const values = Array.from({ length: MASKS_PER_BATCH + 3 }, (_, i) => `value-${i}`);
    for (const value of values) stream.mask(value);
    stream.line("stdout", "after");
    await stream.close();
    // The first value left at once, alone; the others waited for its answer.
    expect(api.batches.map((b) => [texts(b), b.masks])).toEqual([
      [[], values.slice(0, 1)],
      [[], values.slice(1, MASKS_PER_BATCH + 1)],
      [["after"], values.slice(MASKS_PER_BATCH + 1)],
    ]);
  });

  it("wait in memory, never in the spool file, while the server is away", async () => {
    const api = new FakeLogRoute();
    const errors: string[] = [];
    const { stream, spoolFile } = open(api, errors);
    api.down = true;
    stream.line("stdout", "before");
    stream.mask("offline-value");
    stream.line("stdout", "after");
    await waitFor(() => readFileSync(spoolFile, "utf8").split("\n").length > 2, {
      what: "both lines in the spool file",
    });
    expect(readFileSync(spoolFile, "utf8")).not.toContain("offline-value");
    api.down = false;
    await stream.close();
    expect(api.batches.map((b) => [texts(b), b.masks])).toEqual([[["before", "after"], ["offline-value"]]]);
    expect(errors.join("\n")).not.toContain("offline-value");
  });
});
