import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fixInjections, formatProblem, type Problem } from "@gantry/core";
import {
  ACTION_FILE,
  type CheckedWorkflow,
  findYamlFiles,
  loadActionFile,
  loadWorkflow,
  subWorkflowProblems,
} from "@gantry/engine";
import type { Command } from "commander";
import { pc } from "../output/colors.js";
import { libraryLoadOptions } from "./library-options.js";

export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description("Check workflow and action files; print each problem as file:line:col: message")
    .argument("<paths...>", "files or folders (folders are searched for .yaml/.yml files)")
    .option(
      "--config <file>",
      "gantry.yaml whose libraries resolve `uses: <library>/<path>@<ref>` (default: $GANTRY_CONFIG, else ./gantry.yaml when present)",
    )
    .option(
      "--fix",
      "rewrite scripts that splice outside text (string inputs, trigger payloads, github.event) into code: the value moves to env: and the script reads the variable",
    )
    .action(async (paths: string[], options: { config?: string; fix?: boolean }) => {
      process.exitCode = await validateCommand(paths, options);
    });
}

async function validateCommand(
  paths: string[],
  options: { config?: string; fix?: boolean },
): Promise<number> {
  const problems: Problem[] = [];
  const files: string[] = [];
  for (const p of paths) {
    const found = await findYamlFiles(p);
    if (found === undefined) problems.push({ file: p, line: 1, col: 1, message: "file or folder not found" });
    else files.push(...found);
  }
  if (options.fix) for (const file of files) await fixFile(file);
  const load = await libraryLoadOptions(options.config);
  const workflows: CheckedWorkflow[] = [];
  for (const file of files) {
    if (ACTION_FILE.test(path.basename(file))) {
      problems.push(...(await loadActionFile(file)).problems);
      continue;
    }
    const result = await loadWorkflow(file, load);
    problems.push(...result.problems);
    if (result.loaded)
      workflows.push({
        name: result.loaded.workflow.name ?? path.basename(file).replace(/\.ya?ml$/, ""),
        file,
        workflow: result.loaded.workflow,
      });
  }
  // Across the files given: sub-workflows that are unknown, get unknown inputs, or call each other.
  problems.push(...(await subWorkflowProblems(workflows)));
  for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
  const bad = new Set(problems.map((p) => p.file)).size;
  const summary =
    problems.length === 0
      ? pc.green(`✓ ${files.length} file${files.length === 1 ? "" : "s"} valid`)
      : pc.red(
          `✗ ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${bad} file${bad === 1 ? "" : "s"}`,
        );
  process.stderr.write(`${summary}\n`);
  return problems.length === 0 ? 0 : 1;
}

/** Applies the injection rewrite to one file, in place, and says what it did. */
async function fixFile(file: string): Promise<void> {
  const text = await readFile(file, "utf8");
  const result = fixInjections(file, text);
  if (result.fixed > 0) {
    await writeFile(file, result.text);
    process.stderr.write(
      `${pc.green("fixed")} ${file}: ${result.fixed} value${result.fixed === 1 ? "" : "s"} moved from script text to env:\n`,
    );
  }
  for (const place of result.skipped) {
    process.stderr.write(
      `${pc.red("not fixed")} ${file}: ${place} (python/node script or a form --fix cannot edit; see the message below)\n`,
    );
  }
}
