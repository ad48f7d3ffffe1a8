import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium; `.ci/run` installs it. A missing browser fails the suite, it never skips it. */
export const CHROMIUM = process.env.GANTRY_CHROMIUM ?? "/usr/bin/chromium";

/** Headless Chromium for the browser tests, with the flags that keep it off a network this machine lacks. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set GANTRY_CHROMIUM`,
    );
  }
  // Without the background-networking flags Chromium keeps dialling Google's hosts (../shared/ENVIRONMENT.md).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
