import { createHash } from "node:crypto";
import { symlinkSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../testing/temp-dir.js";
import { hashWorkspaceFiles, withHashFiles } from "./hash-files.js";

const sha = (data: string | Buffer) => createHash("sha256").update(data).digest();
/** GitHub's answer for files with these contents, in this order. */
const expected = (...contents: string[]) =>
  createHash("sha256")
    .update(Buffer.concat(contents.map((c) => sha(c))))
    .digest("hex");

describe("hashFiles()", () => {
  let ws: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof tempDir>;
  beforeEach(() => {
    ws = tempDir("gantry-hash-ws-");
    outside = tempDir("gantry-hash-out-");
    ws.write("package-lock.json", "root lock");
    ws.write("app/package-lock.json", "app lock");
    ws.write("app/src/index.js", "code");
    ws.write(".config/settings", "dot");
    ws.write("b.txt", "b");
    ws.write("a.txt", "a");
    outside.write("secret", "worker's own file");
  });
  afterEach(() => {
    ws.cleanup();
    outside.cleanup();
  });

  it("hashes the matched files' SHA-256s in the order of their paths", async () => {
    expect(await hashWorkspaceFiles(ws.dir, ["**/package-lock.json"])).toBe(
      expected("app lock", "root lock"),
    );
    // Arguments and lines add patterns; the order of the patterns does not matter, the paths' does.
    expect(await hashWorkspaceFiles(ws.dir, ["b.txt", "a.txt"])).toBe(expected("a", "b"));
    expect(await hashWorkspaceFiles(ws.dir, ["b.txt\na.txt"])).toBe(expected("a", "b"));
    expect(await hashWorkspaceFiles(ws.dir, [path.join(ws.dir, "a.txt")])).toBe(expected("a"));
  });

  it("takes a folder's files, dot files, and leaves out what ! excludes", async () => {
    expect(await hashWorkspaceFiles(ws.dir, ["app"])).toBe(expected("app lock", "code"));
    expect(await hashWorkspaceFiles(ws.dir, [".config/*"])).toBe(expected("dot"));
    expect(await hashWorkspaceFiles(ws.dir, ["app/**", "!app/src"])).toBe(expected("app lock"));
  });

  it("is '' when nothing matches, and never reads outside the workspace", async () => {
    expect(await hashWorkspaceFiles(ws.dir, ["nothing/**"])).toBe("");
    expect(await hashWorkspaceFiles(ws.dir, ["!a.txt"])).toBe("");
    symlinkSync(path.join(outside.dir, "secret"), path.join(ws.dir, "link"));
    symlinkSync(outside.dir, path.join(ws.dir, "linked-dir"));
    expect(await hashWorkspaceFiles(ws.dir, ["link"])).toBe("");
    expect(await hashWorkspaceFiles(ws.dir, ["--follow-symbolic-links", "linked-dir/**"])).toBe("");
    expect(await hashWorkspaceFiles(ws.dir, [`../${path.basename(outside.dir)}/secret`])).toBe("");
    expect(await hashWorkspaceFiles(ws.dir, [path.join(outside.dir, "secret")])).toBe("");
  });

  it("runs a synchronous evaluation again with the hashes it asked for", async () => {
    let passes = 0;
    const value = await withHashFiles(ws.dir, "local", (hashFiles) => {
      passes++;
      const first = hashFiles(["a.txt"]);
      if (first === "") throw new Error("a placeholder answer may fail the first pass");
      return `${first}/${hashFiles(["b.txt"])}`;
    });
    expect(value).toBe(`${expected("a")}/${expected("b")}`);
    expect(passes).toBe(3);
    expect(await withHashFiles(undefined, "ssh", () => "no call, no workspace needed")).toBe(
      "no call, no workspace needed",
    );
    await expect(withHashFiles(undefined, "kubernetes", (h) => h(["a.txt"]))).rejects.toThrow(
      /the kubernetes runner does not have \(local and docker do\)/,
    );
  });
});
