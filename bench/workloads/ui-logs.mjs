// A long log in the browser: a finished step's 1,000,000 lines (`--quick`: 200,000) opened on the run
// page in headless Chromium, timed until the page says it holds them all; then the same log over a
// WebSocket opened by the page itself, parsed into one object per line as the page does, once packed
// (`?packed=true`, what the page asks for) and once as arrays of line objects (`?batch=true`).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { BenchError } from "../lib/errors.mjs";
import { LINE_BYTES, writePrintLines } from "../lib/print-lines.mjs";
import { apiClient, startUp, waitForRun, writeConfig } from "../lib/service.mjs";
import { settled } from "../lib/timing.mjs";

const WORKFLOW = "bench-ui-logs";
const CHROMIUM = process.env.GANTRY_CHROMIUM ?? "/usr/bin/chromium";
const LABEL = "gantry up, Chromium (headless)";

export default {
  id: "ui-logs",
  name: "UI: a long log on the run page",
  kind: "service",
  async measure(ctx) {
    if (!existsSync(CHROMIUM))
      return { rows: [], skipped: [`${LABEL}: no Chromium at ${CHROMIUM} (apt-get install chromium)`] };
    const { chromium } = await import("playwright-core");
    const lines = ctx.quick ? 200_000 : 1_000_000;
    const dir = path.join(ctx.workDir, "ui-logs");
    const wfDir = path.join(dir, "workflows");
    await mkdir(wfDir, { recursive: true });
    await writePrintLines(dir, wfDir, WORKFLOW);
    const config = path.join(dir, "gantry.yaml");
    await writeConfig(config, { lease: 30, poll: 5, concurrency: 4, grace: 2 });
    const up = await startUp(ctx, { dir: wfDir, config, data: path.join(dir, "data") });
    const api = apiClient(up.url);
    // Without the background-networking flags Chromium keeps dialling Google's hosts (ENVIRONMENT.md).
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"].concat([
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ]),
    });
    try {
      ctx.log(`ui-logs: a step printing ${lines} lines`);
      const res = await api.request("POST", `/workflows/${WORKFLOW}/runs`, { inputs: { lines } });
      if (res.status !== 201)
        throw new BenchError(`POST /workflows/${WORKFLOW}/runs: ${res.status} ${res.text}`);
      const run = await waitForRun(api, res.json.id, { roles: [up], everyMs: 100, timeoutMs: 600_000 });
      if (run.status !== "succeeded") throw new BenchError(`run ${run.id} ${run.status}: ${run.error}`);
      // Archived: the page reads the log store, not chunks being moved.
      await settled([up.pid]);

      ctx.log("ui-logs: the run page");
      const page = await browser.newPage();
      const t0 = performance.now();
      await page.goto(`${up.url}/runs/${run.id}`);
      await page.getByText(`${lines} lines`, { exact: true }).waitFor({ timeout: 600_000 });
      const pageSeconds = (performance.now() - t0) / 1000;

      const socket = {};
      for (const mode of ["packed", "batch"]) {
        ctx.log(`ui-logs: the page's own WebSocket, ?${mode}=true`);
        socket[mode] = await page.evaluate(readLog, {
          url: `${up.url.replace(/^http/, "ws")}/api/v1/runs/${run.id}/logs?${mode}=true`,
          packed: mode === "packed",
        });
        if (socket[mode].lines !== lines)
          throw new BenchError(`?${mode}=true: ${socket[mode].lines} lines, expected ${lines}`);
      }
      const backend = `${LABEL}, ${lines.toLocaleString("en")} lines of ${LINE_BYTES} bytes`;
      const row = (workload, measure, value) => ({
        workload,
        backend,
        measure,
        value,
        target: "-",
        met: null,
      });
      return {
        rows: [
          row("UI: the whole log reaches the run page", "s", pageSeconds),
          row("UI: the log over the page's WebSocket, packed", "s", socket.packed.seconds),
          row("UI: the log over the page's WebSocket, packed", "MB", socket.packed.bytes / 1e6),
          row("UI: the same, ?batch=true (line objects)", "s", socket.batch.seconds),
          row("UI: the same, ?batch=true (line objects)", "MB", socket.batch.bytes / 1e6),
        ],
      };
    } finally {
      await browser.close();
      api.close();
      await up.stop();
    }
  },
};

/**
 * Runs in the page: reads the whole log over a WebSocket and makes an object per line, as the page's
 * log stream does (for packed batches: the texts split, offsets counted). Serialised by Playwright, so
 * it uses nothing from this module.
 */
function readLog({ url, packed }) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const kept = [];
    let bytes = 0;
    const socket = new WebSocket(url);
    socket.onmessage = (event) => {
      bytes += event.data.length;
      const message = JSON.parse(event.data);
      if (!packed) {
        for (const line of message) kept.push(line);
        return;
      }
      for (const batch of message) {
        const texts = batch.lines.x.split("\n");
        for (let i = 0; i < texts.length; i++)
          kept.push({ offset: batch.offset + i, step: batch.step, item: batch.item, text: texts[i] });
      }
    };
    socket.onerror = () => reject(new Error(`WebSocket ${url} failed`));
    socket.onclose = () =>
      resolve({ seconds: (performance.now() - start) / 1000, bytes, lines: kept.length });
  });
}
