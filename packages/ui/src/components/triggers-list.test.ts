import { describe, expect, it } from "vitest";
import { triggerSummaries, webhookUrls } from "./triggers-list";

describe("triggers as the UI lists them", () => {
  it("summarises each kind of trigger", () => {
    expect(
      triggerSummaries({
        manual: {},
        schedule: [{ cron: "0 3 * * *", timezone: "Europe/Berlin" }, { cron: "*/5 * * * *" }],
        push: { branches: ["main", "release/*"] },
        pull_request: {},
        rabbitmq: [{ queue: "a" }, { queue: "b" }],
        webhook: [{ name: "deploy" }],
      }),
    ).toEqual([
      "manual",
      "schedule 0 3 * * * (Europe/Berlin)",
      "schedule */5 * * * *",
      "push main, release/*",
      "pull_request",
      "rabbitmq ×2",
      "webhook deploy",
    ]);
  });

  it("gives each webhook its URL", () => {
    expect(webhookUrls("build app", { webhook: { name: "on push" } }, "https://g.example")).toEqual([
      "https://g.example/api/v1/hooks/build%20app/on%20push",
    ]);
    expect(webhookUrls("x", { manual: {} }, "https://g.example")).toEqual([]);
  });
});
