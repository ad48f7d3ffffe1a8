// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes shell and workflow expressions
import type { Findings } from "../report/report.js";
import { identifier, slug } from "../shared/names.js";
import { failingScript, shellQuote } from "../shared/shell.js";
import type { RundeckFeature } from "./features.js";
import { type References, replaceReferences } from "./variables.js";

type Obj = Record<string, unknown>;

/** What a Rundeck command became: a step's `run` (and `name`), or a step that fails saying why not. */
export interface ConvertedCommand {
  step: Obj;
  feature: RundeckFeature;
  detail: string;
  /** Set when the command could not be converted: the step fails at run time with this message. */
  placeholder?: string;
}

/**
 * A job reference as a sub-workflow node: `uses: workflow:<name>` (the referenced job's name as the
 * converter names its workflow), its `-option value` arguments as `with:`, `${option.x}` in a value as
 * `${{ inputs.x }}`. A flag without a value is `"true"`.
 */
export const jobReferenceNode: ((ref: Obj, args: string[]) => Obj) | undefined = (ref, args) => {
  const name = slug(typeof ref.name === "string" ? ref.name : "job");
  const given: Obj = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith("-")) continue;
    const next = args[i + 1];
    const hasValue = next !== undefined && !next.startsWith("-");
    const value = hasValue ? next : "true";
    if (hasValue) i++;
    given[identifier(arg.replace(/^-+/, ""))] = value.replace(
      /\$\{option\.([A-Za-z0-9_.-]+)\}/g,
      (_m, option: string) => `\${{ inputs.${identifier(option)} }}`,
    );
  }
  return { uses: `workflow:${name}`, ...(Object.keys(given).length > 0 ? { with: given } : {}) };
};

/** Turns one command of a Rundeck workflow into a step. `refs` collects the variables it reads. */
export function convertCommand(
  command: Obj,
  refs: References,
  at: { line: number; col: number },
  findings: Findings<RundeckFeature>,
): ConvertedCommand {
  const name =
    typeof command.description === "string" && command.description.trim()
      ? command.description.trim()
      : undefined;
  const named = (step: Obj): Obj => (name ? { name, ...step } : step);
  if (name) findings.add("step-description", at, name);
  if (typeof command.exec === "string") {
    const line = replaceReferences(command.exec, "command", refs);
    // A shell runs a command line without -e or pipefail: `a; b` goes on after a fails, `a | b` is b's status.
    const compound = /[;&|\n]/.test(line);
    return {
      step: named({ run: `${compound ? "set +e +o pipefail\n" : ""}${line}\n` }),
      feature: "step-exec",
      detail: oneLine(command.exec),
    };
  }
  if (typeof command.script === "string") return scriptStep(command, refs, named);
  if (typeof command.scripturl === "string") {
    const args = typeof command.args === "string" ? replaceReferences(command.args, "command", refs) : "";
    const url = replaceReferences(command.scripturl, "command", refs);
    return {
      step: named({
        run: `script="$(mktemp)"\ncurl -fsSL ${url.startsWith('"') ? url : shellQuote(url)} -o "$script"\nchmod +x "$script"\nset +e +o pipefail\n"$script"${args ? ` ${args}` : ""}\n`,
      }),
      feature: "step-scripturl",
      detail: command.scripturl,
    };
  }
  if (typeof command.scriptfile === "string") {
    const message = `script file ${command.scriptfile} was on the Rundeck server: copy it into the repository and run it from an action (runs.script) or inline it`;
    return placeholder(named, "step-scriptfile", command.scriptfile, message);
  }
  if (isObj(command.jobref)) {
    const ref = command.jobref;
    const target = [ref.group, ref.name].filter((s) => typeof s === "string" && s !== "").join("/");
    const args = typeof ref.args === "string" ? ref.args : "";
    if (jobReferenceNode) {
      return {
        step: named(jobReferenceNode(ref, args.split(/\s+/).filter(Boolean))),
        feature: "step-jobref",
        detail: `${target}${args ? ` ${args}` : ""}`,
      };
    }
    const message = `job reference to '${target}'${args ? ` with arguments ${args}` : ""} needs sub-workflows (uses: workflow:<name>), not in Gantry yet`;
    return placeholder(named, "step-jobref", `${target}${args ? ` ${args}` : ""}`, message);
  }
  const type = typeof command.type === "string" ? command.type : "unknown";
  const keys = isObj(command.configuration) ? Object.keys(command.configuration) : [];
  const message = `step plugin ${type} has no Gantry equivalent: do the same with its tool's CLI or API in a script`;
  return placeholder(
    named,
    "step-plugin",
    `${type}${keys.length > 0 ? ` (settings: ${keys.join(", ")})` : ""}`,
    message,
  );
}

function scriptStep(command: Obj, refs: References, named: (step: Obj) => Obj): ConvertedCommand {
  const original = command.script as string;
  const args = typeof command.args === "string" ? replaceReferences(command.args, "command", refs) : "";
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(original);
  const program = shebang
    ? (shebang[1] as string).endsWith("/env")
      ? (shebang[2] ?? "")
      : (shebang[1] as string)
    : "";
  const shell = /(^|\/)(ba)?sh$/.test(program) || program === "";
  const interpreter = typeof command.scriptInterpreter === "string" ? command.scriptInterpreter.trim() : "";
  if (shell && !interpreter) {
    const script = replaceReferences(original, "script", refs);
    const lines = script.split("\n");
    const first = shebang ? `${lines.shift()}\n` : "";
    // Rundeck runs the script file as its interpreter would: without -e or pipefail.
    const prelude = `set +e +o pipefail\n${args ? `set -- ${args}\n` : ""}`;
    return {
      step: named({ run: `${first}${prelude}${lines.join("\n").replace(/\n*$/, "\n")}` }),
      feature: "step-script",
      detail: `${lines.length} lines${args ? `, arguments ${args}` : ""}`,
    };
  }
  // Another language: write the file and run it as Rundeck does, with its interpreter and arguments.
  const extension =
    typeof command.fileExtension === "string" ? `.${command.fileExtension.replace(/^\./, "")}` : "";
  const file = `rundeck-script${extension}`;
  const tokens = (original.match(/@(option|job|node)\.[^@\s]+@/g) ?? []).length;
  const body = original.replace(/\n*$/, "\n");
  const run = interpreter
    ? command.interpreterArgsQuoted === true
      ? `${interpreter} "./${file}${args ? ` ${args}` : ""}"`
      : `${interpreter} ./${file}${args ? ` ${args}` : ""}`
    : `./${file}${args ? ` ${args}` : ""}`;
  return {
    step: named({ run: `cat > ${file} <<'GANTRY_SCRIPT'\n${body}GANTRY_SCRIPT\nchmod +x ${file}\n${run}\n` }),
    feature: "step-interpreter",
    detail: `${interpreter || program}${tokens > 0 ? `; ${tokens} @…@ reference(s) inside it are left as written: read the RD_OPTION_* variables instead` : ""}`,
  };
}

function placeholder(
  named: (step: Obj) => Obj,
  feature: RundeckFeature,
  detail: string,
  message: string,
): ConvertedCommand {
  return {
    step: named({ run: failingScript(`gantry import: ${message}`) }),
    feature,
    detail,
    placeholder: message,
  };
}

function oneLine(text: string): string {
  const first = text.split("\n")[0] as string;
  return first.length > 80 ? `${first.slice(0, 77)}...` : first;
}

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
