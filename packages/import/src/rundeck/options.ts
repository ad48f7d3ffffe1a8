// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the converter writes workflow expressions
import { checkValue, type InputSpec } from "@gantry/core";
import type { OutputDocument } from "../output/document.js";
import type { Findings } from "../report/report.js";
import { identifier, unique } from "../shared/names.js";
import { isRecord } from "../source/yaml-source.js";
import type { RundeckFeature } from "./features.js";
import type { RundeckJobSource } from "./read.js";
import { rundeckEnv } from "./variables.js";

type Obj = Record<string, unknown>;

export interface ConvertedOptions {
  inputs: Obj;
  /** RD_OPTION_* for every option, as Rundeck sets them for every step. */
  env: Obj;
  secrets: Obj;
}

/** Rundeck job options to workflow inputs, and the environment variables Rundeck derives from them. */
export function convertOptions(
  source: RundeckJobSource,
  options: unknown[],
  doc: OutputDocument,
  findings: Findings<RundeckFeature>,
): ConvertedOptions {
  const out: ConvertedOptions = { inputs: {}, env: {}, secrets: {} };
  const used = new Set<string>();
  options.forEach((option, index) => {
    if (!isRecord(option) || typeof option.name !== "string") return;
    const at = source.locate(["options", index]);
    const id = unique(identifier(option.name), used, "_");
    const input: Obj = {};
    const describe: string[] = [];
    if (typeof option.description === "string" && option.description.trim())
      describe.push(option.description.trim());
    const values = valuesOf(option);
    const secure = option.secure === true;
    const exposed = option.valueExposed !== false;
    const multivalued = option.multivalued === true && !secure;
    const delimiter = typeof option.delimiter === "string" ? option.delimiter : ",";
    const envName = rundeckEnv("OPTION", option.name);
    let value = `\${{ inputs.${id} }}`;
    findings.add("option", at, `${option.name} -> inputs.${id}${secure ? "" : ` and ${envName}`}`);
    if (secure) {
      input.type = "secret";
      findings.add(exposed ? "option-secure" : "option-remote-auth", at, option.name);
      if (typeof option.storagePath === "string") {
        const secret = envName.replace(/^RD_OPTION_/, "");
        out.secrets[secret] = `ref+env://${secret}`;
        value = `\${{ inputs.${id} || secrets.${secret} }}`;
        doc.note(
          ["secrets", secret],
          `Fill in: Rundeck Key Storage ${option.storagePath}, the default of option ${option.name}. ref+env:// reads the worker's environment; point it at your secret store instead (ref+vault://…, ref+sops://…).`,
        );
        findings.add(
          "option-storage",
          source.locate(["options", index, "storagePath"]),
          `${option.storagePath} -> secrets.${secret}`,
        );
      }
    } else if (multivalued) {
      input.type = "array";
      input.items = values && option.enforced === true ? { enum: values } : { type: "string" };
      value = `\${{ join(inputs.${id}, '${delimiter.replace(/'/g, "''")}') }}`;
      findings.add("option-multivalued", at, `${option.name}, joined with '${delimiter}'`);
    } else if (values && option.enforced === true) {
      input.type = "choice";
      input.enum = values;
      findings.add("option-enforced", at, `${option.name}: ${values.join(", ")}`);
    } else {
      input.type = "string";
      if (values) {
        describe.push(`Values: ${values.join(", ")}`);
        findings.add("option-suggested", at, `${option.name}: ${values.join(", ")}`);
      }
    }
    if (option.isDate === true || typeof option.dateFormat === "string") {
      describe.push(`A date${typeof option.dateFormat === "string" ? ` (${option.dateFormat})` : ""}`);
      findings.add("option-date", at, option.name);
    }
    if (option.type === "file") findings.add("option-file", at, option.name);
    if (option.hidden === true) findings.add("option-hidden", at, option.name);
    if (typeof option.valuesUrl === "string") {
      findings.add(
        "option-remote-values",
        source.locate(["options", index, "valuesUrl"]),
        `${option.name} from ${option.valuesUrl}`,
      );
      describe.push(`Values came from ${option.valuesUrl}`);
      doc.note(
        ["inputs", id],
        `NOT CONVERTED YET: the values of ${option.name} came from ${option.valuesUrl} (needs dynamic input options, #25).`,
      );
    }
    if (typeof option.regex === "string" && input.type === "string") {
      const pattern = `^(?:${option.regex})$`;
      if (readable(pattern)) {
        input.pattern = pattern;
        findings.add("option-regex", at, `${option.name}: ${option.regex}`);
      } else {
        findings.add("option-regex-java", at, `${option.name}: ${option.regex}`);
        doc.note(
          ["inputs", id],
          `NOT CONVERTED: the regex ${option.regex} (Java syntax JavaScript cannot read): write it as pattern.`,
        );
      }
    }
    if (typeof option.label === "string") input.title = option.label;
    if (describe.length > 0) input.description = describe.join(". ");
    const defaultValue = option.value ?? option.defaultValue;
    if (defaultValue !== undefined && !secure) {
      const value = multivalued ? String(defaultValue).split(delimiter) : String(defaultValue);
      // A default Rundeck allowed but the input's own rules refuse (not among enforced values) is left out.
      const problem = checkValue(input as unknown as InputSpec, value);
      if (problem)
        doc.note(["inputs", id], `The default '${String(defaultValue)}' was left out: ${problem}.`);
      else input.default = value;
    }
    // A secure option backed by Key Storage has its default there, so the run form may leave it empty.
    if (option.required === true && !(secure && typeof option.storagePath === "string"))
      input.required = true;
    out.inputs[id] = input;
    if (!secure || exposed) out.env[envName] = value;
    doc.route(["options", index], ["inputs", id]);
  });
  return out;
}

function readable(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

/** An option's allowed or suggested values: a list, or text split at its delimiter. */
function valuesOf(option: Obj): string[] | undefined {
  const values = option.values;
  if (Array.isArray(values)) return values.map(String);
  if (typeof values === "string") {
    const delimiter = typeof option.valuesListDelimiter === "string" ? option.valuesListDelimiter : ",";
    return values
      .split(delimiter)
      .map((v) => v.trim())
      .filter((v) => v !== "");
  }
  return undefined;
}
