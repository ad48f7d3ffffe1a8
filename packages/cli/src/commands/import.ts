import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatProblem, type Problem } from "@gantry/core";
import { loadActionFile, loadWorkflow, repositoryRoot } from "@gantry/engine";
import type { FileReport, ImportedFile, ImportKind } from "@gantry/import";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { pc } from "../output/colors.js";

interface ImportOptions {
  out?: string;
  json?: boolean;
  runner?: string;
  force?: boolean;
}

/** The converters load only when this command runs: other commands start as fast as before. */
const KINDS = ["github-actions", "circleci", "cronjob", "rundeck"];

export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description(
      "Convert GitHub Actions workflows and actions, CircleCI configs, Kubernetes CronJobs or Rundeck jobs into Gantry workflows, with a report of what came across",
    )
    .argument("<kind>", KINDS.join(" | "))
    .argument("<paths...>", "files, or folders searched for .yml, .yaml (and .xml for rundeck)")
    .option("--out <dir>", "write the workflows (and actions) into this folder; without it they are printed")
    .option("--json", "print the report (and, without --out, the converted files) as JSON")
    .option("--runner <type>", "cronjob: the runner of the containers, kubernetes (default) or docker")
    .option("--force", "with --out: overwrite files that exist")
    .action(async (kind: string, paths: string[], options: ImportOptions) => {
      process.exitCode = await importCommand(kind, paths, options);
    });
}

async function importCommand(kind: string, paths: string[], options: ImportOptions): Promise<number> {
  const { IMPORT_KINDS, importFile, MAX_SOURCE_BYTES, outcomeCounts, reportText } = await import(
    "@gantry/import"
  );
  if (!(IMPORT_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`unknown kind '${kind}': use ${IMPORT_KINDS.join(", ")}`);
  }
  if (options.runner !== undefined && options.runner !== "kubernetes" && options.runner !== "docker") {
    throw new UsageError(`--runner: '${options.runner}' is neither kubernetes nor docker`);
  }
  const files: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    const found = await sourceFiles(p, kind as ImportKind);
    if (found === undefined) missing.push(p);
    else files.push(...found);
  }
  if (missing.length > 0) throw new UsageError(`not found: ${missing.join(", ")}`);
  if (files.length === 0) throw new UsageError(`no source files under ${paths.join(", ")}`);

  const out = options.out ? path.resolve(options.out) : undefined;
  const actionsDir = "actions";
  // `uses: ./…` is relative to the git repository holding the output: say where the actions will be.
  const actionsUses = out
    ? `./${path
        .relative(repositoryRoot(path.join(out, "x")), path.join(out, actionsDir))
        .split(path.sep)
        .join("/")}`
    : undefined;
  const reports: FileReport[] = [];
  for (const file of files) {
    if (!options.json) process.stderr.write(pc.dim(`converting ${file}\n`));
    const size = (await stat(file)).size;
    const text = size > MAX_SOURCE_BYTES ? "" : await readFile(file, "utf8");
    const report =
      size > MAX_SOURCE_BYTES
        ? {
            file,
            kind: kind as ImportKind,
            outputs: [],
            findings: [],
            errors: [`${file}:1:1: larger than ${MAX_SOURCE_BYTES} bytes`],
          }
        : importFile(kind as ImportKind, file, text, {
            actionsDir,
            ...(actionsUses ? { actionsUses } : {}),
            ...(options.runner ? { runner: options.runner as "kubernetes" | "docker" } : {}),
          });
    reports.push(report);
  }
  uniqueNames(reports);

  let failed = reports.some((r) => r.errors.length > 0);
  const problems: Problem[] = [];
  if (out) {
    const targets = reports.flatMap((r) => r.outputs.map((o) => path.join(out, o.path)));
    const existing = targets.filter((t) => existsSync(t));
    if (existing.length > 0 && !options.force) {
      throw new UsageError(`these files exist (use --force to overwrite them): ${existing.join(", ")}`);
    }
    for (const report of reports) {
      for (const output of report.outputs) {
        const target = path.join(out, output.path);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, output.text);
      }
    }
    // What was written is checked as `gantry validate` checks it, with the actions in place.
    for (const report of reports) {
      for (const output of report.outputs) {
        const target = path.join(out, output.path);
        const result = output.kind === "action" ? await loadActionFile(target) : await loadWorkflow(target);
        problems.push(...result.problems);
      }
    }
    if (problems.length > 0) failed = true;
  }

  if (options.json) {
    const data = reports.map((r) => ({
      ...r,
      outputs: r.outputs.map((o) => (out ? { ...withoutText(o), written: path.join(out, o.path) } : o)),
    }));
    process.stdout.write(
      `${JSON.stringify({ files: data, problems: problems.map(formatProblem) }, null, 2)}\n`,
    );
    return failed ? 1 : 0;
  }
  if (!out) {
    for (const report of reports) {
      for (const output of report.outputs) process.stdout.write(`---\n# ${output.path}\n${output.text}`);
    }
  }
  const stream = out ? process.stdout : process.stderr;
  for (const report of reports)
    stream.write(`\n${reportText(report, out ? (p) => path.join(out, p) : undefined)}`);
  for (const p of problems) stream.write(`${formatProblem(p)}\n`);
  const counts = outcomeCounts(reports);
  const outputs = reports.reduce((n, r) => n + r.outputs.length, 0);
  const summary = `${reports.length} file${reports.length === 1 ? "" : "s"} -> ${outputs} file${outputs === 1 ? "" : "s"}${out ? ` in ${out}` : ""}: ${counts.converted} converted, ${counts.difference} with a difference, ${counts.manual} to do by hand, ${counts.later} not yet`;
  stream.write(`\n${failed ? pc.red(`✗ ${summary}`) : pc.green(`✓ ${summary}`)}\n`);
  return failed ? 1 : 0;
}

function withoutText(output: ImportedFile): Omit<ImportedFile, "text"> {
  const { text: _text, ...rest } = output;
  return rest;
}

/** Workflows of different source files that came out with the same name get -2, -3… (name and file). */
function uniqueNames(reports: FileReport[]): void {
  const used = new Set<string>();
  for (const report of reports) {
    for (const output of report.outputs) {
      if (output.kind !== "workflow") continue;
      let name = output.name;
      for (let n = 2; used.has(name); n++) name = `${output.name}-${n}`;
      used.add(name);
      if (name === output.name) continue;
      output.text = output.text.replace(
        new RegExp(`^name: ${escapeRegExp(output.name)}$`, "m"),
        `name: ${name}`,
      );
      output.path = output.path.replace(/[^/]+\.yaml$/, `${name}.yaml`);
      output.name = name;
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The source files under a path: a file as it is; in a folder, YAML files (and XML for Rundeck). */
async function sourceFiles(p: string, kind: ImportKind): Promise<string[] | undefined> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(p);
  } catch {
    return undefined;
  }
  if (!info.isDirectory()) return [p];
  const pattern = kind === "rundeck" ? /\.(ya?ml|xml)$/i : /\.ya?ml$/i;
  const out: string[] = [];
  for (const entry of (await readdir(p, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = path.join(p, entry.name);
    // Hidden folders are searched (.github, .circleci); git's own and installed packages are not.
    if (entry.isDirectory()) {
      if (entry.name !== ".git" && entry.name !== "node_modules")
        out.push(...((await sourceFiles(full, kind)) ?? []));
    } else if (pattern.test(entry.name)) out.push(full);
  }
  return out;
}
