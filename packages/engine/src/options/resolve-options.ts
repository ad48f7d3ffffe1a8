import {
  evaluateExpression,
  evaluateTemplate,
  findExpressions,
  interpolationString,
  type OptionChoice,
  type OptionsFrom,
  optionsDependencies,
  parseDuration,
  type RunState,
  selectPath,
  toOptionList,
} from "@gantry/core";
import { InvalidInputError, NotFoundError, type ServiceContext } from "../service/context.js";
import { startRun } from "../service/create-run.js";
import { sha256 } from "../service/workflow-definition.js";
import { decodeRunState } from "../store/decode/index.js";
import { putBundle } from "../store/queries/bundles.js";
import { getRun } from "../store/queries/get-run.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { optionsScriptDefinition } from "./script-definition.js";
import type { OptionListCache, OptionsAnswer } from "./start-check-cache.js";

export type { OptionsAnswer };

export interface OptionsResolverOptions {
  /** How long a script or workflow computing options may take. */
  timeoutMs?: number;
  /** The largest HTTP reply read. */
  maxBytes?: number;
  /** Lists kept at most (the oldest go first). */
  maxEntries?: number;
  /** Where the lists are kept: a process's StartCheckCache shares them between resolvers; a new map by default. */
  cache?: OptionListCache;
}

const DEFAULT_CACHE_MS = 60_000;

/** Bad options: the source failed or gave something that is not a list. A 502 for the API. */
export class OptionsSourceError extends Error {}

/**
 * Computes the options of `options_from` inputs: a script or a workflow runs on a worker (as a run of
 * its own, triggered `options`, so its log can be read), an HTTP GET is made here. Lists are cached per
 * workflow revision and values of the inputs they depend on, for `cache` (default 1m); concurrent asks
 * for the same list share one computation.
 */
export class OptionsResolver {
  private readonly cache: OptionListCache;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly maxEntries: number;

  constructor(
    private readonly ctx: ServiceContext,
    options: OptionsResolverOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxBytes = options.maxBytes ?? 1_048_576;
    this.maxEntries = options.maxEntries ?? 1000;
    this.cache = options.cache ?? new Map();
  }

  async options(workflow: string, input: string, values: Record<string, unknown>): Promise<OptionsAnswer> {
    const row = await getWorkflow(this.ctx.database.db, workflow);
    if (!row) throw new NotFoundError(`unknown workflow '${workflow}'`);
    const definition = await this.ctx.definitions.at(this.ctx.database.db, row.revision);
    const spec = definition.workflow.inputs?.[input];
    if (!spec) throw new NotFoundError(`workflow '${workflow}' has no input '${input}'`);
    const now = this.ctx.now();
    if (!spec.options_from) {
      if (!spec.enum)
        throw new InvalidInputError([{ field: input, message: `input '${input}' has no options` }]);
      return { options: spec.enum.map((v) => ({ value: v as string })), waiting_for: [], computed_at: now };
    }
    const from = spec.options_from;
    const dependencies = optionsDependencies(from);
    const given = Object.fromEntries(
      dependencies.filter((d) => values[d] !== undefined && values[d] !== "").map((d) => [d, values[d]]),
    );
    const waiting = dependencies.filter((d) => !(d in given));
    if (waiting.length > 0) return { options: [], waiting_for: waiting, computed_at: now };
    const key = JSON.stringify([row.revision, input, given]);
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.answer;
    const answer = this.compute(row.name, row.revision, input, from, dependencies, given, now);
    const ttl = from.cache !== undefined ? parseDuration(from.cache) : DEFAULT_CACHE_MS;
    this.cache.set(key, { at: now, until: now + ttl, answer });
    // A failure is not kept: the next ask tries again.
    answer.catch(() => this.cache.delete(key));
    while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    return answer;
  }

  /** Whether a value is among the input's current options (for checking a submitted run). */
  async check(workflow: string, input: string, values: Record<string, unknown>): Promise<string | undefined> {
    const answer = await this.options(workflow, input, values);
    if (answer.waiting_for.length > 0) return `needs ${answer.waiting_for.join(", ")} first`;
    const value = values[input];
    if (answer.options.some((o) => o.value === value || String(o.value) === String(value))) return undefined;
    const shown = answer.options.slice(0, 10).map((o) => JSON.stringify(o.value));
    return `'${String(value)}' is not one of the current options (${shown.join(", ")}${answer.options.length > 10 ? ", …" : ""})`;
  }

