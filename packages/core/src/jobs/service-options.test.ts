import { describe, expect, it } from "vitest";
import { parseHealthOptions, shellWords } from "./service-options.js";

describe("service options", () => {
  it("reads health options as docker create does, and refuses others by name", () => {
    expect(
      parseHealthOptions(`--health-cmd "pg_isready -U app" --health-interval=1s --health-retries 4`),
    ).toEqual({
      command: "pg_isready -U app",
      intervalMs: 1000,
      timeoutMs: 30_000,
      retries: 4,
      startPeriodMs: 0,
    });
    expect(parseHealthOptions("--privileged")).toEqual({
      error:
        "option '--privileged' is not supported (supported: --health-cmd, --health-interval, --health-timeout, --health-retries, --health-start-period)",
    });
  });

  it("splits words as a shell does", () => {
    expect(shellWords(`a "b c" 'd e' f\\ g`)).toEqual({ words: ["a", "b c", "d e", "f g"] });
    expect(shellWords(`--health-cmd "x`)).toEqual({ error: 'unclosed " in options' });
  });
});
