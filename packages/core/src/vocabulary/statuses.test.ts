import { describe, expect, it } from "vitest";
import {
  ACTIVE_RUN_STATUSES,
  isTerminalRunStatus,
  PLANNED_RUN_STATUSES,
  RUN_STATUSES,
  TERMINAL_RUN_STATUSES,
} from "./statuses.js";
import { EVENT_TRIGGER_KINDS, RUN_TRIGGER_TYPES } from "./triggers.js";

describe("run statuses", () => {
  it("split into active, terminal and pending, each status in exactly one", () => {
    const groups = [...ACTIVE_RUN_STATUSES, ...TERMINAL_RUN_STATUSES, "pending"];
    expect([...groups].sort()).toEqual([...RUN_STATUSES].sort());
    expect(new Set(groups).size).toBe(RUN_STATUSES.length);
  });

  it("the planner's are stored statuses, and running is the only one not terminal", () => {
    expect(PLANNED_RUN_STATUSES.filter((s) => !isTerminalRunStatus(s))).toEqual(["running"]);
    for (const status of PLANNED_RUN_STATUSES) expect(RUN_STATUSES).toContain(status);
  });

  it("isTerminalRunStatus answers for any text", () => {
    expect(isTerminalRunStatus("timed_out")).toBe(true);
    expect(isTerminalRunStatus("waiting")).toBe(false);
    expect(isTerminalRunStatus("done")).toBe(false);
  });
});

describe("trigger types", () => {
  it("a run's trigger type can be every event trigger kind, each named once", () => {
    for (const kind of EVENT_TRIGGER_KINDS) expect(RUN_TRIGGER_TYPES).toContain(kind);
    expect(new Set(RUN_TRIGGER_TYPES).size).toBe(RUN_TRIGGER_TYPES.length);
  });
});
