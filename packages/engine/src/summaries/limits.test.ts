import { execFileSync } from "node:child_process";
import { symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../testing/temp-dir.js";
import { readSummaryHead } from "./limits.js";

describe("readSummaryHead", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const file = (name: string, text: string) => {
    const at = path.join(tmp.dir, name);
    writeFileSync(at, text);
    return at;
  };

  it("reads one byte more than the limit, the whole of a smaller file, and nothing of an empty or missing one", async () => {
    expect(await readSummaryHead(file("long", "abcdefghij"), 4)).toBe("abcde");
    expect(await readSummaryHead(file("exact", "abcde"), 4)).toBe("abcde");
    expect(await readSummaryHead(file("short", "ab"), 4)).toBe("ab");
    expect(await readSummaryHead(file("empty", ""), 4)).toBeUndefined();
    expect(await readSummaryHead(path.join(tmp.dir, "missing"), 4)).toBeUndefined();
  });

  it("reads nothing of what is not a regular file: a device, or a FIFO that would block the read", async () => {
    const device = path.join(tmp.dir, "device");
    symlinkSync("/dev/zero", device);
    expect(await readSummaryHead(device, 4)).toBeUndefined();
    const fifo = path.join(tmp.dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(await readSummaryHead(fifo, 4)).toBeUndefined();
  });
});
