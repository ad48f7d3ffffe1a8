import { createHash, timingSafeEqual } from "node:crypto";
import {
  decodePayload,
  type EventTriggerKind,
  findWebhook,
  parseDuration,
  type WebhookEntry,
} from "@gantry/core";
import { createSecretCache, resolveSecretRef } from "../secrets/index.js";
import type { ServiceContext } from "../service/context.js";
import { decodeRunOutputs } from "../store/decode/index.js";
import { getRun } from "../store/queries/get-run.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { deliverEvent } from "../triggers/deliver.js";
import {
  type BodySource,
  BodyTooLarge,
  readSignedBody,
  type SignedBody,
  signaturesMatched,
} from "./signed-body.js";

/** A request to `POST /api/v1/hooks/<workflow>/<name>`, as the HTTP layer hands it over. */
export interface HookRequest {
  workflow: string;
  name: string;
  /** Lower-case header names, as Node gives them. */
  headers: Record<string, string | undefined>;
  /** The query string's parameters (`wait` is Gantry's; the rest reach the run as `trigger.query`). */
  query: Record<string, string>;
  /** The body exactly as received (the signature is over these bytes), or the stream it arrives on. */
  body: BodySource;
  /** The most bytes read unless the hook sets `max_body`; a longer body answers 413. Default 1 MB. */
  limit?: number;
  /** Stops `?wait` early (the client went away). */
  signal?: AbortSignal;
}

export interface HookReply {
  status: number;
  body: Record<string, unknown>;
  /** For the server's log only (why a secret could not be resolved): never sent to the caller. */
  log?: string;
}

/** A generic webhook's body becomes `trigger.payload`, stored with the run: 1 MB is plenty for an event. */
export const HOOK_BODY_LIMIT = 1024 * 1024;

/** How far X-Gantry-Timestamp may be from the server's clock: Stripe's and Slack's five minutes. */
export const HOOK_TIMESTAMP_TOLERANCE_MS = 5 * 60_000;
/** The longest `?wait=` honoured: a proxy in front usually cuts a request off before. */
export const HOOK_MAX_WAIT_MS = 5 * 60_000;
/** While waiting, the run is re-read on each wake-up and at least this often (the slow fallback). */
const WAIT_POLL_MS = 500;

const SIGNATURE_HEADERS = ["x-gantry-signature-256", "x-hub-signature-256"];
const DELIVERY_HEADERS = ["x-gantry-delivery", "idempotency-key", "x-github-delivery"];
/** Never copied into `trigger.headers`: credentials, and what only authenticates the request. */
const HIDDEN_HEADERS = new Set(["authorization", "cookie", "x-hub-signature", ...SIGNATURE_HEADERS]);

/**
 * Resolved secrets are kept a minute: a busy hook must not hit Vault or decrypt a sops file on every
 * request, and a rotated secret is picked up within that minute.
 */
const secretCache = createSecretCache(60_000);

/**
 * Handles a call of a workflow's generic webhook (`on.webhook`): checks the caller (an HMAC-SHA256
 * signature of the body, or a bearer token, both compared in constant time), refuses a stale
 * X-Gantry-Timestamp, starts the run once per delivery id, and with `?wait=` answers the run's outputs
 * once it ends.
 */
