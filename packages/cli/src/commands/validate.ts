import path from "node:path";
import { formatProblem, type Problem } from "@gantry/core";
import { ACTION_FILE, findYamlFiles, loadActionFile, loadWorkflow } from "@gantry/engine";
import type { Command } from "commander";
import { pc } from "../output/colors.js";

export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description("Check workflow and action files; print each problem as file:line:col: message")
    .argument("<paths...>", "files or folders (folders are searched for .yaml/.yml files)")
    .action(async (paths: string[]) => {
      process.exitCode = await validateCommand(paths);
    });
}

async function validateCommand(paths: string[]): Promise<number> {
  const problems: Problem[] = [];
  const files: string[] = [];
  for (const p of paths) {
    const found = await findYamlFiles(p);
    if (found === undefined) problems.push({ file: p, line: 1, col: 1, message: "file or folder not found" });
    else files.push(...found);
  }
  for (const file of files) {
    const result = ACTION_FILE.test(path.basename(file))
      ? await loadActionFile(file)
      : await loadWorkflow(file);
    problems.push(...result.problems);
  }
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
