// Validation at scale: `gantry validate` of a workflow of 100,000 independent steps and of a 10,000-step
// chain (each step needs the one before and reads its output), process start included. Wall time and the
// process's peak resident memory, each against the bound (under 10 s and under 500 MB). Work that
// grows faster than the steps (a search through every step for each step, the ancestors of every step
// made up front) shows here first: before the fix, 30,000 steps took 120 s and a 6,000-step chain 677 MB.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { BenchError, tail } from "../lib/errors.mjs";
import { GANTRY_BIN } from "../lib/gantry.mjs";
import { timeProcess } from "../lib/timing.mjs";

const SECONDS = 10;
const MEGABYTES = 500;

function independent(n) {
  const lines = ["name: wide", "steps:"];
  for (let i = 0; i < n; i++) lines.push(`  s${i}:`, `    run: echo ${i}`);
  return `${lines.join("\n")}\n`;
}

function chain(n) {
  const lines = ["name: chain", "steps:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  s${i}:`);
    if (i > 0)
      lines.push(`    needs: [s${i - 1}]`, `    env: {PREVIOUS: "\${{ steps.s${i - 1}.outputs.n }}"}`);
    lines.push(`    run: echo "n=${i}" >> "$GANTRY_OUTPUT"`);
  }
  return `${lines.join("\n")}\n`;
}

async function validate(ctx, file) {
  const maxRss = path.join(ctx.root, "bench", "lib", "max-rss.mjs");
  const result = await timeProcess(process.execPath, ["--import", maxRss, GANTRY_BIN, "validate", file], {
    cwd: ctx.root,
    env: process.env,
  });
  if (result.code !== 0)
    throw new BenchError(
      `gantry validate ${file}: exit code ${result.code}\n${tail(result.stdout)}\n${tail(result.stderr)}`,
    );
  const kb = Number(/gantry-bench-max-rss-kb (\d+)/.exec(result.stderr)?.[1]);
  if (!Number.isFinite(kb))
    throw new BenchError(`gantry validate ${file}: no peak memory reported\n${tail(result.stderr)}`);
  return { seconds: result.seconds, megabytes: kb / 1024 };
}

export default {
  id: "validate",
  name: "validation at scale",
  kind: "service",
  async measure(ctx) {
    const cases = [
      { label: "100,000 independent steps", file: "validate-wide.yaml", text: independent(100_000) },
      { label: "10,000-step chain", file: "validate-chain.yaml", text: chain(10_000) },
    ];
    const rows = [];
    for (const c of cases) {
      const file = path.join(ctx.workDir, c.file);
      await writeFile(file, c.text);
      ctx.log(`validation at scale: ${c.label}`);
      // One untimed run first (the compile cache); then the median of the samples.
      await validate(ctx, file);
      const samples = [];
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) samples.push(await validate(ctx, file));
      const mid = (key) => samples.map((s) => s[key]).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
      const seconds = mid("seconds");
      const megabytes = mid("megabytes");
      rows.push(
        {
          workload: "gantry validate",
          backend: c.label,
          measure: "wall s",
          value: seconds,
          target: `< ${SECONDS}`,
          met: seconds < SECONDS,
        },
        {
          workload: "gantry validate",
          backend: c.label,
          measure: "peak RSS MB",
          value: megabytes,
          target: `< ${MEGABYTES}`,
          met: megabytes < MEGABYTES,
        },
      );
    }
    return { rows };
  },
};
