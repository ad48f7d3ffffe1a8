import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";

/**
 * The UI's Content-Security-Policy: scripts, styles, fonts and images only from this origin (plus the
 * one inline script of index.html that applies the theme before the first paint, by its hash), API and
 * WebSocket calls to this origin, and no framing by any site. Styles allow 'unsafe-inline' for the
 * style attributes React sets (the DAG's node positions). No script is evaluated from text: the run and
 * approval forms validate with an interpreting validator (ui/src/lib/form-validator.ts), not Ajv's
 * compiled functions, so neither 'unsafe-eval' nor any inline script but the theme's is allowed.
 */
export function contentSecurityPolicy(inlineScriptHashes: string[] = []): string {
  return [
    "default-src 'self'",
    ["script-src 'self'", ...inlineScriptHashes.map((h) => `'${h}'`)].join(" "),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** `sha256-…` of each inline `<script>` of the built index.html, read once at start. */
export function inlineScriptHashes(uiDir: string | undefined): string[] {
  const index = uiDir ? path.join(uiDir, "index.html") : undefined;
  if (!index || !existsSync(index)) return [];
  const html = readFileSync(index, "utf8");
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) =>
      `sha256-${createHash("sha256")
        .update(m[1] ?? "")
        .digest("base64")}`,
  );
}

/** Headers on every response: the UI's pages and the API's JSON alike. */
export function registerSecurityHeaders(app: FastifyInstance, uiDir: string | undefined): void {
  const policy = contentSecurityPolicy(inlineScriptHashes(uiDir));
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    reply.header("content-security-policy", policy);
    return payload;
  });
}
