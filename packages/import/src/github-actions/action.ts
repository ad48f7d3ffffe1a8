import type { ResolvedOptions } from "../options.js";
import { OutputDocument, quoted } from "../output/document.js";
import type { Draft } from "../output/finish.js";
import type { Findings } from "../report/report.js";
import { buildJobScript, type RunStep } from "../shared/job-script.js";
import { identifier, slug } from "../shared/names.js";
import { failingScript } from "../shared/shell.js";
import { isRecord, startsWith, type YamlSource } from "../source/yaml-source.js";
import type { GithubFeature } from "./features.js";
import { classifyAction } from "./known-actions.js";
import { nodeRewriter, type WorkflowScope } from "./references.js";

type Obj = Record<string, unknown>;

/**
 * A GitHub action (action.yml) as a Gantry action. A composite action whose steps are all `run:` becomes
 * a bash action running them as one script, its inputs read as INPUT_<NAME> (how Gantry hands an action
 * its inputs). One with `uses:` steps waits for composite actions (#23); JavaScript and Docker actions
 * are reported with what to write instead. Each becomes `<actions>/<name>/action.yaml`.
 */
export function convertAction(
  file: string,
  source: YamlSource,
  options: ResolvedOptions,
  findings: Findings<GithubFeature>,
): Draft {
  const action = source.value as Obj;
  const runs = action.runs as Obj;
  const name = slug(
    typeof action.name === "string"
      ? action.name
      : (file.split(/[\\/]/).pop() ?? "action").replace(/\.ya?ml$/, ""),
  );
  const doc = new OutputDocument();
  const out = doc.value;
  out.name = name;
  if (typeof action.description === "string") out.description = action.description;
  const inputs: Obj = {};
  const inputNames = new Map<string, string>();
  if (isRecord(action.inputs)) {
    for (const [inputName, raw] of Object.entries(action.inputs)) {
      const spec = isRecord(raw) ? raw : {};
      const id = identifier(inputName);
      inputNames.set(inputName, id);
      inputs[id] = {
        type: "string",
        ...(typeof spec.description === "string" ? { description: spec.description } : {}),
        ...(spec.required === true && spec.default === undefined ? { required: true } : {}),
        ...(spec.default !== undefined ? { default: String(spec.default) } : {}),
      };
      doc.route(["inputs", inputName], ["inputs", id]);
    }
  }
  if (Object.keys(inputs).length > 0) {
    out.inputs = inputs;
    findings.add("action-inputs", source.locate(["inputs"], { key: true }), Object.keys(inputs).join(", "));
  }
  const at = (...path: Array<string | number>) => source.locate(path, { key: true });
  const using = String(runs.using ?? "");
  const placeholder = (message: string) => {
    out.runs = { using: "bash", run: failingScript(`gantry import: ${message}`) };
    doc.note(["runs"], `NOT CONVERTED: ${message}.`);
  };
  if (using !== "composite") {
    findings.add("javascript-docker-action", at("runs", "using"), using);
    placeholder(`a ${using} action: write runs.using node (script: its bundle) or container (image) by hand`);
  } else {
    const steps = Array.isArray(runs.steps) ? runs.steps.filter(isRecord) : [];
    const uses = steps.filter((s) => typeof s.uses === "string");
    if (uses.length > 0) {
      for (const step of uses) {
        const kind = classifyAction(String(step.uses), isRecord(step.with) ? step.with : {});
        if (kind.kind === "blocked")
          findings.add(kind.feature, at("runs", "steps", steps.indexOf(step)), String(step.uses));
      }
      findings.add("composite-action-steps", at("runs", "steps"), uses.map((s) => String(s.uses)).join(", "));
      placeholder(
        `a composite action with uses: steps (${uses.map((s) => String(s.uses)).join(", ")}) needs composite actions (#23)`,
      );
      doc.consume(["runs"]);
      doc.note(["runs"], `The steps as they were:\n${quoted(source.linesOf(["runs", "steps"]) ?? "")}`);
    } else {
      const scope: WorkflowScope = {
        inputs: inputNames,
        jobs: new Map(),
        outputs: new Map(),
        secrets: new Map(),
        env: new Set(),
      };
      const runSteps: RunStep[] = steps.map((step, index) => ({
        index,
        label:
          typeof step.name === "string"
            ? step.name
            : (String(step.run ?? "")
                .trim()
                .split("\n")[0] ?? `step ${index + 1}`),
        run: String(step.run ?? ""),
        // A composite action's run steps must name their shell.
        shell: typeof step.shell === "string" ? step.shell : "bash",
        ...(typeof step["working-directory"] === "string"
          ? { workingDirectory: step["working-directory"] }
          : {}),
        env: isRecord(step.env) ? step.env : {},
        ...(step.if !== undefined ? { if: step.if } : {}),
        ...(step["continue-on-error"] !== undefined ? { continueOnError: step["continue-on-error"] } : {}),
        comments: source.comments
          .filter((c) => startsWith(c.path, ["runs", "steps", index]))
          .map((c) => c.text),
      }));
      const built = buildJobScript(runSteps, {
        rewrite: nodeRewriter(scope, {}),
        composite: true,
      });
      const hoisted = Object.keys(built.env);
      if (built.blockers.length > 0 || hoisted.length > 0) {
        for (const b of built.blockers)
          findings.add(b.feature as GithubFeature, at("runs", "steps", b.index ?? 0), b.detail);
        const why =
          built.blockers.length > 0
            ? built.blockers.map((b) => b.detail).join("; ")
            : `expressions an action cannot evaluate (${hoisted.join(", ")})`;
        findings.add("composite-action-steps", at("runs", "steps"), why);
        placeholder(`the composite action's steps: ${why}`);
      } else {
        for (const note of built.notes)
          findings.add(note.feature as GithubFeature, at("runs", "steps", note.index ?? 0), note.detail);
        findings.add("composite-action", at("runs"), `${steps.length} run step(s) in one bash script`);
        out.runs = { using: "bash", run: built.script };
      }
      doc.consume(["runs", "steps"]);
    }
  }
  if (isRecord(action.outputs)) {
    const outputs: Obj = {};
    for (const [outputName, raw] of Object.entries(action.outputs)) {
      outputs[identifier(outputName)] =
        isRecord(raw) && typeof raw.description === "string" ? { description: raw.description } : {};
    }
    out.outputs = outputs;
  }
  return {
    kind: "action",
    name,
    path: `${options.actionsDir}/${name}/action.yaml`,
    doc,
    origin: `GitHub ${using} action${typeof action.name === "string" ? ` "${action.name}"` : ""}`,
    comments: source.comments,
    ...(source.header ? { sourceHeader: source.header } : {}),
  };
}
