// `npm start [-- flags]`: `gantry up` from a clone. It builds first only when the build is missing (`npm ci`
// has built it through `prepare`), saying so, then starts Gantry in this process with the flags given.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "./build.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outputs = ["packages/cli/dist/bundle/gantry.js", "packages/ui/dist/index.html"];
const missing = outputs.filter((file) => !existsSync(path.join(root, file)));
if (missing.length > 0) {
  process.stderr.write(`start: ${missing.join(" and ")} missing, building first\n`);
  if (!build()) process.exit(1);
}
process.stderr.write("start: gantry up (the URL follows once it is up; Ctrl-C stops it)\n");
process.argv = [
  process.argv[0] ?? "node",
  path.join(root, "packages/cli/bin/gantry.js"),
  "up",
  ...process.argv.slice(2),
];
await import(pathToFileURL(path.join(root, "packages/cli/bin/gantry.js")).href);
