import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Vitest's global set-up and teardown: every test of the run gets a private temporary folder (TMPDIR,
 * which child processes inherit), and at the end the run fails when a test left a process or a folder
 * behind, naming them; both are removed so the next run starts clean. Caches Gantry keeps under the
 * temporary folder on purpose (Node's compile cache, the built-in actions written out once) are no leftovers.
 */
const KEPT = new Set(["node-compile-cache", "gantry-builtin-actions"]);

/** Live processes started for this run: their environment carries its private TMPDIR. */
function processesOf(tmp: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
      if (!environ.includes(`TMPDIR=${tmp}`)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue; // exited, not yet reaped
      const command = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ").trim();
      // Vitest's own workers end with the run.
      if (/vitest|tinypool/.test(command)) continue;
      found.push({ pid, command });
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  return found;
}

/** Processes whose parent just ended (a helper reading its stdin) take a moment to notice: wait for them. */
const SETTLE_MS = 15_000;

async function lingering(tmp: string): Promise<{ pid: number; command: string }[]> {
  const deadline = Date.now() + SETTLE_MS;
  let found = processesOf(tmp);
  while (found.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    found = processesOf(tmp);
  }
  return found;
}

/** What a left folder holds, a few levels deep: says which test or process made it. */
function contentsOf(dir: string): string {
  try {
    const found = readdirSync(dir, { recursive: true }) as string[];
    return found.length === 0 ? "nothing" : found.slice(0, 12).join(", ");
  } catch {
    return "not a folder";
  }
}

export default function setup(): () => Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "gantry-tests-"));
  // Others may pass through but not list it: the fault suite's private PostgreSQL and RabbitMQ run as
  // their own users in folders made here (each folder inside keeps its own mode).
  chmodSync(tmp, 0o711);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  return async () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const processes = await lingering(tmp);
    for (const p of processes) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    const folders = readdirSync(tmp)
      .filter((name) => !KEPT.has(name))
      .map((name) => `${name} (holding: ${contentsOf(path.join(tmp, name))})`);
    rmSync(tmp, { recursive: true, force: true });
    const problems = [
      ...processes.map((p) => `process ${p.pid} still running: ${p.command.slice(0, 200)}`),
      ...folders.map((name) => `temporary ${name} left in ${tmp}`),
    ];
    if (problems.length > 0) {
      // Vitest reports an error thrown here but keeps its exit code: set it, so the run fails.
      process.exitCode = 1;
      throw new Error(`tests left these behind (now removed):\n  ${problems.join("\n  ")}`);
    }
  };
}
