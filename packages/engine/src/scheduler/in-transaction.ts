import type { Kysely, Transaction } from "kysely";
import type { Channel, NotifierLike } from "../queue/notifier.js";
import type { ServiceContext } from "../service/context.js";
import type { Tables } from "../store/tables.js";

/**
 * A service context whose operations all run inside one open transaction, so that a fire's record and
 * the run it starts (createRun, cancelRun: each opens its own transaction) commit or roll back together.
 * That is what makes a fire exactly-once: the fire's primary key and the run are one atomic write.
 *
 * - `database.db` is the transaction, except that `transaction().execute(fn)` runs `fn` on it directly
 *   (Kysely refuses nested transactions). Methods are bound to the real transaction because Kysely keeps
 *   its state in private fields, which a Proxy receiver cannot reach.
 * - Notifications are held back until `flush()`, called after the commit: a worker woken earlier would
 *   look for jobs it cannot see yet and then sleep until its next poll. Repeated ones are sent once.
 */
export function contextInTransaction(
  ctx: ServiceContext,
  tx: Transaction<Tables>,
): { ctx: ServiceContext; flush(): Promise<void> } {
  const db = new Proxy(tx, {
    get(target, property) {
      if (property === "transaction")
        return () => ({ execute: <T>(fn: (t: typeof tx) => Promise<T>) => fn(tx) });
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as unknown as Kysely<Tables>;
  const held = new Map<string, { channel: Channel; payload: string | undefined }>();
  const notifier: NotifierLike = {
    async notify(channel, payload) {
      held.set(`${channel}\u0000${payload ?? ""}`, { channel, payload });
    },
    subscribe: (channel, handler) => ctx.notifier.subscribe(channel, handler),
    close: async () => {},
  };
  return {
    ctx: { ...ctx, database: { ...ctx.database, db }, notifier },
    async flush() {
      const pending = [...held.values()];
      held.clear();
      for (const { channel, payload } of pending) await ctx.notifier.notify(channel, payload);
    },
  };
}
