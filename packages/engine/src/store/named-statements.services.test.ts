import { sql } from "kysely";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../testing/databases.js";
import type { Database } from "./database.js";

// Statements sent as named prepared statements (see named-statements.ts), on a real PostgreSQL.
describe("named statements on PostgreSQL", () => {
  let database: Database;
  beforeAll(async () => {
    database = await postgresDatabase({ poolSize: 2 });
    await sql`create table gantry_named (id int primary key, a text)`.execute(database.db);
    await sql`insert into gantry_named values (1, 'one')`.execute(database.db);
  });
  afterAll(() => database?.close());

  const prepared = async (client: pg.PoolClient) =>
    (await client.query("select statement from pg_prepared_statements")).rows.map(
      (r: { statement: string }) => r.statement,
    );

  it("prepares a statement sent often, once per connection, and answers as before", async () => {
    const client = await (database.pool as pg.Pool).connect();
    try {
      const text = "select id, a from gantry_named where id = $1";
      for (let i = 0; i < 5; i++) expect((await client.query(text, [1])).rows).toEqual([{ id: 1, a: "one" }]);
      expect(await prepared(client)).toContain(text);
    } finally {
      client.release();
    }
  });

  it("reads a table changed by a migration with a statement prepared before it", async () => {
    const client = await (database.pool as pg.Pool).connect();
    try {
      const text = "select * from gantry_named where id = $1";
      for (let i = 0; i < 4; i++) await client.query(text, [1]);
      expect(await prepared(client)).toContain(text);
      // Another process migrates: the prepared `select *` would now return another row type.
      await sql`alter table gantry_named add column b text default 'new'`.execute(database.db);
      expect((await client.query(text, [1])).rows).toEqual([{ id: 1, a: "one", b: "new" }]);
      await sql`alter table gantry_named add column c int default 3`.execute(database.db);
      // Inside a transaction the error aborts it, as any error does; the retry runs prepared afresh.
      await client.query("begin");
      await expect(client.query(text, [1])).rejects.toThrow(/cached plan must not change result type/);
      await client.query("rollback");
      expect((await client.query(text, [1])).rows).toEqual([{ id: 1, a: "one", b: "new", c: 3 }]);
    } finally {
      client.release();
    }
  });
});
