/**
 * Runs a loop's cycles one at a time, as the scheduler and the trigger listeners do: a wake while a cycle
 * runs makes one more run after it (never two at once, never a wake lost); a cycle's error goes to
 * `onError`, and `after` runs once the cycles stop (to set the next timer).
 */
export class SerialCycles {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly options: {
      cycle: () => Promise<void>;
      /** False once the owner is stopped: a wake does nothing, and no further cycle runs. */
      active: () => boolean;
      onError: (error: Error) => void;
      after: () => void;
    },
  ) {}

  wake(): void {
    if (!this.options.active()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.options.cycle();
        } catch (error) {
          this.options.onError(error as Error);
        }
      } while (this.again && this.options.active());
      this.options.after();
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when the cycles in progress (if any) have stopped. */
  get idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
