import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it("reads units and combinations of them", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("2h")).toBe(7_200_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1m30s500ms")).toBe(90_500);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration(" 5s ")).toBe(5000);
  });

  it("reads a bare number as seconds", () => {
    expect(parseDuration(90)).toBe(90_000);
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration(0.25)).toBe(250);
    expect(parseDuration(0)).toBe(0);
  });

  it("rejects anything else with a message saying what is allowed", () => {
    for (const bad of ["", "10 minutes", "5x", "m", "1h 30m", "-5s"]) {
      expect(() => parseDuration(bad), bad).toThrow(/use a number of seconds or units like/);
    }
    expect(() => parseDuration(-1)).toThrow("must be >= 0");
    expect(() => parseDuration(Number.POSITIVE_INFINITY)).toThrow("must be >= 0");
  });
});

describe("formatDuration", () => {
  it("shows milliseconds, seconds and minutes", () => {
    expect(formatDuration(0)).toBe("0ms");
    expect(formatDuration(999)).toBe("999ms");
    expect(formatDuration(1234)).toBe("1.23s");
    expect(formatDuration(12_345)).toBe("12.3s");
    expect(formatDuration(60_000)).toBe("1m00s");
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(3_725_000)).toBe("62m05s");
  });

  it("carries rounded seconds into the minutes", () => {
    expect(formatDuration(119_600)).toBe("2m00s");
    expect(formatDuration(179_999)).toBe("3m00s");
  });
});
