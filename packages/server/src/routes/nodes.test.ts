import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NodeInventory } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";

describe("GET /api/v1/nodes", () => {
  const files = mkdtempSync(path.join(os.tmpdir(), "gantry-nodes-files-"));
  let stack: TestApp;
  let hostFingerprint: string;

  beforeAll(async () => {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(files, "host")]);
    const hostKey = readFileSync(path.join(files, "host.pub"), "utf8");
    hostFingerprint = execFileSync("ssh-keygen", ["-l", "-f", path.join(files, "host.pub")], {
      encoding: "utf8",
    }).split(" ")[1] as string;
    writeFileSync(path.join(files, "hosts.ini"), "[db]\ndb-1 ansible_host=10.0.1.5 ansible_user=postgres\n");
    const nodes = new NodeInventory({
      baseDir: files,
      entries: [
        { file: "hosts.ini" },
        {
          name: "web-1",
          host: "10.0.0.11",
          user: "deploy",
          tags: ["web", "eu"],
          attributes: { env: "prod" },
          ssh_key: "ref+file:///etc/gantry/web.key",
          host_key: hostKey,
        },
        { name: "web-2", port: 2222, tags: ["web", "us"], password: "ref+env://WEB2_PASSWORD" },
        { name: "bad", password: "in clear" },
      ],
    });
    stack = await openTestApp("gantry-nodes-", {}, { nodes });
  });

  afterAll(async () => {
    await stack.close();
    rmSync(files, { recursive: true, force: true });
  });

  it("lists every node with its origin and fingerprints, never a secret", async () => {
    const res = await stack.app.inject({ url: "/api/v1/nodes" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(3);
    expect(body.nodes).toEqual([
      {
        name: "db-1",
        host: "10.0.1.5",
        port: 22,
        user: "postgres",
        tags: ["db"],
        attributes: {},
        auth: "none",
        host_keys: [],
        origin: path.join(files, "hosts.ini"),
      },
      {
        name: "web-1",
        host: "10.0.0.11",
        port: 22,
        user: "deploy",
        tags: ["web", "eu"],
        attributes: { env: "prod" },
        auth: "key",
        host_keys: [{ type: "ssh-ed25519", fingerprint: hostFingerprint }],
        origin: "gantry.yaml",
      },
      expect.objectContaining({ name: "web-2", port: 2222, user: null, auth: "password" }),
    ]);
    expect(JSON.stringify(body.nodes)).not.toMatch(/ref\+|web\.key|WEB2_PASSWORD/);
    expect(res.body).not.toContain("in clear");
    expect(body.problems).toEqual([
      expect.stringMatching(/^gantry\.yaml: nodes\.3\.password: password: must be a secret reference/),
    ]);
  });

  it("filters with a selector, and says where a bad one goes wrong", async () => {
    const res = await stack.app.inject({
      url: `/api/v1/nodes?filter=${encodeURIComponent("tags:web and not tags:us")}`,
    });
    expect(res.json().nodes.map((n: { name: string }) => n.name)).toEqual(["web-1"]);
    const bad = await stack.app.inject({ url: `/api/v1/nodes?filter=${encodeURIComponent("tags:web eu")}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: "filter: expected 'and' or 'or' before 'eu' (there is no implicit 'and') (column 10)",
      errors: [
        {
          field: "filter",
          message: "filter: expected 'and' or 'or' before 'eu' (there is no implicit 'and') (column 10)",
        },
      ],
    });
  });
});
