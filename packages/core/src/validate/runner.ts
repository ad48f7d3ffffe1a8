import type { Problem, RunnerSpec } from "../format/types.js";
import { NodeSelectorError, parseNodeSelector } from "../nodes/selector.js";
import type { SourceFile } from "../yaml/parse.js";
import { position } from "./expressions.js";

type Path = Array<string | number>;

const DOCKER_ONLY = ["volumes", "network"] as const;
const KUBERNETES_ONLY = [
  "namespace",
  "service_account",
  "resources",
  "node_selector",
  "tolerations",
  "image_pull_secrets",
] as const;
const CONTAINER_ONLY = ["image", "pull", "env", "user", "cpus", "memory", "credentials", "docker"] as const;
const SSH_ONLY = ["nodes", "max_parallel", "keep_going"] as const;
const QUANTITY = /^\d+(\.\d+)?([kmgt]i?b?)?$/i;

/**
 * Checks a `runner:` map beyond its schema: keys that do nothing for the chosen type (a typo of intent,
 * e.g. `namespace` on docker) and quantities that cannot be read. `type` is the effective type, or null
 * when an action may still decide it.
 */
export function runnerProblems(
  source: SourceFile,
  path: Path,
  spec: RunnerSpec | undefined,
  type: unknown,
): Problem[] {
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) return [];
  const problems: Problem[] = [];
  const effective = typeof type === "string" ? type : "unknown";
  const where = path.join(".");
  const wrong = (keys: readonly string[], allowed: string) => {
    for (const key of keys) {
      if (!(key in spec)) continue;
      problems.push({
        file: source.file,
        ...source.locate([...path, key], { key: true }),
        message: `${where}.${key}: only applies to runner type ${allowed}; this runner is '${effective}'`,
      });
    }
  };
  if (effective === "local" || effective === "ssh")
    wrong([...CONTAINER_ONLY, ...DOCKER_ONLY, ...KUBERNETES_ONLY], "docker or kubernetes");
  if (effective === "docker") wrong(KUBERNETES_ONLY, "kubernetes");
  if (effective === "kubernetes") wrong(DOCKER_ONLY, "docker");
  if (effective !== "ssh" && effective !== "unknown") wrong(SSH_ONLY, "ssh");
  if (typeof spec.nodes === "string")
    problems.push(...selectorProblems(source, [...path, "nodes"], spec.nodes));
  for (const key of ["memory", "cpus"] as const) {
    const value = spec[key];
    if (typeof value === "string" && !value.includes("${{") && !QUANTITY.test(value)) {
      problems.push({
        file: source.file,
        ...source.locate([...path, key]),
        message: `${where}.${key}: '${value}' is not a quantity (use e.g. ${key === "memory" ? "512m, 2g or 2Gi" : "1.5 or 500m"})`,
      });
    }
  }
  return problems;
}

/**
 * A literal node selector must parse; the problem points at the character (a selector with an
 * expression is checked when the run starts, once the expression has a value).
 */
export function selectorProblems(source: SourceFile, path: Path, text: string): Problem[] {
  if (text.includes("${{")) return [];
  try {
    parseNodeSelector(text);
    return [];
  } catch (error) {
    if (!(error instanceof NodeSelectorError)) throw error;
    const message = error.message.replace(/ \(column \d+\)$/, "");
    return [
      {
        ...position(source, path, error.column - 1),
        message: `${path.join(".")}: ${message}`,
      },
    ];
  }
}