  private async compute(
    workflow: string,
    revision: string,
    input: string,
    from: OptionsFrom,
    dependencies: string[],
    given: Record<string, unknown>,
    now: number,
  ): Promise<OptionsAnswer> {
    const contexts = { inputs: given };
    if (from.http !== undefined) {
      const url = encodedUrl(from.http, contexts);
      return { options: await this.fromHttp(url, from.path), waiting_for: [], computed_at: now };
    }
    let run: { id: string };
    if (from.workflow !== undefined) {
      const inputs = (evaluateTemplate(from.with ?? {}, { contexts }) ?? {}) as Record<string, unknown>;
      const request = { workflow: from.workflow, inputs, trigger: { type: "options", workflow, input } };
      run = await startRun(this.ctx, request);
    } else {
      const parent = await this.ctx.definitions.at(this.ctx.database.db, revision);
      const definition = optionsScriptDefinition(parent, input, from, dependencies);
      const json = JSON.stringify(definition);
      const scriptRevision = sha256(json);
      await putBundle(this.ctx.database.db, scriptRevision, json, now);
      const request = {
        workflow,
        revision: scriptRevision,
        inputs: Object.fromEntries(Object.entries(given).map(([k, v]) => [k, interpolationString(v)])),
        trigger: { type: "options", input },
      };
      run = await startRun(this.ctx, request);
    }
    const state = await this.finished(run.id);
    const raw =
      from.workflow !== undefined ? state.outputs.options : Object.values(state.steps)[0]?.outputs.options;
    if (raw === undefined)
      throw new OptionsSourceError(
        from.workflow !== undefined
          ? `workflow '${from.workflow}' (run ${run.id}) has no output 'options'`
          : `the options script (run ${run.id}) printed nothing`,
      );
    return { options: listOf(raw, from.path), waiting_for: [], computed_at: now, run_id: run.id };
  }

  /** Waits for a run to end (a tenth of a second between looks) and returns its state if it succeeded. */
  private async finished(id: string): Promise<RunState> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const row = await getRun(this.ctx.database.db, id);
      if (row && !["pending", "queued", "running"].includes(row.status)) {
        // A finished run has a state: the planner wrote it as the run ended.
        const state = decodeRunState(row)!;
        if (row.status !== "succeeded") {
          const failed = Object.values(state.steps).find((s) => s.error || s.items.some((i) => i.error));
          const why = failed?.error ?? failed?.items.find((i) => i.error)?.error ?? row.error ?? row.status;
          throw new OptionsSourceError(`computing the options failed (run ${id}, ${row.status}): ${why}`);
        }
        return state;
      }
      if (Date.now() > deadline)
        throw new OptionsSourceError(
          `computing the options took longer than ${this.timeoutMs / 1000}s (run ${id})`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async fromHttp(url: string, path: string | undefined): Promise<OptionChoice[]> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(Math.min(this.timeoutMs, 30_000)),
        redirect: "follow",
      });
    } catch (error) {
      throw new OptionsSourceError(`GET ${redact(url)}: ${(error as Error).message}`);
    }
    if (!response.ok)
      throw new OptionsSourceError(`GET ${redact(url)}: ${response.status} ${response.statusText}`);
    const text = await boundedText(response, this.maxBytes);
    if (text === undefined)
      throw new OptionsSourceError(`GET ${redact(url)}: reply larger than ${this.maxBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new OptionsSourceError(`GET ${redact(url)}: the reply is not JSON`);
    }
    return listOf(body, path);
  }
}

function listOf(raw: unknown, path: string | undefined): OptionChoice[] {
  try {
    const value = typeof raw === "string" && path !== undefined ? JSON.parse(raw) : raw;
    return toOptionList(selectPath(value, path));
  } catch (error) {
    throw new OptionsSourceError((error as Error).message);
  }
}

/** The URL with each `${{ }}` replaced by its value, URL-encoded: a value cannot change the URL's shape. */
function encodedUrl(template: string, contexts: Record<string, unknown>): string {
  let out = "";
  let from = 0;
  for (const found of findExpressions(template)) {
    out += template.slice(from, found.start);
    out += encodeURIComponent(interpolationString(evaluateExpression(found.expr, { contexts })));
    from = found.end < 0 ? template.length : found.end;
  }
  return out + template.slice(from);
}

function redact(url: string): string {
  try {
    // Without credentials or query: a query may carry a token or an input's value.
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return "(bad URL)";
  }
}

async function boundedText(response: Response, maxBytes: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
