// Bundles the compiled CLI (tsc output) into one file. Node has no module compile cache by default, and
// resolving and parsing some 300 small ES modules cost more than the work of a short `gantry run`;
// one file halves start-up (numbers in bench/README.md). Heavy clients that adapters load lazily stay
// external, so they are read from node_modules only when a workflow needs them.
import { rmSync } from "node:fs";
import { build } from "esbuild";

// Also external: native addons (better-sqlite3) and libraries that locate files or spawn worker threads
// relative to their own folder (pino through fastify), which a bundle would break.
const lazyExternals = [
  "@aws-sdk/*",
  "@smithy/*",
  "@google-cloud/*",
  "openpgp",
  "age-encryption",
  "better-sqlite3",
  "pg",
  "fastify",
  "@fastify/*",
  "prom-client",
  "ws",
  // Runner and trigger clients, loaded when a step or a listener first needs them.
  "dockerode",
  "@kubernetes/client-node",
  "ssh2",
  "amqplib",
  "mqtt",
  "nats",
  "pg-logical-replication",
  "openid-client",
];

// Chunks have content-hashed names: without a fresh folder, every build would leave the last one's behind.
rmSync("packages/cli/dist/bundle", { recursive: true, force: true });

await build({
  entryPoints: { gantry: "packages/cli/dist/main.js" },
  outdir: "packages/cli/dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  external: lazyExternals,
  sourcemap: true,
  logLevel: "warning",
  // Some dependencies are CommonJS and call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __gantryRequire } from 'node:module'; const require = __gantryRequire(import.meta.url);",
  },
});
