import { createRun, type Worker, withUnitOfWork } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../auth/keys.js";
import { DEFAULT_AUTH } from "../auth/types.js";
import { badgeMessage, badgeSvg } from "../badges/badge-svg.js";
import { openTestApp, startTestWorker, type TestApp } from "../testing/test-app.js";

const WORKFLOWS: Record<string, string> = {
  "open.yaml": `name: open
public: true
inputs:
  fail: {type: boolean, default: false}
steps:
  check:
    env: {FAIL: "\${{ inputs.fail }}"}
    run: '[ "$FAIL" != true ]'
`,
  "closed.yaml": "name: closed\nsteps:\n  check:\n    run: 'true'\n",
};

describe("status badges", () => {
  let stack: TestApp;
  let worker: Worker;
  let viewerKey: string;

  beforeAll(async () => {
    stack = await openTestApp("gantry-badges-", WORKFLOWS, { auth: { ...DEFAULT_AUTH, mode: "keys" } });
    worker = await startTestWorker(stack.service, stack.dir);
    viewerKey = (
      await createApiKey(
        stack.service.database.db,
        { name: "reader", role: "viewer", createdBy: "test" },
        Date.now(),
      )
    ).key;
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
  });

  async function run(workflow: string, inputs: Record<string, unknown>, branch?: string) {
    const { id } = await withUnitOfWork(stack.service, (tx) =>
      createRun(stack.service, tx, {
        workflow,
        inputs,
        ...(branch ? { github: { event_name: "push", ref: `refs/heads/${branch}`, head_ref: "" } } : {}),
      }),
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      const row = await stack.service.database.db
        .selectFrom("runs")
        .select("status")
        .where("id", "=", id)
        .executeTakeFirst();
      if (row && !["pending", "queued", "running"].includes(row.status)) return row.status;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${row?.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const badge = (url: string, key?: string) =>
    stack.app.inject({ url, ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}) });

  it("draws the newest finished run's status, per branch, for anyone when the workflow is public", async () => {
    const none = await badge("/badge/open.svg");
    expect(none.statusCode).toBe(200);
    expect(none.headers["content-type"]).toBe("image/svg+xml; charset=utf-8");
    expect(none.body).toContain("open: no runs");
    expect(await run("open", {}, "main")).toBe("succeeded");
    expect(await run("open", { fail: true }, "feature")).toBe("failed");
    expect((await badge("/badge/open.svg")).body).toContain("open: failing");
    expect((await badge("/badge/open.svg?branch=main")).body).toContain("open: passing");
    expect((await badge("/badge/open.svg?branch=feature")).body).toContain("open: failing");
    expect((await badge("/badge/open.svg?branch=other")).body).toContain("open: no runs");
  });

  it("asks for credentials for a workflow that is not public, and answers a viewer", async () => {
    expect(await run("closed", {})).toBe("succeeded");
    const anonymous = await badge("/badge/closed.svg");
    expect(anonymous.statusCode).toBe(401);
    // An unknown workflow looks the same to a stranger as a private one.
    expect((await badge("/badge/nothing-here.svg")).statusCode).toBe(401);
    const viewer = await badge("/badge/closed.svg", viewerKey);
    expect(viewer.statusCode).toBe(200);
    expect(viewer.body).toContain("closed: passing");
    expect((await badge("/badge/nothing-here.svg", viewerKey)).statusCode).toBe(404);
    expect((await badge("/badge/closed.png")).statusCode).toBe(400);
  });

  it("escapes what it draws", () => {
    const svg = badgeSvg(`<script>"x"&`, badgeMessage("failed"));
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;&quot;x&quot;&amp;");
  });
});
