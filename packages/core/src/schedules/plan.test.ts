// biome-ignore-all lint/style/noRestrictedGlobals: tests write times as dates; the code under test takes numbers.
import { describe, expect, it } from "vitest";
import { compileCron } from "./cron.js";
import { CATCH_UP_CAP, type PlanInput, planFires } from "./plan.js";

const T0 = Date.parse("2026-03-02T10:00:00Z");
const MIN = 60_000;
const everyMinute = compileCron("* * * * *");

const plan = (overrides: Partial<PlanInput>) =>
  planFires({
    cron: everyMinute,
    handledUntil: T0,
    catchUp: "latest",
    startingDeadlineMs: null,
    now: T0,
    leaderSince: T0,
    ...overrides,
  });
const summary = (p: ReturnType<typeof planFires>) =>
  p.decisions.map((d) => `${(d.at - T0) / MIN}:${d.action}`);

describe("planFires", () => {
  it("nothing is due before the next time; at it, that one time fires", () => {
    expect(plan({ now: T0 + MIN - 1 })).toEqual({ decisions: [], handledUntil: T0, dropped: false });
    expect(plan({ now: T0 + MIN })).toEqual({
      decisions: [{ at: T0 + MIN, action: "fire" }],
      handledUntil: T0 + MIN,
      dropped: false,
    });
  });

  it("times after the scheduler started leading fire however late, unless past the starting deadline", () => {
    // This scheduler was busy (or the database slow) for 3 minutes: its own times all fire.
    expect(summary(plan({ now: T0 + 3 * MIN + 5000 }))).toEqual(["1:fire", "2:fire", "3:fire"]);
    const late = plan({ now: T0 + 3 * MIN + 5000, startingDeadlineMs: 60_000 });
    expect(summary(late)).toEqual(["1:missed", "2:missed", "3:fire"]);
    expect(late.decisions[0]?.reason).toBe(
      "could not start within the starting deadline (60 s after its time)",
    );
    expect(late.handledUntil).toBe(T0 + 3 * MIN);
  });

  it("catch_up decides about the times that passed while no scheduler ran", () => {
    // Down from T0 to T0+5m (leaderSince); now a little later.
    const down = { now: T0 + 5 * MIN + 200, leaderSince: T0 + 5 * MIN + 100 };
    expect(summary(plan({ ...down, catchUp: "none" }))).toEqual([
      "1:missed",
      "2:missed",
      "3:missed",
      "4:missed",
      "5:missed",
    ]);
    expect(plan({ ...down, catchUp: "none" }).decisions[0]?.reason).toBe(
      "no scheduler was running at this time (catch_up: none)",
    );
    expect(summary(plan({ ...down, catchUp: "latest" }))).toEqual([
      "1:missed",
      "2:missed",
      "3:missed",
      "4:missed",
      "5:fire",
    ]);
    expect(summary(plan({ ...down, catchUp: "all" }))).toEqual([
      "1:fire",
      "2:fire",
      "3:fire",
      "4:fire",
      "5:fire",
    ]);
  });

  it("the starting deadline applies to catch-up fires too", () => {
    const down = {
      now: T0 + 5 * MIN + 30_000,
      leaderSince: T0 + 5 * MIN + 30_000,
      startingDeadlineMs: 120_000,
    };
    expect(summary(plan({ ...down, catchUp: "all" }))).toEqual([
      "1:missed",
      "2:missed",
      "3:missed",
      "4:fire",
      "5:fire",
    ]);
    const stale = plan({ ...down, catchUp: "latest", startingDeadlineMs: 10_000 });
    expect(summary(stale)).toEqual(["1:missed", "2:missed", "3:missed", "4:missed", "5:missed"]);
    expect(stale.decisions[4]?.reason).toMatch(/starting deadline/);
  });

  it(`catching up after a long outage handles only the latest ${CATCH_UP_CAP} times, as Kubernetes caps them`, () => {
    const everySecond = compileCron("* * * * * *");
    const hour = 3_600_000;
    const result = plan({ cron: everySecond, now: T0 + hour, leaderSince: T0 + hour, catchUp: "all" });
    expect(result.dropped).toBe(true);
    expect(result.decisions).toHaveLength(CATCH_UP_CAP);
    expect(result.decisions.every((d) => d.action === "fire")).toBe(true);
    expect(result.decisions[0]?.at).toBe(T0 + hour - 99_000);
    expect(result.decisions.at(-1)?.at).toBe(T0 + hour);
    expect(result.handledUntil).toBe(T0 + hour);
    // Exactly the cap is not "dropped".
    const exact = plan({ cron: everySecond, now: T0 + 100_000, leaderSince: T0 + 100_000, catchUp: "none" });
    expect(exact.dropped).toBe(false);
    expect(exact.decisions).toHaveLength(100);
  });
});