export async function handleWorkflowHook(ctx: ServiceContext, request: HookRequest): Promise<HookReply> {
  const { db } = ctx.database;
  // An unknown hook answers exactly as a known one does without valid credentials: hook names cannot be
  // listed by trying them.
  const notFound = { status: 401, body: { error: HOOK_UNAUTHORIZED } };
  const row = await getWorkflow(db, request.workflow);
  if (!row) return notFound;
  const definition = await ctx.definitions.at(db, row.revision);
  const entry = findWebhook(definition.workflow, request.name);
  if (!entry) return notFound;

  let wait: number | undefined;
  if (request.query.wait !== undefined) {
    try {
      wait = Math.min(parseDuration(request.query.wait), HOOK_MAX_WAIT_MS);
    } catch {
      return { status: 400, body: { error: `?wait=${request.query.wait}: not a duration (30s, 2m)` } };
    }
  }

  const id = `${request.workflow}:webhook:${request.name}`;
  const ref = entry.secret ?? entry.token;
  if (!ref) return { status: 500, body: { error: "the webhook has neither secret nor token" } };
  let key: string;
  try {
    key = await resolveSecretRef(ref, {
      baseDir: definition.root,
      cache: secretCache,
      providers: ctx.secretProviders,
      as: "string",
    });
  } catch (error) {
    // The reference's name is no business of an unauthenticated caller; the server log has the reason.
    return {
      status: 503,
      body: { error: "the webhook's secret cannot be resolved now" },
      log: `${id}: ${(error as Error).message}`,
    };
  }
  const caller = checkCallerHeaders(entry, key, request.headers, ctx.now());
  if ("denied" in caller) return { status: 401, body: { error: HOOK_UNAUTHORIZED } };
  // The body is read once, its signature computed as it streams in, and parsed only if it matched.
  const limit = entry.max_body ?? request.limit ?? HOOK_BODY_LIMIT;
  let read: SignedBody;
  try {
    read = await readSignedBody(
      request.body,
      caller.signedPrefix === undefined ? [] : [{ key, prefix: caller.signedPrefix }],
      limit,
    );
  } catch (error) {
    if (error instanceof BodyTooLarge)
      return { status: 413, body: { error: `the body is larger than this hook's ${limit} bytes` } };
    throw error;
  }
  let body: Buffer;
  try {
    if (
      caller.signedPrefix !== undefined &&
      signaturesMatched(signatureOf(request), read.signatures).length === 0
    )
      return { status: 401, body: { error: HOOK_UNAUTHORIZED } };
    body = await read.bytes();
  } finally {
    await read.discard();
  }

  const payload = parseBody(body, request.headers);
  if ("error" in payload) return { status: 400, body: { error: payload.error } };

  const delivery = DELIVERY_HEADERS.map((h) => request.headers[h]).find((v) => v !== undefined && v !== "");
  // A signature covers the timestamp and the body, so the same signature twice is a replay, whatever
  // delivery header came with it: it is the event's key. A token proves nothing about one request, so
  // token hooks are deduplicated by the delivery header only.
  const signature = entry.token === undefined ? signatureOf(request) : undefined;
  const eventKey = signature ? `signature:${signature}` : delivery ? `delivery:${delivery}` : undefined;
  const { wait: _wait, ...query } = request.query;
  const delivered = await deliverEvent(
    ctx,
    // deliverEvent uses the kind only as `trigger.type`; webhooks have no listener, so they are not
    // one of the listener kinds (EVENT_TRIGGER_KINDS).
    { id, workflow: request.workflow, kind: "webhook" as EventTriggerKind, inputs: entry.inputs ?? {} },
    {
      payload: payload.value,
      meta: {
        webhook: request.name,
        delivery: delivery ?? null,
        headers: shownHeaders(request.headers),
        query,
      },
      ...(eventKey ? { key: eventKey } : {}),
    },
  );
  if (delivered.status === "failed") return { status: 422, body: { error: delivered.error } };
  if (delivered.status === "duplicate" && signature)
    return {
      status: 409,
      body: { error: "this signature was used already: a replayed request starts nothing" },
    };
  if (delivered.status === "duplicate")
    return { status: 200, body: { status: "duplicate", delivery, run_id: delivered.runId } };
  const runId = delivered.runId;
  if (wait === undefined) {
    const run = await getRun(db, runId);
    return {
      status: 202,
      body: { run_id: runId, workflow: request.workflow, status: run?.status ?? "queued" },
    };
  }
  return waitForRun(ctx, runId, request.workflow, wait, request.signal);
}

/** The one answer to a caller without valid credentials, for a known or an unknown hook alike. */
export const HOOK_UNAUTHORIZED =
  "unauthorized: sign X-Gantry-Timestamp + '.' + body (X-Gantry-Signature-256: sha256=<hex HMAC-SHA256>) or send Authorization: Bearer <token>";

