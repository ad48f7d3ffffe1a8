import type { Db } from "./types.js";

// Two queries on one small table; kept together because each is one line.
export async function putBundle(db: Db, hash: string, content: string, now: number): Promise<void> {
  await db
    .insertInto("bundles")
    .values({ hash, content, created_at: now })
    .onConflict((oc) => oc.column("hash").doNothing())
    .execute();
}

export async function getBundle(db: Db, hash: string): Promise<string | undefined> {
  return (await db.selectFrom("bundles").select("content").where("hash", "=", hash).executeTakeFirst())
    ?.content;
}
