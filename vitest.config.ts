import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests import the workspace packages from source, so a test never runs against a stale dist/.
// CLI tests spawn the built CLI instead, which is why `npm test` builds first.
const alias = {
  "@gantry/core": src("core"),
  "@gantry/engine": src("engine"),
  "@gantry/import": src("import"),
};
const uiAlias = { "@": fileURLToPath(new URL("./packages/ui/src", import.meta.url)) };

export default defineConfig({
  resolve: { alias },
  test: {
    // A private temporary folder per run, and a check at the end that tests left no process or folder.
    globalSetup: ["scripts/test-global-setup.ts"],
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "bench/**/*.test.ts", "scripts/**/*.test.ts"],
          exclude: ["**/*.services.test.ts", "**/node_modules/**", "**/dist/**", "packages/ui/**"],
          // Limits for a hung test, not for a slow one: on a busy 2-core machine a test that spawns
          // gantry and git processes can take a minute; a limit below that fails work that would pass.
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The UI's component tests: React in jsdom, no server (the end-to-end tests use a real one).
        resolve: { alias: uiAlias },
        test: {
          name: "ui",
          include: ["packages/ui/src/**/*.test.{ts,tsx}"],
          exclude: ["**/*.services.test.ts", "**/node_modules/**"],
          environment: "jsdom",
          setupFiles: ["packages/ui/src/testing/jsdom-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "services",
          include: ["packages/*/src/**/*.services.test.ts"],
          // Ends every browser and server the end-to-end tests started, even when a test fails.
          teardownTimeout: 60_000,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