function signatureOf(request: Pick<HookRequest, "headers">): string | undefined {
  return SIGNATURE_HEADERS.map((h) => request.headers[h])
    .find((v) => v !== undefined)
    ?.trim()
    .toLowerCase();
}

/**
 * What the headers alone can tell: a bearer token is checked here (the body is then read unsigned); a
 * signed hook needs a signature and a fresh timestamp, and answers the text signed before the body
 * (`<timestamp>.`). `denied` says why not (one line, no secret).
 */
export function checkCallerHeaders(
  entry: WebhookEntry,
  key: string,
  headers: HookRequest["headers"],
  now: number,
): { denied: string } | { signedPrefix?: string } {
  if (entry.token !== undefined) {
    const given = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1];
    if (!given) return { denied: "send the webhook's token as Authorization: Bearer <token>" };
    // Digests have one length whatever was sent, so neither the comparison nor its length leaks.
    return timingSafeEqual(digest(given), digest(key)) ? {} : { denied: "wrong token" };
  }
  const header = SIGNATURE_HEADERS.map((h) => headers[h]).find((v) => v !== undefined);
  if (!header)
    return {
      denied: "sign the body: X-Gantry-Signature-256: sha256=<hex HMAC-SHA256 of the body with the secret>",
    };
  // The timestamp is required and signed with the body, so a captured request is good for 5 minutes
  // at most, and within them its signature is remembered (see handleWorkflowHook).
  const timestamp = headers["x-gantry-timestamp"];
  if (timestamp === undefined)
    return { denied: "send X-Gantry-Timestamp (Unix seconds) and sign <timestamp>.<body>" };
  const seconds = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now - seconds * 1000) > HOOK_TIMESTAMP_TOLERANCE_MS)
    return {
      denied: `X-Gantry-Timestamp must be the Unix time in seconds, within ${HOOK_TIMESTAMP_TOLERANCE_MS / 1000} s of the server's clock (a replayed or delayed request)`,
    };
  return { signedPrefix: `${timestamp}.` };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** JSON for JSON content types (400 when it does not parse), form fields as a map, other text as it comes. */
function parseBody(body: Buffer, headers: HookRequest["headers"]): { value: unknown } | { error: string } {
  const text = body.toString("utf8");
  const type = (headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (text.trim() === "") return { value: null };
  if (type === "application/json" || type.endsWith("+json")) {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (error) {
      return { error: `the body is not valid JSON: ${(error as Error).message}` };
    }
  }
  if (type === "application/x-www-form-urlencoded")
    return { value: Object.fromEntries(new URLSearchParams(text)) };
  return { value: decodePayload(text) };
}

function shownHeaders(headers: HookRequest["headers"]): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HIDDEN_HEADERS.has(name)) shown[name] = value;
  return shown;
}

/**
 * Waits until the run ends or `ms` pass: re-reads the run when a worker wakes others (a step done, a
 * log written) and every half second as the fallback (a run's end sends no notification of its own).
 */
async function waitForRun(
  ctx: ServiceContext,
  runId: string,
  workflow: string,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<HookReply> {
  const deadline = ctx.now() + ms;
  let wake: () => void = () => {};
  const unsubscribe = [
    ctx.notifier.subscribe("jobs", () => wake()),
    ctx.notifier.subscribe("logs", (id) => {
      if (id === runId) wake();
    }),
  ];
  const onAbort = () => wake();
  signal?.addEventListener("abort", onAbort);
  try {
    for (;;) {
      const run = await getRun(ctx.database.db, runId);
      if (run && run.finished_at !== null) {
        return {
          status: 200,
          body: {
            run_id: runId,
            workflow,
            status: run.status,
            finished: true,
            outputs: decodeRunOutputs(run) ?? {},
            ...(run.error ? { error: run.error } : {}),
          },
        };
      }
      const left = deadline - ctx.now();
      if (left <= 0 || signal?.aborted)
        return {
          status: 202,
          body: { run_id: runId, workflow, status: run?.status ?? "queued", finished: false },
        };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, WAIT_POLL_MS));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    for (const off of unsubscribe) off();
    signal?.removeEventListener("abort", onAbort);
  }
}
