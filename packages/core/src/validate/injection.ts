import { parseExpression } from "../expressions/evaluate.js";
import { type ContextReference, expressionFacts } from "../expressions/references.js";
import { findExpressions } from "../expressions/template.js";
import type { InputSpec, Problem, Shell } from "../format/types.js";
import { type Path, positionOfOffset, type SourceFile } from "../yaml/parse.js";

/**
 * Input types whose value is free text chosen by whoever starts the run. Numbers, booleans and choices
 * cannot carry shell syntax; a string checked by a `pattern` or limited by `enum` is the author's to vouch for.
 */
const FREE_TEXT_TYPES = new Set(["string", "array", "object", "secret", "nodes"]);

/** What makes one expression unsafe in script text: why, in words, for the message. */
export interface TrustRules {
  inputs: Record<string, InputSpec>;
  /** Why `item` is outside text here, or undefined when the items are the author's. */
  item?: string;
  /** Env variables (workflow and step) whose value was set from outside text, with why. */
  env: Map<string, string>;
}

/** One `${{ }}` in script text whose value can come from outside the workflow's author. */
export interface InjectionFinding {
  /** Path of the script's string value (`steps.<id>.run`, `runs.run`). */
  path: Path;
  /** The whole `${{ … }}` as written, its index in the value, and the expression inside. */
  raw: string;
  index: number;
  expression: string;
  why: string;
  /** The environment variable the value should travel in. */
  variable: string;
  /** Whether the variable must still be added to the step's `env:` (false for an action's INPUT_ variables). */
  addToEnv: boolean;
  shell: Shell | string;
}

/** Why an input is outside text, or undefined when its value cannot carry code. */
export function untrustedInput(name: string, spec: InputSpec | undefined): string | undefined {
  if (spec === undefined || spec === null || typeof spec !== "object") return undefined;
  const type = spec.type ?? "string";
  if (!FREE_TEXT_TYPES.has(type)) return undefined;
  if (spec.enum !== undefined || (type === "string" && spec.pattern !== undefined)) return undefined;
  return `input '${name}' (type ${type}, free text from whoever starts the run)`;
}

/** Why a reference reads outside text, or undefined. */
function untrustedReference(ref: ContextReference, rules: TrustRules): string | undefined {
  switch (ref.context) {
    case "trigger":
      return "trigger.* (the payload of the event that started the run, sent by someone else)";
    case "github":
      if (ref.name === undefined) return "the github context (it holds the event's payload)";
      if (ref.name === "event")
        return "github.event.* (text the event's sender chose: titles, bodies, names)";
      if (ref.name === "head_ref") return "github.head_ref (a branch name the pull request's author chose)";
      return undefined;
    case "inputs":
      if (ref.name === undefined) {
        const free = Object.entries(rules.inputs).find(([n, s]) => untrustedInput(n, s) !== undefined);
        return free ? untrustedInput(free[0], free[1]) : undefined;
      }
      return untrustedInput(ref.name, rules.inputs[ref.name]);
    case "item":
      return rules.item;
    case "env":
      if (ref.name === undefined) return rules.env.size > 0 ? [...rules.env.values()][0] : undefined;
      return rules.env.get(ref.name);
    default:
      return undefined;
  }
}

/** Why an expression's value can come from outside the author, or undefined when it cannot. */
export function untrustedExpression(expression: string, rules: TrustRules): string | undefined {
  let tree: ReturnType<typeof parseExpression>;
  try {
    tree = parseExpression(expression);
  } catch {
    return undefined; // the expression check reports the syntax error
  }
  for (const ref of expressionFacts(tree).references) {
    const why = untrustedReference(ref, rules);
    if (why) return why;
  }
  return undefined;
}

/** Why each value in a map is outside text, for `env:` maps whose variables scripts may read as `env.X`. */
export function untrustedValues(
  values: Record<string, unknown> | undefined,
  rules: Omit<TrustRules, "env">,
  into: Map<string, string>,
): void {
  if (values === null || typeof values !== "object") return;
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== "string") continue;
    for (const piece of findExpressions(value)) {
      if (piece.end < 0) continue;
      const why = untrustedExpression(piece.expr, { ...rules, env: into });
      if (why) {
        into.set(key, `env.${key}, set from ${why}`);
        break;
      }
    }
  }
}

/** Every outside value spliced into one script. `taken` holds names already in use (the step's env). */
export function scriptFindings(
  path: Path,
  script: unknown,
  rules: TrustRules,
  options: { shell: Shell | string; taken: Set<string>; inputVariables?: boolean },
): InjectionFinding[] {
  if (typeof script !== "string") return [];
  const findings: InjectionFinding[] = [];
  const chosen = new Map<string, string>();
  for (const piece of findExpressions(script)) {
    if (piece.end < 0) continue;
    const why = untrustedExpression(piece.expr, rules);
    if (!why) continue;
    const expression = piece.expr.trim();
    let variable = chosen.get(expression);
    if (variable === undefined) {
      variable = options.inputVariables
        ? `INPUT_${variableStem(expression)}`
        : freeName(variableStem(expression), options.taken);
      chosen.set(expression, variable);
      options.taken.add(variable);
    }
    findings.push({
      path,
      raw: script.slice(piece.start, piece.end),
      index: piece.start,
      expression,
      why,
      variable,
      addToEnv: !options.inputVariables,
      shell: options.shell,
    });
  }
  return findings;
}

