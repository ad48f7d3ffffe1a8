import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { ProcessHealth } from "./health.js";

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The operations listener: /healthz (liveness), /readyz (readiness) and /metrics (Prometheus), on a port
 * of its own. Kept apart from the API so that a Service, load balancer or Ingress routing the API never
 * exposes them, and so that a worker, which serves no API, can be probed and scraped. It starts before the
 * process opens its database, so probes answer while it waits for the schema; the metrics registry is read
 * at each scrape, for the same reason. Nothing here reads a request body.
 */
export async function startOpsServer(options: {
  host: string;
  port: number;
  health: ProcessHealth;
  registry: () => Registry | undefined;
  version: string;
}): Promise<OpsServer> {
  const server = http.createServer((request, response) => {
    const send = (status: number, body: string, type = "application/json; charset=utf-8") => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(request.method === "HEAD" ? undefined : body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      return send(405, JSON.stringify({ error: "only GET and HEAD" }));
    }
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/healthz")
      return send(
        200,
        JSON.stringify({ status: "ok", phase: options.health.phase, version: options.version }),
      );
    if (path === "/readyz") {
      options.health.readiness().then(
        (r) =>
          send(
            r.ready ? 200 : 503,
            JSON.stringify(r.ready ? { status: "ready" } : { status: "unavailable", reason: r.reason }),
          ),
        () => send(503, JSON.stringify({ status: "unavailable" })),
      );
      return;
    }
    if (path === "/metrics") {
      const registry = options.registry();
      if (!registry) return send(200, "", "text/plain; version=0.0.4; charset=utf-8");
      registry.metrics().then(
        (text) => send(200, text, registry.contentType),
        (error: Error) => send(500, `# metrics failed: ${error.message}\n`, "text/plain; charset=utf-8"),
      );
      return;
    }
    return send(404, JSON.stringify({ error: "not found: /healthz, /readyz and /metrics are served here" }));
  });
  // Probes and scrapers send tiny requests: a slow or idle client is not kept around.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
