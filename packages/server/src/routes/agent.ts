import type { TaskOutcome } from "@gantry/core";
import {
  type AgentIdentity,
  AgentOperations,
  MASKS_BATCH_CHARS,
  MASKS_PER_BATCH,
  MAX_MASK_CHARS,
  type store,
} from "@gantry/engine";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AgentWakeUpLog } from "../agent-wake-ups.js";
import { openSocketsOf } from "../auth/open-sockets.js";
import type { ServerContext } from "../context.js";
import { errorReply } from "./schemas.js";

/** Every agent request but a log batch and a result is small. */
const SMALL_BODY = 16 * 1024;
/**
 * A log batch: up to 2000 lines (a line of a step is cut at 64 KiB by the runners, most are short),
 * and the `::add-mask::` values printed since the last batch (the agent keeps their JSON within MASKS_BATCH_CHARS).
 */
const LOG_BODY = 4 * 1024 * 1024 + MASKS_BATCH_CHARS;
/** A result: its outputs (at most 1 MiB together) and the secrets the step knew, for masking. */
const FINISH_BODY = 2 * 1024 * 1024;
const SUMMARY_BODY = 1024 * 1024 + 4096;
/** The longest a long-poll waits for a wake-up. */
const MAX_WAIT_MS = 60_000;
/** Pings keep the WebSocket of an idle agent open through proxies, and tell a dead one. */
const PING_MS = 10_000;

const workerId = { type: "string", minLength: 1, maxLength: 300 } as const;
const epochMs = { type: "number" } as const;
const jobParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "integer", minimum: 1 } },
} as const;
const workerBody = {
  type: "object",
  required: ["workerId"],
  additionalProperties: false,
  properties: { workerId },
} as const;
const labels = { type: "array", maxItems: 100, items: { type: "string", maxLength: 200 } } as const;
const replies = { 400: errorReply, 401: errorReply, 403: errorReply, 409: errorReply } as const;

type JobRequest<B = { workerId: string }> = FastifyRequest<{
  Params: { id: number; hash?: string };
  Body: B;
}>;

/** The agent key behind a request (the auth hook let only agent keys through to these routes). */
function agentOf(request: FastifyRequest): AgentIdentity {
  const principal = request.principal;
  if (principal?.role !== "agent") throw new Error("agent route reached without an agent key");
  return { keyId: principal.id.replace(/^key:/, ""), labels: principal.labels ?? [] };
}

/**
 * `/api/v1/agent/...`: what `gantry agent` needs of the queue, over HTTP. Agent keys reach these routes
 * only (auth/rules.ts), and each operation checks the key's worker ids, labels and the job's lease
 * (engine agent/agent-operations.ts). Wake-ups come over a WebSocket (`events`) or a long-poll (`wait`).
 */
