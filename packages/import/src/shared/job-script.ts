// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes shell and workflow expressions
import { data, Evaluator } from "@actions/expressions";
import { type Expr, Logical } from "@actions/expressions/ast";
import { truthy } from "@actions/expressions/result";
import { findExpressions } from "@gantry/core";
import {
  parseGithubExpression,
  type ReferenceRewriter,
  referencePath,
  rewriteExpression,
  usesStatusFunction,
} from "../github-actions/expressions.js";
import { envName, replaceSplices, type Splice, shellQuote } from "./shell.js";

/** A `run:` step of a GitHub job, as the script builder needs it. */
export interface RunStep {
  /** Its index in the job's steps. */
  index: number;
  label: string;
  run: string;
  shell?: string;
  workingDirectory?: string;
  env: Record<string, unknown>;
  if?: unknown;
  continueOnError?: unknown;
  timeoutMinutes?: unknown;
  /** Comments the source had on this step: they go above its part of the script. */
  comments?: string[];
  /** Runs in the background while the next steps run (CircleCI's background: true). */
  background?: boolean;
}

export interface ScriptContext {
  /** Rewrites a reference for the node's env (evaluated when the node starts). */
  rewrite: ReferenceRewriter;
  defaultShell?: string;
  defaultWorkingDirectory?: string;
  /** In a composite action, `inputs.x` is the variable INPUT_X Gantry sets for an action's inputs. */
  composite?: boolean;
  /** Names the node's env already uses (the job's own env): hoisted variables take other names. */
  reserved?: ReadonlySet<string>;
  /** The CI system's default variables: values for the node's env, and paths the script sets itself. */
  defaults?: { variables: Record<string, string>; paths: Record<string, string> };
  /** CircleCI's habits: $BASH_ENV read before each step, `circleci-agent step halt` ends the job. */
  circleci?: boolean;
}

/**
 * What the builder did or could not do, named by the GitHub Actions feature table's keys (CircleCI's
 * converter maps them to its own).
 */
export interface ScriptNote {
  feature: string;
  /** The step it concerns (its index in the job's steps), or undefined for the whole job. */
  index?: number;
  detail: string;
}

export interface JobScript {
  script: string;
  /** Variables the node's env must set: expressions the script reads, and GitHub's default variables. */
  env: Record<string, string>;
  notes: ScriptNote[];
  /** Parts that cannot be converted; when any, the job is not converted. */
  blockers: ScriptNote[];
}

/** GitHub's default variables a script may read, from Gantry's contexts. */
export const DEFAULT_VARIABLES: Record<string, string> = {
  CI: "true",
  GITHUB_SHA: "${{ github.sha }}",
  GITHUB_REF: "${{ github.ref }}",
  GITHUB_REF_NAME: "${{ github.ref_name }}",
  GITHUB_REPOSITORY: "${{ github.repository }}",
  GITHUB_REPOSITORY_OWNER: "${{ github.repository_owner }}",
  GITHUB_ACTOR: "${{ github.actor }}",
  GITHUB_EVENT_NAME: "${{ github.event_name }}",
  GITHUB_HEAD_REF: "${{ github.head_ref }}",
  GITHUB_BASE_REF: "${{ github.base_ref }}",
  GITHUB_RUN_ID: "${{ run.id }}",
  GITHUB_RUN_ATTEMPT: "${{ run.attempt }}",
  GITHUB_WORKFLOW: "${{ run.workflow }}",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_API_URL: "https://api.github.com",
  RUNNER_OS: "Linux",
};
/** Default variables that are paths on the worker: set by the script itself. */
export const DEFAULT_PATHS: Record<string, string> = {
  GITHUB_WORKSPACE: '"$GANTRY_WORKSPACE"',
  RUNNER_TEMP: '"$(mktemp -d -p "$gantry_tmp")"',
};
/** References a script can read straight from its environment. */
const SCRIPT_PATHS: Record<string, string> = {
  "github.workspace": "GANTRY_WORKSPACE",
  "runner.temp": "RUNNER_TEMP",
  "runner.os": "RUNNER_OS",
  "github.action_path": "GANTRY_ACTION_PATH",
};

const HALT = `# circleci-agent step halt: the job ends with success once the current step is done
GANTRY_HALT="$(mktemp -u -p "$gantry_tmp")"
export GANTRY_HALT
circleci-agent() { if [ "$1 $2" = "step halt" ]; then touch "$GANTRY_HALT"; else command circleci-agent "$@"; fi; }
export -f circleci-agent`;

