import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repo } from "../testing/gantry-process.js";

// What can be checked of the Dockerfile without building it (image.services.test.ts builds and runs it).
describe("Dockerfile", () => {
  const text = readFileSync(path.join(repo, "Dockerfile"), "utf8");

  it("builds every stage on one base, a supported Node.js LTS pinned by digest", () => {
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1];
    expect(base).toMatch(/^node:24-bookworm-slim@sha256:[0-9a-f]{64}$/);
    const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own ${NODE_IMAGE}, not JavaScript's.
    for (const from of froms) expect(from).toBe("${NODE_IMAGE}");
  });

  it("runs as a numeric non-root user, so Kubernetes' runAsNonRoot can check it", () => {
    expect(text).toMatch(/^USER 10001:10001$/m);
  });
});
