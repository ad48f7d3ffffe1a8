import type { FastifyInstance } from "fastify";

/** Deeper JSON than any request of the API needs; much deeper can exhaust the stack of whatever walks it. */
export const MAX_JSON_DEPTH = 64;

/** An error Fastify answers with its status code (400) through the shared error handler. */
class BadBodyError extends Error {
  readonly statusCode = 400;
}

/**
 * Parses JSON bodies after checking their nesting without recursion: a 50,000-deep body is a 400 that
 * names the limit, never a stack overflow (500). Anything that is not JSON is a 400 too.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, undefined);
    const depth = nestingDepth(text);
    if (depth > MAX_JSON_DEPTH)
      return done(new BadBodyError(`the body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new BadBodyError(`the body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
}

/** The deepest nesting of arrays and objects in a JSON text, strings skipped. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}
