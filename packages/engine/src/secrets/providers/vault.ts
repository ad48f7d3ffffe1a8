import { readFile } from "node:fs/promises";
import path from "node:path";
import { ProviderError } from "../errors.js";
import type { SecretContext, SecretProvider } from "../provider.js";
import type { SecretRef } from "../ref.js";

/** Vault answers in milliseconds; a hung connection must not hold a run for the OS's TCP timeout. */
const TIMEOUT_MS = 30_000;

/**
 * `ref+vault://secret/data/app[?version=N&address=..&namespace=..]#/password`: a Vault KV secret over HTTP.
 * Address from `address` or VAULT_ADDR; token from VAULT_TOKEN, else an AppRole login with VAULT_ROLE_ID and
 * VAULT_SECRET_ID (mount VAULT_APPROLE_MOUNT, default "approle"), else ~/.vault-token as the vault CLI does.
 *
 * KV version: asked of Vault itself, as `vault kv get` does (sys/internal/ui/mounts/<path>, readable by any
 * token that may read the path). On a v2 mount, `secret/app` and `secret/data/app` both read the secret (the
 * `data/` segment is added when missing). When that lookup is denied (old Vault, narrow policy), the path decides:
 * v2 if its second segment is `data` or `?version=` is given, otherwise v1. The value is the secret's key/value
 * map (v2's `data.data`, v1's `data`).
 */
export const vaultProvider: SecretProvider = {
  name: "vault",
  async resolve(ref, ctx) {
    const address = (ref.params.address ?? ctx.env.VAULT_ADDR)?.replace(/\/+$/, "");
    if (!address) throw new ProviderError("provider", "no Vault address: set VAULT_ADDR or ?address=");
    const vault = new VaultClient(address, ref.params.namespace ?? ctx.env.VAULT_NAMESPACE, ctx.signal);
    vault.token = await token(vault, ctx);
    const secretPath = ref.path.replace(/^\/+/, "");
    const kv = await kvPath(vault, secretPath, ref);
    const query = ref.params.version ? `?version=${encodeURIComponent(ref.params.version)}` : "";
    const res = await vault.call("GET", `${kv.path}${query}`);
    if (res.status === 404) throw new ProviderError("not-found", `Vault has no secret at ${kv.path}`);
    const body = await vault.json(res, `read ${kv.path}`);
    const data = (body.data ?? {}) as Record<string, unknown>;
    const value = kv.v2 ? data.data : data;
    if (value === null || value === undefined) {
      throw new ProviderError(
        "not-found",
        `Vault secret ${kv.path} has no data (deleted or destroyed version?)`,
      );
    }
    return { value, format: "json" };
  },
};

class VaultClient {
  token?: string;
  constructor(
    readonly address: string,
    readonly namespace: string | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  async call(method: string, apiPath: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token) headers["X-Vault-Token"] = this.token;
    if (this.namespace) headers["X-Vault-Namespace"] = this.namespace;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    try {
      return await fetch(`${this.address}/v1/${apiPath}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.signal ? AbortSignal.any([this.signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new ProviderError(
        "provider",
        `cannot reach Vault at ${this.address}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** The JSON body of a 2xx answer; otherwise Vault's `errors` (messages about the request, not secrets). */
  async json(res: Response, what: string): Promise<Record<string, unknown>> {
    let body: Record<string, unknown> = {};
    try {
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      if (res.ok) throw new ProviderError("provider", `Vault's answer to ${what} is not JSON`);
    }
    if (!res.ok) {
      const errors = Array.isArray(body.errors) ? `: ${body.errors.join("; ")}` : "";
      const reason = res.status === 403 ? "permission denied" : `HTTP ${res.status}`;
      throw new ProviderError("provider", `Vault refused to ${what} (${reason}${errors})`);
    }
    return body;
  }
}

async function token(vault: VaultClient, ctx: SecretContext): Promise<string> {
  if (ctx.env.VAULT_TOKEN) return ctx.env.VAULT_TOKEN;
  const roleId = ctx.env.VAULT_ROLE_ID;
  const secretId = ctx.env.VAULT_SECRET_ID;
  if (roleId && secretId) {
    const mount = ctx.env.VAULT_APPROLE_MOUNT || "approle";
    const res = await vault.call("POST", `auth/${mount}/login`, { role_id: roleId, secret_id: secretId });
    const body = await vault.json(res, "log in with AppRole");
    const clientToken = (body.auth as { client_token?: unknown } | undefined)?.client_token;
    if (typeof clientToken !== "string")
      throw new ProviderError("provider", "Vault's AppRole login returned no token");
    return clientToken;
  }
  if (ctx.env.HOME) {
    try {
      return (await readFile(path.join(ctx.env.HOME, ".vault-token"), "utf8")).trim();
    } catch {}
  }
  throw new ProviderError(
    "provider",
    "no Vault token: set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID",
  );
}

async function kvPath(
  vault: VaultClient,
  secretPath: string,
  ref: SecretRef,
): Promise<{ path: string; v2: boolean }> {
  const res = await vault.call("GET", `sys/internal/ui/mounts/${secretPath}`);
  if (res.ok) {
    const body = (await res.json().catch(() => ({}))) as {
      data?: { path?: string; options?: { version?: string } | null };
    };
    const mount = body.data?.path;
    if (mount && secretPath.startsWith(mount)) {
      if (body.data?.options?.version !== "2") return { path: secretPath, v2: false };
      const rest = secretPath.slice(mount.length);
      return { path: rest.startsWith("data/") ? secretPath : `${mount}data/${rest}`, v2: true };
    }
  } else {
    await res.body?.cancel();
  }
  const v2 = secretPath.split("/")[1] === "data" || ref.params.version !== undefined;
  return { path: secretPath, v2 };
}
