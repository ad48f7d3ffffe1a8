import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real OpenID Provider (oidc-provider, certified) on a free loopback port, for tests: one
 * confidential client, accounts whose login name picks their groups, and the provider's own
 * development login and consent pages (devInteractions), which tests submit like a browser would.
 */
export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/** login name → the account's `groups` claim. Any password is accepted. */
export const ACCOUNTS: Record<string, string[]> = {
  alice: ["gantry-admins"],
  olga: ["ops"],
  vera: ["everyone"],
  sam: ["infra-deployers"],
  nobody: [],
};

export async function startTestIdp(redirectUris: string[]): Promise<TestIdp> {
  // oidc-provider ships no type declarations; this is the part of its API the tests use.
  const { default: Provider } = (await import("oidc-provider" as string)) as {
    default: new (
      issuer: string,
      configuration: Record<string, unknown>,
    ) => { callback(): (req: IncomingMessage, res: ServerResponse) => void };
  };
  const clientId = "gantry";
  const clientSecret = "test-client-secret-0123456789abcdef";
  // The issuer includes the port, which is known only after listening: listen first on a bare server.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        post_logout_redirect_uris: redirectUris.map((u) => new URL("/", u).href),
        token_endpoint_auth_method: "client_secret_post",
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], profile: ["name"], email: ["email"], groups: ["groups"] },
    scopes: ["openid", "profile", "email", "groups"],
    cookies: { keys: ["test-cookie-key-not-secret"] },
    pkce: { required: () => true },
    // Explicit lifetimes keep the provider from printing a notice for each default it uses.
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    features: { devInteractions: { enabled: true } },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        name: `${sub[0]?.toUpperCase()}${sub.slice(1)} Example`,
        email: `${sub}@example.test`,
        groups: ACCOUNTS[sub] ?? [],
      }),
    }),
  });
  handler = provider.callback();
  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A tiny browser: one cookie jar per host, follows redirects by hand so every hop is visible. */
export class TestBrowser {
  private jars = new Map<string, Map<string, string>>();

  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      json?: unknown;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Response> {
    const u = new URL(url);
    const jar = this.jars.get(u.host) ?? new Map<string, string>();
    this.jars.set(u.host, jar);
    const headers: Record<string, string> = { ...init.headers };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    const res = await fetch(url, {
      method: init.method ?? (body ? "POST" : "GET"),
      headers,
      body,
      redirect: "manual",
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (!pair || eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  cookie(host: string, name: string): string | undefined {
    return this.jars.get(host)?.get(name);
  }

  setCookie(host: string, name: string, value: string): void {
    const jar = this.jars.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.jars.set(host, jar);
  }

  /**
   * Follows redirects from `url` until a page that is not a redirect, or until `stopAt` matches a
   * redirect target (returned unvisited). Submits the IdP's login and consent forms on the way.
   */
  async signIn(
    url: string,
    login: string,
    stopAt?: (location: string) => boolean,
  ): Promise<{ response: Response; url: string; stopped?: string }> {
    let current = url;
    let init: Parameters<TestBrowser["request"]>[1] = {};
    for (let hop = 0; hop < 20; hop++) {
      const res = await this.request(current, init);
      init = {};
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, current).href;
        if (stopAt?.(next)) return { response: res, url: current, stopped: next };
        current = next;
        continue;
      }
      const text =
        res.status === 200 && (res.headers.get("content-type") ?? "").includes("text/html")
          ? await res.text()
          : "";
      const action = /<form[^>]*action="([^"]+)"/.exec(text)?.[1];
      if (action && text.includes('name="prompt" value="login"')) {
        current = new URL(action.replace(/&amp;/g, "&"), current).href;
        init = { form: { prompt: "login", login, password: "any" } };
        continue;
      }
      if (action && text.includes('name="prompt" value="consent"')) {
        current = new URL(action.replace(/&amp;/g, "&"), current).href;
        init = { form: { prompt: "consent" } };
        continue;
      }
      return { response: res, url: current };
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }
}
