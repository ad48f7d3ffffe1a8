import path from "node:path";
import { createAgent, LocalRunner, type Worker } from "@gantry/engine";
import { createApiKey } from "../auth/keys.js";
import { DEFAULT_AUTH } from "../auth/types.js";
import { openTestApp, type TestApp } from "./test-app.js";

/** A server that takes API keys, with the given workflow files, an agent key for `linux`, and its URL. */
export async function openAgentApp(
  prefix: string,
  files: Record<string, string>,
  keyName: string,
): Promise<{ t: TestApp; url: string; key: string; keyId: string }> {
  const t = await openTestApp(prefix, files, { auth: { ...DEFAULT_AUTH, mode: "keys" } });
  const made = await createAgentKey(t, keyName, ["linux"]);
  const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
  return { t, url, ...made };
}

/** An agent key of the app's store: its agents claim jobs of these labels. */
export async function createAgentKey(
  t: TestApp,
  name: string,
  labels: string[],
): Promise<{ key: string; keyId: string }> {
  const made = await createApiKey(
    t.service.database.db,
    { name, role: "agent", labels, createdBy: "test" },
    Date.now(),
  );
  return { key: made.key, keyId: made.view.id };
}

/** A started agent that runs steps on this machine, keeping its files in the app's folder. */
export async function startAgent(
  t: TestApp,
  options: Pick<Parameters<typeof createAgent>[0], "server" | "token" | "version" | "pollMs" | "leaseMs"> &
    Partial<Parameters<typeof createAgent>[0]>,
): Promise<Worker> {
  const { worker } = await createAgent({
    runner: new LocalRunner({ killGraceMs: 500 }),
    dataDir: path.join(t.dir, "agent"),
    graceMs: 500,
    ...options,
  });
  await worker.start();
  return worker;
}
