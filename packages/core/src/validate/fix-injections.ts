import { isMap, isScalar, type Node, type Pair, parseDocument, type YAMLMap } from "yaml";
import type { ActionSpec, StepSpec, WorkflowSpec } from "../format/types.js";
import { parseYamlFile } from "../yaml/parse.js";
import { type InjectionFinding, scriptFindings, shellReference, sourceOffsetOf } from "./injection.js";
import { workflowInjections } from "./workflow-injection.js";

export interface InjectionFix {
  /** The rewritten file (the same text when nothing was fixed). */
  text: string;
  /** How many `${{ }}` were moved out of script text. */
  fixed: number;
  /** Scripts that need a hand: python and node steps, and scripts written in a form the fix cannot edit. */
  skipped: string[];
}

interface Edit {
  at: number;
  remove: number;
  insert: string;
}

/**
 * Moves each outside value out of `run:` text, keeping the rest of the file as written: the value goes
 * into the step's `env:` and the script reads the variable ("$NAME" in a shell, with the quoting open
 * at that place). An action's script reads the INPUT_ variable it already gets.
 */
export function fixInjections(file: string, text: string): InjectionFix {
  const parsed = parseYamlFile(file, text);
  if (!parsed.source || !isObject(parsed.source.value)) return { text, fixed: 0, skipped: [] };
  const doc = parseDocument(text, { keepSourceTokens: false });
  const root = doc.contents;
  if (!isMap(root)) return { text, fixed: 0, skipped: [] };
  const value = parsed.source.value as Record<string, unknown>;
  const edits: Edit[] = [];
  const skipped: string[] = [];
  let fixed = 0;
  if (isObject(value.runs)) {
    const runs = (value as unknown as ActionSpec).runs;
    const findings = scriptFindings(["runs", "run"], runs.run, actionRules(value as unknown as ActionSpec), {
      shell: runs.using,
      taken: new Set(),
      inputVariables: true,
    });
    const scalar = pairOf(pairOf(root, "runs")?.value, "run")?.value;
    if (findings.length > 0) {
      const made = scriptEdits(text, scalar, runs.run as string, findings);
      if (made) {
        edits.push(...made);
        fixed += findings.length;
      } else skipped.push("runs.run");
    }
  } else if (isObject(value.steps)) {
    const spec = value as unknown as WorkflowSpec;
    const stepsNode = pairOf(root, "steps")?.value;
    for (const { step, script, findings } of workflowInjections(
      spec,
      spec.steps as Record<string, StepSpec>,
    )) {
      const stepNode = pairOf(stepsNode, step)?.value;
      const runNode = pairOf(stepNode, "run")?.value;
      const made = isMap(stepNode) ? scriptEdits(text, runNode, script, findings) : undefined;
      const env = made ? envEdit(text, stepNode as YAMLMap, findings) : undefined;
      if (!made || !env) {
        skipped.push(`steps.${step}.run`);
        continue;
      }
      edits.push(...made, env);
      fixed += findings.length;
    }
  }
  edits.sort((a, b) => b.at - a.at);
  let out = text;
  for (const e of edits) out = out.slice(0, e.at) + e.insert + out.slice(e.at + e.remove);
  return { text: out, fixed, skipped };
}

function actionRules(action: ActionSpec) {
  return { inputs: isObject(action.inputs) ? action.inputs : {}, env: new Map<string, string>() };
}

/** Replaces each `${{ }}` in the script's source with the variable, or undefined when it cannot. */
function scriptEdits(
  text: string,
  node: unknown,
  script: string,
  findings: InjectionFinding[],
): Edit[] | undefined {
  if (!isScalar(node) || !node.range) return undefined;
  if (findings.some((f) => f.shell !== "bash" && f.shell !== "sh")) return undefined;
  const edits: Edit[] = [];
  for (const f of findings) {
    let reference = shellReference(script, f.index, f.variable);
    let at: number;
    if (node.type === "PLAIN" || node.type === "QUOTE_SINGLE" || node.type === "QUOTE_DOUBLE") {
      at = node.range[0] + (node.type === "PLAIN" ? 0 : 1) + f.index;
      if (node.type === "QUOTE_SINGLE") reference = reference.replaceAll("'", "''");
      if (node.type === "QUOTE_DOUBLE") reference = reference.replaceAll('"', '\\"');
      // A plain scalar cannot start with a quote that YAML would read as quoting the whole value.
      if (node.type === "PLAIN" && f.index === 0) return undefined;
    } else {
      at = sourceOffsetOf(text, node.range[0], f, script);
    }
    if (at < 0 || text.slice(at, at + f.raw.length) !== f.raw) return undefined;
    edits.push({ at, remove: f.raw.length, insert: reference });
  }
  return edits;
}

/** Adds the variables to the step's `env:` (a new `env:` line before the step's first key when it has none). */
function envEdit(text: string, step: YAMLMap, findings: InjectionFinding[]): Edit | undefined {
  const added = new Map<string, string>();
  for (const f of findings) if (f.addToEnv) added.set(f.variable, f.expression);
  const entries = [...added].map(([name, expr]) => `${name}: "\${{ ${expr.replaceAll('"', '\\"')} }}"`);
  if (entries.length === 0) return { at: 0, remove: 0, insert: "" };
  const envPair = pairOf(step, "env");
  if (envPair) {
    const env = envPair.value;
    if (!isMap(env) || !env.range) return undefined;
    if (env.flow) {
      const close = text.lastIndexOf("}", env.range[1]);
      if (close < 0) return undefined;
      const inside = text.slice(env.range[0] + 1, close);
      if (inside.trim() === "") return { at: close, remove: 0, insert: ` ${entries.join(", ")} ` };
      const at = env.range[0] + 1 + inside.trimEnd().length;
      return { at, remove: 0, insert: `, ${entries.join(", ")}` };
    }
    const last = env.items[env.items.length - 1] as Pair<Node, Node> | undefined;
    const first = env.items[0] as Pair<Node, Node> | undefined;
    if (!last?.value?.range || !first?.key?.range) return undefined;
    const lineEnd = text.indexOf("\n", last.value.range[1] - 1);
    const at = lineEnd < 0 ? text.length : lineEnd;
    const indent = " ".repeat(columnOf(text, first.key.range[0]));
    return { at, remove: 0, insert: entries.map((e) => `\n${indent}${e}`).join("") };
  }
  if (step.flow) {
    const firstKey = (step.items[0] as Pair<Node, Node> | undefined)?.key;
    if (!firstKey?.range) return undefined;
    return { at: firstKey.range[0], remove: 0, insert: `env: { ${entries.join(", ")} }, ` };
  }
  const firstKey = (step.items[0] as Pair<Node, Node> | undefined)?.key;
  if (!firstKey?.range) return undefined;
  const column = columnOf(text, firstKey.range[0]);
  const lineStart = firstKey.range[0] - column;
  return { at: lineStart, remove: 0, insert: `${" ".repeat(column)}env: { ${entries.join(", ")} }\n` };
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

function pairOf(node: unknown, key: string): Pair<Node, Node> | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isScalar(p.key) && String(p.key.value) === key) as
    | Pair<Node, Node>
    | undefined;
}

function isObject(value: unknown): value is Record<string, never> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
