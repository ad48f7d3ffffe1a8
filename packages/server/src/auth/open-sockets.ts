import type { WebSocket } from "@fastify/websocket";
import type { Principal } from "./types.js";

/** WebSocket close code for "credentials ended": the client should sign in again, not reconnect. */
export const CREDENTIALS_ENDED = 4401;

/**
 * The open WebSockets of each API key and session on this server, so revoking the key or ending the
 * session closes them at once instead of letting a log stream run until its run ends.
 */
export class OpenSockets {
  private readonly byHolder = new Map<string, Set<WebSocket>>();

  track(principal: Principal | undefined, socket: WebSocket): void {
    const holder = holderOf(principal);
    if (!holder) return;
    let set = this.byHolder.get(holder);
    if (!set) {
      set = new Set();
      this.byHolder.set(holder, set);
    }
    set.add(socket);
    socket.once("close", () => {
      set.delete(socket);
      if (set.size === 0) this.byHolder.delete(holder);
    });
  }

  /** Closes every socket opened with this key (`key:<id>`) or session (its hash). */
  closeAll(holder: string, reason: string): number {
    const set = this.byHolder.get(holder);
    if (!set) return 0;
    for (const socket of set) socket.close(CREDENTIALS_ENDED, reason);
    this.byHolder.delete(holder);
    return set.size;
  }
}

function holderOf(principal: Principal | undefined): string | undefined {
  if (!principal) return undefined;
  if (principal.kind === "key") return principal.id;
  return principal.sessionHash ? `session:${principal.sessionHash}` : undefined;
}

const registries = new WeakMap<object, OpenSockets>();

/** The registry of one server: every route of an app is handed the same context object. */
export function openSocketsOf(ctx: object): OpenSockets {
  let registry = registries.get(ctx);
  if (!registry) {
    registry = new OpenSockets();
    registries.set(ctx, registry);
  }
  return registry;
}
