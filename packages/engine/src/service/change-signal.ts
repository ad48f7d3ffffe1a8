import { EventEmitter } from "node:events";

/**
 * An in-process "something changed" signal (schedules synced or suspended, triggers synced), so this
 * process's scheduler or listeners act at once. Other processes notice such changes by their own
 * polling; this only saves the local ones the wait. One per ServiceContext.
 */
export class ChangeSignal {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(): void {
    this.emitter.emit("changed");
  }

  subscribe(handler: () => void): () => void {
    this.emitter.on("changed", handler);
    return () => this.emitter.off("changed", handler);
  }
}
