// The WebSocket followers of the `load` workload, in their own process so that their CPU is theirs.
// Reads `{"base": "ws://…"}` then one run id per line on stdin; follows each run's log
// (`?batch=true`: a message is a JSON array of lines) and measures, per line, the time from its print
// (the step prints bash's $EPOCHREALTIME first: `t=<seconds.micros> …`) to its arrival. Prints one JSON
// line once stdin closed and every socket was closed by the server.
import readline from "node:readline";
import WebSocket from "ws";

const lags = [];
const followers = [];
let base;
let lines = 0;
let errors = 0;

function follow(id) {
  const state = { lines: 0, code: null, error: null };
  const socket = new WebSocket(`${base}/api/v1/runs/${id}/logs?batch=true`, { perMessageDeflate: false });
  socket.on("message", (data) => {
    const now = Date.now();
    for (const line of JSON.parse(data.toString("utf8"))) {
      const match = /^t=(\d+)\.(\d+)/.exec(line.text);
      if (!match) continue;
      lags.push(now - (Number(match[1]) * 1000 + Number(match[2].slice(0, 3))));
      state.lines++;
      lines++;
    }
  });
  state.done = new Promise((resolve) => {
    socket.on("close", (code) => {
      state.code = code;
      resolve();
    });
    socket.on("error", (error) => {
      state.error = error.message;
      errors++;
    });
  });
  followers.push(state);
}

const input = readline.createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const text of input) {
  if (!base) {
    base = JSON.parse(text).base;
    continue;
  }
  if (text.trim()) follow(text.trim());
}
await Promise.all(followers.map((f) => f.done));
const sorted = lags.sort((a, b) => a - b);
const at = (p) =>
  sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? null;
process.stdout.write(
  `${JSON.stringify({
    followers: followers.length,
    lines,
    errors,
    notClosedNormally: followers.filter((f) => f.code !== 1000).length,
    lagMs: { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? null },
  })}\n`,
);
process.exit(0);
