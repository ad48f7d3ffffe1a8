import { describe, expect, it } from "vitest";
import { agentSettings } from "./agent.js";

describe("gantry agent flags", () => {
  it("takes the key from GANTRY_AGENT_TOKEN, and defaults to the local runner and 4 steps at once", () => {
    const settings = agentSettings(
      { server: "https://gantry.example.com" },
      { GANTRY_AGENT_TOKEN: "gantry_k" },
    );
    expect(settings).toMatchObject({
      server: "https://gantry.example.com/",
      token: "gantry_k",
      labels: [],
      runners: ["local"],
      concurrency: 4,
      leaseMs: 30_000,
      wakeUps: "auto",
    });
  });

  it("reads labels, runners, concurrency, lease and wake-ups", () => {
    const settings = agentSettings(
      {
        server: "http://10.0.0.5:8080",
        token: "gantry_k",
        labels: "linux, gpu",
        runners: "local,docker",
        concurrency: "8",
        lease: "2m",
        wakeUps: "long-poll",
      },
      {},
    );
    expect(settings).toMatchObject({
      labels: ["linux", "gpu"],
      runners: ["local", "docker"],
      concurrency: 8,
      leaseMs: 120_000,
      wakeUps: "long-poll",
    });
  });

  it("names the flag and the allowed values of what it refuses", () => {
    const bad = (flags: Partial<Parameters<typeof agentSettings>[0]>) => () =>
      agentSettings({ server: "https://g.example.com", token: "gantry_k", ...flags }, {});
    expect(() => agentSettings({ server: "https://g.example.com" }, {})).toThrow(
      "--token or GANTRY_AGENT_TOKEN: the agent key (gantry keys create --role agent)",
    );
    expect(bad({ server: "not a url" })).toThrow("--server 'not a url': not a URL");
    expect(bad({ server: "ftp://g.example.com" })).toThrow("must be https://");
    expect(bad({ runners: "local,ssh" })).toThrow(
      "--runners: 'ssh' must be one of local, docker, kubernetes",
    );
    expect(bad({ concurrency: "0" })).toThrow("--concurrency '0': a whole number from 1 to 1000");
    expect(bad({ lease: "1s" })).toThrow("--lease '1s': from 3s to 10m");
    expect(bad({ lease: "soon" })).toThrow(/^--lease: /);
    expect(bad({ wakeUps: "carrier-pigeon" })).toThrow(
      "--wake-ups 'carrier-pigeon': auto, websocket or long-poll",
    );
  });
});
