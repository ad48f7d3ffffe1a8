import {
  approversSchema,
  DURATION_PATTERN,
  type NotifyEntry,
  notifyListSchema,
  parseDuration,
} from "@gantry/core";
import type { EnvironmentConfig } from "@gantry/engine";
import { UsageError } from "../errors.js";

/** `environments:`, `notify:` and `smtp:` of gantry.yaml, as written (secret references unresolved). */
export interface FilePeopleSettings {
  environments?: Array<{
    name: string;
    approvers?: EnvironmentConfig["approvers"];
    branches?: string[];
    wait?: string | number;
    allow_self?: boolean;
    secrets?: Record<string, string>;
    url?: string;
  }>;
  notify?: NotifyEntry[];
  smtp?: SmtpSettings;
}

/** How e-mail leaves: an SMTP server (nodemailer's transport options, in gantry.yaml's words). */
export interface SmtpSettings {
  host: string;
  port?: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  user?: string;
  /** Usually a secret reference; resolved when mail is sent. */
  password?: string;
  from: string;
}

/**
 * Deployment environments, notification defaults and SMTP. Secret references stay unresolved here:
 * environment secrets are resolved by the worker for the one step that deploys, notification secrets
 * as each message is sent.
 */
export interface PeopleSettings {
  environments: EnvironmentConfig[];
  notify: NotifyEntry[];
  smtp?: SmtpSettings;
}

export const peopleSchemas = {
  environments: {
    type: "array",
    items: {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[A-Za-z0-9_.-]+$", description: "letters, digits, _ . -" },
        approvers: approversSchema,
        branches: {
          type: "array",
          items: { type: "string" },
          description: "GitHub filter patterns of branches whose runs may deploy here (main, release/**)",
        },
        wait: {
          anyOf: [
            { type: "number", minimum: 0 },
            { type: "string", pattern: DURATION_PATTERN },
          ],
          description: "a delay between approval and start, e.g. 5m (cancellable)",
        },
        allow_self: {
          type: "boolean",
          description: "whether the person who started a run may approve its deployment (default false)",
        },
        secrets: {
          type: "object",
          additionalProperties: { type: "string" },
          description: "name -> reference; only steps with this environment receive them",
        },
        url: { type: "string" },
      },
    },
  },
  notify: notifyListSchema,
  smtp: {
    type: "object",
    additionalProperties: false,
    required: ["host", "from"],
    properties: {
      host: { type: "string" },
      port: { type: "integer", minimum: 1, maximum: 65535 },
      secure: { type: "boolean" },
      user: { type: "string" },
      password: { type: "string" },
      from: { type: "string" },
    },
  },
} as const;

export function peopleSettingsOf(file: FilePeopleSettings): PeopleSettings {
  const seen = new Set<string>();
  const environments = (file.environments ?? []).map((env, i): EnvironmentConfig => {
    if (seen.has(env.name))
      throw new UsageError(`environments[${i}].name: '${env.name}' is used by another environment`);
    seen.add(env.name);
    return {
      name: env.name,
      ...(env.approvers ? { approvers: env.approvers } : {}),
      ...(env.branches ? { branches: env.branches } : {}),
      ...(env.wait !== undefined ? { waitMs: parseDuration(env.wait) } : {}),
      ...(env.allow_self ? { allowSelf: true } : {}),
      ...(env.secrets ? { secrets: env.secrets } : {}),
      ...(env.url ? { url: env.url } : {}),
    };
  });
  return { environments, notify: file.notify ?? [], ...(file.smtp ? { smtp: file.smtp } : {}) };
}
