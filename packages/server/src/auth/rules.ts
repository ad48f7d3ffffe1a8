import type { KeyRole } from "./types.js";

/**
 * Who may call each route. ONE table for the whole API, keyed by `METHOD /url` exactly as the route is
 * registered (Fastify's pattern, `:param` included); HEAD uses its GET's rule. A route missing here is
 * refused to everyone but admins at run time, and `rules.test.ts` fails, so adding a route means
 * adding its line here.
 *
 * - `access`: `public` (no credentials; the route checks its own, as webhooks check signatures),
 *   `signed-in` (any role of people), the least role needed, or `agent`: agent keys only, and agent
 *   keys reach nothing else (the route checks the key's labels and the job's lease).
 * - `target`: where the workflow a request acts on comes from, for scoped principals: a route param
 *   holding a workflow name, a run id, a schedule or trigger id (`<workflow>:…`), or a source name. A scoped principal
 *   may only use routes with a target (checked against its scope) or a `list` (filtered to its scope).
 * - `list`: the response's array (`{workflows: […]}` …) is filtered to the principal's scope.
 * - `audit`: the action recorded in the audit log when the route answers 2xx.
 * - `limit`: a per-address rate limit (`login`, `webhook`).
 */
export interface Rule {
  access: "public" | "signed-in" | KeyRole;
  target?: { kind: "workflow" | "run" | "schedule" | "trigger" | "source"; param: string };
  list?: "workflows" | "runs" | "schedules" | "triggers" | "approvals" | "deployments";
  audit?: string;
  limit?: "login" | "webhook";
}

const run = { kind: "run", param: "id" } as const;
const workflow = { kind: "workflow", param: "name" } as const;
const schedule = { kind: "schedule", param: "id" } as const;
const source = { kind: "source", param: "name" } as const;
const trigger = { kind: "trigger", param: "id" } as const;

