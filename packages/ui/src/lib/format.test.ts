import { describe, expect, it } from "vitest";
import { formatDuration, runDuration, timeAgo, triggerLabel } from "./format";

describe("format", () => {
  it("shows durations as CI tools do", () => {
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(340)).toBe("340 ms");
    expect(formatDuration(42_000)).toBe("42s");
    expect(formatDuration(192_000)).toBe("3m 12s");
    expect(formatDuration(3_900_000)).toBe("1h 5m");
  });

  it("measures a running run up to now and a finished one to its end", () => {
    const started = "2026-01-01T00:00:00.000Z";
    expect(runDuration({ started_at: started, finished_at: null }, Date.parse(started) + 5000)).toBe(5000);
    expect(runDuration({ started_at: started, finished_at: "2026-01-01T00:00:02.000Z" }, 0)).toBe(2000);
    expect(runDuration({ started_at: null, finished_at: null }, 0)).toBeNull();
  });

  it("says how long ago", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(timeAgo("2026-01-01T11:59:50Z", now)).toBe("just now");
    expect(timeAgo("2026-01-01T11:55:00Z", now)).toBe("5 minutes ago");
    expect(timeAgo("2026-01-01T09:00:00Z", now)).toBe("3 hours ago");
    expect(timeAgo("2026-01-01T12:30:00Z", now)).toBe("in 30 minutes");
  });

  it("names triggers", () => {
    expect(triggerLabel({ type: "schedule", schedule: "nightly:0" })).toBe("schedule nightly:0");
    expect(triggerLabel({ type: "api", rerun_of: "abc" })).toBe("api (re-run)");
    expect(triggerLabel({ type: "ui", user: "Ada Lovelace", actor: "user:ada" })).toBe("ui · Ada Lovelace");
    expect(triggerLabel({ type: "github", event: "pull_request" })).toBe("github pull_request");
    expect(triggerLabel({ type: "rabbitmq" })).toBe("rabbitmq");
  });
});
