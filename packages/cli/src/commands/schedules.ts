import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { pc } from "../output/colors.js";
import { renderTable } from "../output/table.js";
import { authHeaders, authHint } from "./server-auth.js";

interface ServerFlags {
  server?: string;
  json?: boolean;
}

interface FireView {
  scheduled_time: string;
  kind: "cron" | "manual";
  status: "fired" | "skipped" | "missed" | "failed";
  run_id: string | null;
  reason: string | null;
}

interface ScheduleView {
  id: string;
  workflow: string;
  cron: string;
  timezone: string;
  state: "active" | "suspended";
  next: string[];
  last_fire: FireView | null;
}

const SERVER_HELP = "the Gantry server (default $GANTRY_URL or http://127.0.0.1:8080)";

/** `gantry schedules list|suspend|resume|fire|fires`, through the server's API. */
export function registerSchedulesCommand(program: Command): void {
  const schedules = program
    .command("schedules")
    .description("List schedules, suspend or resume one, fire one now, show its history (from a server)");

  schedules
    .command("list")
    .description("Every schedule with its state, next fire time and last fire")
    .option("--workflow <name>", "only this workflow's schedules")
    .option("--json", "print the API's JSON")
    .option("--server <url>", SERVER_HELP)
    .action(async (flags: ServerFlags & { workflow?: string }) => {
      const query = flags.workflow ? `?workflow=${encodeURIComponent(flags.workflow)}` : "";
      const { schedules: list } = (await call(flags, "GET", `/api/v1/schedules${query}`)) as {
        schedules: ScheduleView[];
      };
      if (flags.json) return print({ schedules: list });
      if (list.length === 0) return void process.stderr.write("no schedules\n");
      const rows = list.map((s) => [
        s.id,
        s.cron,
        s.timezone,
        s.state === "active" ? pc.green(s.state) : pc.yellow(s.state),
        s.next[0] ? shortTime(s.next[0]) : "-",
        s.last_fire ? `${shortTime(s.last_fire.scheduled_time)} ${statusColour(s.last_fire.status)}` : "-",
      ]);
      process.stdout.write(
        `${renderTable(["ID", "CRON", "TIMEZONE", "STATE", "NEXT (UTC)", "LAST"], rows)}\n`,
      );
    });

  for (const action of ["suspend", "resume"] as const) {
    schedules
      .command(action)
      .description(
        action === "suspend"
          ? "Stop a schedule's fires until it is resumed"
          : "Resume a schedule: it fires from its next time on (missed times are not caught up)",
      )
      .argument("<id>", "the schedule, <workflow>:<name or index>")
      .option("--json", "print the API's JSON")
      .option("--server <url>", SERVER_HELP)
      .action(async (id: string, flags: ServerFlags) => {
        const view = (await call(
          flags,
          "POST",
          `/api/v1/schedules/${encodeURIComponent(id)}/${action}`,
        )) as ScheduleView;
        if (flags.json) return print(view);
        const next = view.next[0] ? `; next ${shortTime(view.next[0])} UTC` : "";
        process.stdout.write(`${view.id} ${view.state}${next}\n`);
      });
  }

  schedules
    .command("fire")
    .description("Start a run of the schedule now (recorded as a manual fire)")
    .argument("<id>", "the schedule, <workflow>:<name or index>")
    .option("--json", "print the API's JSON")
    .option("--server <url>", SERVER_HELP)
    .action(async (id: string, flags: ServerFlags) => {
      const fired = (await call(flags, "POST", `/api/v1/schedules/${encodeURIComponent(id)}/fire`)) as {
        run_id: string;
        status: string;
      };
      if (flags.json) return print(fired);
      process.stdout.write(`${fired.run_id}\n`);
      process.stderr.write(`run ${fired.run_id} ${fired.status}\n`);
    });

  schedules
    .command("fires")
    .description("A schedule's fire history, newest first: fired (with the run), skipped, missed, failed")
    .argument("<id>", "the schedule, <workflow>:<name or index>")
    .option("--limit <n>", "how many (default 20)", "20")
    .option("--json", "print the API's JSON")
    .option("--server <url>", SERVER_HELP)
    .action(async (id: string, flags: ServerFlags & { limit: string }) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit '${flags.limit}': must be 1 or more`);
      const { fires } = (await call(
        flags,
        "GET",
        `/api/v1/schedules/${encodeURIComponent(id)}/fires?limit=${limit}`,
      )) as { fires: FireView[] };
      if (flags.json) return print({ fires });
      if (fires.length === 0) return void process.stderr.write("no fires yet\n");
      const rows = fires.map((f) => [
        shortTime(f.scheduled_time),
        f.kind,
        statusColour(f.status),
        f.run_id ?? "-",
        f.reason ?? "",
      ]);
      process.stdout.write(`${renderTable(["TIME (UTC)", "KIND", "STATUS", "RUN", "REASON"], rows)}\n`);
    });
}

async function call(flags: ServerFlags, method: "GET" | "POST", route: string): Promise<unknown> {
  const base = (flags.server ?? process.env.GANTRY_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
  let res: Response;
  try {
    res = await fetch(`${base}${route}`, { method, headers: authHeaders() });
  } catch (error) {
    throw new UsageError(`cannot reach ${base}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok)
    throw new UsageError(`${res.status}: ${body.error ?? res.statusText}${authHint(res.status)}`, 1);
  return body;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** 2026-03-03T01:30:00.000Z → 2026-03-03 01:30:00 */
function shortTime(isoTime: string): string {
  return isoTime
    .replace("T", " ")
    .replace(/\.\d+Z$/, "")
    .replace(/Z$/, "");
}

function statusColour(status: FireView["status"]): string {
  if (status === "fired") return pc.green(status);
  if (status === "skipped") return pc.yellow(status);
  return pc.red(status);
}
