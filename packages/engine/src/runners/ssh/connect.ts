import os from "node:os";
import type { NodeRecord } from "@gantry/core";
import type { Client, ConnectConfig, ServerHostKeyAlgorithm } from "ssh2";
import { blobType, fingerprint, hostKeyAlgorithms, parsePublicKey } from "../../nodes/host-key.js";
import { appendKnownHost, keysFor, readKnownHosts } from "../../nodes/known-hosts.js";

/** How the SSH client connects: host key trust, timeouts, keep-alives. */
export interface SshClientSettings {
  /** OpenSSH known_hosts file; a node's own `host_key` wins over it. */
  knownHostsFile?: string;
  /** Pin the key of a host that has none yet into knownHostsFile (`StrictHostKeyChecking accept-new`). */
  acceptNewHostKeys?: boolean;
  /** TCP connect, handshake and authentication together. */
  connectTimeoutMs?: number;
  /** 0 sends none. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

/** The node's resolved connection secrets (the worker resolved the references just before). */
export interface NodeCredentials {
  privateKey?: string;
  passphrase?: string;
  password?: string;
}

export class SshConnectError extends Error {}

const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
const DEFAULT_KEEPALIVE_MS = 15_000;
const DEFAULT_KEEPALIVE_COUNT = 3;

/**
 * Connects to a node with strict host key checking: the node must present a key its `host_key` lists or,
 * without one, that known_hosts records for it; a changed or revoked key is refused, always. A node known
 * nowhere is refused too, unless first-use pinning was asked for. `notice` receives what the operator
 * should see in the step's log (a key pinned).
 */
export async function connectNode(
  node: NodeRecord,
  credentials: NodeCredentials,
  settings: SshClientSettings,
  signal: AbortSignal,
  notice: (line: string) => void,
): Promise<Client> {
  const port = node.port ?? 22;
  const where = `${node.name} (${node.host}:${port})`;
  const fromNode = (node.host_key ?? []).map((k) => parsePublicKey(k).blob);
  const file = settings.knownHostsFile ? await readKnownHosts(settings.knownHostsFile) : undefined;
  const recorded = file ? keysFor(file.entries, node.host, port) : { keys: [], revoked: [] };
  const known = fromNode.length > 0 ? fromNode : recorded.keys.map((k) => k.blob);
  const pinNew =
    known.length === 0 && settings.acceptNewHostKeys === true && settings.knownHostsFile !== undefined;
  let refusal: string | undefined;
  let pinned: Buffer | undefined;

  const verify = (key: Buffer): boolean => {
    const shown = `${blobType(key) ?? "unknown"} key ${fingerprint(key)}`;
    if (recorded.revoked.some((r) => r.equals(key))) {
      refusal = `${where} presented a revoked host key (${shown}, @revoked in ${settings.knownHostsFile})`;
      return false;
    }
    if (known.some((k) => k.equals(key))) return true;
    if (known.length > 0) {
      refusal =
        `${where} presented a host key that does not match the one recorded (${shown}; ` +
        `recorded: ${known.map((k) => fingerprint(k)).join(", ")}). It may have been reinstalled, or ` +
        `someone may be intercepting the connection: check, then update ${fromNode.length > 0 ? "the node's host_key" : settings.knownHostsFile}`;
      return false;
    }
    if (pinNew) {
      pinned = key;
      return true;
    }
    refusal =
      `${where} is not a known host (it presented ${shown}): give the node a host_key, add it to ` +
      `${settings.knownHostsFile ?? "a known_hosts file (known_hosts: in gantry.yaml)"}` +
      `${settings.knownHostsFile ? ", or allow first-use pinning (ssh.accept_new_host_keys)" : ""}`;
    return false;
  };

  const { Client } = await import("ssh2");
  const client = new Client();
  const config: ConnectConfig = {
    host: node.host,
    port,
    username: node.user ?? os.userInfo().username,
    readyTimeout: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveInterval: settings.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: settings.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT,
    hostVerifier: verify,
    ...(credentials.privateKey ? { privateKey: credentials.privateKey } : {}),
    ...(credentials.passphrase ? { passphrase: credentials.passphrase } : {}),
    ...(credentials.password ? { password: credentials.password } : {}),
  };
  // Ask for a key of a type we know: a server with an ed25519 and an RSA key must show the one recorded.
  const types = known.map((k) => blobType(k)).filter((t): t is string => t !== undefined);
  if (types.length > 0) {
    config.algorithms = { serverHostKey: hostKeyAlgorithms(types) as ServerHostKeyAlgorithm[] };
  }
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      client.end();
      reject(new SshConnectError(`cancelled while connecting to ${where}`));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    client.once("ready", () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
    client.once("error", (error: Error & { level?: string }) => {
      signal.removeEventListener("abort", onAbort);
      client.end();
      reject(new SshConnectError(refusal ?? describeConnectError(error, where, config.username as string)));
    });
    try {
      client.connect(config);
    } catch (error) {
      // A key that cannot be read (encrypted without its passphrase, not a private key).
      signal.removeEventListener("abort", onAbort);
      reject(new SshConnectError(`cannot use the private key for ${where}: ${(error as Error).message}`));
    }
  });
  if (pinned && settings.knownHostsFile) {
    await appendKnownHost(settings.knownHostsFile, node.host, port, pinned);
    notice(
      `gantry: ${where} was not a known host; pinned its ${blobType(pinned)} key ${fingerprint(pinned)} in ${settings.knownHostsFile}`,
    );
  }
  return client;
}

function describeConnectError(
  error: Error & { level?: string; code?: string },
  where: string,
  user: string,
): string {
  if (error.level === "client-authentication") {
    return `authentication as ${user} on ${where} failed: no key or password given was accepted`;
  }
  if (error.level === "client-timeout") return `connecting to ${where} timed out (${error.message})`;
  if (error.code === "ECONNREFUSED")
    return `${where} refused the connection (is sshd listening on port ${where.split(":").pop()?.slice(0, -1)}?)`;
  if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN")
    return `${where}: the host name does not resolve`;
  return `cannot connect to ${where}: ${error.message}`;
}
