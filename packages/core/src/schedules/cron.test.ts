// biome-ignore-all lint/style/noRestrictedGlobals: tests write times as dates; the code under test takes numbers.
import { describe, expect, it } from "vitest";
import { compileCron, cronProblem, nextTimes } from "./cron.js";

const iso = (ms: number) => new Date(ms).toISOString();
const at = (text: string) => Date.parse(text);
const next = (cron: string, timezone: string | undefined, from: string, count = 3) =>
  nextTimes(compileCron(cron, timezone), at(from), count).map(iso);

describe("cron expressions (croner)", () => {
  it("takes 5 fields, 6 with seconds first, and @-macros; the default time zone is UTC", () => {
    expect(next("*/15 * * * *", undefined, "2026-01-01T00:07:00Z")).toEqual([
      "2026-01-01T00:15:00.000Z",
      "2026-01-01T00:30:00.000Z",
      "2026-01-01T00:45:00.000Z",
    ]);
    expect(next("*/20 * * * * *", undefined, "2026-01-01T00:00:00Z")).toEqual([
      "2026-01-01T00:00:20.000Z",
      "2026-01-01T00:00:40.000Z",
      "2026-01-01T00:01:00.000Z",
    ]);
    expect(next("@hourly", undefined, "2026-01-01T00:00:00Z", 2)).toEqual([
      "2026-01-01T01:00:00.000Z",
      "2026-01-01T02:00:00.000Z",
    ]);
    expect(next("@daily", "UTC", "2026-01-01T00:00:00Z", 1)).toEqual(["2026-01-02T00:00:00.000Z"]);
    expect(next("@weekly", "UTC", "2026-01-01T00:00:00Z", 1)).toEqual(["2026-01-04T00:00:00.000Z"]);
    expect(next("0 9 * * MON-FRI", "UTC", "2026-01-02T10:00:00Z", 2)).toEqual([
      "2026-01-05T09:00:00.000Z",
      "2026-01-06T09:00:00.000Z",
    ]);
  });

  it("gives the next time strictly after the one given, to the millisecond", () => {
    const cron = compileCron("* * * * *");
    expect(iso(cron.next(at("2026-01-01T00:01:00Z"))!)).toBe("2026-01-01T00:02:00.000Z");
    expect(iso(cron.next(at("2026-01-01T00:00:59.999Z"))!)).toBe("2026-01-01T00:01:00.000Z");
    expect(iso(cron.next(at("2026-01-01T00:01:00.001Z"))!)).toBe("2026-01-01T00:02:00.000Z");
    expect(cron.latest(at("2026-01-01T00:10:00Z"), 3).map(iso)).toEqual([
      "2026-01-01T00:08:00.000Z",
      "2026-01-01T00:09:00.000Z",
      "2026-01-01T00:10:00.000Z",
    ]);
  });

  it("when both day of month and day of week are given, either matches (Vixie cron, Kubernetes)", () => {
    // 2026-03-01 is a Sunday: the 1st, then Mondays.
    expect(next("0 0 1 * MON", "UTC", "2026-02-28T12:00:00Z", 3)).toEqual([
      "2026-03-01T00:00:00.000Z",
      "2026-03-02T00:00:00.000Z",
      "2026-03-09T00:00:00.000Z",
    ]);
  });

  it("names what is wrong with an expression or a time zone", () => {
    expect(cronProblem("0 3 * * *", "Europe/Berlin")).toBeUndefined();
    expect(cronProblem("61 * * * *")).toMatch(/^cron '61 \* \* \* \*': .*minute.*61/);
    // Croner's own wording offers seven parts, which Gantry does not take: the message names what it does.
    expect(cronProblem("every day")).toBe(
      "cron 'every day': not a cron expression: give 5 fields (minute hour day-of-month month day-of-week), " +
        "6 with seconds first, or @yearly, @monthly, @weekly, @daily, @hourly",
    );
    expect(cronProblem("* * * * * * *")).toMatch(/^cron '\* \* \* \* \* \* \*': 7 fields: give 5 fields \(/);
    expect(cronProblem("* * * *")).not.toMatch(/seven/);
    expect(cronProblem("@fortnightly")).toMatch(/^cron '@fortnightly'/);
    expect(cronProblem("0 0 30 2 *")).toBe("cron '0 0 30 2 *' never fires");
    expect(cronProblem("0 3 * * *", "Europe/Berln")).toMatch(
      /timezone 'Europe\/Berln' is not an IANA time zone/,
    );
    expect(() => compileCron("0 3 * * *", "Mars/Olympus")).toThrow(/not an IANA time zone/);
  });
});

describe("daylight saving time (documented in README: Schedules)", () => {
  it("Europe/Berlin spring forward (2026-03-29, 02:00 → 03:00): 02:30 daily fires once, at 03:00 CEST", () => {
    // 01:30Z = 02:30 CET; 01:00Z = 03:00 CEST, the first valid time after the gap; 00:30Z = 02:30 CEST.
    expect(next("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 4)).toEqual([
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("Europe/Berlin fall back (2026-10-25, 03:00 → 02:00): 02:30 happens twice and fires once, the first", () => {
    // 00:30Z = 02:30 CEST (the first 02:30); the second, 01:30Z = 02:30 CET, does not fire.
    expect(next("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00Z", 3)).toEqual([
      "2026-10-24T00:30:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
    ]);
  });

  it("a list of fixed times is fixed too (30 2,14): the 02:30 in the gap still fires, at 03:00", () => {
    expect(next("30 2,14 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-28T13:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T12:30:00.000Z",
    ]);
  });

  it("interval schedules keep the real pace: no fires in the skipped hour, both copies of the repeated one", () => {
    // Spring forward: 01:30 CET (00:30Z), then 03:00 CEST (01:00Z): 02:00 and 02:30 do not exist.
    expect(next("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:10:00Z", 3)).toEqual([
      "2026-03-29T00:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T01:30:00.000Z",
    ]);
    // Fall back: 02:00 and 02:30 CEST (00:00Z, 00:30Z), then 02:00 and 02:30 CET (01:00Z, 01:30Z).
    expect(next("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:50:00Z", 4)).toEqual([
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T01:30:00.000Z",
    ]);
  });

  it("Asia/Kathmandu (+05:45, no DST): 09:00 local is 03:15 UTC", () => {
    expect(next("0 9 * * *", "Asia/Kathmandu", "2026-06-01T00:00:00Z", 2)).toEqual([
      "2026-06-01T03:15:00.000Z",
      "2026-06-02T03:15:00.000Z",
    ]);
  });

  it("Australia/Adelaide (+09:30/+10:30): its half-hour offset and its own DST transitions", () => {
    // 2026-10-04, 02:00 → 03:00 ACDT: 02:30 fires at 03:00 ACDT (16:30Z the day before), then 02:30 ACDT.
    expect(next("30 2 * * *", "Australia/Adelaide", "2026-10-03T00:00:00Z", 2)).toEqual([
      "2026-10-03T16:30:00.000Z",
      "2026-10-04T16:00:00.000Z",
    ]);
    // 2026-04-05, 03:00 → 02:00 ACST: 02:30 ACDT (16:00Z) once, then 02:30 ACST (17:00Z).
    expect(next("30 2 * * *", "Australia/Adelaide", "2026-04-04T00:00:00Z", 2)).toEqual([
      "2026-04-04T16:00:00.000Z",
      "2026-04-05T17:00:00.000Z",
    ]);
  });
});
