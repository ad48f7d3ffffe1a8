import type { ApproversSpec } from "./types.js";

/** Who is deciding, as the server knows them. */
export interface Decider {
  /** `user:<subject>`, `key:<id>` or `local`. */
  id: string;
  name: string;
  email?: string | null;
  role: string;
  groups?: string[];
}

const RANK: Record<string, number> = { viewer: 1, operator: 2, admin: 3 };

/**
 * Why this person may not decide, or undefined when they may. Listed roles admit that role and higher
 * ones; users match an e-mail address, a subject (`user:…`) or a key (`key:…`); groups match the OIDC
 * `groups` claim. Nobody listed: operators and admins. The run's starter is refused unless allow_self,
 * except in local single-user mode, where there is nobody else.
 */
export function approverRefusal(
  approvers: ApproversSpec | undefined,
  allowSelf: boolean,
  person: Decider,
  starter: string | undefined,
): string | undefined {
  if (!allowSelf && starter !== undefined && person.id !== "local" && person.id === starter)
    return `${person.name} started this run and may not approve it (allow_self is false)`;
  const roles = approvers?.roles ?? [];
  const users = approvers?.users ?? [];
  const groups = approvers?.groups ?? [];
  if (roles.length + users.length + groups.length === 0) {
    return (RANK[person.role] ?? 0) >= (RANK.operator as number)
      ? undefined
      : `deciding needs the operator role; ${person.name} has ${person.role}`;
  }
  const rank = RANK[person.role] ?? 0;
  if (roles.some((r) => rank >= (RANK[r] ?? Number.POSITIVE_INFINITY))) return undefined;
  const names = [person.id, person.email ?? undefined]
    .filter((n): n is string => !!n)
    .map((n) => n.toLowerCase());
  if (users.some((u) => names.includes(u.toLowerCase()))) return undefined;
  if (groups.some((g) => (person.groups ?? []).includes(g))) return undefined;
  return `${person.name} is not among the approvers (${describeApprovers(approvers)})`;
}

export function describeApprovers(approvers: ApproversSpec | undefined): string {
  const parts = [
    ...(approvers?.roles ?? []).map((r) => `role ${r}`),
    ...(approvers?.users ?? []),
    ...(approvers?.groups ?? []).map((g) => `group ${g}`),
  ];
  return parts.length ? parts.join(", ") : "operators and admins";
}