export const RULES: Record<string, Rule> = {
  // Probes and scraping stay open: load balancers and Prometheus carry no credentials.
  "GET /healthz": { access: "public" },
  "GET /readyz": { access: "public" },
  "GET /metrics": { access: "public" },
  "GET /api/v1/openapi.json": { access: "public" },

  // Signing in and out.
  "GET /auth/login": { access: "public", limit: "login" },
  "GET /auth/callback": { access: "public", limit: "login" },
  "POST /auth/key": { access: "public", limit: "login" },
  "POST /auth/logout": { access: "public" },
  "GET /auth/me": { access: "public" },

  // The web UI's files: the page itself asks /auth/me and sends people to /auth/login.
  "GET /": { access: "public" },
  "GET /*": { access: "public" },
  "GET /assets/*": { access: "public" },

  "GET /api/v1/workflows": { access: "viewer", list: "workflows" },
  "GET /api/v1/workflows/:name": { access: "viewer", target: workflow },
  "POST /api/v1/workflows/:name/runs": { access: "operator", target: workflow, audit: "run.start" },
  // Computing options may start a script or a workflow: those who may start runs.
  "GET /api/v1/workflows/:name/inputs/:input/options": { access: "operator", target: workflow },

  "GET /api/v1/runs": { access: "viewer", list: "runs" },
  "GET /api/v1/runs/:id": { access: "viewer", target: run },
  "GET /api/v1/runs/:id/logs": { access: "viewer", target: run },
  "GET /api/v1/runs/:id/children": { access: "viewer", target: run },
  "GET /api/v1/runs/:id/artifacts": { access: "viewer", target: run },
  "GET /api/v1/runs/:id/artifacts/:name": { access: "viewer", target: run },
  // A public workflow's badge is for READMEs; the route checks the role itself for the others.
  "GET /badge/:file": { access: "public" },
  "POST /api/v1/runs/:id/cancel": { access: "operator", target: run, audit: "run.cancel" },
  "POST /api/v1/runs/:id/rerun": { access: "operator", target: run, audit: "run.rerun" },
  // Approvers may be viewers named by group or address: the gate's own list decides (and audits).
  "POST /api/v1/runs/:id/approvals/:step": { access: "viewer", target: run },
  "GET /api/v1/approvals": { access: "viewer", list: "approvals" },
  "GET /api/v1/runs/:id/notifications": { access: "viewer", target: run },
  "GET /api/v1/environments": { access: "viewer" },
  "GET /api/v1/deployments": { access: "viewer", list: "deployments" },

  "GET /api/v1/schedules": { access: "viewer", list: "schedules" },
  "GET /api/v1/schedules/:id": { access: "viewer", target: schedule },
  "GET /api/v1/schedules/:id/fires": { access: "viewer", target: schedule },
  "POST /api/v1/schedules/:id/suspend": { access: "operator", target: schedule, audit: "schedule.suspend" },
  "POST /api/v1/schedules/:id/resume": { access: "operator", target: schedule, audit: "schedule.resume" },
  "POST /api/v1/schedules/:id/fire": { access: "operator", target: schedule, audit: "run.start" },

  "GET /api/v1/triggers": { access: "viewer", list: "triggers" },
  "GET /api/v1/triggers/:id": { access: "viewer", target: trigger },

  // Everything at once: scoped principals are refused (it has no single workflow to check).
  "GET /api/v1/dashboard": { access: "viewer" },
  "GET /api/v1/workers": { access: "viewer" },
  "GET /api/v1/nodes": { access: "viewer" },

  "GET /api/v1/sources": { access: "viewer" },
  "GET /api/v1/sources/:name": { access: "viewer", target: source },
  "POST /api/v1/sources/:name/sync": { access: "operator", target: source, audit: "source.sync" },

  // Converting a file reads and stores nothing: any signed-in role may.
  "POST /api/v1/import": { access: "viewer" },
  "GET /api/v1/import/features": { access: "viewer" },

  "GET /api/v1/keys": { access: "admin" },
  "POST /api/v1/keys": { access: "admin" },
  "DELETE /api/v1/keys/:id": { access: "admin" },
  "GET /api/v1/audit": { access: "admin" },

  // Agents (`gantry agent`): their queue operations, each checked against the key's worker ids and
  // labels and the job's lease (engine agent/agent-operations.ts).
  "GET /api/v1/agent/whoami": { access: "agent" },
  "GET /api/v1/agent/events": { access: "agent" },
  "GET /api/v1/agent/wait": { access: "agent" },
  "POST /api/v1/agent/register": { access: "agent" },
  "POST /api/v1/agent/claim": { access: "agent" },
  "POST /api/v1/agent/next-due": { access: "agent" },
  "POST /api/v1/agent/held": { access: "agent" },
  "POST /api/v1/agent/renew": { access: "agent" },
  "POST /api/v1/agent/cancel-requested": { access: "agent" },
  "POST /api/v1/agent/alive": { access: "agent" },
  "POST /api/v1/agent/jobs/:id/start": { access: "agent" },
  "POST /api/v1/agent/jobs/:id/sub-workflow": { access: "agent" },
  "POST /api/v1/agent/jobs/:id/finish": { access: "agent" },
  "POST /api/v1/agent/jobs/:id/release": { access: "agent" },
  "POST /api/v1/agent/jobs/:id/logs": { access: "agent" },
  "POST /api/v1/agent/jobs/:id/secrets": { access: "agent" },
  "POST /api/v1/agent/jobs/:id/bundles/:hash": { access: "agent" },
  "POST /api/v1/agent/jobs/:id/summary": { access: "agent" },
};

/**
 * Whole families of routes other parts register: every route under the prefix gets the rule.
 * Webhooks check their own signatures (and are rate-limited per address).
 */
export const PREFIX_RULES: Array<{ method: string; prefix: string; rule: Rule }> = [
  { method: "POST", prefix: "/api/v1/webhooks/", rule: { access: "public", limit: "webhook" } },
  // A workflow's own webhooks (on.webhook) check its secret or token.
  { method: "POST", prefix: "/api/v1/hooks/", rule: { access: "public", limit: "webhook" } },
  { method: "GET", prefix: "/assets/", rule: { access: "public" } },
];

/**
 * The UI's own files at the top level (`/index.html`, `/favicon.svg`, `/robots.txt`): @fastify/static
 * registers one route per file, so their names are not known here. The API has no such paths.
 */
const TOP_LEVEL_FILE = /^\/[\w.-]+\.[A-Za-z0-9]+$/;

/** The rule for a registered route, or undefined when nobody declared one. */
export function ruleFor(method: string, url: string): Rule | undefined {
  const m = method === "HEAD" ? "GET" : method;
  const exact = RULES[`${m} ${url}`];
  if (exact) return exact;
  const prefixed = PREFIX_RULES.find((p) => p.method === m && url.startsWith(p.prefix))?.rule;
  if (prefixed) return prefixed;
  return m === "GET" && TOP_LEVEL_FILE.test(url) ? { access: "public" } : undefined;
}
