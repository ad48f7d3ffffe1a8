import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { OUTPUT_FILE_LIMIT_BYTES } from "@gantry/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SUMMARY_LIMIT_BYTES } from "../summaries/limits.js";
import { readStepFilesScript } from "./remote-step-files.js";
import { shellQuote } from "./ssh/remote.js";

const exec = promisify(execFile);
const SEPARATOR = "gantry-summary-test";

describe("readStepFilesScript (the ssh and kubernetes runners' read of a step's files)", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "gantry-remote-files-"));
    dir = path.join(root, "step");
    mkdirSync(dir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  // Run by a real sh, as a node or a pod runs it; `setup` prepares the folder first.
  const read = async (setup: string) => {
    await exec("sh", ["-c", setup, "sh", dir]);
    const script = readStepFilesScript({
      output: shellQuote(path.join(dir, "output")),
      summary: shellQuote(path.join(dir, "summary")),
      dir: shellQuote(dir),
      separator: SEPARATOR,
    });
    return exec("sh", ["-c", script], { maxBuffer: 8 * 1024 * 1024, encoding: "buffer" }).then(
      ({ stdout }) => ({ code: 0, stdout: stdout.toString("utf8") }),
      (error: { code: number; stdout: Buffer }) => ({
        code: error.code,
        stdout: error.stdout.toString("utf8"),
      }),
    );
  };

  it("prints the outputs, the separator line and the summary, removes the folder and exits 0", async () => {
    const { code, stdout } = await read('printf "a=1\\n" > "$1/output"; printf "# Done" > "$1/summary"');
    expect(code).toBe(0);
    expect(stdout).toBe(`a=1\n\n${SEPARATOR}\n# Done`);
    await expect(exec("test", ["-e", dir])).rejects.toThrow();
  });

  it("reads at most one byte over each limit, however large the files", async () => {
    const big = (n: number) => "x".repeat(n);
    writeFileSync(path.join(dir, "output"), big(3 * OUTPUT_FILE_LIMIT_BYTES));
    writeFileSync(path.join(dir, "summary"), big(2 * SUMMARY_LIMIT_BYTES));
    const { stdout } = await read("true");
    const [output = "", summary = ""] = stdout.split(`\n${SEPARATOR}\n`);
    expect(output.length).toBe(OUTPUT_FILE_LIMIT_BYTES + 1);
    expect(summary.length).toBe(SUMMARY_LIMIT_BYTES + 1);
  });

  it("does not block on FIFOs put in place of the files, and exits non-zero without an output file", async () => {
    const { code, stdout } = await read('mkfifo "$1/output" "$1/summary"');
    expect(code).not.toBe(0);
    expect(stdout).toBe(`\n${SEPARATOR}\n`);
    await expect(exec("test", ["-e", dir])).rejects.toThrow();
  });
});
