/**
 * @gantry/server: the HTTP API (Fastify) over the engine. It imports engine and core; the cli starts it.
 *
 * - app.ts: builds the app; routes/: one file per resource (schemas.ts and api-schemas.ts are the replies'
 *   JSON Schemas, from which the UI's types are generated).
 * - auth/: keys, sessions, OIDC, the central rule table every route is checked against.
 * - logs/: live logs to many followers (tails.ts, batch-cache.ts, fanout-pacer.ts) and their HTTP test.
 * - hardening/, security/, badges/, health.ts, metrics.ts, ops-server.ts: headers and body limits, the
 *   attack suite, status badges, probes and metrics.
 */
export * from "./app.js";
export * from "./auth/index.js";
export * from "./context.js";
export * from "./health.js";
export * from "./logs/tails.js";
export * from "./metrics.js";
export * from "./ops-server.js";
