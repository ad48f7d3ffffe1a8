import type { GitCredentials } from "../git/credentials.js";
import { isSecretRef, resolveSecretRef, type SecretProviders } from "../secrets/index.js";

/**
 * A source as gantry.yaml declares it. Credentials and the webhook secret stay references
 * (`ref+env://…`) here and are resolved at each use, so a rotated token needs no restart and no
 * secret is held longer than a sync.
 */
export interface SourceConfig {
  name: string;
  /** https://, ssh:// (or scp-like user@host:path) or file:// (or a local path). */
  url: string;
  /** Branch, tag or full commit id; default main. */
  ref: string;
  /** The folder of workflows inside the repository; default the whole repository. */
  path: string;
  /** Polling interval; 0 polls never (webhooks and POST …/sync only). */
  intervalMs: number;
  credentials?: { token?: string; username?: string; ssh_key?: string };
  github?: GithubSourceConfig;
}

/**
 * The GitHub side of a source: its webhook secret, and how results of the runs its events start are
 * reported on the commit. With `token`: commit statuses. With `app`: check runs, as the GitHub App.
 * Neither: nothing is reported. Secrets stay references, resolved at each report.
 */
export interface GithubSourceConfig {
  repository: string;
  secret: string;
  token?: string;
  app?: { app_id: number | string; private_key: string; installation_id: number | string };
  /** The REST API's base URL: https://api.github.com, or GitHub Enterprise Server's https://HOST/api/v3. */
  api_url?: string;
}

/** Where relative `ref+file://` and `ref+sops://` references in the config resolve (the config's folder). */
export type SecretResolver = (value: string) => Promise<string>;

export function secretResolver(
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
  providers?: SecretProviders,
): SecretResolver {
  return async (value) =>
    isSecretRef(value)
      ? resolveSecretRef(value, { baseDir, env, as: "string", ...(providers ? { providers } : {}) })
      : value;
}

export async function resolveCredentials(
  credentials: SourceConfig["credentials"],
  resolve: SecretResolver,
): Promise<GitCredentials | undefined> {
  if (!credentials) return undefined;
  return {
    ...(credentials.token ? { token: await resolve(credentials.token) } : {}),
    ...(credentials.username ? { username: await resolve(credentials.username) } : {}),
    ...(credentials.ssh_key ? { sshKey: await resolve(credentials.ssh_key) } : {}),
  };
}
