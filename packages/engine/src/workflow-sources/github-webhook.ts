import { createHmac, timingSafeEqual } from "node:crypto";
import { pushPayloadPaths } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import { claimDelivery, claimGitEvent } from "../store/queries/git-event-insert.js";
import type { SourceConfig } from "./config.js";
import { type StartedRun, startGitEventRuns } from "./git-triggers.js";
import {
  type BodySource,
  BodyTooLarge,
  readSignedBody,
  type SignedBody,
  signaturesMatched,
} from "./signed-body.js";
import type { SourceSyncer } from "./syncer.js";

export interface WebhookRequest {
  /** X-GitHub-Event */
  event: string | undefined;
  /** X-GitHub-Delivery */
  delivery: string | undefined;
  /** X-Hub-Signature-256: `sha256=<hex>` */
  signature: string | undefined;
  contentType: string | undefined;
  /** The body exactly as received (the signature is over these bytes), or the stream it arrives on. */
  body: BodySource;
  /** The most bytes read; a longer body answers 413. Default GITHUB_BODY_LIMIT. */
  limit?: number;
}

/** GitHub sends up to 25 MB; a payload that large is a push of thousands of commits. */
export const GITHUB_BODY_LIMIT = 25 * 1024 * 1024;

/** A body read after its signature matched, as the handlers below use it. */
interface VerifiedRequest extends Omit<WebhookRequest, "body"> {
  body: Buffer;
  sha256: string;
}

export interface WebhookReply {
  status: number;
  body: Record<string, unknown>;
}

export interface SourceResult {
  name: string;
  state: "ok" | "error";
  active_commit: string | null;
  errors: string[];
  runs: StartedRun[];
  /** Set when this source started nothing because the poller had already fired this push. */
  already_seen?: boolean;
  /** Set when this source started nothing, and why: the pushed commit's workflows are invalid. */
  not_started?: string;
}

