import path from "node:path";
import { SecretBox, s3OptionsFromEnv, shortFingerprint } from "@gantry/engine";
import type { Config } from "./config.js";
import { redactUrl } from "./services.js";

/**
 * What `--check-config` prints: the settings a role would start with, after flags, GANTRY_* variables and
 * gantry.yaml were merged and references resolved, with no secret in it (the database URL without its
 * password, keys as fingerprints, source credentials as the names of their references only).
 */
export function configSummary(role: string, config: Config, options: { migrate: boolean }) {
  const s3 = s3OptionsFromEnv() ?? config.logs.s3;
  const serves = role !== "worker";
  const works = role !== "server";
  return {
    role,
    database: redactUrl(config.database ?? path.join(config.data, "gantry.db")),
    schema: options.migrate ? "migrates at start" : "waits for `gantry migrate`",
    data: config.data,
    encryption_keys: config.encryptionKey
      ? SecretBox.parse(config.encryptionKey).fingerprints.map(shortFingerprint)
      : `generated in ${path.join(config.data, "encryption.key")} on first start`,
    ...(serves ? { server: config.server, dir: config.dir ?? null, auth: authSummary(config) } : {}),
    metrics: config.metrics ?? "on the API port",
    ...(works
      ? {
          worker: {
            labels: config.worker.labels,
            runners: config.worker.runners,
            concurrency: config.worker.concurrency,
            lease_seconds: config.worker.leaseMs / 1000,
            poll_seconds: config.worker.pollMs / 1000,
            grace_seconds: config.worker.graceMs / 1000,
            ...(config.worker.kubernetes ? { kubernetes: config.worker.kubernetes } : {}),
            ...(config.worker.docker ? { docker: config.worker.docker } : {}),
          },
        }
      : {}),
    logs: s3
      ? `s3://${s3.bucket}/${s3.prefix ?? ""}${s3.endpoint ? ` at ${s3.endpoint}` : ""}`
      : path.join(config.data, "logs"),
    retention: {
      runs: config.retention.runsMs === undefined ? "forever" : `${config.retention.runsMs / 86_400_000}d`,
      logs: config.retention.logsMs === undefined ? "forever" : `${config.retention.logsMs / 86_400_000}d`,
    },
    sources: config.sources.map((s) => `${s.name} (${s.url} ${s.ref})`),
    libraries: config.libraries.map((l) => l.name),
  };
}

function authSummary(config: Config) {
  const auth = config.auth;
  return {
    mode: auth.mode,
    ...(auth.oidc ? { issuer: auth.oidc.issuer, client_id: auth.oidc.clientId } : {}),
    ...(auth.publicUrl ? { public_url: auth.publicUrl } : {}),
  };
}
