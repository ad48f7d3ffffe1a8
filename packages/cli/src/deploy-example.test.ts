import { createHmac } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gantry, repo, startGantryUp } from "./testing/gantry-process.js";

const NOTIFY_SECRET = "notify-secret-31";

/**
 * examples/deploy.yaml end to end through `gantry up`: plan, an approval with a ticket number that
 * outlives a restart of gantry up, the protected environment's own approval and secret, and a
 * notification when a deploy is rejected.
 */
describe("the deploy example", () => {
  let dir: string;
  let receiver: Server;
  const hooks: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
  let up: Awaited<ReturnType<typeof startGantryUp>> | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-deploy-"));
    copyFileSync(path.join(repo, "examples/deploy.yaml"), path.join(dir, "deploy.yaml"));
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        hooks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    writeFileSync(
      path.join(dir, "gantry.yaml"),
      [
        "server: {public_url: https://gantry.example.com}",
        "environments:",
        "  - name: production",
        "    approvers: {roles: [admin]}",
        "    secrets: {DEPLOY_TOKEN: ref+env://DEPLOY_TOKEN}",
        "",
      ].join("\n"),
    );
    env = {
      DEPLOY_TOKEN: "tok-0123456789",
      DEPLOY_NOTIFY_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/gantry`,
      DEPLOY_NOTIFY_SECRET: NOTIFY_SECRET,
    };
  }, 30_000);

  afterAll(async () => {
    await up?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const start = () => startGantryUp(["--dir", dir, "--data", path.join(dir, "data")], dir, env);
  const api = async (url: string, route: string, init: RequestInit = {}) => {
    const res = await fetch(`${url}${route}`, {
      ...init,
      headers: { "content-type": "application/json", ...(init.headers ?? {}) },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const runIn = (url: string, id: string, statuses: string[]) =>
    until(
      async () => {
        const { body } = await api(url, `/api/v1/runs/${id}`);
        return statuses.includes(body.status as string) ? body : undefined;
      },
      `run ${id} to be ${statuses.join(" or ")}`,
    );
  const hooksFor = (event: string) =>
    hooks.filter((h) => h.headers["x-gantry-event"] === event).map((h) => JSON.parse(h.body));

  it("waits for approval across a restart of gantry up, then deploys with the environment's secret", async () => {
    up = await start();
    const created = await api(up.url, "/api/v1/workflows/deploy/runs", {
      method: "POST",
      body: JSON.stringify({ inputs: { version: "2.0.1" } }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await runIn(up.url, id, ["waiting"]);
    const asked = await until(async () => hooksFor("approval_required")[0], "the approval_required webhook");
    expect(asked.approvals).toEqual([{ step: "approve", message: "Deploy 3 services to update to 2.0.1?" }]);
    expect(asked.run.url).toBe(`https://gantry.example.com/runs/${id}`);
    const first = hooks[0];
    const signature = createHmac("sha256", NOTIFY_SECRET)
      .update(`${first?.headers["x-gantry-timestamp"]}.${first?.body}`)
      .digest("hex");
    expect(first?.headers["x-gantry-signature-256"]).toBe(`sha256=${signature}`);

    // The run survives a restart: nothing holds it but its row.
    await up.stop();
    up = await start();
    const waiting = await runIn(up.url, id, ["waiting"]);
    expect((waiting.steps as Record<string, { status: string }>).approve?.status).toBe("waiting");
    const inbox = await api(up.url, "/api/v1/approvals");
    expect(inbox.body.approvals).toMatchObject([{ run_id: id, step: "approve", can_decide: true }]);

    const bad = await gantry(["approve", id, "approve", "--input", "ticket=12", "--server", up.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("ticket:");
    const approved = await gantry([
      "approve",
      id,
      "approve",
      "--input",
      "ticket=OPS-12",
      "--comment",
      "change window open",
      "--server",
      up.url,
    ]);
    expect(approved.stderr).toContain("approve of run");
    expect(approved.code).toBe(0);
    // The environment's own approval comes next: the deploy step has not started.
    const url = up.url;
    await until(async () => {
      const list = (await api(url, `/api/v1/approvals?run_id=${id}`)).body.approvals as Array<{
        step: string;
      }>;
      return list.some((a) => a.step === "deploy") ? true : undefined;
    }, "the environment's approval");
    expect((await gantry(["approve", id, "deploy", "--server", up.url])).code).toBe(0);
    const done = await runIn(up.url, id, ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    expect(done.outputs).toEqual({ deployed: "2.0.1", ticket: "OPS-12" });
    const log = await gantry(["logs", id, "--step", "deploy", "--server", up.url]);
    expect(log.stdout).toBe("deploying 2.0.1 under OPS-12 with a token of 14 characters\n");
    const deployments = await api(up.url, "/api/v1/deployments");
    expect(deployments.body.deployments).toMatchObject([
      {
        environment: "production",
        run_id: id,
        url: "https://prod.example.com",
        approved_by: "local",
        status: "succeeded",
      },
    ]);
  }, 180_000);

  it("notifies on failure when the deploy is rejected", async () => {
    up ??= await start();
    const created = await api(up.url, "/api/v1/workflows/deploy/runs", { method: "POST", body: "{}" });
    const id = created.body.id as string;
    await runIn(up.url, id, ["waiting"]);
    const rejected = await gantry(["reject", id, "approve", "--comment", "freeze week", "--server", up.url]);
    expect(rejected.code).toBe(0);
    const failed = await runIn(up.url, id, ["failed"]);
    expect((failed.steps as Record<string, { error?: string }>).approve?.error).toBe(
      "rejected by local: freeze week",
    );
    const failure = await until(
      async () => hooksFor("failure").find((h) => h.run.id === id),
      "the failure webhook",
    );
    expect(failure.run).toMatchObject({
      workflow: "deploy",
      failed_step: "approve",
      error: "rejected by local: freeze week",
    });
    const notifications = await api(up.url, `/api/v1/runs/${id}/notifications`);
    expect(notifications.body.notifications).toMatchObject([
      { event: "approval_required", channel: "webhook", status: "sent" },
      { event: "failure", channel: "webhook" },
    ]);
  }, 120_000);
});
