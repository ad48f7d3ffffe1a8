import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/**
 * The web UI: the built files of packages/ui at `/`, and index.html for every other GET that is not an
 * API, auth or asset path, so a shared link such as /runs/abc opens the right page.
 */
export async function uiRoutes(app: FastifyInstance, uiDir: string | undefined): Promise<void> {
  const index = uiDir ? path.join(uiDir, "index.html") : undefined;
  if (!uiDir || !index || !existsSync(index)) {
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type("text/plain; charset=utf-8")
        .send(
          "Gantry's API is at /api/v1 (OpenAPI: /api/v1/openapi.json). The UI is not built: run `npm run build`.\n",
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: uiDir,
    wildcard: false,
    // The build writes .br and .gz beside each file (scripts/compress-ui.mjs): served as the client accepts.
    preCompressed: true,
    // Hashed file names under /assets never change: cache them for a year; index.html always revalidates.
    setHeaders: (reply, file) => {
      reply.header(
        "cache-control",
        file.includes(`${path.sep}assets${path.sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
  app.get("/assets/*", { schema: { hide: true } }, (request, reply) =>
    reply.sendFile(`assets/${(request.params as { "*": string })["*"]}`),
  );
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split("?")[0] ?? "";
    if (
      request.method !== "GET" ||
      url.startsWith("/api/") ||
      url.startsWith("/auth/") ||
      url.startsWith("/assets/")
    ) {
      return reply.code(404).send({ error: `not found: ${request.method} ${url}` });
    }
    return reply.type("text/html; charset=utf-8").sendFile("index.html");
  });
}
