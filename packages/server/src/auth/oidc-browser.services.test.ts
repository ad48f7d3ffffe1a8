import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { store } from "@gantry/engine";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../testing/chromium.js";
import { startTestIdp, type TestIdp } from "../testing/oidc-idp.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { SESSION_COOKIE } from "./sessions.js";
import { DEFAULT_AUTH } from "./types.js";

// The functions given to page.evaluate run in the browser, which has a document; this program is typed for Node.
declare const document: { cookie: string };

/** The built web UI (`npm run build` makes it before the tests). */
const UI_DIR = fileURLToPath(new URL("../../../ui/dist", import.meta.url));

// One real browser sign-in: Chromium follows the redirects, types into oidc-provider's login page,
// consents, and lands back on Gantry with an HttpOnly session cookie its scripts cannot read.
describe("OIDC sign-in in Chromium", () => {
  let idp: TestIdp;
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const auth = {
    ...DEFAULT_AUTH,
    mode: "oidc" as const,
    secureCookies: false,
    oidc: {
      issuer: "set once the provider listens",
      clientId: "gantry",
      clientSecret: "test-client-secret-0123456789abcdef",
      scopes: ["openid", "profile", "email", "groups"],
      roleClaim: "groups",
      roles: [{ value: "gantry-admins", role: "admin" as const }],
    },
  };

  beforeAll(async () => {
    t = await openTestApp("gantry-oidc-browser-", {}, { auth, uiDir: UI_DIR });
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    idp = await startTestIdp([`${base}/auth/callback`]);
    auth.oidc.issuer = idp.issuer;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await idp?.close();
  });

  /** On the provider's login page: types Alice's name, and consents when asked. */
  const signInAsAlice = async (page: Page) => {
    await page.fill('input[name="login"]', "alice");
    await page.fill('input[name="password"]', "anything");
    await page.click('button[type="submit"]');
    await page.waitForURL(
      (url) => url.href.startsWith(`${idp.issuer}/interaction/`) || url.href.startsWith(base),
    );
    if (page.url().startsWith(idp.issuer)) await page.click('button[type="submit"]'); // consent
  };

  it("signs in through the provider's pages and comes back signed in", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/auth/login?return_to=/healthz`);
    expect(page.url().startsWith(`${idp.issuer}/interaction/`)).toBe(true);
    await signInAsAlice(page);
    await page.waitForURL(`${base}/healthz`);

    const who = await page.evaluate(async () => {
      const res = await fetch("/auth/me");
      // /auth/me answers a JSON object; the assertions below check its fields.
      return {
        status: res.status,
        body: (await res.json()) as Record<string, unknown>,
        cookies: document.cookie,
      };
    });
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ name: "Alice Example", role: "admin", auth_mode: "oidc" });
    expect(who.cookies).not.toContain(SESSION_COOKIE); // HttpOnly: scripts cannot read it
    const cookie = (await context.cookies(base)).find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" });

    // A change from the page works with the CSRF token, and not without it.
    const codes = await page.evaluate(async (csrf) => {
      const post = (headers: Record<string, string>) =>
        fetch("/api/v1/keys", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ name: "from-browser", role: "viewer" }),
        }).then((r) => r.status);
      return [await post({}), await post({ "x-csrf-token": csrf })];
    }, String(who.body.csrf_token));
    expect(codes).toEqual([403, 201]);
    await context.close();
  });

  it("sends a page whose session ended to the provider and back to the same page", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const callback = () =>
      page.waitForResponse((r) => r.url().startsWith(`${base}/auth/callback`), { timeout: 60_000 });
    // Not signed in: the UI sends the browser to the provider and back to the page it asked for.
    const first = callback();
    await page.goto(`${base}/runs`);
    await page.waitForURL(`${idp.issuer}/interaction/**`);
    await signInAsAlice(page);
    await first;
    await page.waitForURL(`${base}/runs`);
    await page.getByText("Alice Example").first().waitFor();
    // The session ends on the server (as when it expires). The page's next refresh answers 401 and the UI
    // goes through the provider (which still knows Alice and her consent) back to /runs.
    const again = callback();
    // Dropped as the server drops expired sessions, with a clock far past their end.
    const ended = await store.deleteExpiredSessions(t.service.database.db, Number.MAX_SAFE_INTEGER);
    expect(ended).toBeGreaterThan(0);
    const response = await again;
    expect(new URL(response.url()).searchParams.get("state")).toBeTruthy();
    await page.waitForURL(`${base}/runs`);
    await page.getByText("Alice Example").first().waitFor();
    expect(await page.evaluate(async () => (await fetch("/auth/me")).status)).toBe(200);
    await context.close();
  });
});