export function agentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const ops = ctx.agents ?? new AgentOperations(ctx.service);
  const notifier = ctx.service.notifier;
  const post = <B>(
    url: string,
    body: object,
    bodyLimit: number,
    handler: (
      request: FastifyRequest<{ Params: { id: number; hash?: string }; Body: B }>,
    ) => Promise<unknown>,
    params?: object,
  ) =>
    app.post<{ Params: { id: number; hash?: string }; Body: B }>(
      url,
      {
        bodyLimit,
        schema: {
          tags: ["agents"],
          summary: `Agent queue operation: ${url.replace("/api/v1/agent/", "")}`,
          body,
          ...(params ? { params } : {}),
          response: replies,
        },
      },
      handler,
    );

  app.get(
    "/api/v1/agent/whoami",
    {
      schema: {
        tags: ["agents"],
        summary: "The agent key: its id (its workers' ids start with it) and labels",
      },
    },
    async (request) => {
      const agent = agentOf(request);
      return { key_id: agent.keyId, name: request.principal?.name ?? "", labels: agent.labels };
    },
  );

  post<{ worker: Parameters<AgentOperations["register"]>[1]; version: string }>(
    "/api/v1/agent/register",
    {
      type: "object",
      required: ["worker", "version"],
      additionalProperties: false,
      properties: {
        version: { type: "string", maxLength: 100 },
        worker: {
          type: "object",
          required: ["id", "labels", "capacity", "hostname", "startedAt", "now"],
          additionalProperties: false,
          properties: {
            id: workerId,
            labels,
            capacity: { type: "integer", minimum: 1, maximum: 1000 },
            hostname: { type: "string", maxLength: 255 },
            startedAt: epochMs,
            now: epochMs,
          },
        },
      },
    },
    SMALL_BODY,
    async (request) => {
      await ops.register(agentOf(request), request.body.worker, request.body.version);
      return {};
    },
  );

  post<Parameters<AgentOperations["claim"]>[1]>(
    "/api/v1/agent/claim",
    {
      type: "object",
      required: ["workerId", "labels", "now", "leaseUntil", "limit"],
      additionalProperties: false,
      properties: {
        workerId,
        labels,
        now: epochMs,
        leaseUntil: epochMs,
        limit: { type: "integer", minimum: 0 },
      },
    },
    SMALL_BODY,
    async (request) => ({ jobs: await ops.claim(agentOf(request), request.body) }),
  );

  post("/api/v1/agent/next-due", { type: "object", additionalProperties: false }, SMALL_BODY, async () => ({
    at: (await ops.nextDue()) ?? null,
  }));

  post<{ workerId: string; leasedBeyond: number }>(
    "/api/v1/agent/held",
    {
      type: "object",
      required: ["workerId", "leasedBeyond"],
      additionalProperties: false,
      properties: { workerId, leasedBeyond: epochMs },
    },
    SMALL_BODY,
    async (request) => ({
      jobs: await ops.held(agentOf(request), request.body.workerId, request.body.leasedBeyond),
    }),
  );

  post<{ workerId: string; leaseUntil: number; jobIds: number[] }>(
    "/api/v1/agent/renew",
    {
      type: "object",
      required: ["workerId", "leaseUntil", "jobIds"],
      additionalProperties: false,
      properties: {
        workerId,
        leaseUntil: epochMs,
        jobIds: { type: "array", maxItems: 1000, items: { type: "integer" } },
      },
    },
    SMALL_BODY,
    async (request) => {
      const { workerId: id, leaseUntil, jobIds } = request.body;
      return {
        renewed: jobIds.length === 0 ? [] : await ops.renew(agentOf(request), id, leaseUntil, jobIds),
      };
    },
  );

  post<{ workerId: string; runIds: string[] }>(
    "/api/v1/agent/cancel-requested",
    {
      type: "object",
      required: ["workerId", "runIds"],
      additionalProperties: false,
      properties: {
        workerId,
        runIds: { type: "array", maxItems: 1000, items: { type: "string", maxLength: 100 } },
      },
    },
    SMALL_BODY * 4,
    async (request) => ({
      runIds: await ops.cancelRequested(agentOf(request), request.body.workerId, request.body.runIds),
    }),
  );

  post<{ workerId: string; since: number }>(
    "/api/v1/agent/alive",
    {
      type: "object",
      required: ["workerId", "since"],
      additionalProperties: false,
      properties: { workerId, since: epochMs },
    },
    SMALL_BODY,
    async (request) => ({
      alive: await ops.isAlive(agentOf(request), request.body.workerId, request.body.since),
    }),
  );

  post(
    "/api/v1/agent/jobs/:id/start",
    workerBody,
    SMALL_BODY,
    async (request: JobRequest) => ({
      started: (await ops.start(agentOf(request), request.body.workerId, request.params.id)) ?? null,
    }),
    jobParams,
  );

  post(
    "/api/v1/agent/jobs/:id/sub-workflow",
    workerBody,
    SMALL_BODY,
    async (request: JobRequest) => {
      await ops.startSubWorkflow(agentOf(request), request.body.workerId, request.params.id);
      return {};
    },
    jobParams,
  );

  post(
    "/api/v1/agent/jobs/:id/finish",
    {
      type: "object",
      required: ["workerId", "outcome"],
      additionalProperties: false,
      properties: {
        workerId,
        outcome: {
          type: "object",
          required: ["status"],
          properties: { status: { type: "string", maxLength: 40 } },
        },
        secrets: { type: "array", maxItems: 10_000, items: { type: "string" } },
        masks: { type: "array", maxItems: 10_000, items: { type: "string" } },
        take: {
          type: "object",
          required: ["labels", "leaseUntil"],
          additionalProperties: false,
          properties: { labels, leaseUntil: epochMs },
        },
      },
    },
    FINISH_BODY,
    async (
      request: JobRequest<{
        workerId: string;
        outcome: TaskOutcome;
        secrets?: string[];
        masks?: string[];
        take?: { labels: string[]; leaseUntil: number };
      }>,
    ) => {
      const { workerId: id, outcome, secrets, masks, take } = request.body;
      const next = await ops.finish(agentOf(request), id, request.params.id, outcome, {
        ...(secrets ? { secrets } : {}),
        ...(masks ? { masks } : {}),
        ...(take ? { take } : {}),
      });
      return { next: next ?? null };
    },
    jobParams,
  );

  post(
    "/api/v1/agent/jobs/:id/release",
    workerBody,
    SMALL_BODY,
    async (request: JobRequest) => {
      await ops.release(agentOf(request), request.body.workerId, request.params.id);
      return {};
    },
    jobParams,
  );

  post(
    "/api/v1/agent/jobs/:id/logs",
    {
      type: "object",
      required: ["workerId", "from", "lines"],
      additionalProperties: false,
      properties: {
        workerId,
        from: { type: "integer", minimum: 0 },
        lines: {
          type: "array",
          maxItems: 5000,
          items: {
            type: "array",
            minItems: 3,
            maxItems: 3,
            items: [{ type: "string", enum: ["stdout", "stderr"] }, { type: "number" }, { type: "string" }],
          },
        },
        // Joined to the run's masks before the lines are stored; never logged nor answered.
        masks: {
          type: "array",
          maxItems: MASKS_PER_BATCH,
          items: { type: "string", minLength: 1, maxLength: MAX_MASK_CHARS },
        },
      },
    },
    LOG_BODY,
    async (
      request: JobRequest<{ workerId: string; from: number; lines: store.AgentLogLine[]; masks?: string[] }>,
    ) =>
      ops.appendLog(
        agentOf(request),
        request.body.workerId,
        request.params.id,
        request.body.from,
        request.body.lines,
        request.body.masks,
      ),
    jobParams,
  );

  // Resolved secrets: sent only to the worker that holds the job's lease, never logged (Fastify logs
  // no bodies), and POST so that no cache or proxy keeps the answer.
  post(
    "/api/v1/agent/jobs/:id/secrets",
    workerBody,
    SMALL_BODY,
    async (request: JobRequest) => ops.secrets(agentOf(request), request.body.workerId, request.params.id),
    jobParams,
  );

  post(
    "/api/v1/agent/jobs/:id/bundles/:hash",
    workerBody,
    SMALL_BODY,
    async (request: JobRequest) => ({
      content: await ops.bundle(
        agentOf(request),
        request.body.workerId,
        request.params.id,
        (request.params as { hash: string }).hash,
      ),
    }),
    {
      type: "object",
      required: ["id", "hash"],
      properties: {
        id: { type: "integer", minimum: 1 },
        hash: { type: "string", maxLength: 64, pattern: "^[0-9a-f]{64}$" },
      },
    },
  );

  post(
    "/api/v1/agent/jobs/:id/summary",
    {
      type: "object",
      required: ["workerId", "markdown"],
      additionalProperties: false,
      properties: { workerId, markdown: { type: "string", maxLength: 1024 * 1024 } },
    },
    SUMMARY_BODY,
    async (request: JobRequest<{ workerId: string; markdown: string }>) => {
      await ops.summary(agentOf(request), request.body.workerId, request.params.id, request.body.markdown);
      return {};
    },
    jobParams,
  );

  app.get(
    "/api/v1/agent/events",
    {
      websocket: true,
      schema: { tags: ["agents"], summary: "Wake-ups as a WebSocket: jobs queued, runs cancelled" },
    },
    (socket, request) => {
      const send = (event: object) => socket.send(JSON.stringify(event));
      const offJobs = notifier.subscribe("jobs", (payload) => send({ type: "jobs", payload }));
      const offCancel = notifier.subscribe("cancel", (runId) => send({ type: "cancel", run_id: runId }));
      const ping = setInterval(() => socket.ping(), PING_MS);
      socket.on("close", () => {
        clearInterval(ping);
        offJobs();
        offCancel();
      });
      openSocketsOf(ctx).track(request.principal, socket);
    },
  );

  const wakeUps = new AgentWakeUpLog(notifier);
  app.addHook("onClose", async () => wakeUps.close());
  app.get<{ Querystring: { timeout_ms?: number; after?: string } }>(
    "/api/v1/agent/wait",
    {
      schema: {
        tags: ["agents"],
        summary:
          "Wake-ups as a long-poll, for networks that block WebSockets: those after `after` (the cursor of the last answer), waiting up to timeout_ms for one",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            timeout_ms: { type: "integer", minimum: 0, maximum: MAX_WAIT_MS },
            after: { type: "string", maxLength: 100 },
          },
        },
      },
    },
    (request, reply) => {
      // The agent went away (or its connection did): stop waiting for it.
      const closed = new Promise<void>((resolve) => reply.raw.once("close", () => resolve()));
      return wakeUps.after(request.query.after, request.query.timeout_ms ?? 25_000, closed);
    },
  );
}
