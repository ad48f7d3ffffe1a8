import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  createSecretCache,
  findSecretRefs,
  repositoryRoot,
  resolveSecretRef,
  SecretError,
} from "@gantry/engine";
import type { Command } from "commander";
import { parseAllDocuments, stringify } from "yaml";

/** `gantry secrets get REF` and `gantry secrets check FILE`. */
export function registerSecretsCommands(program: Command): void {
  const secrets = program
    .command("secrets")
    .description("Resolve secret references (ref+env://, ref+file://, ref+sops://, ref+vault://, ...)");

  secrets
    .command("get")
    .description("Print what a reference resolves to, like `vals get`")
    .argument("<ref>", "a reference, e.g. ref+sops://secrets.enc.yaml#/db/password")
    .option("--base-dir <dir>", "folder that relative file and sops paths start from", ".")
    .option("-o, --output <format>", "maps and lists as yaml or json (default: the format they came from)")
    .option("--no-newline", "do not end the output with a newline")
    .action(async (ref: string, opts: { baseDir: string; output?: string; newline: boolean }) => {
      process.exitCode = await getCommand(ref, opts);
    });

  secrets
    .command("check")
    .description(
      "Resolve every reference in a workflow file; print ok or FAIL per reference, never the values",
    )
    .argument("<file>", "a workflow YAML file; relative file and sops paths start from its repository's root")
    .action(async (file: string) => {
      process.exitCode = await checkCommand(file);
    });
}

async function getCommand(
  ref: string,
  opts: { baseDir: string; output?: string; newline: boolean },
): Promise<number> {
  if (opts.output !== undefined && opts.output !== "yaml" && opts.output !== "json") {
    process.stderr.write(`gantry secrets get: --output must be yaml or json, not "${opts.output}"\n`);
    return 2;
  }
  const baseDir = path.resolve(opts.baseDir);
  // Both calls share a cache: the second only re-formats what the first fetched.
  const cache = createSecretCache(Number.POSITIVE_INFINITY);
  let text: string;
  try {
    const value = await resolveSecretRef(ref, { baseDir, cache });
    if (value instanceof Uint8Array) {
      process.stdout.write(value); // binary secrets byte for byte, no newline
      return 0;
    }
    if (typeof value === "string") text = value;
    else if (opts.output) text = formatAs(value, opts.output);
    // A whole document in its own format (a sops YAML file as YAML, JSON as JSON), scalars as text.
    else text = await resolveSecretRef(ref, { baseDir, cache, as: "string" });
  } catch (err) {
    process.stderr.write(`gantry secrets get: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(opts.newline && !text.endsWith("\n") ? `${text}\n` : text);
  return 0;
}

function formatAs(value: unknown, output: "yaml" | "json"): string {
  // Bytes as text. JSON.stringify hands the replacer Buffer.toJSON()'s {type: "Buffer", data} form.
  const plain = (_key: unknown, v: unknown): unknown => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
    const json = v as { type?: unknown; data?: unknown } | null;
    if (json?.type === "Buffer" && Array.isArray(json.data)) return Buffer.from(json.data).toString("utf8");
    return v;
  };
  if (output === "json") return JSON.stringify(value, plain, 2);
  return stringify(value, plain, { lineWidth: 0 });
}

async function checkCommand(file: string): Promise<number> {
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (err) {
    process.stderr.write(
      `gantry secrets check: cannot read ${file} (${(err as NodeJS.ErrnoException).code})\n`,
    );
    return 1;
  }
  const docs = parseAllDocuments(source, { prettyErrors: false });
  const docList = Array.isArray(docs) ? docs : [];
  const broken = docList.find((d) => d.errors.length > 0);
  if (broken) {
    const error = broken.errors[0]!;
    const at = error.linePos?.[0];
    process.stderr.write(
      `gantry secrets check: ${file}:${at?.line ?? 1}:${at?.col ?? 1}: invalid YAML (${error.code})\n`,
    );
    return 1;
  }
  // Anywhere in the file: the secrets block, env, with, trigger settings. Each distinct reference once.
  const refs = [...new Set(docList.flatMap((d) => findSecretRefs(d.toJS()).map((f) => f.ref)))];
  if (refs.length === 0) {
    process.stdout.write(`no secret references in ${file}\n`);
    return 0;
  }
  // Relative paths start where a run resolves them: the root of the workflow's repository.
  const baseDir = repositoryRoot(file);
  // One cache for the check: references into one sops file decrypt it once.
  const cache = createSecretCache(Number.POSITIVE_INFINITY);
  const results = await Promise.all(
    refs.map((ref) =>
      resolveSecretRef(ref, { baseDir, cache }).then(
        () => `ok   ${ref}`, // the value is dropped here, never printed
        (err: unknown) => `FAIL ${ref}: ${err instanceof SecretError ? err.detail : (err as Error).message}`,
      ),
    ),
  );
  for (const line of results) process.stdout.write(`${line}\n`);
  return results.some((line) => line.startsWith("FAIL")) ? 1 : 0;
}
