// biome-ignore-all lint/style/noRestrictedGlobals: the test turns fire times into dates to check their weekday
import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import { quartzToCron } from "./quartz.js";

/** The next fire times of a converted expression, as Gantry's scheduler computes them (croner, UTC). */
function next(cron: string, count: number, from = "2026-01-01T00:00:00Z"): string[] {
  const at = new Cron(cron, { paused: true, mode: "5-or-6-parts", timezone: "UTC" });
  return at.nextRuns(count, new Date(from)).map((d) => d.toISOString());
}

describe("Quartz cron to Gantry's cron", () => {
  it.each([
    ["0 0 0 ? * * *", "0 0 * * *"],
    ["0 30 2 ? * MON-FRI", "30 2 * * MON-FRI"],
    ["0 0 12 ? * 2-6", "0 12 * * 1-5"],
    ["0 0 12 ? * 1,7", "0 12 * * 0,6"],
    ["0 0 12 ? * 6L", "0 12 * * 5#L"],
    ["0 0 12 ? * 2#1", "0 12 * * 1#1"],
    ["0 0 12 L * ?", "0 12 L * *"],
    ["0 0 12 15W * ?", "0 12 15W * *"],
    ["0 0 0/2 ? * * *", "0 0-23/2 * * *"],
    ["15 0/10 * ? * *", "15 0-59/10 * * * *"],
    ["0 00 06 ? * *", "0 6 * * *"],
  ])("%s -> %s", (quartz, cron) => {
    const result = quartzToCron(quartz);
    expect(result).toMatchObject({ cron });
  });

  it("renumbers days of the week: Quartz 2 is Monday, so 2#1 fires on first Mondays", () => {
    const converted = quartzToCron("0 0 12 ? * 2#1");
    if ("problem" in converted) throw new Error(converted.problem);
    const days = next(converted.cron, 3).map((t) => new Date(t).getUTCDay());
    expect(days).toEqual([1, 1, 1]);
    expect(next(converted.cron, 1)).toEqual(["2026-01-05T12:00:00.000Z"]);
  });

  it("keeps seconds when they are not 0 (six fields)", () => {
    const converted = quartzToCron("30 0 12 * * ?");
    expect(converted).toMatchObject({ cron: "30 0 12 * * *" });
    if ("problem" in converted) throw new Error(converted.problem);
    expect(next(converted.cron, 1)).toEqual(["2026-01-01T12:00:30.000Z"]);
  });

  it("reports a year it cannot keep, and reads every other year as *", () => {
    expect(quartzToCron("0 0 12 * * ? 2027")).toMatchObject({ cron: "0 12 * * *", year: "2027" });
    expect(quartzToCron("0 0 12 * * ? *")).not.toHaveProperty("year");
  });

  it("refuses what it cannot read, saying why", () => {
    expect(quartzToCron("0 12 * * *")).toEqual({ problem: expect.stringContaining("has 5 fields") });
    expect(quartzToCron("0 0 12 ? * 9")).toEqual({
      problem: expect.stringContaining("'9' is not a Quartz day of week"),
    });
  });
});
