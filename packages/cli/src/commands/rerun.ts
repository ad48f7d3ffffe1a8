import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { authHeaders, authHint } from "./server-auth.js";

interface RerunFlags {
  from?: string;
  failed?: boolean;
  revision?: string;
  server?: string;
  json?: boolean;
}

/** `gantry rerun RUN [--from STEP | --failed] [--revision current]`, through the server's API. */
export function registerRerunCommand(program: Command): void {
  program
    .command("rerun")
    .description(
      "Run a finished run again with its inputs: whole, from the failed steps, or from one step on (earlier outputs reused)",
    )
    .argument("<run-id>", "the run to start again")
    .option("--from <step>", "run this step and every step after it again; the others keep their results")
    .option("--failed", "run only the failed, cancelled and skipped steps again")
    .option("--revision <which>", "pinned (default: the run's own revision and commit) or current", "pinned")
    .option("--json", "print the API's JSON")
    .option("--server <url>", "the Gantry server (default $GANTRY_URL or http://127.0.0.1:8080)")
    .action(async (runId: string, flags: RerunFlags) => {
      if (flags.revision !== "pinned" && flags.revision !== "current")
        throw new UsageError(`--revision: '${flags.revision}' is not allowed (allowed: pinned, current)`);
      if (flags.from !== undefined && flags.failed)
        throw new UsageError("--from and --failed cannot be combined: choose one");
      const body = {
        ...(flags.from !== undefined ? { from_step: flags.from } : {}),
        ...(flags.failed ? { from_failed: true } : {}),
        revision: flags.revision,
      };
      const base = (flags.server ?? process.env.GANTRY_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
      let res: Response;
      try {
        res = await fetch(`${base}/api/v1/runs/${encodeURIComponent(runId)}/rerun`, {
          method: "POST",
          headers: { ...authHeaders(), "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch (error) {
        throw new UsageError(`cannot reach ${base}: ${(error as Error).cause ?? (error as Error).message}`);
      }
      const reply = (await res.json().catch(() => ({}))) as {
        error?: string;
        id?: string;
        status?: string;
        revision?: string;
      };
      if (!res.ok)
        throw new UsageError(`${res.status}: ${reply.error ?? res.statusText}${authHint(res.status)}`, 1);
      if (flags.json) return void process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
      process.stdout.write(`${reply.id}\n`);
      process.stderr.write(
        `started ${reply.id} (${reply.status}) at ${flags.revision === "current" ? "the current" : "the pinned"} revision ${reply.revision?.slice(0, 12)}${flags.from ? `, from step ${flags.from}` : ""}\n`,
      );
    });
}
