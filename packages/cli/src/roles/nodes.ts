import path from "node:path";
import { parseDuration } from "@gantry/core";
import type { NodeDefaults, NodeEntry, SshClientSettings } from "@gantry/engine";
import { UsageError } from "../errors.js";

/** `nodes:`, `known_hosts:` and `ssh:` of gantry.yaml, as written (secret references unresolved). */
export interface FileNodeSettings {
  nodes?: NodeEntry[];
  known_hosts?: string;
  ssh?: NodeDefaults & {
    connect_timeout?: string | number;
    keepalive_interval?: string | number;
    keepalive_count_max?: number;
    accept_new_host_keys?: boolean;
  };
}

/**
 * The node inventory's settings: its entries and node defaults (the server chooses a run's nodes from
 * them), and how the SSH client connects (the worker's ssh runner). Keys stay references, resolved on
 * the worker just before it connects; relative paths start at gantry.yaml's folder.
 */
export interface NodeSettings {
  entries: NodeEntry[];
  defaults: NodeDefaults;
  client: SshClientSettings;
}

export function nodeSettingsOf(file: FileNodeSettings, configDir: string): NodeSettings {
  const ssh = file.ssh ?? {};
  const duration = (name: string, value: string | number | undefined) => {
    if (value === undefined) return undefined;
    try {
      return parseDuration(value);
    } catch (error) {
      throw new UsageError(`ssh.${name}: ${(error as Error).message}`);
    }
  };
  const { connect_timeout, keepalive_interval, keepalive_count_max, accept_new_host_keys, ...defaults } = ssh;
  const connectTimeoutMs = duration("connect_timeout", connect_timeout);
  const keepaliveIntervalMs = duration("keepalive_interval", keepalive_interval);
  if (accept_new_host_keys && !file.known_hosts) {
    throw new UsageError(
      "ssh.accept_new_host_keys: needs known_hosts: (the file new host keys are pinned in)",
    );
  }
  return {
    entries: file.nodes ?? [],
    defaults,
    client: {
      ...(file.known_hosts ? { knownHostsFile: path.resolve(configDir, file.known_hosts) } : {}),
      ...(accept_new_host_keys !== undefined ? { acceptNewHostKeys: accept_new_host_keys } : {}),
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
      ...(keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs } : {}),
      ...(keepalive_count_max !== undefined ? { keepaliveCountMax: keepalive_count_max } : {}),
    },
  };
}
