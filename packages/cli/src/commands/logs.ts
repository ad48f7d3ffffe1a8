import { expandLines, type LinesBatch, type LogLine } from "@gantry/core";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { pc } from "../output/colors.js";
import { authHeaders, authHint } from "./server-auth.js";

interface LogsFlags {
  step?: string;
  follow?: boolean;
  server?: string;
  after?: string;
}

export function registerLogsCommand(program: Command): void {
  program
    .command("logs")
    .description("Print a run's log from a server; --follow streams it live until the run ends")
    .argument("<run-id>", "the run")
    .option("-s, --step <step>", "only this step")
    .option("-f, --follow", "stream new lines until the run ends")
    .option("--after <offset>", "only lines after this offset")
    .option("--server <url>", "the Gantry server (default $GANTRY_URL or http://127.0.0.1:8080)")
    .action(async (runId: string, flags: LogsFlags) => {
      const base = (flags.server ?? process.env.GANTRY_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
      const query = new URLSearchParams();
      if (flags.step) query.set("step", flags.step);
      if (flags.after) query.set("after", flags.after);
      const url = `${base}/api/v1/runs/${encodeURIComponent(runId)}/logs${query.size ? `?${query}` : ""}`;
      // Following asks for packed batches (one message per batch of lines, a third of the bytes of an
      // object per line): a fast step's million lines then cost a few hundred messages, not a million.
      const batched = `${url}${query.size ? "&" : "?"}packed=true`;
      process.exitCode = flags.follow
        ? await follow(batched.replace(/^http/, "ws"), flags.step !== undefined)
        : await fetchText(url);
    });
}

async function fetchText(url: string): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, { headers: authHeaders() });
  } catch (error) {
    throw new UsageError(
      `cannot reach ${new URL(url).origin}: ${(error as Error).cause ?? (error as Error).message}`,
    );
  }
  if (!res.ok)
    throw new UsageError(
      `${res.status}: ${((await res.json()) as { error?: string }).error ?? res.statusText}${authHint(res.status)}`,
      1,
    );
  process.stdout.write(await res.text());
  return 0;
}

async function follow(url: string, oneStep: boolean): Promise<number> {
  const { WebSocket } = await import("ws");
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: authHeaders() });
    socket.on("message", (data) => {
      const lines: LogLine[] = [];
      for (const batch of JSON.parse(String(data)) as LinesBatch[]) expandLines(batch, lines);
      let out = "";
      for (const line of lines) {
        const prefix = oneStep
          ? ""
          : `${pc.cyan(line.item > 0 ? `${line.step}[${line.item}]` : line.step)} ${line.stream === "stderr" ? pc.red("!") : pc.dim("|")} `;
        out += `${prefix}${line.text}\n`;
      }
      process.stdout.write(out);
    });
    socket.on("unexpected-response", (_req, res) => {
      reject(
        new UsageError(
          `${res.statusCode}: ${res.statusCode === 404 ? "unknown run" : res.statusMessage}${authHint(res.statusCode ?? 0)}`,
          1,
        ),
      );
    });
    socket.on("error", (error) => reject(new UsageError(`cannot follow ${url}: ${error.message}`)));
    socket.on("close", () => resolve(0));
  });
}
