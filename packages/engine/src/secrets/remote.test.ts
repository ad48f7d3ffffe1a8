import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SecretError } from "./errors.js";
import { resolveSecretRef } from "./resolve.js";

// Vault, AWS Secrets Manager and Google Secret Manager, each played by a small HTTP server on 127.0.0.1 that
// implements exactly the endpoints the providers call, in the real wire formats.

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

async function serve(handler: Handler): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const servers: Server[] = [];
afterAll(async () => {
  // Clients keep connections alive; end them so close() returns now rather than after their idle timeout.
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function refused(ref: string, env: NodeJS.ProcessEnv): Promise<SecretError> {
  try {
    await resolveSecretRef(ref, { baseDir: "/", env });
  } catch (err) {
    expect(err).toBeInstanceOf(SecretError);
    return err as SecretError;
  }
  throw new Error(`${ref} resolved`);
}

describe("vault", () => {
  let vault: Awaited<ReturnType<typeof serve>>;
  let mountLookup = true;
  const tokens = new Set(["root-token", "approle-token"]);

  beforeAll(async () => {
    vault = await serve((req, body, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const route = `${req.method} ${url.pathname}`;
      if (route === "POST /v1/auth/approle/login") {
        const { role_id, secret_id } = JSON.parse(body) as { role_id: string; secret_id: string };
        if (role_id === "role-1" && secret_id === "secret-1") {
          return send(res, 200, { auth: { client_token: "approle-token", lease_duration: 3600 } });
        }
        return send(res, 400, { errors: ["invalid role or secret ID"] });
      }
      if (!tokens.has(String(req.headers["x-vault-token"])))
        return send(res, 403, { errors: ["permission denied"] });
      if (url.pathname.startsWith("/v1/sys/internal/ui/mounts/")) {
        if (!mountLookup) return send(res, 403, { errors: ["permission denied"] });
        const rest = url.pathname.slice("/v1/sys/internal/ui/mounts/".length);
        if (rest.startsWith("secret/"))
          return send(res, 200, { data: { path: "secret/", type: "kv", options: { version: "2" } } });
        if (rest.startsWith("kv/"))
          return send(res, 200, { data: { path: "kv/", type: "kv", options: null } });
        return send(res, 400, { errors: ["no mount"] });
      }
      if (route === "GET /v1/secret/data/app") {
        const version = url.searchParams.get("version") ?? "2";
        const password = version === "1" ? "old-vault-pass" : "vault-pass";
        return send(res, 200, {
          data: { data: { password, user: "app" }, metadata: { version: Number(version) } },
        });
      }
      if (route === "GET /v1/kv/app")
        return send(res, 200, { data: { password: "kv1-pass" }, lease_duration: 0 });
      return send(res, 404, { errors: [] });
    });
    servers.push(vault.server);
  });

  const env = () => ({ VAULT_ADDR: vault.url, VAULT_TOKEN: "root-token" });

  it("KV v2 through the data/ path, and through the plain path on a v2 mount", async () => {
    expect(
      await resolveSecretRef("ref+vault://secret/data/app#/password", { baseDir: "/", env: env() }),
    ).toBe("vault-pass");
    expect(await resolveSecretRef("ref+vault://secret/app", { baseDir: "/", env: env() })).toEqual({
      password: "vault-pass",
      user: "app",
    });
    expect(vault.seen.at(-1)?.url).toBe("/v1/secret/data/app");
    expect(vault.seen.at(-1)?.headers["x-vault-token"]).toBe("root-token");
  });

  it("KV v2 ?version= reads an older version", async () => {
    const ref = "ref+vault://secret/data/app?version=1#/password";
    expect(await resolveSecretRef(ref, { baseDir: "/", env: env() })).toBe("old-vault-pass");
    expect(vault.seen.at(-1)?.url).toBe("/v1/secret/data/app?version=1");
  });

  it("KV v1", async () => {
    expect(await resolveSecretRef("ref+vault://kv/app#/password", { baseDir: "/", env: env() })).toBe(
      "kv1-pass",
    );
  });

  it("without the mount lookup (denied), the path decides the KV version", async () => {
    mountLookup = false;
    try {
      expect(await resolveSecretRef("ref+vault://secret/data/app#/user", { baseDir: "/", env: env() })).toBe(
        "app",
      );
      expect(await resolveSecretRef("ref+vault://kv/app#/password", { baseDir: "/", env: env() })).toBe(
        "kv1-pass",
      );
    } finally {
      mountLookup = true;
    }
  });

  it("AppRole: logs in with VAULT_ROLE_ID/VAULT_SECRET_ID and uses the client token", async () => {
    const approle = { VAULT_ADDR: vault.url, VAULT_ROLE_ID: "role-1", VAULT_SECRET_ID: "secret-1" };
    expect(
      await resolveSecretRef("ref+vault://secret/data/app#/password", { baseDir: "/", env: approle }),
    ).toBe("vault-pass");
    const login = vault.seen.find((s) => s.url === "/v1/auth/approle/login");
    expect(JSON.parse(login!.body)).toEqual({ role_id: "role-1", secret_id: "secret-1" });
    expect(vault.seen.at(-1)?.headers["x-vault-token"]).toBe("approle-token");

    const bad = await refused("ref+vault://secret/data/app#/password", {
      ...approle,
      VAULT_SECRET_ID: "nope",
    });
    expect(bad.message).toContain(
      "Vault refused to log in with AppRole (HTTP 400: invalid role or secret ID)",
    );
  });

  it("sends VAULT_NAMESPACE as X-Vault-Namespace", async () => {
    await resolveSecretRef("ref+vault://kv/app", {
      baseDir: "/",
      env: { ...env(), VAULT_NAMESPACE: "team-a" },
    });
    expect(vault.seen.at(-1)?.headers["x-vault-namespace"]).toBe("team-a");
  });

  it("missing secret, denied token, no token, no address", async () => {
    expect((await refused("ref+vault://kv/missing", env())).reason).toBe("not-found");
    const denied = await refused("ref+vault://kv/app", { VAULT_ADDR: vault.url, VAULT_TOKEN: "wrong" });
    expect(denied.message).toContain("permission denied");
    const none = await refused("ref+vault://kv/app", { VAULT_ADDR: vault.url });
    expect(none.message).toContain("no Vault token");
    expect((await refused("ref+vault://kv/app", {})).message).toContain("no Vault address");
  });
});

describe("awssecrets", () => {
  let aws: Awaited<ReturnType<typeof serve>>;
  const secrets: Record<string, Record<string, { SecretString?: string; SecretBinary?: string }>> = {
    "app/db": {
      AWSCURRENT: { SecretString: '{"username":"admin","password":"aws-pass"}' },
      AWSPREVIOUS: { SecretString: '{"username":"admin","password":"old-aws-pass"}' },
    },
    plain: { AWSCURRENT: { SecretString: "just-text" } },
    blob: { AWSCURRENT: { SecretBinary: Buffer.from([1, 2, 3]).toString("base64") } },
  };

  beforeAll(async () => {
    // The SDK warns on Node 20 that future versions need Node 22; silenced in tests only (ENVIRONMENT.md).
    vi.stubEnv("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
    aws = await serve((req, body, res) => {
      if (req.method !== "POST" || req.headers["x-amz-target"] !== "secretsmanager.GetSecretValue") {
        return send(res, 400, { __type: "UnknownOperationException" });
      }
      const { SecretId, VersionStage } = JSON.parse(body) as { SecretId: string; VersionStage?: string };
      const found = secrets[SecretId]?.[VersionStage ?? "AWSCURRENT"];
      const json = { "Content-Type": "application/x-amz-json-1.1" };
      if (!found) {
        const type = "ResourceNotFoundException";
        return send(
          res,
          400,
          { __type: type, message: "Secrets Manager can't find the specified secret." },
          {
            ...json,
            "x-amzn-ErrorType": type,
          },
        );
      }
      return send(
        res,
        200,
        { ARN: `arn:aws:secretsmanager:eu-west-1:1:secret:${SecretId}`, Name: SecretId, ...found },
        json,
      );
    });
    servers.push(aws.server);
  });

  const env = () => ({
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "test-secret-key",
    AWS_REGION: "eu-west-1",
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
  });

  it("points into a JSON SecretString, signed with the env's credentials", async () => {
    expect(await resolveSecretRef("ref+awssecrets://app/db#/password", { baseDir: "/", env: env() })).toBe(
      "aws-pass",
    );
    const request = aws.seen.at(-1)!;
    expect(request.url).toBe("/");
    expect(JSON.parse(request.body)).toEqual({ SecretId: "app/db" });
    expect(String(request.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/secretsmanager\//,
    );
  });

  it("passes version_stage, region and endpoint from the reference", async () => {
    const ref = `ref+awssecrets://app/db?version_stage=AWSPREVIOUS&region=us-east-2&endpoint=${aws.url}#/password`;
    const { AWS_ENDPOINT_URL_SECRETS_MANAGER: _, AWS_REGION: __, ...rest } = env();
    expect(await resolveSecretRef(ref, { baseDir: "/", env: rest })).toBe("old-aws-pass");
    expect(JSON.parse(aws.seen.at(-1)!.body)).toEqual({ SecretId: "app/db", VersionStage: "AWSPREVIOUS" });
    expect(String(aws.seen.at(-1)!.headers.authorization)).toContain("/us-east-2/secretsmanager/");
  });

  it("returns plain strings and binary secrets whole", async () => {
    expect(await resolveSecretRef("ref+awssecrets://plain", { baseDir: "/", env: env() })).toBe("just-text");
    const blob = await resolveSecretRef("ref+awssecrets://blob", { baseDir: "/", env: env() });
    expect(Buffer.from(blob as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
  });

  it("a missing secret is not-found", async () => {
    const err = await refused("ref+awssecrets://nope", env());
    expect(err.reason).toBe("not-found");
    expect(err.message).toContain("ResourceNotFoundException");
  });
});

describe("gcpsecrets (the client library's REST transport against a local endpoint)", () => {
  let gcp: Awaited<ReturnType<typeof serve>>;
  const payloads: Record<string, string> = {
    "projects/proj-1/secrets/api/versions/latest": '{"key":"gcp-key"}',
    "projects/proj-1/secrets/api/versions/3": '{"key":"gcp-key-v3"}',
  };

  beforeAll(async () => {
    gcp = await serve((req, _body, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const m = /^\/v1\/(projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/:]+):access$/.exec(url.pathname);
      if (req.method !== "GET" || !m)
        return send(res, 400, { error: { code: 400, message: "bad", status: "INVALID_ARGUMENT" } });
      if (req.headers.authorization !== "Bearer test-token") {
        return send(res, 401, { error: { code: 401, message: "no auth", status: "UNAUTHENTICATED" } });
      }
      const data = payloads[m[1]!];
      if (data === undefined) {
        return send(res, 404, {
          error: { code: 404, message: `Secret Version [${m[1]}] not found.`, status: "NOT_FOUND" },
        });
      }
      return send(res, 200, { name: m[1], payload: { data: Buffer.from(data).toString("base64") } });
    });
    servers.push(gcp.server);
  });

  const env = () => ({ GOOGLE_OAUTH_ACCESS_TOKEN: "test-token", GANTRY_GCPSECRETS_ENDPOINT: gcp.url });

  it("reads the latest version and points into its JSON", async () => {
    expect(await resolveSecretRef("ref+gcpsecrets://proj-1/api#/key", { baseDir: "/", env: env() })).toBe(
      "gcp-key",
    );
    expect(await resolveSecretRef("ref+gcpsecrets://proj-1/api", { baseDir: "/", env: env() })).toBe(
      '{"key":"gcp-key"}',
    );
    expect(gcp.seen.at(-1)?.url).toMatch(/^\/v1\/projects\/proj-1\/secrets\/api\/versions\/latest:access/);
  });

  it("?version= and ?endpoint= from the reference", async () => {
    const ref = `ref+gcpsecrets://proj-1/api?version=3&endpoint=${gcp.url}#/key`;
    expect(
      await resolveSecretRef(ref, { baseDir: "/", env: { GOOGLE_OAUTH_ACCESS_TOKEN: "test-token" } }),
    ).toBe("gcp-key-v3");
  });

  it("a missing secret is not-found; a malformed path says what it expects", async () => {
    const err = await refused("ref+gcpsecrets://proj-1/missing", env());
    expect(err.reason).toBe("not-found");
    expect(err.message).toContain("not found");
    expect((await refused("ref+gcpsecrets://only-project", env())).message).toContain(
      "expected gcpsecrets://PROJECT/SECRET",
    );
  });
});
