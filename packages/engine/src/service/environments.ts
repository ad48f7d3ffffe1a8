import { type ApproversSpec, type EnvironmentPolicy, environmentName, type WorkflowSpec } from "@gantry/core";

/** One entry of gantry.yaml `environments:`, its secret references unresolved. */
export interface EnvironmentConfig {
  name: string;
  approvers?: ApproversSpec;
  /** GitHub filter patterns of the branches whose runs may deploy to it. */
  branches?: string[];
  /** Milliseconds between approval and start. */
  waitMs?: number;
  /** The run's starter may approve its deployment (refused by default). */
  allowSelf?: boolean;
  /** name -> secret reference; only steps with this environment receive them. */
  secrets?: Record<string, string>;
  /** Where it is served, for the Deployments page (a step's environment.url wins). */
  url?: string;
}

/** The names of the environments a workflow's steps deploy to. */
export function usedEnvironments(workflow: WorkflowSpec): string[] {
  const names = new Set<string>();
  for (const step of Object.values(workflow.steps)) {
    const name = environmentName(step.environment);
    if (name) names.add(name);
  }
  return [...names];
}

/** The policies a new run keeps (secrets apart), for the environments its workflow uses. */
export function environmentPolicies(
  workflow: WorkflowSpec,
  config: EnvironmentConfig[],
): Record<string, EnvironmentPolicy> | undefined {
  const used = usedEnvironments(workflow);
  if (used.length === 0) return undefined;
  const policies: Record<string, EnvironmentPolicy> = {};
  for (const env of config) {
    if (!used.includes(env.name)) continue;
    policies[env.name] = {
      ...(env.approvers ? { approvers: env.approvers } : {}),
      ...(env.branches ? { branches: env.branches } : {}),
      ...(env.waitMs ? { waitMs: env.waitMs } : {}),
      ...(env.allowSelf ? { allowSelf: true } : {}),
    };
  }
  return policies;
}
