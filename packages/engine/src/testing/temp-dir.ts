import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A temporary folder for one test, with a helper to write files into it; removed by `cleanup`. */
export function tempDir(prefix = "gantry-test-") {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    write(relative: string, text: string): string {
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    cleanup(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
