import { describe, expect, it } from "vitest";
import { openTestApp } from "../testing/test-app.js";
import { plainReason } from "./signin-failure.js";
import { DEFAULT_AUTH } from "./types.js";

describe("sign-in failures", () => {
  it.each([
    ["unexpected JWT claim value encountered", "could not be verified"],
    ["unknown, used or expired sign-in state; start again at /auth/login", "another browser"],
    ["x has no Gantry role: no value of the 'groups' claim is mapped to one", "no role in Gantry"],
  ])("%s reads as plain words", (detail, words) => {
    expect(plainReason(detail)).toContain(words);
  });

  it("are a page with the reason and a Sign in again button for a browser, JSON for a script", async () => {
    const warnings: string[] = [];
    const t = await openTestApp(
      "gantry-signin-",
      {},
      {
        onWarning: (message) => warnings.push(message),
        auth: {
          ...DEFAULT_AUTH,
          mode: "oidc",
          oidc: {
            issuer: "http://127.0.0.1:9",
            clientId: "gantry",
            scopes: ["openid"],
            roleClaim: "groups",
            roles: [],
          },
        },
      },
    );
    try {
      const page = await t.app.inject({
        url: "/auth/callback?state=nope&code=x",
        headers: { accept: "text/html,application/xhtml+xml" },
      });
      expect(page.statusCode).toBe(400);
      expect(page.headers["content-type"]).toContain("text/html");
      expect(page.body).toContain("Sign-in failed");
      expect(page.body).toContain("started in another browser");
      expect(page.body).toContain('<a class="button" href="/auth/login">Sign in again</a>');
      const json = await t.app.inject({ url: "/auth/callback?state=nope&code=x" });
      expect(json.statusCode).toBe(400);
      expect(json.json().reason).toContain("another browser");
      // Each failure is a line in the server's log (the HTTP layer's own logger is off).
      expect(warnings).toEqual([
        expect.stringMatching(/^sign-in failed \(400\): this sign-in state was not started in this browser/),
        expect.stringMatching(/^sign-in failed \(400\): this sign-in state was not started in this browser/),
      ]);
      // An identity provider that cannot be reached is told too, with the reason.
      const login = await t.app.inject({ url: "/auth/login" });
      expect(login.statusCode).toBe(502);
      expect(warnings[2]).toMatch(/^OIDC discovery failed: /);
    } finally {
      await t.close();
    }
  });
});
