import path from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { ConfigFlags } from "../roles/config.js";

interface MigrateFlags extends ConfigFlags {
  status?: boolean;
  wait?: string;
  checkConfig?: boolean;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const DEFAULT_WAIT_SECONDS = 60;

/**
 * `gantry migrate`: brings the database schema up to date, once, before servers and workers of a new
 * version start (the Helm chart runs it as a pre-install/pre-upgrade Job). Several at once are safe: the
 * migrator holds a lock, and the others find nothing left to do.
 */
export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("Bring the database schema up to date (servers and workers wait for it); exits when done")
    .option(
      "--database <url>",
      "postgres:// URL (or GANTRY_DATABASE) or SQLite file (default <data>/gantry.db)",
    )
    .option("--data <dir>", "data folder (default ./.gantry)")
    .option("--config <file>", "configuration file (default ./gantry.yaml)")
    .option(
      "--status",
      "print the migrations the database has and needs, change nothing; exit 1 if some are missing",
    )
    .option(
      "--wait <seconds>",
      `how long to wait for the database to answer (default ${DEFAULT_WAIT_SECONDS})`,
    )
    .option("--check-config", "check the settings and print them without secrets; open nothing")
    .action(async (flags: MigrateFlags) => {
      const { loadConfig } = await import("../roles/config.js");
      const { redactUrl, FATAL_DATABASE_CODES } = await import("../roles/services.js");
      const { openDatabase, migrate, schemaStatus } = await import("@gantry/engine");
      const config = await loadConfig(flags);
      const location = config.database ?? path.join(config.data, "gantry.db");
      const waitSeconds = flags.wait === undefined ? DEFAULT_WAIT_SECONDS : Number(flags.wait);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
        throw new UsageError(`--wait '${flags.wait}': must be a number of seconds`);
      if (flags.checkConfig) {
        process.stdout.write(
          `${JSON.stringify({ role: "migrate", database: redactUrl(location), wait_seconds: waitSeconds }, null, 2)}\n`,
        );
        return;
      }
      if (!config.database) {
        const { mkdirSync } = await import("node:fs");
        mkdirSync(config.data, { recursive: true });
      }
      let database: Awaited<ReturnType<typeof openDatabase>>;
      try {
        database = await openDatabase(location, { poolSize: 2 });
      } catch (error) {
        throw new UsageError(`cannot open ${redactUrl(location)}: ${(error as Error).message}`, 1);
      }
      try {
        await untilAnswers(
          database,
          redactUrl(location),
          waitSeconds * 1000,
          FATAL_DATABASE_CODES,
          schemaStatus,
        );
        const status = await schemaStatus(database);
        if (flags.status) {
          process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
          if (status.pending.length > 0) process.exitCode = 1;
          return;
        }
        if (status.newer.length > 0 && status.pending.length === 0) {
          log(
            `the database schema is newer than this version (it has ${status.newer.join(", ")}): nothing to migrate`,
          );
          return;
        }
        if (status.newer.length > 0) {
          throw new UsageError(
            `the database has migrations this version does not know (${status.newer.join(", ")}) and lacks ` +
              `${status.pending.join(", ")}: it was migrated by another version; run that version's gantry migrate`,
            1,
          );
        }
        if (status.pending.length === 0) {
          log(`the database schema is up to date (${status.applied.at(-1)})`);
          return;
        }
        log(`migrating ${redactUrl(location)}: ${status.pending.join(", ")}`);
        const started = Date.now();
        const applied = await migrate(database);
        for (const name of applied) log(`  applied ${name}`);
        log(
          `the database schema is up to date (${applied.length} applied here in ${((Date.now() - started) / 1000).toFixed(1)} s` +
            `${applied.length < status.pending.length ? "; another process applied the rest" : ""})`,
        );
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`cannot migrate ${redactUrl(location)}: ${(error as Error).message}`, 1);
      } finally {
        await database.close();
      }
    });
}

/** Retries until the database answers (a Job may start before its database does), for at most `ms`. */
async function untilAnswers<D>(
  database: D,
  where: string,
  ms: number,
  fatal: Set<string>,
  ask: (database: D) => Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + ms;
  let said = "";
  for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await ask(database);
      return;
    } catch (error) {
      const message = (error as Error).message;
      const code = (error as { code?: string }).code;
      if (Date.now() + delay > deadline || fatal.has(code ?? "")) throw error;
      if (message !== said) log(`waiting for the database ${where} to answer: ${message}`);
      said = message;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
