import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../testing/databases.js";
import type { Database } from "../database.js";
import { insertAudit } from "./audit-insert.js";
import { listAudit } from "./audit-list.js";
import { insertLogin, takeLogin } from "./auth-logins.js";
import { deleteExpiredSessions, deleteSession, getSession, insertSession } from "./auth-sessions.js";
import { findApiKeyByHash } from "./keys-find.js";
import { insertApiKey } from "./keys-insert.js";
import { listApiKeys } from "./keys-list.js";
import { countLiveKeysNamed, revokeApiKey } from "./keys-revoke.js";
import { touchApiKey } from "./keys-touch.js";

// The same queries the SQLite tests of packages/server drive, on PostgreSQL (migration 0005 included).
describe("auth queries on PostgreSQL", () => {
  let database: Database;
  beforeAll(async () => {
    database = await postgresDatabase();
  });
  afterAll(() => database?.close());

  it("stores keys by hash, records use at most once a minute, revokes by id or name", async () => {
    const db = database.db;
    const key = {
      id: "k1",
      name: "ci",
      role: "operator",
      scope: null,
      hash: "h1",
      hint: "gantry_abcd…",
      created_by: "local",
      created_at: 1_000,
      expires_at: 9_000_000_000_000,
      last_used_at: null,
      revoked_at: null,
      labels_json: null,
    };
    await insertApiKey(db, key);
    expect(await findApiKeyByHash(db, "h1")).toEqual(key);
    await touchApiKey(db, "k1", 5_000, 60_000);
    await touchApiKey(db, "k1", 6_000, 60_000);
    expect((await findApiKeyByHash(db, "h1"))?.last_used_at).toBe(5_000);
    await touchApiKey(db, "k1", 70_000, 60_000);
    expect((await findApiKeyByHash(db, "h1"))?.last_used_at).toBe(70_000);
    expect(await countLiveKeysNamed(db, "ci")).toBe(1);
    expect(await revokeApiKey(db, "ci", 80_000)).toEqual({ id: "k1", name: "ci" });
    expect(await revokeApiKey(db, "k1", 90_000)).toBeUndefined();
    expect((await listApiKeys(db))[0]?.revoked_at).toBe(80_000);
  });

  it("keeps sessions until they expire, and takes a pending login once", async () => {
    const db = database.db;
    const session = {
      id_hash: "s1",
      subject: "olga",
      name: "Olga",
      email: null,
      role: "operator",
      scope: "source:infra",
      csrf: "c",
      id_token: null,
      groups_json: null,
      created_at: 1_000,
      expires_at: 2_000,
    };
    await insertSession(db, session);
    expect(await getSession(db, "s1", 1_500)).toEqual(session);
    expect(await getSession(db, "s1", 2_000)).toBeUndefined();
    expect(await deleteExpiredSessions(db, 2_000)).toBe(1);
    await insertSession(db, { ...session, id_hash: "s2", expires_at: 10_000 });
    expect((await deleteSession(db, "s2"))?.subject).toBe("olga");

    await insertLogin(db, { state: "st", code_verifier: "v", nonce: "n", return_to: "/", expires_at: 5_000 });
    expect(await takeLogin(db, "st", 4_000)).toMatchObject({ code_verifier: "v" });
    expect(await takeLogin(db, "st", 4_000)).toBeUndefined();
  });

  it("lists the audit log newest first, with filters and paging", async () => {
    const db = database.db;
    for (const [i, action] of ["run.start", "run.cancel", "run.start"].entries()) {
      await insertAudit(db, {
        at: 1_000 + i,
        actor: "key:k1",
        actor_name: "ci",
        action,
        target: "hello",
        detail_json: null,
        ip: "127.0.0.1",
      });
    }
    const all = await listAudit(db, { limit: 10 });
    expect(all.map((e) => e.at)).toEqual([1_002, 1_001, 1_000]);
    expect(typeof all[0]?.id).toBe("number");
    expect((await listAudit(db, { limit: 10, action: "run.start" })).length).toBe(2);
    expect((await listAudit(db, { limit: 10, before: all[0]?.id })).map((e) => e.at)).toEqual([1_001, 1_000]);
  });
});