const GITHUB_ENV_READER = `# $GITHUB_ENV and $GITHUB_PATH, read between the steps as GitHub Actions does
GITHUB_ENV="$(mktemp -p "$gantry_tmp")" GITHUB_PATH="$(mktemp -p "$gantry_tmp")"
export GITHUB_ENV GITHUB_PATH
gantry_github_env() {
  local line name delimiter value
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" == *"<<"* ]]; then
      name="\${line%%<<*}" delimiter="\${line#*<<}" value=""
      while IFS= read -r line && [ "$line" != "$delimiter" ]; do value+="\${value:+$'\\n'}$line"; done
      export "$name=$value"
    elif [[ "$line" == *=* ]]; then
      export "\${line%%=*}=\${line#*=}"
    fi
  done < "$GITHUB_ENV"
  : > "$GITHUB_ENV"
  while IFS= read -r line || [ -n "$line" ]; do if [ -n "$line" ]; then PATH="$line:$PATH"; fi; done < "$GITHUB_PATH"
  : > "$GITHUB_PATH"
  export PATH
}
`;

/**
 * The `run:` steps of a job as one bash script with the semantics of separate steps: each runs in a
 * subshell (its own directory and shell variables), with its shell's options, its env, its condition;
 * $GITHUB_ENV and $GITHUB_PATH carry over between them; the first failure ends the job unless a later
 * step asks to run after failures (if: always() or failure()) or the step may fail (continue-on-error).
 */
