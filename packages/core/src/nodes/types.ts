/**
 * A machine steps can reach over SSH, as an inventory (gantry.yaml `nodes:`, a file, an Ansible inventory)
 * describes it. Plain JSON: a run keeps the nodes it targets in its info, so connection secrets are held
 * only as references (`ref+…`), resolved on the worker just before it connects.
 */
export interface NodeRecord {
  name: string;
  /** Address or DNS name; the name when the inventory gives none. */
  host: string;
  port?: number;
  user?: string;
  tags: string[];
  /** Free-form facts selectors can filter on (`env:prod`), as text. */
  attributes: Record<string, string>;
  /** The private key, as a secret reference. */
  ssh_key?: string;
  /** The key's passphrase, as a secret reference. */
  ssh_key_passphrase?: string;
  /** Password authentication, as a secret reference (when there is no key). */
  password?: string;
  /** Public host keys the node must present (`ssh-ed25519 AAAA…`); otherwise the known_hosts file decides. */
  host_key?: string[];
}

/** The fields a node's connection secrets live in: never shown, resolved only where a step connects. */
export const NODE_SECRET_FIELDS = ["ssh_key", "ssh_key_passphrase", "password"] as const;

/** A node as lists and pages show it: what it is, without its connection secrets. */
export function publicNode(node: NodeRecord): Omit<NodeRecord, (typeof NODE_SECRET_FIELDS)[number]> & {
  auth: "key" | "password" | "none";
} {
  const { ssh_key, ssh_key_passphrase: _passphrase, password, ...rest } = node;
  return { ...rest, auth: ssh_key ? "key" : password ? "password" : "none" };
}

/**
 * The nodes a run targets, chosen when it starts (as Rundeck fixes an execution's node set): each node
 * selector its steps use, evaluated with what is known then, with the names it matched or why it could
 * not be read, and the records of every node named.
 */
export interface RunNodes {
  selected: Record<string, { names: string[] } | { error: string }>;
  records: Record<string, NodeRecord>;
  /** How many nodes the inventory held, for "matched none of N" messages. */
  total: number;
}