/** The HMAC GitHub sends, and a comparison that takes as long whichever byte differs. */
export function signatureMatches(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const given = Buffer.from(header);
  // The length is no secret (always 71 bytes); timingSafeEqual needs equal lengths.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Handles a GitHub webhook delivery: finds the sources following the payload's repository, accepts it
 * only with a valid X-Hub-Signature-256 for one of them, drops a repeated delivery, answers ping, and
 * for push and pull_request syncs each of those sources at once and starts its matching workflows.
 */
export async function handleGithubWebhook(
  ctx: ServiceContext,
  syncer: SourceSyncer,
  request: WebhookRequest,
): Promise<WebhookReply> {
  // One answer for a wrong signature and an unknown repository: a caller learns nothing about which.
  const unauthorized = {
    status: 401,
    body: { error: "X-Hub-Signature-256 does not match the secret of any source" },
  };
  if (!request.signature) return unauthorized;
  // The signature is checked on the raw bytes as they stream in, before anything is parsed: a body
  // nobody signed costs only its reading. Every source's secret is tried (a handful), as the
  // repository is in the body.
  const signers: Array<{ source: SourceConfig; key: string }> = [];
  for (const source of syncer.sources) {
    const secret = source.github?.secret;
    if (!secret) continue;
    try {
      signers.push({ source, key: await syncer.secret(secret) });
    } catch {}
  }
  const limit = request.limit ?? GITHUB_BODY_LIMIT;
  let read: SignedBody;
  try {
    read = await readSignedBody(request.body, signers, limit);
  } catch (error) {
    if (error instanceof BodyTooLarge)
      return { status: 413, body: { error: `the body is larger than ${limit} bytes` } };
    throw error;
  }
  let verifiedRequest: VerifiedRequest;
  const signedBy = signaturesMatched(request.signature, read.signatures).map(
    (i) => (signers[i] as { source: SourceConfig }).source,
  );
  try {
    if (signedBy.length === 0) return unauthorized;
    verifiedRequest = { ...request, body: await read.bytes(), sha256: read.sha256 };
  } finally {
    await read.discard();
  }
  return handleVerified(ctx, syncer, verifiedRequest, signedBy, unauthorized);
}

async function handleVerified(
  ctx: ServiceContext,
  syncer: SourceSyncer,
  request: VerifiedRequest,
  signedBy: SourceConfig[],
  unauthorized: WebhookReply,
): Promise<WebhookReply> {
  const payload = parsePayload(request);
  if (!payload) return { status: 400, body: { error: "the body is not a GitHub webhook payload (JSON)" } };
  const repository = String((payload.repository as Record<string, unknown> | undefined)?.full_name ?? "");
  const following = new Set(repository ? syncer.sourcesForRepository(repository) : []);
  const verified = signedBy.filter((s) => following.has(s));
  if (verified.length === 0) return unauthorized;
  const event = request.event ?? "";
  // A captured delivery replayed under a new X-GitHub-Delivery has the same body: both are claimed.
  const bodyHash = request.sha256;
  const claims = [...(request.delivery ? [request.delivery] : []), bodyHash];
  for (const id of claims) {
    if (!(await claimDelivery(ctx.database.db, id, event, ctx.now())))
      return { status: 200, body: { status: "duplicate", delivery: request.delivery ?? null } };
  }
  const names = verified.map((s) => s.name);
  if (event === "ping")
    return { status: 200, body: { status: "pong", zen: payload.zen ?? null, sources: names } };
  if (event !== "push" && event !== "pull_request") {
    return {
      status: 202,
      body: { status: "ignored", event, reason: "only push, pull_request and ping start anything" },
    };
  }
  const results: SourceResult[] = [];
  for (const source of verified)
    results.push(await handleEvent(ctx, syncer, source, event, payload, request));
  return {
    status: 202,
    body: { status: "accepted", event, delivery: request.delivery ?? null, sources: results },
  };
}

async function handleEvent(
  ctx: ServiceContext,
  syncer: SourceSyncer,
  source: SourceConfig,
  event: "push" | "pull_request",
  payload: Record<string, unknown>,
  request: VerifiedRequest,
): Promise<SourceResult> {
  const outcome = await syncer.sync(source.name, { firePush: false });
  const result: SourceResult = {
    name: source.name,
    state: outcome.state,
    active_commit: outcome.activeCommit,
    errors: outcome.errors,
    runs: [],
  };
  let changedPaths: string[] | undefined;
  if (event === "push") {
    const ref = String(payload.ref ?? "");
    const sha = String(payload.after ?? "");
    const claimed = await claimGitEvent(ctx.database.db, {
      source: source.name,
      ref,
      sha,
      seenBy: "webhook",
      now: ctx.now(),
    });
    if (!claimed) return { ...result, already_seen: true };
    // The pushed commit is the ref's head and was kept out: its own workflows are invalid, and running
    // the last good ones would check out code they were never validated with. Polling starts nothing
    // for it either.
    if (outcome.head === sha && outcome.activeCommit !== sha) {
      return {
        ...result,
        not_started: `commit ${sha.slice(0, 12)} was not activated (its workflows are invalid), so this push started nothing`,
      };
    }
    changedPaths =
      pushPayloadPaths(payload) ?? (await diff(syncer, source, String(payload.before ?? ""), sha));
  } else {
    const pr = (payload.pull_request ?? {}) as Record<string, Record<string, unknown>>;
    changedPaths = await diff(syncer, source, String(pr.base?.sha ?? ""), String(pr.head?.sha ?? ""));
  }
  result.runs = await startGitEventRuns(ctx, {
    source: source.name,
    name: event,
    payload,
    delivery: request.delivery ?? null,
    ...(changedPaths ? { changedPaths } : {}),
  });
  return result;
}

async function diff(syncer: SourceSyncer, source: SourceConfig, from: string, to: string) {
  if (!/^[0-9a-f]{40}$/.test(from) || !/^[0-9a-f]{40}$/.test(to) || /^0+$/.test(from)) return undefined;
  return syncer.cache.changedPaths(source.url, from, to);
}

/** JSON bodies, or GitHub's form encoding (`payload=<json>`). */
function parsePayload(request: VerifiedRequest): Record<string, unknown> | undefined {
  try {
    let text = request.body.toString("utf8");
    if (request.contentType?.startsWith("application/x-www-form-urlencoded"))
      text = new URLSearchParams(text).get("payload") ?? "";
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