/** `inputs.who` -> WHO, `github.event.pull_request.title` -> TITLE, `toJSON(inputs.labels)` -> LABELS. */
function variableStem(expression: string): string {
  const withoutStrings = expression.replace(/'(?:[^']|'')*'/g, "");
  const words = withoutStrings.match(/[A-Za-z_][A-Za-z0-9_-]*/g) ?? [];
  const last = [...words].reverse().find((w) => !/^(toJSON|fromJSON|join|format|contains)$/i.test(w));
  const stem = (last ?? "value").replace(/[^A-Za-z0-9_]/g, "_").toUpperCase();
  return /^[0-9]/.test(stem) ? `V_${stem}` : stem;
}

function freeName(stem: string, taken: Set<string>): string {
  if (!taken.has(stem)) return stem;
  for (let n = 2; ; n++) if (!taken.has(`${stem}_${n}`)) return `${stem}_${n}`;
}

/** How a shell script should read the variable at `index`, given the quotes open there. */
export function shellReference(script: string, index: number, variable: string): string {
  switch (quoteStateAt(script, index)) {
    case "double":
      return `\${${variable}}`;
    case "single":
      return `'"$${variable}"'`;
    default:
      return `"$${variable}"`;
  }
}

/** The quoting open at `index` in a POSIX shell script: none, inside '…', or inside "…". */
export function quoteStateAt(script: string, index: number): "none" | "single" | "double" {
  let state: "none" | "single" | "double" = "none";
  for (let i = 0; i < index; i++) {
    const c = script[i];
    if (state === "single") {
      if (c === "'") state = "none";
    } else if (state === "double") {
      if (c === "\\") i++;
      else if (c === '"') state = "none";
    } else if (c === "\\") i++;
    else if (c === "'") state = "single";
    else if (c === '"') state = "double";
    else if (c === "#" && (i === 0 || /\s/.test(script[i - 1] as string))) {
      const end = script.indexOf("\n", i);
      if (end < 0 || end >= index) return "none";
      i = end;
    }
  }
  return state;
}

/** How the script should read the value instead, in its language. */
export function readInstead(finding: InjectionFinding, script: string): string {
  if (finding.shell === "python") return `os.environ["${finding.variable}"]`;
  if (finding.shell === "node") return `process.env.${finding.variable}`;
  return shellReference(script, finding.index, finding.variable);
}

/** The refusal for one finding, with `file:line:col` at the `${{`. */
export function injectionProblem(source: SourceFile, finding: InjectionFinding, script: string): Problem {
  const place = finding.path.map(String).join(".");
  const instead = readInstead(finding, script);
  const env = finding.addToEnv
    ? `put the value in env: (env: {${finding.variable}: "\${{ ${finding.expression} }}"}) and write ${instead} in the script`
    : `read it from the variable the step already gets: write ${instead} in the script`;
  const optOut = finding.addToEnv ? ", or set unsafe_interpolation: true on the step" : "";
  return {
    file: source.file,
    ...expressionPosition(source, finding, script),
    message: `${place}: ${finding.raw} puts ${finding.why} into the script's text, where it would run as code. Instead, ${env} (gantry validate --fix does this)${optOut}`,
  };
}

/** The exact line and column of a `${{` inside a string value, block scalars included. */
export function expressionPosition(
  source: SourceFile,
  finding: Pick<InjectionFinding, "path" | "raw" | "index">,
  script: string,
): { line: number; col: number } {
  const scalar = source.scalarAt(finding.path);
  if (scalar?.inline) return positionOfOffset(source.text, scalar.offset + finding.index);
  if (scalar) {
    const at = sourceOffsetOf(source.text, scalar.offset, finding, script);
    if (at >= 0) return positionOfOffset(source.text, at);
  }
  return source.locate(finding.path);
}

/**
 * Where the raw `${{ }}` of a block scalar is in the file: the n-th occurrence of that text after the
 * scalar's start, n being how often it occurs earlier in the value (block scalars keep the text as written).
 */
export function sourceOffsetOf(
  text: string,
  scalarStart: number,
  finding: Pick<InjectionFinding, "raw" | "index">,
  value?: string,
): number {
  let earlier = 0;
  if (value !== undefined) {
    for (
      let at = value.indexOf(finding.raw);
      at >= 0 && at < finding.index;
      at = value.indexOf(finding.raw, at + 1)
    )
      earlier++;
  }
  let at = text.indexOf(finding.raw, scalarStart);
  for (; earlier > 0 && at >= 0; earlier--) at = text.indexOf(finding.raw, at + 1);
  return at;
}
