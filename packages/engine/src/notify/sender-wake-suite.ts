import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LocalLogArchive } from "../logs/local-archive.js";
import { registerFolder } from "../service/register-folder.js";
import type { Database } from "../store/database.js";
import { runNotifications } from "../store/queries/notifications.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import { waitFor } from "../testing/wait-for.js";
import { backoffMs, NotificationSender } from "./sender.js";

// An approval is asked for as the run is created: its message is queued with no worker involved.
const GATED = `
name: gated
notify:
  - on: [approval_required]
    webhook: {url: ref+env://GANTRY_TEST_WAKE_HOOK_URL}
steps:
  ask:
    approval: {message: "ship it?"}
`;

/**
 * The sender's wake-ups, on SQLite (in-process) and on Postgres (NOTIFY with the run's transaction):
 * messages go out when queued and retries when their backoff ends, with the fallback poll far away.
 */
export function senderWakeSuite(open: () => Promise<Database>): void {
  let h: Harness;
  let http: Server;
  const arrivals: number[] = [];
  let failNext = 0;

  beforeAll(async () => {
    h = await openHarness(await open());
    http = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        arrivals.push(Date.now());
        res.writeHead(failNext-- > 0 ? 503 : 200).end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    process.env.GANTRY_TEST_WAKE_HOOK_URL = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`;
    h.tmp.write("wf/gated.yaml", GATED);
    expect((await registerFolder(h.ctx, `${h.tmp.dir}/wf`)).problems).toEqual([]);
  });
  afterAll(async () => {
    delete process.env.GANTRY_TEST_WAKE_HOOK_URL;
    await new Promise((resolve) => http?.close(resolve));
    await h?.close();
  });

  it("sends a message when its run queues it, and again when its retry is due, without polling", async () => {
    const sender = new NotificationSender(h.ctx, {
      logArchive: new LocalLogArchive(`${h.tmp.dir}/logs`),
      pollMs: 600_000,
    });
    sender.start();
    try {
      // The first look (at start) finds nothing; from then on only wake-ups and retries can send.
      failNext = 1;
      const created = Date.now();
      const { id } = await createRunInUnit(h.ctx, { workflow: "gated" });
      await waitFor(async () => (await runNotifications(h.database.db, id))[0]?.status === "sent", {
        what: "the message to be sent on its second try",
        timeoutMs: 60_000,
      });
      expect(arrivals).toHaveLength(2);
      // Tried at once (the wake-up), then not before the backoff ended.
      expect((arrivals[0] as number) - created).toBeLessThan(backoffMs(1));
      expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(backoffMs(1) - 50);
      expect((await runNotifications(h.database.db, id))[0]?.attempts).toBe(2);
    } finally {
      await sender.stop();
    }
  });

  it("finds a message whose wake-up was lost with its poll", async () => {
    // A sender that hears no wake-up: only its poll can find the message.
    const deaf = { ...h.ctx, notifier: { ...h.ctx.notifier, subscribe: () => () => {} } };
    const sender = new NotificationSender(deaf, {
      logArchive: new LocalLogArchive(`${h.tmp.dir}/logs`),
      pollMs: 300,
    });
    sender.start();
    try {
      failNext = 0;
      const { id } = await createRunInUnit(h.ctx, { workflow: "gated" });
      await waitFor(async () => (await runNotifications(h.database.db, id))[0]?.status === "sent", {
        what: "the poll to send the message",
        timeoutMs: 30_000,
      });
    } finally {
      await sender.stop();
    }
  });
}
