import { createHash } from "node:crypto";
import type { Pgoutput } from "pg-logical-replication";
import type { EventSource, SourceContext } from "../event-source.js";

const OPERATIONS = ["insert", "update", "delete"] as const;

/** The names Gantry gives the publication and the slot of a trigger: stable across restarts. */
export function replicationNames(triggerId: string): { slot: string; publication: string } {
  const hash = createHash("sha256").update(triggerId).digest("hex").slice(0, 16);
  return { slot: `gantry_${hash}`, publication: `gantry_${hash}` };
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * `on.postgres` with `table:`: the table's changes through logical replication with `pgoutput`.
 * Gantry creates a publication for the table and a logical replication slot (named after the trigger)
 * when missing, and sets the table's REPLICA IDENTITY to FULL when it is the default, so that updates
 * and deletes carry the whole row before the change (`trigger.payload.before`). The slot keeps the
 * WAL until Gantry confirms a position, and Gantry confirms a transaction only after the runs of all
 * its changes were recorded: after a restart (or a takeover by another server) the stream resumes
 * from the confirmed position, and the WAL position of each change is the event key, so a change
 * replayed from a half-confirmed transaction starts no second run.
 * Needs `wal_level = logical` on the server and a role with REPLICATION (or superuser) that owns the table.
 */
export async function startPostgresLogical(context: SourceContext): Promise<EventSource> {
  const pg = (await import("pg")).default;
  const { LogicalReplicationService, PgoutputPlugin } = await import("pg-logical-replication");
  const url = String(context.config.url);
  const [schema, table] = splitTable(String(context.config.table));
  const operations = new Set<string>(
    Array.isArray(context.config.operations) ? (context.config.operations as string[]) : OPERATIONS,
  );
  const { slot, publication } = replicationNames(context.id);

  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  admin.on("error", () => {});
  try {
    await admin.connect();
    const level = await admin.query<{ wal_level: string }>("SHOW wal_level");
    if (level.rows[0]?.wal_level !== "logical")
      throw new Error(
        `table '${schema}.${table}': the server's wal_level is '${level.rows[0]?.wal_level}', logical replication needs 'logical' (ALTER SYSTEM SET wal_level = logical, then restart it)`,
      );
    const relation = await admin.query<{ relreplident: string }>(
      "SELECT c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
      [schema, table],
    );
    if (relation.rows.length === 0) throw new Error(`table '${schema}.${table}' does not exist`);
    if (relation.rows[0]?.relreplident === "d")
      await admin.query(`ALTER TABLE ${quote(schema)}.${quote(table)} REPLICA IDENTITY FULL`);
    const published = await admin.query("SELECT 1 FROM pg_publication WHERE pubname = $1", [publication]);
    if (published.rows.length === 0)
      await admin.query(
        `CREATE PUBLICATION ${quote(publication)} FOR TABLE ${quote(schema)}.${quote(table)}`,
      );
    const slotted = await admin.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [slot]);
    if (slotted.rows.length === 0)
      await admin.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  } finally {
    await admin.end().catch(() => {});
  }

  const service = new LogicalReplicationService(
    { connectionString: url, connectionTimeoutMillis: 10_000 },
    // Acknowledged by hand, after the runs are recorded; changes are handled one at a time.
    { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
  );
  let closing = false;
  let busy = 0;
  let beginLsn: string | undefined;
  const fail = (error: Error) => {
    if (!closing) context.lost(error);
  };
  service.on("error", fail);
  service.on("data", async (lsn: string, log: Pgoutput.Message) => {
    busy++;
    try {
      if (log.tag === "begin") beginLsn = lsn;
      else if (log.tag === "commit") {
        // Every change of the transaction was recorded: the server may drop its WAL.
        await service.acknowledge(log.commitEndLsn ?? lsn);
      } else if (log.tag === "insert" || log.tag === "update" || log.tag === "delete") {
        if (!operations.has(log.tag)) return;
        const before = log.tag === "insert" ? null : (log.old ?? log.key ?? null);
        const after = log.tag === "delete" ? null : log.new;
        const delivery = await context.deliver({
          payload: {
            operation: log.tag,
            schema: log.relation.schema,
            table: log.relation.name,
            before,
            after,
          },
          meta: {
            operation: log.tag,
            schema: log.relation.schema,
            table: log.relation.name,
            lsn,
            transaction_lsn: beginLsn,
          },
          key: `lsn:${lsn}`,
        });
        if (delivery.status === "failed")
          context.warn(
            new Error(`table '${schema}.${table}': a change could not start a run: ${delivery.error}`),
          );
      }
    } catch (error) {
      // The store is unreachable: nothing further is confirmed; the stream resumes from the last commit.
      fail(error as Error);
    } finally {
      busy--;
    }
  });
  // The server asks for a status now and then (wal_sender_timeout): when nothing is in flight, every
  // change up to its position has been handled, so confirming it lets the server drop WAL that holds
  // only other tables' changes.
  service.on("heartbeat", async (lsn: string, _timestamp: number, shouldRespond: boolean) => {
    // The library's queue of received changes is private; a change waiting there is not handled yet.
    const queued = (service as unknown as { _messageQueue?: unknown[] })._messageQueue?.length ?? 0;
    if (shouldRespond && busy === 0 && queued === 0 && !closing) await service.acknowledge(lsn).catch(fail);
  });
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] });
  await new Promise<void>((resolve, reject) => {
    service.once("start", () => resolve());
    service
      .subscribe(plugin, slot)
      .then(() => fail(new Error(`the replication stream of table '${schema}.${table}' ended`)))
      .catch((error: Error) => {
        reject(error);
        fail(error);
      });
  });
  return {
    async stop() {
      closing = true;
      await service.destroy().catch(() => {});
    },
  };
}

function splitTable(name: string): [string, string] {
  const dot = name.indexOf(".");
  return dot < 0 ? ["public", name] : [name.slice(0, dot), name.slice(dot + 1)];
}
