import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LocalLogArchive } from "../logs/local-archive.js";
import { registerFolder } from "../service/register-folder.js";
import { runNotifications } from "../store/queries/notifications.js";
import { sqliteDatabase } from "../testing/databases.js";
import { cancelRunInUnit, createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";
import { checkCallerHeaders } from "../workflow-sources/workflow-webhook.js";
import { MAX_ATTEMPTS, NotificationSender } from "./sender.js";

const HOOK_SECRET = "hook-secret-9f2";
const SMTP_PASSWORD = "smtp-pw-41c";
const TOKEN = "s3cr3t-token-in-a-log";

const FLAKY = `
name: nightly
inputs:
  fail: {type: boolean, default: true}
  token: {type: secret}
notify:
  - on: [failure, recovery, approval_required, started]
    slack: {webhook_url: ref+env://GANTRY_TEST_SLACK_HOOK}
  - on: [failure]
    email: {to: [ops@example.com]}
  - on: [success, failure, cancelled]
    webhook: {url: ref+env://GANTRY_TEST_HOOK_URL, secret: ref+env://GANTRY_TEST_HOOK_SECRET}
steps:
  report:
    env: {FAIL: "\${{ inputs.fail }}", TOKEN: "\${{ inputs.token }}"}
    run: |
      for i in $(seq 1 30); do echo "line $i"; done
      echo "token is $TOKEN"
      if [ "$FAIL" = "true" ]; then echo "disk full" >&2; exit 3; fi
`;

const REFUSED = `
name: refused
notify:
  - on: [failure]
    webhook: {url: ref+env://GANTRY_TEST_HOOK_URL}
steps:
  deploy:
    environment: production
    run: echo never
`;

const QUIET = `
name: quiet
steps:
  ask:
    approval: {message: "ok?"}
`;

const GATED = `
name: gated
notify:
  - on: [approval_required, cancelled]
    webhook: {url: ref+env://GANTRY_TEST_HOOK_URL}
steps:
  ask:
    approval: {message: "ship it?"}
`;

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

describe("notifications", () => {
  let h: Harness;
  let http: Server;
  let smtp: SMTPServer;
  const posts: Received[] = [];
  const mails: Array<{ to: string[]; data: string; user: unknown }> = [];
  let failNext = 0;
  let sender: NotificationSender;

  beforeAll(async () => {
    h = await openHarness(await sqliteDatabase());
    http = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        if (failNext > 0) {
          failNext -= 1;
          res.writeHead(503).end();
          return;
        }
        posts.push({ path: req.url ?? "", headers: req.headers, body });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    // Mail is accepted only after AUTH with the password that gantry.yaml names by reference.
    smtp = new SMTPServer({
      allowInsecureAuth: true,
      disabledCommands: ["STARTTLS"],
      onAuth(auth, _session, callback) {
        if (auth.username === "gantry" && auth.password === SMTP_PASSWORD) callback(null, { user: "gantry" });
        else callback(new Error("wrong SMTP credentials"));
      },
      onData(stream, session, callback) {
        let data = "";
        stream.on("data", (c: Buffer) => {
          data += c.toString();
        });
        stream.on("end", () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), data, user: session.user });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    process.env.GANTRY_TEST_SLACK_HOOK = `${base}/slack/T000/B000/XXXX`;
    process.env.GANTRY_TEST_HOOK_URL = `${base}/hook`;
    process.env.GANTRY_TEST_HOOK_SECRET = HOOK_SECRET;
    process.env.GANTRY_TEST_SMTP_PASSWORD = SMTP_PASSWORD;
    h.ctx.notify = {
      defaults: [],
      smtp: {
        host: "127.0.0.1",
        port: (smtp.server.address() as AddressInfo).port,
        from: "gantry@example.com",
        user: "gantry",
        password: "ref+env://GANTRY_TEST_SMTP_PASSWORD",
      },
      publicUrl: "https://gantry.example.com/",
      baseDir: h.tmp.dir,
    };
    h.tmp.write("wf/nightly.yaml", FLAKY);
    h.tmp.write("wf/gated.yaml", GATED);
    h.tmp.write("wf/refused.yaml", REFUSED);
    h.tmp.write("wf/quiet.yaml", QUIET);
    expect((await registerFolder(h.ctx, `${h.tmp.dir}/wf`)).problems).toEqual([]);
    sender = new NotificationSender(h.ctx, {
      logArchive: new LocalLogArchive(`${h.tmp.dir}/logs`),
      pollMs: 100,
    });
  });
  afterAll(async () => {
    await sender?.stop();
    for (const name of [
      "GANTRY_TEST_SLACK_HOOK",
      "GANTRY_TEST_HOOK_URL",
      "GANTRY_TEST_HOOK_SECRET",
      "GANTRY_TEST_SMTP_PASSWORD",
    ])
      delete process.env[name];
    await new Promise((resolve) => http?.close(resolve));
    await new Promise<void>((resolve) => (smtp ? smtp.close(resolve) : resolve()));
    await h?.close();
  });
  afterEach(async () => {
    await h.stopWorkers();
  });

  it("sends a failure by Slack (Block Kit), e-mail and a signed webhook, with the last 20 log lines masked", async () => {
    await h.worker();
    const { id } = await createRunInUnit(h.ctx, { workflow: "nightly", inputs: { token: TOKEN } });
    await h.waitForRun(id, ["failed"]);
    // The run ended before anything was sent: sending never holds a run up.
    const queued = await runNotifications(h.database.db, id);
    expect(queued.map((n) => `${n.event} ${n.channel} ${n.status}`).sort()).toEqual([
      "failure email queued",
      "failure slack queued",
      "failure webhook queued",
      "started slack queued",
    ]);
    expect(queued.find((n) => n.channel === "slack")?.target).toBe("ref+env://…");
    expect(JSON.stringify(queued)).not.toContain(HOOK_SECRET);

    expect(await sender.sendDue()).toBe(4);
    const slack = posts.filter((p) => p.path.startsWith("/slack/")).map((p) => JSON.parse(p.body));
    const failure = slack.find((s) => s.text === "nightly failed");
    expect(failure.blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "nightly failed" },
    });
    expect(failure.blocks[1].text.text).toContain("Failed step: report");
    expect(failure.blocks[1].text.text).toMatch(/Duration: \d/);
    expect(failure.blocks[3].elements[0].url).toBe(`https://gantry.example.com/runs/${id}`);
    const logBlock: string = failure.blocks[2].text.text;
    expect(logBlock).toContain("line 30");
    expect(logBlock).not.toContain("line 11\n");
    expect(logBlock).toContain("disk full");
    expect(logBlock).not.toContain(TOKEN);
    expect(logBlock).toContain("token is ***");

    const hook = posts.find((p) => p.path === "/hook");
    const timestamp = hook?.headers["x-gantry-timestamp"] as string;
    const expected = createHmac("sha256", HOOK_SECRET).update(`${timestamp}.${hook?.body}`).digest("hex");
    expect(hook?.headers["x-gantry-signature-256"]).toBe(`sha256=${expected}`);
    // Gantry's own inbound hooks take these headers as they come: the signed prefix is the timestamp.
    const inbound = checkCallerHeaders(
      { name: "from-gantry", secret: HOOK_SECRET },
      HOOK_SECRET,
      hook?.headers as Record<string, string>,
      Date.now(),
    );
    expect(inbound).toEqual({ signedPrefix: `${timestamp}.` });
    const payload = JSON.parse(hook?.body ?? "{}");
    expect(payload).toMatchObject({
      event: "failure",
      run: { id, workflow: "nightly", trigger: "manual", status: "failed", failed_step: "report" },
    });
    expect(payload.log).toHaveLength(20);

    expect(mails).toHaveLength(1);
    expect(mails[0]?.to).toEqual(["ops@example.com"]);
    expect(mails[0]?.data).toContain("Subject: [Gantry] nightly failed");
    expect(mails[0]?.data).toContain("Failed step: report");
    expect(mails[0]?.data).not.toContain(TOKEN);
    expect(mails[0]?.user).toBe("gantry");
    const sent = await runNotifications(h.database.db, id);
    expect(sent.every((n) => n.status === "sent" && n.attempts === 1)).toBe(true);
  });

  it("tells of a recovery, and retries a failed send with backoff, recording the error", async () => {
    posts.length = 0;
    await h.worker();
    const { id } = await createRunInUnit(h.ctx, { workflow: "nightly", inputs: { fail: false } });
    await h.waitForRun(id, ["succeeded"]);
    const events = (await runNotifications(h.database.db, id)).map((n) => `${n.event} ${n.channel}`).sort();
    expect(events).toEqual(["recovery slack", "started slack", "success webhook"]);
    failNext = 10;
    expect(await sender.sendDue()).toBe(0);
    const failed = await runNotifications(h.database.db, id);
    expect(failed.every((n) => n.status === "queued" && n.attempts === 1)).toBe(true);
    expect(failed[0]?.last_error).toMatch(/answered 503$/);
    expect(failed[0]?.last_error).not.toContain("XXXX");
    expect(Number(failed[0]?.next_at) - Date.now()).toBeGreaterThan(3_000);
    failNext = 0;
    const now = h.ctx.now;
    h.ctx.now = () => now() + 6_000;
    try {
      expect(await sender.sendDue()).toBe(3);
    } finally {
      h.ctx.now = now;
    }
    expect(posts.map((p) => JSON.parse(p.body).text ?? JSON.parse(p.body).event).sort()).toEqual([
      "nightly recovered (succeeded after failing)",
      "nightly started",
      "success",
    ]);
  });

  it("tells of approval_required and cancelled, with the approval's message", async () => {
    posts.length = 0;
    const { id } = await createRunInUnit(h.ctx, { workflow: "gated" });
    await waitFor(async () => ((await runNotifications(h.database.db, id)).length > 0 ? true : undefined), {
      timeoutMs: 20_000,
      what: "the approval_required notification",
    });
    expect(await cancelRunInUnit(h.ctx, id)).toEqual({ status: "cancelled" });
    const queued = await runNotifications(h.database.db, id);
    expect(queued.map((n) => `${n.event} ${n.channel}`).sort()).toEqual([
      "approval_required webhook",
      "cancelled webhook",
    ]);
    expect(await sender.sendDue()).toBe(2);
    const bodies = posts.filter((p) => p.path === "/hook").map((p) => JSON.parse(p.body));
    expect(bodies.find((b) => b.event === "approval_required")).toMatchObject({
      title: "gated waits for approval",
      run: { id, status: "waiting" },
      approvals: [{ step: "ask", message: "ship it?" }],
    });
    expect(bodies.find((b) => b.event === "cancelled")).toMatchObject({
      title: "gated was cancelled",
      run: { id, status: "cancelled" },
    });
    // Unsigned without a secret.
    expect(posts.every((p) => p.headers["x-gantry-signature-256"] === undefined)).toBe(true);
  });

  it("applies gantry.yaml's defaults to a workflow without notify:", async () => {
    const notify = h.ctx.notify;
    if (!notify) throw new Error("the harness has notify settings");
    h.ctx.notify = {
      ...notify,
      defaults: [{ on: ["cancelled"], webhook: { url: "ref+env://GANTRY_TEST_HOOK_URL" } }],
    };
    try {
      const { id } = await createRunInUnit(h.ctx, { workflow: "quiet" });
      expect(await runNotifications(h.database.db, id)).toEqual([]);
      await cancelRunInUnit(h.ctx, id);
      const queued = await runNotifications(h.database.db, id);
      expect(queued.map((n) => `${n.event} ${n.channel} ${n.target}`)).toEqual([
        "cancelled webhook ref+env://…",
      ]);
      expect(await sender.sendDue()).toBe(1);
    } finally {
      h.ctx.notify = notify;
    }
  });

  it("tells of a failure when a run ends as it is created (its environment refuses the branch)", async () => {
    posts.length = 0;
    h.ctx.environments = [{ name: "production", branches: ["main"] }];
    try {
      const { id } = await createRunInUnit(h.ctx, {
        workflow: "refused",
        github: { ref: "refs/heads/feature" },
      });
      const queued = await runNotifications(h.database.db, id);
      expect(queued.map((n) => `${n.event} ${n.channel}`)).toEqual(["failure webhook"]);
      expect(await sender.sendDue()).toBe(1);
      const body = JSON.parse(posts.find((p) => p.path === "/hook")?.body ?? "{}");
      expect(body).toMatchObject({
        event: "failure",
        run: { id, status: "failed", failed_step: "deploy" },
      });
      expect(body.run.error).toContain("refuses runs from branch 'feature'");
    } finally {
      delete h.ctx.environments;
    }
  });

  it("passes over cancelled runs for a recovery, and gives a message up after its last try", async () => {
    posts.length = 0;
    await h.worker();
    const failed = await createRunInUnit(h.ctx, { workflow: "nightly" });
    await h.waitForRun(failed.id, ["failed"]);
    await h.stopWorkers();
    const cancelled = await createRunInUnit(h.ctx, { workflow: "nightly", inputs: { fail: false } });
    expect(await cancelRunInUnit(h.ctx, cancelled.id)).toEqual({ status: "cancelled" });
    await h.worker();
    const { id } = await createRunInUnit(h.ctx, { workflow: "nightly", inputs: { fail: false } });
    await h.waitForRun(id, ["succeeded"]);
    const events = (await runNotifications(h.database.db, id)).map((n) => n.event).sort();
    expect(events).toEqual(["recovery", "started", "success"]);

    // Every channel down: each message is tried MAX_ATTEMPTS times, then marked failed; the run stays
    // as it ended.
    failNext = 1_000;
    const now = h.ctx.now;
    let shift = 0;
    h.ctx.now = () => now() + shift;
    try {
      for (let i = 0; i < MAX_ATTEMPTS + 2; i++) {
        await sender.sendDue();
        shift += 700_000; // past the longest backoff
      }
    } finally {
      h.ctx.now = now;
      failNext = 0;
    }
    const given = await runNotifications(h.database.db, id);
    expect(given.map((n) => `${n.status} ${n.attempts}`)).toEqual(given.map(() => `failed ${MAX_ATTEMPTS}`));
    expect(given.every((n) => n.last_error?.endsWith("answered 503"))).toBe(true);
    expect((await h.waitForRun(id, ["succeeded"])).status).toBe("succeeded");
  });
});
