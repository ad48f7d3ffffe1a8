import type { Octokit } from "@octokit/rest";
import type { GithubSourceConfig, SecretResolver } from "../workflow-sources/config.js";

export const GITHUB_API_URL = "https://api.github.com";

/**
 * A REST client for a source's reporting: a token (commit statuses) or the GitHub App's installation
 * (check runs; @octokit/auth-app signs the app's JWT and exchanges it for installation tokens, which it
 * caches and renews). Secrets are resolved now, for this client only. The client retries nothing: the
 * reporter owns retries and their backoff. Octokit loads here, when a source first reports.
 */
export async function githubClient(github: GithubSourceConfig, resolve: SecretResolver): Promise<Octokit> {
  const { Octokit } = await import("@octokit/rest");
  const baseUrl = (github.api_url ?? GITHUB_API_URL).replace(/\/+$/, "");
  const common = { baseUrl, userAgent: "gantry", request: { retries: 0 }, log: quietLog };
  if (github.app) {
    const { createAppAuth } = await import("@octokit/auth-app");
    return new Octokit({
      ...common,
      authStrategy: createAppAuth,
      auth: {
        appId: Number(github.app.app_id),
        privateKey: await resolve(github.app.private_key),
        installationId: Number(github.app.installation_id),
      },
    });
  }
  if (!github.token) throw new Error("github: neither token nor app is set: nothing to report with");
  return new Octokit({ ...common, auth: await resolve(github.token) });
}

/** Octokit logs warnings to the console by default; the reporter reports its own errors. */
const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
