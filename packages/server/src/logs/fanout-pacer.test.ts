import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FanoutPacer } from "./fanout-pacer.js";

describe("FanoutPacer", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Whether `turn()` has resolved after `ms` more of fake time. */
  async function turnedWithin(pacer: FanoutPacer, ms: number): Promise<() => boolean> {
    let turned = false;
    void pacer.turn().then(() => {
      turned = true;
    });
    await vi.advanceTimersByTimeAsync(ms);
    return () => turned;
  }

  it("while capture is busy, keeps the fan-out to its share: a 10 ms slice at 25% is followed by 30 ms without", async () => {
    const pacer = new FanoutPacer(0.25, () => true);
    pacer.spent(10);
    const turned = await turnedWithin(pacer, 29);
    expect(turned()).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(turned()).toBe(true);
    // Slices add up: two more of 10 ms owe 60 ms.
    pacer.spent(10);
    pacer.spent(10);
    const again = await turnedWithin(pacer, 59);
    expect(again()).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(again()).toBe(true);
  });

  it("never waits when capture is idle, and forgets the debt of slices made then", async () => {
    let busy = true;
    const pacer = new FanoutPacer(0.25, () => busy);
    pacer.spent(100);
    busy = false;
    expect((await turnedWithin(pacer, 0))()).toBe(true);
    pacer.spent(100);
    busy = true;
    expect((await turnedWithin(pacer, 0))()).toBe(true);
  });

  it("lets a waiting slice go as soon as capture goes idle", async () => {
    let busy = true;
    const pacer = new FanoutPacer(0.01, () => busy);
    pacer.spent(100); // 9.9 s owed
    const turned = await turnedWithin(pacer, 1_000);
    expect(turned()).toBe(false);
    busy = false;
    await vi.advanceTimersByTimeAsync(250);
    expect(turned()).toBe(true);
  });
});
