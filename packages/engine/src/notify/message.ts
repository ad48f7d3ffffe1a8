import { formatDuration } from "@gantry/core";
import type { NotificationFacts } from "./events.js";

/** A message's content, rendered once and sent by every channel in its own form. */
export interface Message {
  title: string;
  /** Lines of plain text: what happened, the trigger, duration, the failed step and its error. */
  lines: string[];
  /** The failed step's last log lines, masked. */
  log: string[];
  link: string | null;
  facts: NotificationFacts;
}

const HEADLINE: Record<string, string> = {
  started: "started",
  success: "succeeded",
  failure: "failed",
  cancelled: "was cancelled",
  recovery: "recovered (succeeded after failing)",
  approval_required: "waits for approval",
};

export function buildMessage(
  facts: NotificationFacts,
  log: string[],
  publicUrl: string | undefined,
): Message {
  const title = `${facts.workflow} ${HEADLINE[facts.event] ?? facts.event}`;
  const lines = [`Run ${facts.run_id} (attempt ${facts.attempt}), trigger: ${facts.trigger}`];
  if (facts.started_at !== null && facts.event !== "started" && facts.event !== "approval_required")
    lines.push(`Duration: ${formatDuration(facts.at - facts.started_at)}`);
  if (facts.failed_step) lines.push(`Failed step: ${facts.failed_step}`);
  if (facts.error) lines.push(`Error: ${facts.error}`);
  for (const a of facts.approvals ?? [])
    lines.push(
      `Waiting: ${a.step}${a.environment ? ` (environment ${a.environment})` : ""}${a.message ? `: ${a.message}` : ""}`,
    );
  const link = publicUrl ? `${publicUrl.replace(/\/$/, "")}/runs/${facts.run_id}` : null;
  return { title, lines, log, link, facts };
}

export function plainText(m: Message): string {
  return [
    m.title,
    "",
    ...m.lines,
    ...(m.log.length ? ["", `Last ${m.log.length} log lines:`, ...m.log.map((l) => `  ${l}`)] : []),
    ...(m.link ? ["", m.link] : []),
    "",
  ].join("\n");
}

/** Slack's Block Kit: a header, the facts, the log in a code block, a button to the run. */
export function slackBlocks(m: Message): { text: string; blocks: object[] } {
  const blocks: object[] = [
    { type: "header", text: { type: "plain_text", text: m.title.slice(0, 150) } },
    { type: "section", text: { type: "mrkdwn", text: m.lines.map(escapeSlack).join("\n").slice(0, 3000) } },
  ];
  if (m.log.length)
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `\`\`\`${m.log.join("\n").replace(/```/g, "'''").slice(0, 2900)}\`\`\`` },
    });
  if (m.link)
    blocks.push({
      type: "actions",
      elements: [{ type: "button", text: { type: "plain_text", text: "Open the run" }, url: m.link }],
    });
  return { text: m.title, blocks };
}

/** The generic webhook's JSON body. */
export function webhookBody(m: Message): object {
  return {
    event: m.facts.event,
    title: m.title,
    run: {
      id: m.facts.run_id,
      workflow: m.facts.workflow,
      trigger: m.facts.trigger,
      status: m.facts.status,
      attempt: m.facts.attempt,
      duration_ms: m.facts.started_at === null ? null : m.facts.at - m.facts.started_at,
      failed_step: m.facts.failed_step ?? null,
      error: m.facts.error ?? null,
      url: m.link,
    },
    approvals: m.facts.approvals ?? [],
    log: m.log,
    at: new Date(m.facts.at).toISOString(),
  };
}

function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
