#!/usr/bin/env node
// A committed launcher, so that npm links `gantry` into node_modules/.bin at install time, before the
// build has produced dist/. It runs the bundle (see scripts/bundle-cli.mjs); `--version` alone is
// answered here, without loading the command tree (scripts and health checks call it often).
import { readFileSync } from "node:fs";
import module from "node:module";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${version}\n`);
} else {
  // V8's compiled code for the bundle and the libraries it loads, kept on disk between starts (Node's
  // own cache folder under the system's temporary folder, or NODE_COMPILE_CACHE).
  module.enableCompileCache?.();
  await import("../dist/bundle/gantry.js");
}
