import type { InputSpec } from "../format/input-types.js";

/** Who may decide an approval: any listed role (or a higher one), user or group. */
export interface ApproversSpec {
  roles?: string[];
  /** E-mail addresses, subjects (`user:<sub>`) or API key ids (`key:<id>`). */
  users?: string[];
  /** Values of the OIDC `groups` claim. */
  groups?: string[];
}

export const ON_TIMEOUT = ["reject", "approve"] as const;
export type OnTimeout = (typeof ON_TIMEOUT)[number];

/** `approval:` on a DAG node: the run waits for a person, holding no worker slot. */
export interface ApprovalSpec {
  message?: string;
  approvers?: ApproversSpec;
  /** A form the approver fills in; the values become the node's outputs. */
  inputs?: Record<string, InputSpec>;
  timeout?: string | number;
  on_timeout?: OnTimeout;
  /** The person who started the run may decide too (default false). */
  allow_self?: boolean;
}

/** `environment:` on a step: a name, or a name and the URL it deploys to. */
export type EnvironmentUse = string | { name: string; url?: string };

/**
 * What a run knows of an environment (gantry.yaml `environments:`), copied into the run as it starts so
 * that its rules stay those it started under. Secrets are not here: the worker resolves them.
 */
export interface EnvironmentPolicy {
  approvers?: ApproversSpec;
  /** Filter patterns (GitHub's) of the branches whose runs may use it; unset: any run. */
  branches?: string[];
  /** Milliseconds between approval and start; the step sits in the queue meanwhile (cancellable). */
  waitMs?: number;
  /** The run's starter may approve its deployment; unset: refused, as for approval nodes. */
  allowSelf?: boolean;
}

/** The decision recorded on a gate, and the outputs of an approval node. */
export interface GateDecision {
  decision: "approve" | "reject";
  by: string;
  by_id: string;
  /** ISO 8601. */
  at: string;
  comment: string;
  /** Set when nobody decided: the timeout did. */
  timed_out?: boolean;
}

/** A step (or approval node) waiting for a person, as the run's state keeps it. */
export interface GateState {
  kind: "approval" | "environment";
  environment?: string;
  url?: string;
  /** The approval's message, evaluated when the node became ready. */
  message?: string;
  /** When the gate opened for decision (ms since the epoch); stamped by the engine (core has no clock). */
  since?: number;
  decision?: GateDecision;
}

/** Output names an approval node sets itself; its form's inputs may not take them. */
export const APPROVAL_OUTPUTS = ["decision", "by", "by_id", "at", "comment", "timed_out"] as const;
