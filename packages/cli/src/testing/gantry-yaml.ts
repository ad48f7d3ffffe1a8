import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach } from "vitest";
import { loadConfig } from "../roles/config.js";

/**
 * A fresh folder per test (removed after it) and `load`, which writes `gantry.yaml` there and reads it
 * as the roles do, with the environment given.
 */
export function gantryYamlFolder() {
  const folder = {
    dir: "",
    load(text: string, env: NodeJS.ProcessEnv = {}) {
      const file = path.join(folder.dir, "gantry.yaml");
      writeFileSync(file, text);
      return loadConfig({ config: file }, env);
    },
  };
  beforeEach(() => {
    folder.dir = mkdtempSync(path.join(os.tmpdir(), "gantry-config-"));
  });
  afterEach(() => rmSync(folder.dir, { recursive: true, force: true }));
  return folder;
}
