/** What a run tells people, and where (`notify:` on a workflow, and defaults in gantry.yaml). */
export const NOTIFY_EVENTS = [
  "started",
  "success",
  "failure",
  "cancelled",
  "recovery",
  "approval_required",
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export interface NotifyEntry {
  on: NotifyEvent[];
  email?: { to: string[]; subject?: string };
  /** An incoming webhook's URL (usually a secret reference). */
  slack?: { webhook_url: string };
  /** A POST of JSON, signed with HMAC-SHA256 of the body when `secret` is set. */
  webhook?: { url: string; secret?: string };
}

export const notifyEntrySchema = {
  type: "object",
  additionalProperties: false,
  required: ["on"],
  properties: {
    on: {
      type: "array",
      minItems: 1,
      items: { enum: [...NOTIFY_EVENTS] },
      description:
        "started, success, failure, cancelled, recovery (first success after failures), approval_required",
    },
    email: {
      type: "object",
      additionalProperties: false,
      required: ["to"],
      properties: {
        to: { type: "array", minItems: 1, items: { type: "string", pattern: "^[^@\\s]+@[^@\\s]+$" } },
        subject: { type: "string" },
      },
    },
    slack: {
      type: "object",
      additionalProperties: false,
      required: ["webhook_url"],
      properties: {
        webhook_url: {
          type: "string",
          description: "the incoming webhook (ref+env://… keeps it out of git)",
        },
      },
    },
    webhook: {
      type: "object",
      additionalProperties: false,
      required: ["url"],
      properties: {
        url: { type: "string", pattern: "^(https?://|ref\\+)" },
        secret: { type: "string", description: "signs the body: X-Gantry-Signature-256: sha256=<hex HMAC>" },
      },
    },
  },
  anyOf: [{ required: ["email"] }, { required: ["slack"] }, { required: ["webhook"] }],
} as const;

export const notifyListSchema = { type: "array", items: notifyEntrySchema } as const;
