import { createCipheriv, randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openRunMasks, sealRunMasks } from "../secrets/run-masks.js";
import { type Database, migrate } from "../store/database.js";
import { withEncryptionKeyTables } from "../store/queries/encryption-key-tables.js";
import { listEncryptionKeys } from "../store/queries/encryption-keys-list.js";
import { getRun } from "../store/queries/get-run.js";
import { createRunInUnit } from "../testing/operations.js";
import { type Harness, openHarness } from "../testing/service-harness.js";
import type { ServiceContext } from "./context.js";
import { checkEncryptionKey, EncryptionKeyMismatch, rotateEncryptionKey } from "./encryption-keys.js";
import { registerFolder } from "./register-folder.js";
import { runInfo } from "./run-record.js";
import { SecretBox, shortFingerprint } from "./secret-box.js";
import { SECRET } from "./service-suite.js";

const key = () => randomBytes(32);

/**
 * One encryption key per deployment, on each store: `encryption-keys.test.ts` (SQLite) and
 * `encryption-keys.services.test.ts` (PostgreSQL). Runs are made by the real createRun, so their secret
 * inputs are sealed the way a server seals them.
 */
export function describeEncryptionKeys(name: string, open: () => Promise<Database>): void {
  describe(`the deployment's encryption key on ${name}`, () => {
    let h: Harness;
    const clearKeys = () => withEncryptionKeyTables(h.database.db).deleteFrom("encryption_keys").execute();

    beforeAll(async () => {
      h = await openHarness(await open());
      h.tmp.write("wf/secret.yaml", SECRET);
      expect((await registerFolder(h.ctx, `${h.tmp.dir}/wf`)).problems).toEqual([]);
    });
    afterAll(async () => {
      await h?.close();
    });
    afterEach(async () => {
      await h.reset();
      await clearKeys();
    });

    const ctxWith = (box: SecretBox): ServiceContext => ({ ...h.ctx, box });
    const secretRun = async (box: SecretBox, token: string) =>
      (await createRunInUnit(ctxWith(box), { workflow: "secret", inputs: { token } })).id;

    it("records the first process's key, then refuses a process with another key, naming both", async () => {
      const raw = key();
      const a = new SecretBox(raw);
      expect(await checkEncryptionKey(h.database.db, a, 1000)).toEqual({
        recorded: true,
        current: a.fingerprint,
      });
      // The same key again (another process): accepted, nothing new recorded.
      expect(await checkEncryptionKey(h.database.db, new SecretBox(Buffer.from(raw)), 2000)).toEqual({
        recorded: false,
        current: a.fingerprint,
      });
      const b = new SecretBox(key());
      const error = await checkEncryptionKey(h.database.db, b, 3000).catch((e: Error) => e);
      expect(error).toBeInstanceOf(EncryptionKeyMismatch);
      expect((error as Error).message).toContain("GANTRY_ENCRYPTION_KEY is not this deployment's key");
      expect((error as Error).message).toContain(shortFingerprint(a.fingerprint));
      expect((error as Error).message).toContain(shortFingerprint(b.fingerprint));
      expect((await listEncryptionKeys(h.database.db)).map((k) => k.fingerprint)).toEqual([a.fingerprint]);
    });

    it("never stores a key, only its fingerprint", async () => {
      const raw = key();
      await checkEncryptionKey(h.database.db, new SecretBox(raw), 1000);
      const rows = JSON.stringify(await listEncryptionKeys(h.database.db));
      expect(rows).not.toContain(raw.toString("base64"));
      expect(rows).not.toContain(raw.toString("hex"));
    });

    it("rotates: old runs' secret inputs and ::add-mask:: values stay readable with the new key alone, and the old key can no longer start", async () => {
      const oldKey = key();
      const newKey = key();
      const old = new SecretBox(oldKey);
      await checkEncryptionKey(h.database.db, old, 1000);
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await secretRun(old, `token-${i}`));
      // Two runs' steps registered values with ::add-mask:: (sealed with OLD as well).
      for (const id of ids.slice(0, 2))
        await h.database.db
          .updateTable("runs")
          .set({ masked_values: sealRunMasks(null, [`mask-of-${id}`], old) as string })
          .where("id", "=", id)
          .execute();

      // Step 1 of the guide's procedure: every process gets OLD,NEW (still sealing with OLD).
      await checkEncryptionKey(h.database.db, new SecretBox([oldKey, newKey]), 2000);
      // Step 2: NEW,OLD: sealing with NEW before the rotation is allowed, and both stay readable.
      const both = new SecretBox([newKey, oldKey]);
      await checkEncryptionKey(h.database.db, both, 3000);
      ids.push(await secretRun(both, "token-5"));

      const progress: number[] = [];
      const result = await rotateEncryptionKey(h.database.db, both, 4000, (p) => progress.push(p.resealed));
      expect(result).toEqual({ resealed: 7, retired: [old.fingerprint] });
      expect(progress.at(-1)).toBe(7);

      const fresh = new SecretBox(newKey);
      for (const [i, id] of ids.entries()) {
        const row = (await getRun(h.database.db, id))!;
        expect(fresh.sealedWithCurrentKey(row.secret_inputs!)).toBe(true);
        expect(runInfo(row, fresh).inputs).toEqual({ token: `token-${i}`, user: "ci" });
        expect(openRunMasks(row.masked_values, fresh)).toEqual(i < 2 ? [`mask-of-${id}`] : []);
        if (row.masked_values) expect(fresh.sealedWithCurrentKey(row.masked_values)).toBe(true);
      }
      expect(await checkEncryptionKey(h.database.db, fresh, 5000)).toEqual({
        recorded: false,
        current: fresh.fingerprint,
      });
      const stale = await checkEncryptionKey(h.database.db, old, 6000).catch((e: Error) => e);
      expect((stale as Error).message).toMatch(/retired on 1970-01-01T00:00:04Z/);
      // OLD first (sealing with a retired key) is refused even though the ring holds NEW.
      const backwards = await checkEncryptionKey(h.database.db, new SecretBox([oldKey, newKey]), 7000).catch(
        (e: Error) => e,
      );
      expect((backwards as Error).message).toMatch(/first key .* was retired .*put it first/);

      // A second rotation with nothing left to do changes nothing.
      expect(await rotateEncryptionKey(h.database.db, fresh, 8000)).toEqual({ resealed: 0, retired: [] });
    });

    it("refuses a rotation whose key ring lacks the current key, and changes nothing", async () => {
      const current = new SecretBox(key());
      await checkEncryptionKey(h.database.db, current, 1000);
      const id = await secretRun(current, "kept");
      const before = (await getRun(h.database.db, id))!.secret_inputs;
      await expect(rotateEncryptionKey(h.database.db, new SecretBox(key()), 2000)).rejects.toThrow(
        /does not hold the deployment's current key .*NEW,CURRENT/,
      );
      expect((await getRun(h.database.db, id))!.secret_inputs).toBe(before);
      expect((await listEncryptionKeys(h.database.db)).map((k) => [k.fingerprint, k.retired_at])).toEqual([
        [current.fingerprint, null],
      ]);
    });

    it("stops a rotation at a value no key in the ring opens, naming the run; the rest stays readable", async () => {
      const a = key();
      const stray = new SecretBox(key());
      await checkEncryptionKey(h.database.db, new SecretBox(a), 1000);
      const good = await secretRun(new SecretBox(a), "good");
      const bad = await secretRun(stray, "unreadable");
      const ring = new SecretBox([key(), a]);
      const error = await rotateEncryptionKey(h.database.db, ring, 2000).catch((e: Error) => e);
      expect((error as Error).message).toContain(`run ${bad}`);
      expect((error as Error).message).toContain(shortFingerprint(stray.fingerprint));
      expect(runInfo((await getRun(h.database.db, good))!, ring).inputs).toMatchObject({ token: "good" });
    });

    it("on the first start of a store with secrets sealed before keys were recorded, checks the key opens them", async () => {
      const a = key();
      // A value in the old format (no key id), as stores made before this version hold.
      const id = await secretRun(new SecretBox(a), "before");
      await h.database.db
        .updateTable("runs")
        .set({ secret_inputs: sealV1(a, JSON.stringify({ token: "before" })) })
        .where("id", "=", id)
        .execute();
      const wrong = await checkEncryptionKey(h.database.db, new SecretBox(key()), 1000).catch(
        (e: Error) => e,
      );
      expect((wrong as Error).message).toMatch(/cannot open the secret inputs already in the store/);
      expect(await listEncryptionKeys(h.database.db)).toEqual([]);
      const right = new SecretBox(a);
      expect((await checkEncryptionKey(h.database.db, right, 2000)).recorded).toBe(true);
      expect(runInfo((await getRun(h.database.db, id))!, right).inputs).toMatchObject({ token: "before" });
      // The rotation re-seals old-format values too.
      expect((await rotateEncryptionKey(h.database.db, new SecretBox([key(), a]), 3000)).resealed).toBe(1);
    });

    it("lets exactly one of several first starts with different keys record its key", async () => {
      const boxes = [1, 2, 3, 4].map(() => new SecretBox(key()));
      const results = await Promise.allSettled(
        boxes.map((box) => checkEncryptionKey(h.database.db, box, 1000)),
      );
      const current = (await listEncryptionKeys(h.database.db)).filter((k) => k.retired_at === null);
      expect(current).toHaveLength(1);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(results.filter((r) => r.status === "rejected")).toHaveLength(3);
    });

    it("keeps the table through a second migration run", async () => {
      await checkEncryptionKey(h.database.db, new SecretBox(key()), 1000);
      expect(await migrate(h.database)).toEqual([]);
      expect(await listEncryptionKeys(h.database.db)).toHaveLength(1);
    });
  });
}

/** A value sealed the way versions before key ids did: `v1.<iv>.<tag>.<data>`. */
function sealV1(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), data]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}
