import path from "node:path";
import { parseDuration } from "@gantry/core";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { pc } from "../output/colors.js";
import { renderTable } from "../output/table.js";
import type { ConfigFlags } from "../roles/config.js";

interface StoreFlags {
  data?: string;
  database?: string;
  config?: string;
}

const ROLE_HELP =
  "viewer (read), operator (start, cancel, re-run), admin (everything, keys included) or agent (gantry agent: claims and runs jobs its labels match, nothing else)";

/**
 * `gantry keys create|list|revoke`: API keys, straight in the store (`--data` or `--database`), so the
 * first admin key can be made before anyone can sign in. The key is printed once, on stdout, alone.
 */
export function registerKeysCommand(program: Command): void {
  const keys = program
    .command("keys")
    .description("Create, list and revoke API keys (in the store); rotate the encryption key");
  const storeOptions = (c: Command) =>
    c
      .option("--data <dir>", "data folder (default ./.gantry)")
      .option("--database <url>", "postgres:// URL or SQLite file (default <data>/gantry.db)")
      .option("--config <file>", "configuration file (default ./gantry.yaml)");

  storeOptions(
    keys
      .command("create")
      .description("Create a key and print it (only the key, once: it is stored as a hash)")
      .requiredOption("--name <name>", "what the key is for, e.g. ci-deploy")
      .requiredOption("--role <role>", ROLE_HELP)
      .option("--expires <duration>", "lifetime, e.g. 30d or 12h (default: never expires)")
      .option("--scope <scope>", "limit to source:<name> or folder:<path> (default: every workflow)")
      .option("--labels <a,b>", "agent keys: the labels of the jobs its agents may claim"),
  ).action(
    async (
      flags: StoreFlags & { name: string; role: string; expires?: string; scope?: string; labels?: string },
    ) => {
      const { KEY_ROLES, createApiKey } = await import("@gantry/server");
      if (!(KEY_ROLES as readonly string[]).includes(flags.role)) {
        throw new UsageError(`--role '${flags.role}': must be one of ${KEY_ROLES.join(", ")}`);
      }
      const labels = (flags.labels ?? "")
        .split(",")
        .map((label) => label.trim())
        .filter(Boolean);
      let expiresAt: number | null = null;
      if (flags.expires !== undefined) {
        try {
          expiresAt = Date.now() + parseDuration(flags.expires);
        } catch (error) {
          throw new UsageError(`--expires: ${(error as Error).message}`);
        }
      }
      await withStore(flags, async (db) => {
        try {
          const { key, view } = await createApiKey(
            db,
            {
              name: flags.name,
              role: flags.role as (typeof KEY_ROLES)[number],
              ...(labels.length > 0 ? { labels } : {}),
              scope: flags.scope ?? null,
              expiresAt,
              createdBy: `cli:${process.env.USER ?? "unknown"}`,
            },
            Date.now(),
          );
          process.stdout.write(`${key}\n`);
          process.stderr.write(
            `created key ${view.id} '${view.name}' (${view.role}${view.scope ? ` in ${view.scope}` : ""}${view.labels.length ? `, labels ${view.labels.join(",")}` : ""}${view.expires_at ? `, expires ${view.expires_at}` : ""}); it is not shown again\n`,
          );
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      });
    },
  );

  storeOptions(
    keys
      .command("list")
      .description("Every key: id, name, role, scope, state, last use")
      .option("--json", "print JSON"),
  ).action(async (flags: StoreFlags & { json?: boolean }) => {
    const { keyView } = await import("@gantry/server");
    const { store } = await import("@gantry/engine");
    await withStore(flags, async (db) => {
      const now = Date.now();
      const views = (await store.listApiKeys(db)).map((row) => keyView(row, now));
      if (flags.json) return void process.stdout.write(`${JSON.stringify({ keys: views }, null, 2)}\n`);
      if (views.length === 0) return void process.stderr.write("no API keys\n");
      const rows = views.map((k) => [
        k.id,
        k.name,
        k.role,
        k.role === "agent" ? `labels:${k.labels.join(",") || "-"}` : (k.scope ?? "-"),
        k.state === "active" ? pc.green(k.state) : pc.red(k.state),
        k.hint,
        short(k.expires_at),
        short(k.last_used_at),
      ]);
      process.stdout.write(
        `${renderTable(["ID", "NAME", "ROLE", "SCOPE", "STATE", "KEY", "EXPIRES (UTC)", "LAST USED (UTC)"], rows)}\n`,
      );
    });
  });

  storeOptions(
    keys
      .command("revoke")
      .description("Revoke a key by id (or by name when only one live key has it); it stops working at once")
      .argument("<id-or-name>", "the key's id or name"),
  ).action(async (idOrName: string, flags: StoreFlags) => {
    const { store } = await import("@gantry/engine");
    await withStore(flags, async (db) => {
      if ((await store.countLiveKeysNamed(db, idOrName)) > 1) {
        throw new UsageError(
          `more than one live key is named '${idOrName}': revoke by id (gantry keys list)`,
        );
      }
      const revoked = await store.revokeApiKey(db, idOrName, Date.now());
      if (!revoked) throw new UsageError(`no live API key with id or name '${idOrName}'`, 1);
      await store.insertAudit(db, {
        at: Date.now(),
        actor: `cli:${process.env.USER ?? "unknown"}`,
        actor_name: `cli:${process.env.USER ?? "unknown"}`,
        action: "key.revoke",
        target: revoked.id,
        detail_json: JSON.stringify({ name: revoked.name }),
        ip: null,
      });
      process.stderr.write(`revoked key ${revoked.id} '${revoked.name}'\n`);
    });
  });

  storeOptions(
    keys
      .command("rotate-encryption")
      .description(
        "Make the first key of GANTRY_ENCRYPTION_KEY (given as NEW,CURRENT) the deployment's encryption key and " +
          "re-encrypt every stored secret (runs' secret inputs and ::add-mask:: values) with it; old runs stay readable. See docs/deploy.md, Key rotation",
      ),
  ).action(async (flags: StoreFlags) => {
    const { loadConfig } = await import("../roles/config.js");
    const { SecretBox, rotateEncryptionKey, shortFingerprint, EncryptionKeyMismatch, store } = await import(
      "@gantry/engine"
    );
    const config = await loadConfig(flags as ConfigFlags);
    if (!config.encryptionKey)
      throw new UsageError(
        "GANTRY_ENCRYPTION_KEY is not set: give the new key first and the current one after it, NEW,CURRENT " +
          "(make the new one with `openssl rand -base64 32`)",
      );
    let box: InstanceType<typeof SecretBox>;
    try {
      box = SecretBox.parse(config.encryptionKey);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    await withStore(flags, async (db) => {
      let shown = 0;
      try {
        const result = await rotateEncryptionKey(db, box, Date.now(), ({ resealed, seen }) => {
          if (seen - shown >= 1000) {
            process.stderr.write(`  ${seen} sealed values looked at, ${resealed} re-encrypted\n`);
            shown = seen;
          }
        });
        await store.insertAudit(db, {
          at: Date.now(),
          actor: `cli:${process.env.USER ?? "unknown"}`,
          actor_name: `cli:${process.env.USER ?? "unknown"}`,
          action: "encryption-key.rotate",
          target: shortFingerprint(box.fingerprint),
          detail_json: JSON.stringify({
            resealed: result.resealed,
            retired: result.retired.map(shortFingerprint),
          }),
          ip: null,
        });
        process.stderr.write(
          `the deployment's encryption key is now ${shortFingerprint(box.fingerprint)}` +
            `${result.retired.length ? ` (retired ${result.retired.map(shortFingerprint).join(", ")})` : ""}; ` +
            `re-encrypted ${result.resealed} stored secret${result.resealed === 1 ? "" : "s"} (secret inputs, ::add-mask:: values).\n` +
            "Next: give every server and worker GANTRY_ENCRYPTION_KEY with the new key alone, and restart them.\n",
        );
      } catch (error) {
        if (error instanceof EncryptionKeyMismatch) throw new UsageError(error.message, 1);
        throw error;
      }
    });
  });
}

/** Opens (and migrates) the store the flags and gantry.yaml name, runs `fn`, closes it. */
async function withStore<T>(
  flags: StoreFlags,
  fn: (db: import("@gantry/engine").store.Db) => Promise<T>,
): Promise<T> {
  const { loadConfig } = await import("../roles/config.js");
  const { openDatabase, migrate } = await import("@gantry/engine");
  const config = await loadConfig(flags as ConfigFlags);
  const location = config.database ?? path.join(config.data, "gantry.db");
  if (!config.database) {
    const { mkdirSync } = await import("node:fs");
    mkdirSync(config.data, { recursive: true });
  }
  const database = await openDatabase(location);
  try {
    await migrate(database);
    return await fn(database.db);
  } finally {
    await database.close();
  }
}

function short(iso: string | null): string {
  return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "") : "-";
}
