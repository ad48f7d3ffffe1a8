import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gantry, startGantryUp } from "../testing/gantry-process.js";

// The first admin key is made before anyone can sign in: straight in the store, printed once.
// About ten CLI runs and a `gantry up` per test: over 20 s on a loaded 2-core machine.
describe("gantry keys, and gantry up with and without authentication", { timeout: 90_000 }, () => {
  let data: string;
  const cwd = os.tmpdir(); // no gantry.yaml, no examples: only the flags count

  beforeAll(() => {
    data = mkdtempSync(path.join(os.tmpdir(), "gantry-keys-"));
  });
  afterAll(() => rmSync(data, { recursive: true, force: true }));

  it("creates, lists and revokes keys; a server requiring auth accepts a key until it is revoked", async () => {
    const created = await gantry(
      ["keys", "create", "--name", "ci", "--role", "operator", "--expires", "30d", "--data", data],
      { cwd },
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^gantry_[\w-]{43}\n$/);
    expect(created.stderr).toMatch(/created key \S+ 'ci' \(operator, expires 20\d\d-/);
    const key = created.stdout.trim();

    const admin = (
      await gantry(["keys", "create", "--name", "root", "--role", "admin", "--data", data], { cwd })
    ).stdout.trim();

    const list = await gantry(["keys", "list", "--json", "--data", data], { cwd });
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(key);
    const { keys } = JSON.parse(list.stdout) as {
      keys: Array<{ name: string; role: string; state: string }>;
    };
    expect(keys.map((k) => [k.name, k.role, k.state]).sort()).toEqual([
      ["ci", "operator", "active"],
      ["root", "admin", "active"],
    ]);
    const table = await gantry(["keys", "list", "--data", data], { cwd });
    expect(table.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+SCOPE\s+STATE/);

    const up = await startGantryUp(["--data", data], cwd, { GANTRY_AUTH_REQUIRED: "true" });
    try {
      expect((await fetch(`${up.url}/api/v1/runs`)).status).toBe(401);
      const auth = { authorization: `Bearer ${key}` };
      expect((await fetch(`${up.url}/api/v1/runs`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${up.url}/api/v1/keys`, { headers: auth })).status).toBe(403);
      const me = (await (await fetch(`${up.url}/auth/me`, { headers: auth })).json()) as Record<
        string,
        unknown
      >;
      expect(me).toMatchObject({ name: "ci", role: "operator", auth_mode: "keys", kind: "key" });

      // Client commands send $GANTRY_API_KEY; without it they say how to get one.
      const env = { GANTRY_URL: up.url };
      const anonymous = await gantry(["schedules", "list"], { cwd, env });
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toContain("401");
      expect(anonymous.stderr).toContain("set GANTRY_API_KEY");
      const listed = await gantry(["schedules", "list", "--json"], {
        cwd,
        env: { ...env, GANTRY_API_KEY: key },
      });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual({ schedules: [] });
      const noRun = await gantry(["logs", "nope"], { cwd, env: { ...env, GANTRY_API_KEY: key } });
      expect(noRun.stderr).toContain("404");

      const revoked = await gantry(["keys", "revoke", "ci", "--data", data], { cwd });
      expect(revoked.code).toBe(0);
      expect(revoked.stderr).toMatch(/revoked key \S+ 'ci'/);
      expect((await fetch(`${up.url}/api/v1/runs`, { headers: auth })).status).toBe(401);

      // The audit log (admins only) has the revocation made from the CLI.
      const audit = (await (
        await fetch(`${up.url}/api/v1/audit`, { headers: { authorization: `Bearer ${admin}` } })
      ).json()) as { entries: Array<{ action: string; detail: { name?: string } }> };
      expect(audit.entries[0]).toMatchObject({ action: "key.revoke", detail: { name: "ci" } });
    } finally {
      await up.stop();
    }

    const again = await gantry(["keys", "revoke", "ci", "--data", data], { cwd });
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe("gantry: no live API key with id or name 'ci'");
  });

  it("names what is wrong in a bad create", async () => {
    const role = await gantry(["keys", "create", "--name", "x", "--role", "root", "--data", data], { cwd });
    expect(role.code).toBe(2);
    expect(role.stderr.trim()).toBe("gantry: --role 'root': must be one of viewer, operator, admin, agent");
    const expires = await gantry(
      ["keys", "create", "--name", "x", "--role", "viewer", "--expires", "soon", "--data", data],
      { cwd },
    );
    expect(expires.code).toBe(2);
    expect(expires.stderr).toMatch(/^gantry: --expires: invalid duration 'soon'/);
    const labels = await gantry(
      ["keys", "create", "--name", "x", "--role", "operator", "--labels", "gpu", "--data", data],
      { cwd },
    );
    expect(labels.code).toBe(2);
    expect(labels.stderr.trim()).toBe("gantry: labels are for agent keys only (--role agent)");
  });

  it("creates an agent key with its labels", async () => {
    const created = await gantry(
      ["keys", "create", "--name", "builder", "--role", "agent", "--labels", "linux,gpu", "--data", data],
      { cwd },
    );
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/created key \S+ 'builder' \(agent, labels linux,gpu\)/);
    const list = await gantry(["keys", "list", "--json", "--data", data], { cwd });
    const { keys } = JSON.parse(list.stdout) as {
      keys: Array<{ name: string; role: string; labels: string[] }>;
    };
    expect(keys.find((k) => k.name === "builder")).toMatchObject({ role: "agent", labels: ["linux", "gpu"] });
  });

  it("serves only 127.0.0.1 without authentication, and refuses another address unless --insecure", async () => {
    const local = await startGantryUp(["--data", data], cwd);
    try {
      expect((await fetch(`${local.url}/api/v1/keys`)).status).toBe(200); // the local user is admin
    } finally {
      await local.stop();
    }
    const refused = await gantry(["up", "--data", data, "--host", "0.0.0.0", "--port", "0"], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without authentication/);
    expect(refused.stderr).toMatch(/--insecure/);

    const insecure = await startGantryUp(["--data", data, "--host", "0.0.0.0", "--insecure"], cwd);
    await insecure.stop();
  });
});