export function buildJobScript(steps: RunStep[], context: ScriptContext): JobScript {
  const defaults = context.defaults ?? { variables: DEFAULT_VARIABLES, paths: DEFAULT_PATHS };
  const env: Record<string, string> = {};
  const notes: ScriptNote[] = [];
  const blockers: ScriptNote[] = [];
  const variables = new Map<string, string>();
  const variable = (expression: string, preferred: string): string => {
    const known = variables.get(expression);
    if (known) return known;
    let name = preferred;
    // GitHub's own variable for the same value (GITHUB_RUN_ID for github.run_id) is the natural name.
    const same = defaults.variables[name] === expression && !context.reserved?.has(name);
    for (let n = 2; !same && (name in env || name in defaults.variables || context.reserved?.has(name)); n++)
      name = `${preferred}_${n}`;
    env[name] = expression;
    variables.set(expression, name);
    return name;
  };
  const node = (expr: string | Expr, index: number): string | undefined => {
    const result = rewriteExpression(expr, context.rewrite);
    for (const u of result.unsupported)
      blockers.push({ feature: u.feature ?? "context-unsupported", index, detail: u.reason });
    return result.unsupported.length > 0 ? undefined : result.text;
  };

  const parts: Array<{ step: RunStep; condition: string; body: string; tolerate: boolean }> = [];
  let tracking = false;
  for (const step of steps) {
    const shell = shellOptions(step.shell ?? context.defaultShell);
    if ("unsupported" in shell) {
      blockers.push({
        feature: "step-shell-other",
        index: step.index,
        detail: `shell: ${shell.unsupported}`,
      });
      continue;
    }
    if (step.shell !== undefined || context.defaultShell !== undefined)
      notes.push({
        feature: "step-shell",
        index: step.index,
        detail: `shell: ${step.shell ?? context.defaultShell}`,
      });
    // The script: each ${{ }} becomes a variable of the node's env (or of the script's own environment).
    const splices: Splice[] = [];
    for (const found of findExpressions(step.run)) {
      if (found.end < 0) continue;
      const expr = found.expr.trim();
      const name = scriptVariable(expr, context, (text) => node(text, step.index), variable);
      if (name) splices.push({ start: found.start, end: found.end, variable: name });
    }
    if (splices.length > 0)
      notes.push({
        feature: "script-expressions",
        index: step.index,
        detail: `${splices.length} expression(s) read from the environment`,
      });
    const replaced = replaceSplices(step.run, splices);
    for (const kept of replaced.kept) {
      blockers.push({
        feature: "step-shell-other",
        index: step.index,
        detail: `${step.run.slice(kept.start, kept.end)} inside a quoted here-document cannot become a variable`,
      });
    }
    const lines: string[] = [];
    const workingDirectory = step.workingDirectory ?? context.defaultWorkingDirectory;
    if (workingDirectory !== undefined) {
      const dir = inlineValue(workingDirectory, (text) => node(text, step.index), variable);
      lines.push(`cd ${dir}`);
      notes.push({ feature: "step-working-directory", index: step.index, detail: workingDirectory });
    }
    for (const [key, value] of Object.entries(step.env)) {
      lines.push(
        `export ${key}=${inlineValue(String(value ?? ""), (text) => node(text, step.index), variable)}`,
      );
    }
    lines.push(...shell.lines);
    if (step.timeoutMinutes !== undefined)
      notes.push({
        feature: "step-timeout",
        index: step.index,
        detail: `${String(step.timeoutMinutes)} minutes`,
      });
    const condition = stepCondition(step, (text) => node(text, step.index), variable, blockers, notes);
    if (condition.status) tracking = true;
    const tolerate = step.continueOnError === true || step.continueOnError === "true";
    if (
      step.continueOnError !== undefined &&
      step.continueOnError !== false &&
      step.continueOnError !== "false"
    ) {
      if (tolerate) {
        tracking = true;
        notes.push({ feature: "step-continue-on-error", index: step.index, detail: "true" });
      } else
        blockers.push({
          feature: "context-unsupported",
          index: step.index,
          detail: `continue-on-error: ${String(step.continueOnError)} (an expression)`,
        });
    }
    const body = `${lines.join("\n")}${lines.length > 0 ? "\n" : ""}${replaced.text.replace(/\n*$/, "")}`;
    parts.push({ step, condition: condition.shell, body, tolerate });
  }

  const all = steps.map((s) => s.run).join("\n");
  const githubEnv = !context.circleci && /\bGITHUB_(ENV|PATH)\b/.test(all);
  const bashEnv = context.circleci === true && /\bBASH_ENV\b/.test(all);
  const halt = context.circleci === true && /circleci-agent\s+step\s+halt/.test(all);
  for (const [name, value] of Object.entries(defaults.variables)) {
    if (new RegExp(`\\b${name}\\b`).test(all) && !(name in env) && !context.reserved?.has(name))
      env[name] = value;
  }
  const paths = Object.keys(defaults.paths).filter((name) => new RegExp(`\\b${name}\\b`).test(all));
  if (Object.keys(env).some((n) => n in defaults.variables) || paths.length > 0) {
    notes.push({
      feature: "default-variables",
      detail: [...Object.keys(env).filter((n) => n in defaults.variables), ...paths].join(", "),
    });
  }
  // Gantry sets $GITHUB_STEP_SUMMARY itself, as GitHub does: the run page shows what the job wrote there.
  if (/\bGITHUB_STEP_SUMMARY\b/.test(all))
    notes.push({ feature: "step-summary", detail: "$GITHUB_STEP_SUMMARY" });
  if (githubEnv) notes.push({ feature: "github-env", detail: "$GITHUB_ENV / $GITHUB_PATH" });
  if (bashEnv) notes.push({ feature: "bash-env", detail: "$BASH_ENV" });
  if (halt) notes.push({ feature: "step-halt", detail: "circleci-agent step halt" });

  const out: string[] = [];
  // The job's temporary files live in one folder of its own, removed when the script ends.
  if (
    [...paths.map((p) => defaults.paths[p] ?? ""), bashEnv, halt, githubEnv].some(
      (x) => x === true || (typeof x === "string" && x.includes("gantry_tmp")),
    )
  )
    out.push(
      "# The job's temporary files, removed when it ends",
      'gantry_tmp="$(mktemp -d)"',
      "trap 'rm -rf \"$gantry_tmp\"' EXIT",
    );
  if (paths.length > 0) out.push(`export ${paths.map((p) => `${p}=${defaults.paths[p]}`).join(" ")}`);
  if (bashEnv)
    out.push(
      "# $BASH_ENV, read at the start of each step as bash does for CircleCI",
      'BASH_ENV="$(mktemp -p "$gantry_tmp")"',
      "export BASH_ENV",
    );
  if (halt) out.push(HALT);
  if (githubEnv) out.push(GITHUB_ENV_READER.trimEnd());
  if (tracking)
    out.push(
      "# Each step's failure is recorded, so that steps with if: always() or failure() still run.",
      "set +e",
      "gantry_failed=0",
    );
  for (const { step, condition, body, tolerate } of parts) {
    // Comments are script text too: a `${{` in them would be read as an expression.
    const inert = (text: string) => text.replace(/\$\{\{/g, "$ {{");
    for (const comment of step.comments ?? [])
      out.push(...comment.split("\n").map((line) => `#${inert(line)}`));
    out.push(`# ${inert(step.label)}`);
    const inner = indent(`${tracking ? "set -e\n" : ""}${bashEnv ? '. "$BASH_ENV"\n' : ""}${body}`);
    const test = tracking ? (condition === "" ? '[ "$gantry_failed" = 0 ]' : condition) : condition;
    const subshell = `(\n${inner}\n)`;
    if (step.background) {
      out.push(test ? `if ${test}; then ${subshell} & fi` : `${subshell} &`);
    } else if (!tracking) {
      out.push(test ? `if ${test}; then ${subshell} fi` : subshell);
    } else {
      const record = tolerate
        ? `if [ "$gantry_step" != 0 ]; then echo "::warning::${step.label.replace(/["$`\\]/g, "")} failed (continue-on-error)"; fi`
        : 'if [ "$gantry_step" != 0 ]; then gantry_failed=$gantry_step; fi';
      out.push(`if ${test}; then\n  ${subshell.replace(/\n/g, "\n  ")}\n  gantry_step=$?\n  ${record}\nfi`);
    }
    if (githubEnv) out.push("gantry_github_env");
    if (halt) out.push(`if [ -e "$GANTRY_HALT" ]; then exit ${tracking ? '"$gantry_failed"' : "0"}; fi`);
  }
  if (tracking) out.push('exit "$gantry_failed"');
  return { script: `${out.join("\n")}\n`, env, notes, blockers };
}

