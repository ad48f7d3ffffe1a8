import { approverRefusal } from "@gantry/core";
import {
  decideGate,
  type EnvironmentConfig,
  type PendingGate,
  pendingGates,
  store,
  withUnitOfWork,
} from "@gantry/engine";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { audit } from "../auth/audit.js";
import type { Principal } from "../auth/types.js";
import type { ServerContext } from "../context.js";
import { ID_LENGTH, idParams, NAME_LENGTH } from "./limits.js";
import { errorReply } from "./schemas.js";

const LIMITS = { comment: 2000, inputs: 16_384 } as const;

const pendingGate = {
  type: "object",
  additionalProperties: true,
  properties: {
    run_id: { type: "string" },
    workflow: { type: "string" },
    step: { type: "string" },
    kind: { enum: ["approval", "environment"] },
    environment: { type: ["string", "null"] },
    message: { type: ["string", "null"] },
    input_schema: { type: "object", additionalProperties: true },
    since: { type: ["string", "null"], format: "date-time" },
    expires_at: { type: ["string", "null"], format: "date-time" },
    can_decide: { type: "boolean" },
    refusal: { type: ["string", "null"], description: "Why you may not decide it" },
  },
} as const;

/** The Approvals inbox, deciding, and the environments and their deployments. */
export function approvalRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;

  app.get<{ Querystring: { run_id?: string } }>(
    "/api/v1/approvals",
    {
      schema: {
        summary: "Approvals waiting for a decision, oldest first, with whether you may decide each",
        tags: ["approvals"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { run_id: { type: "string", maxLength: 100 } },
        },
        response: {
          200: { type: "object", properties: { approvals: { type: "array", items: pendingGate } } },
        },
      },
    },
    async (request) => {
      const gates = await pendingGates(
        ctx.service,
        request.query.run_id ? { runId: request.query.run_id } : {},
      );
      return { approvals: gates.map((g) => gateView(g, request.principal)) };
    },
  );

  app.post<{
    Params: { id: string; step: string };
    Body: { decision: "approve" | "reject"; inputs?: Record<string, unknown>; comment?: string };
  }>(
    "/api/v1/runs/:id/approvals/:step",
    {
      bodyLimit: LIMITS.inputs + LIMITS.comment + 1024,
      schema: {
        summary:
          "Approve or reject a waiting approval node, or a step waiting for its environment's approval",
        tags: ["approvals"],
        params: {
          type: "object",
          properties: {
            id: { type: "string", maxLength: ID_LENGTH },
            step: { type: "string", maxLength: NAME_LENGTH },
          },
          required: ["id", "step"],
        },
        body: {
          type: "object",
          additionalProperties: false,
          required: ["decision"],
          properties: {
            decision: { enum: ["approve", "reject"] },
            inputs: { type: "object", additionalProperties: true, maxProperties: 100 },
            comment: { type: "string", maxLength: LIMITS.comment },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              run_id: { type: "string" },
              step: { type: "string" },
              decision: { type: "object", additionalProperties: true },
              inputs: { type: "object", additionalProperties: true },
              run_status: { type: "string" },
            },
          },
          400: errorReply,
          403: errorReply,
          404: errorReply,
          409: errorReply,
        },
      },
    },
    async (request) => {
      const person = deciderOf(request);
      const { body, params } = request;
      const result = await withUnitOfWork(ctx.service, (tx) =>
        decideGate(ctx.service, tx, {
          runId: params.id,
          step: params.step,
          decision: body.decision,
          ...(body.inputs ? { inputs: body.inputs } : {}),
          ...(body.comment !== undefined ? { comment: body.comment } : {}),
          person,
        }),
      );
      await audit(ctx, request, request.principal, `approval.${request.body.decision}`, request.params.id, {
        run_id: request.params.id,
        step: request.params.step,
        comment: result.decision.comment,
        inputs: result.inputs,
        run_status: result.run_status,
      });
      return result;
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/runs/:id/notifications",
    {
      schema: {
        summary: "The run's notifications: event, channel, where to, status, tries, last error",
        tags: ["approvals"],
        params: idParams,
        response: {
          200: {
            type: "object",
            properties: {
              notifications: { type: "array", items: { type: "object", additionalProperties: true } },
            },
          },
        },
      },
    },
    async (request) => {
      const rows = await store.runNotifications(db, request.params.id);
      return {
        notifications: rows.map((n) => ({
          id: n.id,
          event: n.event,
          channel: n.channel,
          target: n.target,
          status: n.status,
          attempts: n.attempts,
          last_error: n.last_error,
          created_at: new Date(Number(n.created_at)).toISOString(),
          sent_at: n.sent_at === null ? null : new Date(Number(n.sent_at)).toISOString(),
          next_at: n.status === "queued" ? new Date(Number(n.next_at)).toISOString() : null,
        })),
      };
    },
  );

  app.get(
    "/api/v1/environments",
    {
      schema: {
        summary: "The environments of gantry.yaml (secrets by name only) and their latest deployment",
        tags: ["approvals"],
        response: {
          200: {
            type: "object",
            properties: {
              environments: { type: "array", items: { type: "object", additionalProperties: true } },
            },
          },
        },
      },
    },
    async () => {
      const environments = ctx.service.environments ?? [];
      // One newest row per environment: a busy environment's history never hides a quiet one's last.
      const latest = await Promise.all(
        environments.map((env) => store.listDeployments(db, { environment: env.name, limit: 1 })),
      );
      return {
        environments: environments.map((env, i) => {
          const d = latest[i]?.[0];
          return { ...environmentView(env), last_deployment: d ? deploymentView(d) : null };
        }),
      };
    },
  );

  app.get<{ Querystring: { environment?: string; limit?: number } }>(
    "/api/v1/deployments",
    {
      schema: {
        summary:
          "Deployments newest first: environment, workflow, commit, inputs, who started and approved, result",
        tags: ["approvals"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            environment: { type: "string", maxLength: 200 },
            limit: { type: "integer", minimum: 1, maximum: 500, default: 100 },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              deployments: { type: "array", items: { type: "object", additionalProperties: true } },
            },
          },
        },
      },
    },
    async (request) => {
      const rows = await store.listDeployments(db, {
        ...(request.query.environment ? { environment: request.query.environment } : {}),
        limit: request.query.limit ?? 100,
      });
      return { deployments: rows.map(deploymentView) };
    },
  );
}

