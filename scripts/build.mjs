// `npm run build` (and `npm ci`, through `prepare`): every stage announced as it starts and timed as it
// ends, so a first install on a slow machine shows where it is instead of minutes of silence.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

export const STAGES = [
  ["the built-in actions", process.execPath, ["scripts/embed-actions.mjs"]],
  [
    "TypeScript (core, import, engine, server, cli)",
    process.execPath,
    ["node_modules/typescript/bin/tsc", "-b", "packages/cli"],
  ],
  ["the JSON Schemas", process.execPath, ["scripts/write-schemas.mjs"]],
  ["the web UI's API types", process.execPath, ["scripts/write-api-types.mjs"]],
  ["the CLI bundle", process.execPath, ["scripts/bundle-cli.mjs"]],
  ["the web UI (Vite)", npm, ["run", "build", "-w", "packages/ui", "--silent"]],
];

export function build(log = (line) => process.stderr.write(`${line}\n`)) {
  const started = performance.now();
  for (const [index, [what, program, args]] of STAGES.entries()) {
    const stageStart = performance.now();
    log(`build ${index + 1}/${STAGES.length}: ${what}…`);
    const result = spawnSync(program, args, { cwd: root, stdio: "inherit" });
    const seconds = ((performance.now() - stageStart) / 1000).toFixed(1);
    if (result.status !== 0) {
      log(`build ${index + 1}/${STAGES.length}: ${what} failed after ${seconds} s`);
      return false;
    }
    log(`build ${index + 1}/${STAGES.length}: ${what} done in ${seconds} s`);
  }
  log(`build: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = build() ? 0 : 1;