/** What a `${{ }}` in a script becomes: a variable the script reads. */
function scriptVariable(
  expr: string,
  context: ScriptContext,
  node: (text: string) => string | undefined,
  variable: (expression: string, preferred: string) => string,
): string | undefined {
  let path: string[] | undefined;
  try {
    const tree = parseGithubExpression(expr);
    const ref = referencePath(tree);
    if (ref && ref.rest.length === 0) path = ref.path;
  } catch {
    // rewriteExpression reports it below.
  }
  if (path) {
    const joined = path.join(".");
    if (path[0] === "env" && path.length === 2) return path[1] as string;
    if (SCRIPT_PATHS[joined]) return SCRIPT_PATHS[joined];
    if (context.composite && path[0] === "inputs" && path.length === 2)
      return `INPUT_${envName(path[1] as string)}`;
  }
  const rewritten = node(expr);
  if (rewritten === undefined) return undefined;
  return variable(`\${{ ${rewritten} }}`, path ? envName(path.join("_")) : "GH_EXPRESSION");
}

/** A value for `export NAME=…` or `cd …`: quoted text, with its expressions read from variables. */
function inlineValue(
  text: string,
  node: (text: string) => string | undefined,
  variable: (expression: string, preferred: string) => string,
): string {
  const found = findExpressions(text).filter((f) => f.end >= 0);
  if (found.length === 0) return shellQuote(text);
  let out = '"';
  let from = 0;
  for (const f of found) {
    out += text.slice(from, f.start).replace(/["$`\\]/g, "\\$&");
    const expr = f.expr.trim();
    let name: string | undefined;
    if (/^env\.[A-Za-z_][A-Za-z0-9_]*$/.test(expr)) name = expr.slice(4);
    else if (SCRIPT_PATHS[expr]) name = SCRIPT_PATHS[expr];
    else {
      const rewritten = node(expr);
      name =
        rewritten === undefined
          ? undefined
          : variable(
              `\${{ ${rewritten} }}`,
              envName(expr.replace(/\W+/g, "_")).slice(0, 40) || "GH_EXPRESSION",
            );
    }
    out += name ? `\${${name}}` : "";
    from = f.end;
  }
  return `${out}${text.slice(from).replace(/["$`\\]/g, "\\$&")}"`;
}

/** Rewritten conjuncts joined with &&, or undefined when any could not be rewritten. */
function joined(parts: Array<string | undefined>): string | undefined {
  return parts.every((p) => p !== undefined) ? parts.map((p) => `(${p})`).join(" && ") : undefined;
}