function deciderOf(request: FastifyRequest) {
  const p = request.principal as Principal;
  return { id: p.id, name: p.name, email: p.email ?? null, role: p.role, groups: p.groups ?? [] };
}

function gateView(g: PendingGate, principal: Principal | undefined) {
  const refusal = principal
    ? (approverRefusal(
        g.approvers,
        g.allow_self,
        {
          id: principal.id,
          name: principal.name,
          email: principal.email ?? null,
          role: principal.role,
          groups: principal.groups ?? [],
        },
        g.started_by ?? undefined,
      ) ?? null)
    : "not signed in";
  return {
    ...g,
    input_schema: inputSchemaOf(g),
    since: g.since === null ? null : new Date(g.since).toISOString(),
    expires_at: g.expires_at === null ? null : new Date(g.expires_at).toISOString(),
    can_decide: refusal === null,
    refusal,
  };
}

/** The approval form as JSON Schema, for the same form generator the run form uses. */
function inputSchemaOf(g: PendingGate): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(g.inputs)) {
    const { type, required: isRequired, ...rest } = spec;
    properties[name] = { ...rest, type: type === "choice" ? "string" : type };
    if (isRequired) required.push(name);
  }
  return { type: "object", properties, required };
}

function environmentView(env: EnvironmentConfig) {
  return {
    name: env.name,
    approvers: env.approvers ?? {},
    branches: env.branches ?? null,
    wait_seconds: env.waitMs ? env.waitMs / 1000 : 0,
    allow_self: env.allowSelf ?? false,
    secrets: Object.keys(env.secrets ?? {}),
    url: env.url ?? null,
  };
}

type DeploymentRow = Awaited<ReturnType<typeof store.listDeployments>>[number];

function deploymentView(row: DeploymentRow) {
  const state = store.decodeRunState(row);
  return {
    id: row.id,
    environment: row.environment,
    run_id: row.run_id,
    step: row.step,
    workflow: row.workflow,
    commit: row.commit_sha,
    url: row.url,
    inputs: store.decodeInputs(row),
    started_by: row.started_by,
    approved_by: row.approved_by,
    created_at: new Date(Number(row.created_at)).toISOString(),
    status: state?.steps?.[row.step]?.status ?? row.run_status,
    run_status: row.run_status,
  };
}
