// How long a user waits for `gantry up`: from the process start until /healthz answers 200 on the URL it
// prints (a fresh data folder each time, so the database is migrated too), against an empty Node program.
// The goal is 2 s on an idle machine; a loaded one shows more.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { BenchError, tail } from "../lib/errors.mjs";
import { GANTRY_BIN } from "../lib/gantry.mjs";
import { secondsSince, timeProcess } from "../lib/timing.mjs";

const GIVE_UP_MS = 120_000;

function upUntilHealthy(ctx) {
  const data = mkdtempSync(path.join(ctx.workDir, "up-ready-"));
  const start = process.hrtime.bigint();
  const up = spawn(process.execPath, [GANTRY_BIN, "up", "--port", "0", "--data", data], {
    cwd: ctx.root,
    env: process.env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let text = "";
  const exited = new Promise((resolve) => up.on("exit", resolve));
  const cleanup = async () => {
    up.kill("SIGTERM");
    await exited;
    rmSync(data, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup().then(() =>
        reject(new BenchError(`gantry up did not answer /healthz in ${GIVE_UP_MS} ms\n${tail(text)}`)),
      );
    }, GIVE_UP_MS);
    up.on("exit", (code) => {
      if (!up.healthChecked) reject(new BenchError(`gantry up exited with ${code}\n${tail(text)}`));
    });
    up.stderr.on("data", async (chunk) => {
      text += chunk;
      const match = /Gantry is up: (http:\/\/\S+)/.exec(text);
      if (!match || up.healthChecked) return;
      up.healthChecked = true;
      const res = await fetch(`${match[1]}/healthz`);
      const seconds = secondsSince(start);
      clearTimeout(timer);
      await cleanup();
      if (res.status !== 200) reject(new BenchError(`/healthz answered ${res.status}`));
      else resolve(seconds);
    });
  });
}

export default {
  id: "up-ready",
  name: "gantry up until /healthz answers (goal: 2 s idle)",
  async run(ctx) {
    const gantrySeconds = await upUntilHealthy(ctx);
    const floor = await timeProcess(process.execPath, ["-e", "0"], { cwd: ctx.root, env: process.env });
    return { gantrySeconds, floorSeconds: floor.seconds };
  },
};
