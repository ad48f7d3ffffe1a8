import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";

/** Why a sign-in failed, in plain words, from what the OIDC library or the IdP said. */
export function plainReason(detail: string): string {
  if (/no Gantry role/i.test(detail))
    return "Your account has no role in Gantry. Ask an administrator to map your group.";
  if (/state/i.test(detail))
    return "This sign-in was started in another browser or tab, took longer than 10 minutes, or was already used.";
  if (/JWT|claim|nonce|signature|iss|aud/i.test(detail))
    return "The identity provider's answer could not be verified (its token did not match this sign-in).";
  if (/fetch|ECONNREFUSED|ENOTFOUND|timeout|cannot be reached/i.test(detail))
    return "The identity provider cannot be reached right now.";
  if (/access_denied|refused/i.test(detail)) return "The identity provider refused the sign-in.";
  return "Signing in did not complete.";
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Answers a failed sign-in: a page in the UI's look with the reason and a "Sign in again" button for a
 * browser, the same words as JSON for a script; and a line in the server's log either way.
 */
export function signInFailed(
  ctx: Pick<ServerContext, "onWarning">,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string,
): FastifyReply {
  const reason = plainReason(detail);
  ctx.onWarning?.(`sign-in failed (${status}): ${detail}`);
  if (!(request.headers.accept ?? "").includes("text/html"))
    return reply.code(status).send({ error: `sign-in failed: ${detail}`, reason });
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in failed · Gantry</title>
<style>
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f8fafc;color:#0f172a;font:15px/1.5 ui-sans-serif,system-ui,sans-serif}
main{max-width:28rem;margin:1rem;padding:2rem;background:#fff;border:1px solid #e2e8f0;border-radius:.75rem;box-shadow:0 1px 2px rgb(0 0 0/.05)}
h1{margin:0 0 .5rem;font-size:1.25rem}p{margin:.5rem 0}.detail{color:#64748b;font-size:.8rem;word-break:break-word}
a.button{display:inline-block;margin-top:1rem;padding:.5rem 1rem;border-radius:.5rem;background:#0f172a;color:#fff;text-decoration:none;font-weight:500}
@media (prefers-color-scheme:dark){body{background:#020617;color:#e2e8f0}main{background:#0f172a;border-color:#1e293b}a.button{background:#e2e8f0;color:#0f172a}}
</style></head>
<body><main>
<h1>Sign-in failed</h1>
<p>${escapeHtml(reason)}</p>
<p class="detail">${escapeHtml(detail)}</p>
<a class="button" href="/auth/login">Sign in again</a>
</main></body></html>`;
  return reply.code(status).type("text/html; charset=utf-8").send(page);
}
