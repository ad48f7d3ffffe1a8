import { describe, expect, it } from "vitest";
import {
  compareHeld,
  compareSaturation,
  heldRate,
  levelHeld,
  rateResolution,
  saturation,
} from "./ladder.mjs";

const level = (rate: number, perMinute: number, ok: boolean) => ({ rate, perMinute, ok });

describe("the throughput ladder's verdicts", () => {
  it("holds a level only when its requests went out at the offered rate", () => {
    const base = { rate: 200, errors: 0, completed: 2000, count: 2000, p95: 0.1 };
    expect(levelHeld({ ...base, sentPerSecond: 199.9 })).toBe(true);
    expect(levelHeld({ ...base, sentPerSecond: 148.8 })).toBe(false);
    expect(levelHeld({ ...base, sentPerSecond: 200, p95: 0.5 })).toBe(false);
    expect(levelHeld({ ...base, sentPerSecond: 200, completed: 1999 })).toBe(false);
  });

  it("ties two systems that held the same level, whatever their completion counts", () => {
    // 4797 and 4798 runs a minute, both at the 80 a second level.
    const gantry = [level(40, 2398, true), level(80, 4797, true), level(100, 5200, false)];
    const peer = [level(40, 2399, true), level(80, 4798, true), level(100, 5400, false)];
    expect(heldRate(gantry)).toBe(80);
    expect(compareHeld(heldRate(gantry), heldRate(peer))).toEqual({ value: 1, met: true });
    expect(compareHeld(40, 80)).toEqual({ value: 0.5, met: false });
    expect(compareHeld(0, 0).met).toBeNull();
  });

  it("counts saturation rates within the resolution as equal, and no further", () => {
    const resolution = rateResolution(10);
    expect(resolution).toBeCloseTo(0.05);
    const topHeld = saturation([level(100, 5990, true), level(200, 11_950, true)]);
    expect(topHeld.reached).toBe(false);
    const close = saturation([level(100, 5990, true), level(200, 11_990, false)]);
    expect(close.reached).toBe(true);
    expect(compareSaturation(topHeld, close, resolution).met).toBe(true);
    const far = saturation([level(100, 5990, true), level(120, 6100, false)]);
    expect(compareSaturation(far, topHeld, resolution).met).toBe(false);
    expect(compareSaturation(topHeld, far, resolution).met).toBe(true);
  });
});
