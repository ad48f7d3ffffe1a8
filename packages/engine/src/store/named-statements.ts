import type pg from "pg";

/**
 * Postgres: the statements a process sends again and again (a claim, a step's start and finish) go as
 * named prepared statements, so each connection has Postgres parse them once and, after a few runs,
 * reuse a generic plan instead of parsing, analysing and planning each time. Measured on
 * bench/statements.mjs (the two-step run at 100/s): Postgres' CPU per run 3.7 → 1.9 ms, completion p50
 * 13 → 10 ms.
 *
 * A text is named once it has been sent `after` times, up to `limit` names a process: a statement whose
 * text varies (a list of N values) stays unnamed, and each connection keeps a bounded number of
 * prepared statements on the server. GANTRY_PG_NAMED_STATEMENTS=0 turns it off, for a pooler that
 * cannot carry prepared statements across transactions (PgBouncer before 1.21, or without
 * max_prepared_statements, in transaction mode).
 */
export class StatementNames {
  private readonly seen = new Map<string, number>();
  private readonly names = new Map<string, string>();

  constructor(
    private readonly limit = 100,
    private readonly after = 3,
  ) {}

  /** The name to send `text` under, or undefined to send it unnamed. */
  nameOf(text: string): string | undefined {
    const named = this.names.get(text);
    if (named !== undefined || this.names.size >= this.limit) return named;
    const count = (this.seen.get(text) ?? 0) + 1;
    if (count < this.after) {
      // Bounded: texts that vary without end are forgotten, never named.
      if (this.seen.size >= 1_000) this.seen.clear();
      this.seen.set(text, count);
      return undefined;
    }
    this.seen.delete(text);
    const name = `gantry_${this.names.size}`;
    this.names.set(text, name);
    return name;
  }
}

type QueryCallback = (error: Error | null, result?: pg.QueryResult) => void;

/**
 * Sends the client's statements (Kysely's and the pool's: a text and its values) under the names
 * `names` gives. Another process's migration may change a table that a prepared `select *` or
 * `returning *` reads: Postgres then refuses the prepared statement ("cached plan must not change
 * result type"). The client then names its statements afresh (re-prepared under new names) and sends
 * the statement again when it ran on its own; inside a transaction the error aborts the transaction
 * as any error does, and the caller's retry runs under the new names.
 */
export function nameStatements(client: pg.PoolClient, names: StatementNames): void {
  const send = client.query.bind(client) as (...args: unknown[]) => unknown;
  let generation = 0;
  const named = (text: string, values: unknown[]) => {
    const name = names.nameOf(text);
    return send(name === undefined ? { text, values } : { name: `${name}_${generation}`, text, values });
  };
  const run = async (text: string, values: unknown[]): Promise<pg.QueryResult> => {
    try {
      return (await named(text, values)) as pg.QueryResult;
    } catch (error) {
      if (!planChanged(error)) throw error;
      generation++;
      if (client.getTransactionStatus() !== "I") throw error;
      return (await named(text, values)) as pg.QueryResult;
    }
  };
  const query = (...args: unknown[]): unknown => {
    const [text, values, callback] = args;
    if (typeof text !== "string" || !Array.isArray(values)) return send(...args);
    if (typeof callback !== "function") return run(text, values);
    run(text, values).then(
      (result) => (callback as QueryCallback)(null, result),
      (error: Error) => (callback as QueryCallback)(error),
    );
    return undefined;
  };
  client.query = query as typeof client.query;
}

function planChanged(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === "0A000" && /cached plan must not change result type/.test(message ?? "");
}
