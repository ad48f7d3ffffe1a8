import type { ResolvedOptions } from "../options.js";
import type { Findings } from "../report/report.js";
import { isRecord, type SourcePath, type YamlSource } from "../source/yaml-source.js";
import type { CronJobFeature } from "./features.js";

type Obj = Record<string, unknown>;

/** Pod settings the runner carries, by runner type; everything else in the pod spec is reported. */
const HANDLED = new Set([
  "containers",
  "initContainers",
  "restartPolicy",
  "serviceAccountName",
  "serviceAccount",
  "nodeSelector",
  "tolerations",
  "imagePullSecrets",
  "securityContext",
  "volumes",
]);

export interface PodSettings {
  runner: Obj;
  /** Comments for each step: what of the pod was not converted. */
  notes: string[];
}

export function podSettings(
  source: YamlSource,
  base: SourcePath,
  podPath: SourcePath,
  metadata: Obj,
  pod: Obj,
  options: ResolvedOptions,
  findings: Findings<CronJobFeature>,
): PodSettings {
  const at = (key: string) => source.locate([...base, ...podPath, key], { key: true });
  const kubernetes = options.runner === "kubernetes";
  const runner: Obj = { type: options.runner };
  const notes: string[] = [];
  const dropped: string[] = [];
  const namespace = metadata.namespace;
  if (typeof namespace === "string") {
    if (kubernetes) {
      runner.namespace = namespace;
      findings.add("namespace", source.locate([...base, "metadata", "namespace"], { key: true }), namespace);
    } else dropped.push(`namespace ${namespace}`);
  }
  const account = pod.serviceAccountName ?? pod.serviceAccount;
  if (typeof account === "string") {
    if (kubernetes) {
      runner.service_account = account;
      findings.add(
        "service-account",
        at(pod.serviceAccountName ? "serviceAccountName" : "serviceAccount"),
        account,
      );
    } else dropped.push(`service account ${account}`);
  }
  if (isRecord(pod.nodeSelector)) {
    if (kubernetes) {
      runner.node_selector = pod.nodeSelector;
      findings.add("scheduling", at("nodeSelector"), "nodeSelector");
    } else dropped.push("nodeSelector");
  }
  if (Array.isArray(pod.tolerations)) {
    if (kubernetes) {
      runner.tolerations = pod.tolerations;
      findings.add("scheduling", at("tolerations"), "tolerations");
    } else dropped.push("tolerations");
  }
  if (Array.isArray(pod.imagePullSecrets)) {
    const secrets = pod.imagePullSecrets.filter(isRecord).map((s) => String(s.name));
    if (kubernetes) {
      runner.image_pull_secrets = secrets;
      findings.add("image-pull-secrets", at("imagePullSecrets"), secrets.join(", "));
    } else {
      findings.add(
        "image-pull-secrets",
        at("imagePullSecrets"),
        `${secrets.join(", ")}: give runner.credentials (username, password as secret references) for the registry`,
      );
      notes.push(
        `NOT CONVERTED: imagePullSecrets ${secrets.join(", ")}: add runner.credentials with secret references.`,
      );
    }
  }
  if (dropped.length > 0) findings.add("docker-runner-drops", at("containers"), dropped.join(", "));
  if (isRecord(pod.securityContext))
    userAndRest(pod.securityContext, runner, at("securityContext"), findings);
  if (Array.isArray(pod.volumes)) {
    const volumes = pod.volumes
      .filter(isRecord)
      .map((v) => `${String(v.name)} (${Object.keys(v).find((k) => k !== "name") ?? "?"})`);
    findings.add("volumes", at("volumes"), `volumes ${volumes.join(", ")}`);
    notes.push(
      `NOT CONVERTED: volumes ${volumes.join(", ")}: Gantry's runners mount no volumes; bring these files from the repository or secret references.`,
    );
  }
  const other = Object.keys(pod).filter((k) => !HANDLED.has(k));
  if (other.length > 0) {
    findings.add("other-pod-fields", at(other[0] as string), other.join(", "));
    notes.push(`NOT CONVERTED: pod settings ${other.join(", ")}.`);
  }
  const informational = ["labels", "annotations", "ownerReferences"].filter((k) => metadata[k] !== undefined);
  if (informational.length > 0)
    findings.add("metadata", source.locate([...base, "metadata"], { key: true }), informational.join(", "));
  return { runner, notes };
}

export function userAndRest(
  security: Obj,
  runner: Obj,
  at: { line: number; col: number },
  findings: Findings<CronJobFeature>,
): void {
  if (typeof security.runAsUser === "number") {
    runner.user =
      typeof security.runAsGroup === "number"
        ? `${security.runAsUser}:${security.runAsGroup}`
        : security.runAsUser;
    findings.add("run-as-user", at, `runAsUser ${security.runAsUser}`);
  }
  const rest = Object.keys(security).filter((k) => k !== "runAsUser" && k !== "runAsGroup");
  if (rest.length > 0) findings.add("security-context", at, rest.join(", "));
}