/** The shell options of a step's part of the script, as GitHub runs each shell. */
function shellOptions(shell: string | undefined): { lines: string[] } | { unsupported: string } {
  // No shell: `bash -e {0}` (no pipefail). `bash`: `bash --noprofile --norc -eo pipefail {0}`.
  if (shell === undefined) return { lines: ["set +o pipefail"] };
  if (shell === "bash") return { lines: [] };
  if (shell === "sh") return { lines: ["set +o pipefail"] };
  const custom = /^(?:\/\S*\/)?bash((?:\s+-[a-zA-Z]*o\s+[a-z]+|\s+-[a-zA-Z]+|\s+--\w+)*)\s+\{0\}$/.exec(
    shell.trim(),
  );
  if (!custom) return { unsupported: shell };
  const flags = custom[1] ?? "";
  const lines: string[] = [];
  const short = (flags.match(/(?<=\s)-[a-zA-Z]+/g) ?? []).join("");
  if (/l/.test(short) || /--login/.test(flags)) {
    lines.push(
      'for profile in /etc/profile ~/.bash_profile ~/.bash_login ~/.profile; do if [ -r "$profile" ]; then . "$profile"; break; fi; done',
    );
  }
  if (!/e/.test(short)) lines.push("set +e");
  if (!/pipefail/.test(flags)) lines.push("set +o pipefail");
  return { lines };
}

/**
 * A step's `if` as a shell test. Parts without status functions are evaluated for the node and read from
 * a variable; status functions are decided by the script's own record of failures.
 */
function stepCondition(
  step: RunStep,
  node: (expr: string | Expr) => string | undefined,
  variable: (expression: string, preferred: string) => string,
  blockers: ScriptNote[],
  notes: ScriptNote[],
): { shell: string; status: boolean } {
  if (step.if === undefined || step.if === true || step.if === "true") return { shell: "", status: false };
  const raw = String(step.if).trim();
  const text = /^\$\{\{[\s\S]*\}\}$/.test(raw) ? raw.slice(3, -2).trim() : raw;
  let tree: Expr;
  try {
    tree = parseGithubExpression(text);
  } catch (error) {
    blockers.push({
      feature: "context-unsupported",
      index: step.index,
      detail: `if: ${text}: ${(error as Error).message}`,
    });
    return { shell: "", status: false };
  }
  const conjuncts = tree instanceof Logical && tree.operator.lexeme === "&&" ? tree.args : [tree];
  const tests: string[] = [];
  let status = false;
  const plain: Expr[] = [];
  for (const part of conjuncts) {
    if (!usesStatusFunction(part)) {
      plain.push(part);
      continue;
    }
    const table = statusTable(part);
    if (!table) {
      blockers.push({
        feature: "step-steps-context",
        index: step.index,
        detail: `if: ${text} (status functions mixed with other tests)`,
      });
      return { shell: "", status: false };
    }
    status = true;
    tests.push(table);
  }
  if (!status) tests.unshift('[ "$gantry_failed" = 0 ]');
  if (plain.length > 0) {
    const rewritten = plain.length === conjuncts.length ? node(text) : joined(plain.map((p) => node(p)));
    if (rewritten !== undefined) {
      const name = variable(
        `\${{ (${rewritten}) && 'true' || 'false' }}`,
        `IF_${envName(step.label).slice(0, 30)}`,
      );
      tests.push(`[ "$${name}" = true ]`);
    }
  }
  notes.push({ feature: status ? "step-if-status" : "step-if", index: step.index, detail: text });
  const meaningful = tests.filter((t) => t !== "true");
  // Without status functions the failure record is only needed in tracking mode; the caller adds it there.
  const shell = (status ? meaningful : meaningful.filter((t) => t !== '[ "$gantry_failed" = 0 ]')).join(
    " && ",
  );
  return { shell: status && shell === "" ? "true" : shell, status };
}

/**
 * A condition made of status functions only, as a shell test: it is evaluated for "no step failed yet"
 * and "a step failed" (cancelled() is false inside a running script: a cancel ends the script).
 */
function statusTable(expr: Expr): string | undefined {
  const evaluate = (failed: boolean): boolean | undefined => {
    const fixed = (name: string, value: boolean) => ({
      name,
      minArgs: 0,
      maxArgs: 0,
      call: () => new data.BooleanData(value),
    });
    const functions = new Map([
      ["success", fixed("success", !failed)],
      ["failure", fixed("failure", failed)],
      ["cancelled", fixed("cancelled", false)],
      ["always", fixed("always", true)],
    ]);
    try {
      return truthy(new Evaluator(expr, new data.Dictionary(), functions).evaluate());
    } catch {
      return undefined;
    }
  };
  const ok = evaluate(false);
  const failed = evaluate(true);
  if (ok === undefined || failed === undefined) return undefined;
  if (ok && failed) return "true";
  if (ok) return '[ "$gantry_failed" = 0 ]';
  if (failed) return '[ "$gantry_failed" != 0 ]';
  return "false";
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? line : `  ${line}`))
    .join("\n");
}
