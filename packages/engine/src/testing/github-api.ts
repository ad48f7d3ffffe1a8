import { createVerify } from "node:crypto";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Ajv, type ValidateFunction } from "ajv";
import ajvFormats from "ajv-formats";

/**
 * A stand-in for GitHub's REST API that checks every request against GitHub's published OpenAPI
 * description (npm @octokit/openapi, api.github.com): the operation must exist for the method and
 * path, the JSON body must match its schema, and a token or (for /app/ operations) a JWT signed with
 * the app's key must be sent. Requests that fail are answered 422 and kept in `violations`. It answers
 * the few operations Gantry's reporter uses with plausible bodies; GitHub itself cannot be reached here.
 */
export interface GithubApiStub {
  /** http://127.0.0.1:PORT plus the prefix (e.g. /api/v3 as GitHub Enterprise Server has). */
  url: string;
  requests: RecordedRequest[];
  violations: string[];
  /** The next `count` requests fail with `status` (a GitHub outage). */
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  operationId: string;
  body: Record<string, unknown>;
  authorization: string;
}

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  operationId: string;
  validate?: ValidateFunction;
}

let cachedSpec: { operations: Operation[]; ajv: Ajv } | undefined;

function loadSpec(): { operations: Operation[]; ajv: Ajv } {
  if (cachedSpec) return cachedSpec;
  const require = createRequire(import.meta.url);
  const spec = require("@octokit/openapi/generated/api.github.com.json") as {
    paths: Record<string, Record<string, { operationId?: string; requestBody?: unknown }>>;
  };
  // OpenAPI 3.0 schemas: `nullable` is Ajv's own keyword; examples and discriminators are not checked.
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: Node's default import is its module.exports, whose `default` is the plugin.
  ajvFormats.default(ajv);
  ajv.addSchema(spec, "github");
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(spec.paths)) {
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "([^/]+)")}$`,
    );
    for (const [method, op] of Object.entries(methods)) {
      if (!op?.operationId) continue;
      operations.push({ method: method.toUpperCase(), template, pattern, operationId: op.operationId });
    }
  }
  cachedSpec = { operations, ajv };
  return cachedSpec;
}

const pointerSegment = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

function bodyValidator(ajv: Ajv, op: Operation): ValidateFunction {
  op.validate ??= ajv.compile({
    $ref: `github#/paths/${pointerSegment(op.template)}/${op.method.toLowerCase()}/requestBody/content/application~1json/schema`,
  });
  return op.validate;
}

/** Verifies an RS256 JWT with the app's public key (PEM); returns its claims or undefined. */
function verifyJwt(token: string, publicKey: string): Record<string, unknown> | undefined {
  const [header, payload, signature] = token.split(".");
  if (!header || !payload || !signature) return undefined;
  const verifier = createVerify("RSA-SHA256");
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(publicKey, Buffer.from(signature, "base64url"))) return undefined;
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

export async function startGithubApiStub(
  options: { prefix?: string; appPublicKey?: string } = {},
): Promise<GithubApiStub> {
  const { operations, ajv } = loadSpec();
  const prefix = options.prefix ?? "";
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  let failing = 0;
  let failStatus = 502;
  let nextId = 1000;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? "/", "http://stub");
      const method = req.method ?? "GET";
      const refuse = (message: string) => {
        violations.push(`${method} ${url.pathname}: ${message}`);
        reply(422, { message });
      };
      if (!url.pathname.startsWith(prefix)) return refuse(`not under the API prefix '${prefix}'`);
      const path = url.pathname.slice(prefix.length) || "/";
      const op = operations.find((o) => o.method === method && o.pattern.test(path));
      if (!op) return refuse("no such operation in GitHub's REST API description");
      let body: Record<string, unknown> = {};
      const text = Buffer.concat(chunks).toString("utf8");
      if (text !== "") {
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          return refuse("the body is not JSON");
        }
      }
      const validate =
        text === "" && !["POST", "PATCH", "PUT"].includes(method) ? undefined : bodyValidator(ajv, op);
      if (validate && !validate(body)) {
        return refuse(`${op.operationId}: ${ajv.errorsText(validate.errors)}`);
      }
      const authorization = req.headers.authorization ?? "";
      if (op.template.startsWith("/app/")) {
        const jwt = /^bearer (.+)$/i.exec(authorization)?.[1];
        if (!jwt || !options.appPublicKey || !verifyJwt(jwt, options.appPublicKey)) {
          return refuse(`${op.operationId}: needs a JWT signed with the app's private key`);
        }
      } else if (!/^(token|bearer) \S+$/i.test(authorization)) {
        return refuse(`${op.operationId}: no token`);
      }
      requests.push({ method, path, operationId: op.operationId, body, authorization });
      if (failing > 0) {
        failing--;
        return reply(failStatus, { message: "Service unavailable (the stub's outage)" });
      }
      switch (op.operationId) {
        case "apps/create-installation-access-token":
          return reply(201, {
            token: `ghs_stub${nextId++}`,
            expires_at: new Date(Date.now() + 3600_000).toISOString(),
            permissions: { checks: "write", statuses: "write" },
            repository_selection: "all",
          });
        case "repos/create-commit-status":
          return reply(201, {
            id: nextId++,
            state: body.state,
            context: body.context,
            target_url: body.target_url ?? null,
          });
        case "checks/create":
          return reply(201, {
            id: nextId++,
            name: body.name,
            status: body.status,
            conclusion: body.conclusion ?? null,
          });
        case "checks/update":
          return reply(200, {
            id: Number(path.split("/").at(-1)),
            status: body.status,
            conclusion: body.conclusion ?? null,
          });
        default:
          return reply(200, {});
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    violations,
    failNext(count, status = 502) {
      failing = count;
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
