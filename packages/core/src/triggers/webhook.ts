import type { Problem, WorkflowSpec } from "../format/types.js";
import type { SourceFile } from "../yaml/parse.js";
import { inputMappingProblems } from "./input-mapping.js";

/**
 * `on.webhook`: each entry gives the workflow a URL, `POST /api/v1/hooks/<workflow>/<name>`, that
 * checks an HMAC-SHA256 signature (`secret`) or a bearer token (`token`) and starts a run with the
 * request's body as `trigger.payload`.
 */
export const webhookEntry = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: {
      type: "string",
      pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
      description: "The last segment of the URL: POST /api/v1/hooks/<workflow>/<name>",
    },
    secret: {
      type: "string",
      pattern: "\\S",
      description:
        "A secret reference (ref+env://HOOK_SECRET): callers sign the body with HMAC-SHA256 in X-Gantry-Signature-256: sha256=<hex>",
    },
    token: {
      type: "string",
      pattern: "\\S",
      description: "A secret reference (ref+env://HOOK_TOKEN): callers send Authorization: Bearer <token>",
    },
    inputs: {
      type: "object",
      description:
        "The run's inputs, each a value or an expression on the request, such as trigger.payload.env in an expression",
    },
    max_body: {
      type: "integer",
      minimum: 1,
      maximum: 26214400,
      description:
        "The largest body accepted, in bytes (default 1048576, or server.webhook_body_limit in gantry.yaml; at most 25 MB): a longer one answers 413",
    },
  },
} as const;

export interface WebhookEntry {
  name: string;
  secret?: string;
  token?: string;
  inputs?: Record<string, unknown>;
  /** The largest body accepted, in bytes. */
  max_body?: number;
}

/** A secret reference, as the engine's resolver accepts them (core cannot import it). */
const SECRET_REF = /^ref\+[a-z0-9]+:\/\//;

/** `on.webhook` is a list of entries or one entry as a map, as the other triggers. */
export function webhookEntries(workflow: Pick<WorkflowSpec, "on">): WebhookEntry[] {
  const value = (workflow.on as Record<string, unknown> | undefined)?.webhook;
  const list = Array.isArray(value) ? value : isMap(value) ? [value] : [];
  return list.filter(isMap) as unknown as WebhookEntry[];
}

export function findWebhook(workflow: Pick<WorkflowSpec, "on">, name: string): WebhookEntry | undefined {
  return webhookEntries(workflow).find((e) => e.name === name);
}

/**
 * What the JSON Schema cannot say about `on.webhook`: each entry has exactly one of `secret` and
 * `token`, which must be secret references (a literal would be stored with the workflow and shown by
 * the API), names are unique, and the `inputs:` it maps are the workflow's (required ones mapped).
 */
export function webhookProblems(source: SourceFile | undefined): Problem[] {
  const value = source?.value as Partial<WorkflowSpec> | undefined;
  if (!source || !isMap(value) || !isMap(value.on)) return [];
  const raw = (value.on as Record<string, unknown>).webhook;
  if (raw === undefined || raw === null) return [];
  const listed = Array.isArray(raw);
  const entries = (listed ? raw : [raw]) as unknown[];
  const declared = isMap(value.inputs)
    ? (value.inputs as Record<string, { required?: boolean; default?: unknown }>)
    : {};
  const problems: Problem[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (!isMap(entry)) return;
    const path = (...rest: string[]) => ["on", "webhook", ...(listed ? [index] : []), ...rest];
    const where = (...rest: string[]) => path(...rest).join(".");
    const at = (rest: string[], key = false) => ({
      file: source.file,
      ...source.locate(path(...rest), { key }),
    });
    if (typeof entry.name === "string") {
      if (seen.has(entry.name))
        problems.push({
          ...at(["name"]),
          message: `${where("name")}: '${entry.name}' is used by another webhook of this workflow`,
        });
      seen.add(entry.name);
    }
    const hasSecret = entry.secret !== undefined;
    const hasToken = entry.token !== undefined;
    if (hasSecret === hasToken)
      problems.push({
        ...at([], true),
        message: `${where()}: give either 'secret' (callers sign the body with HMAC-SHA256) or 'token' (callers send Authorization: Bearer), not ${hasSecret ? "both" : "neither"}`,
      });
    for (const key of ["secret", "token"] as const) {
      const v = entry[key];
      if (typeof v === "string" && !SECRET_REF.test(v))
        problems.push({
          ...at([key]),
          message: `${where(key)}: must be a secret reference such as ref+env://HOOK_${key.toUpperCase()}, not the ${key} itself (the workflow is stored and shown by the API)`,
        });
    }
    problems.push(...inputMappingProblems(entry, declared, { where, at }, "request"));
  });
  return problems;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
