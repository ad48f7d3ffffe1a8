/** The agent key a request came with: its id, and the labels its agents may claim jobs for. */
export interface AgentIdentity {
  keyId: string;
  labels: string[];
}

/**
 * An agent's worker id starts with its key's id: the server checks every worker id an agent names
 * against the key it called with, so an agent can act only as its own workers.
 */
export function agentWorkerId(keyId: string, hostname: string, pid: number): string {
  const host = hostname.replace(/[^A-Za-z0-9.-]/g, "-").slice(0, 60) || "host";
  return `agent-${keyId}-${host}-${pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export function ownsWorker(agent: AgentIdentity, workerId: string): boolean {
  return workerId.startsWith(`agent-${agent.keyId}-`);
}

/**
 * The labels an agent may claim with: those of its key, and the runner types it offers. A job needing
 * any other label is never claimed by it.
 */
export function allowedLabels(agent: AgentIdentity, requested: string[]): string[] {
  return requested.filter((label) => agent.labels.includes(label) || label.startsWith("runner:"));
}
