import { describe, expect, it } from "vitest";
import { authOptionsOf, checkExposure } from "./auth.js";

describe("auth settings", () => {
  it("is local single-user mode unless auth is required or OIDC is configured", () => {
    expect(authOptionsOf(undefined, {}).mode).toBe("local");
    expect(authOptionsOf({ required: true }, {}).mode).toBe("keys");
    expect(authOptionsOf(undefined, { GANTRY_AUTH_REQUIRED: "true" }).mode).toBe("keys");
    expect(authOptionsOf({ required: true }, { GANTRY_AUTH_REQUIRED: "false" }).mode).toBe("local");
    expect(() => authOptionsOf(undefined, { GANTRY_AUTH_REQUIRED: "yes" })).toThrow(
      "GANTRY_AUTH_REQUIRED 'yes': must be true or false",
    );
    const oidc = authOptionsOf(
      {
        session_ttl: "8h",
        public_url: "https://gantry.example.com",
        oidc: {
          issuer: "https://id.example.com",
          client_id: "gantry",
          client_secret: "resolved-secret",
          roles: [{ value: "deployers", role: "operator", scope: "source:infra" }],
        },
      },
      {},
    );
    expect(oidc).toMatchObject({
      mode: "oidc",
      sessionTtlMs: 8 * 3_600_000,
      publicUrl: "https://gantry.example.com",
      oidc: {
        issuer: "https://id.example.com",
        clientId: "gantry",
        scopes: ["openid", "profile", "email"],
        roleClaim: "groups",
        roles: [{ value: "deployers", role: "operator", scope: "source:infra" }],
      },
    });
  });

  it("refuses settings that would lock everyone out or contradict each other", () => {
    expect(() => authOptionsOf({ oidc: { issuer: "https://id", client_id: "g" } }, {})).toThrow(
      /auth.oidc: set roles .* or default_role/,
    );
    expect(() =>
      authOptionsOf(
        { required: false, oidc: { issuer: "https://id", client_id: "g", default_role: "viewer" } },
        {},
      ),
    ).toThrow(/auth.required: false contradicts auth.oidc/);
    expect(() =>
      authOptionsOf(
        {
          oidc: {
            issuer: "https://id",
            client_id: "g",
            roles: [{ value: "x", role: "admin", scope: "team:x" }],
          },
        },
        {},
      ),
    ).toThrow("auth.oidc.roles[0].scope: scope 'team:x' must be source:<name> or folder:<path>");
  });

  it("serves only loopback without authentication, unless --insecure", () => {
    const local = authOptionsOf(undefined, {});
    expect(checkExposure(local, "127.0.0.1", false)).toMatch(/^local single-user mode/);
    expect(checkExposure(local, "::1", false)).toMatch(/^local single-user mode/);
    expect(() => checkExposure(local, "0.0.0.0", false)).toThrow(
      /refusing to listen on 0\.0\.0\.0 without authentication.*--insecure/,
    );
    expect(checkExposure(local, "0.0.0.0", true)).toMatch(/^WARNING: --insecure/);
    expect(checkExposure(authOptionsOf({ required: true }, {}), "0.0.0.0", false)).toMatch(/API keys/);
  });
});
