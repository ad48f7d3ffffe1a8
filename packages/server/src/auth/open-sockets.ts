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
    for (const holder of holdersOf(principal)) {
      let set = this.byHolder.get(holder);
      if (!set) {
        set = new Set();
        this.byHolder.set(holder, set);
      }
      const sockets = set;
      sockets.add(socket);
      socket.once("close", () => {
        sockets.delete(socket);
        if (sockets.size === 0 && this.byHolder.get(holder) === sockets) this.byHolder.delete(holder);
      });
    }
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

/** A key's sockets close with the key; a session's with the session (a key sign-in has both). */
function holdersOf(principal: Principal | undefined): string[] {
  if (!principal) return [];
  const holders: string[] = [];
  if (principal.kind === "key") holders.push(principal.id);
  if (principal.sessionHash) holders.push(`session:${principal.sessionHash}`);
  return holders;
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
