import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./retry.js";

describe("retryDelayMs", () => {
  it("retries at once when no delay is given", () => {
    expect(retryDelayMs({ attempts: 3 }, 2)).toBe(0);
    expect(retryDelayMs({ attempts: 3, backoff: "exponential" }, 4)).toBe(0);
  });

  it("waits the same delay every time with constant backoff (the default)", () => {
    expect([2, 3, 4].map((n) => retryDelayMs({ attempts: 5, delay: "10s" }, n))).toEqual([
      10_000, 10_000, 10_000,
    ]);
    expect(retryDelayMs({ attempts: 5, delay: 2, backoff: "constant" }, 5)).toBe(2000);
  });

  it("doubles the delay for each retry with exponential backoff: delay, 2*delay, 4*delay", () => {
    const retry = { attempts: 6, delay: "500ms", backoff: "exponential" as const };
    expect([2, 3, 4, 5, 6].map((n) => retryDelayMs(retry, n))).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it("never waits more than an hour", () => {
    expect(retryDelayMs({ attempts: 100, delay: "1m", backoff: "exponential" }, 50)).toBe(3_600_000);
  });
});
