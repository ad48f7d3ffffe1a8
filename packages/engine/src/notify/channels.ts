import { createHmac } from "node:crypto";
import type { NotifyEntry } from "@gantry/core";
import { type ResolveOptions, resolveRefsDeep } from "../secrets/index.js";
import { buildMessage, type Message, plainText, slackBlocks, webhookBody } from "./message.js";
import type { SmtpSettings } from "./settings.js";

/** How long one send may take before it counts as failed. */
const SEND_TIMEOUT_MS = 15_000;

export interface SendContext {
  smtp?: SmtpSettings;
  resolve: ResolveOptions;
  /** The notification's id: the webhook's delivery id, so a receiver can drop a repeated delivery. */
  id: string;
  now: number;
}

/** Sends one message through one channel; throws with a reason (never a secret) when it fails. */
export async function sendMessage(
  entry: Omit<NotifyEntry, "on">,
  message: Message,
  context: SendContext,
): Promise<void> {
  // References are resolved now, for this send only; nothing resolved is kept or logged.
  const settings = (await resolveRefsDeep(entry, context.resolve)) as Omit<NotifyEntry, "on">;
  if (settings.email) return sendEmail(settings.email, message, context);
  if (settings.slack) return postJson(settings.slack.webhook_url, slackBlocks(message), {}, "slack");
  if (settings.webhook) {
    const body = JSON.stringify(webhookBody(message));
    const timestamp = String(Math.floor(context.now / 1000));
    const headers: Record<string, string> = {
      "x-gantry-delivery": context.id,
      "x-gantry-event": message.facts.event,
    };
    if (settings.webhook.secret) {
      // The scheme Gantry's own inbound hooks check: HMAC-SHA256 of "<timestamp>.<body>".
      const signature = createHmac("sha256", settings.webhook.secret)
        .update(`${timestamp}.${body}`)
        .digest("hex");
      headers["x-gantry-timestamp"] = timestamp;
      headers["x-gantry-signature-256"] = `sha256=${signature}`;
    }
    return postJson(settings.webhook.url, body, headers, "webhook");
  }
  throw new Error("no channel (email, slack or webhook) in this notify entry");
}

async function sendEmail(
  email: NonNullable<NotifyEntry["email"]>,
  message: Message,
  context: SendContext,
): Promise<void> {
  if (!context.smtp) throw new Error("e-mail needs smtp: settings in gantry.yaml (host, port, from)");
  const smtp = (await resolveRefsDeep(context.smtp, context.resolve)) as SmtpSettings;
  const nodemailer = (await import("nodemailer")).default;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port ?? (smtp.secure ? 465 : 587),
    secure: smtp.secure ?? false,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? "" } } : {}),
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({
      from: smtp.from,
      to: email.to,
      subject: email.subject ?? `[Gantry] ${message.title}`,
      text: plainText(message),
    });
  } finally {
    transport.close();
  }
}

async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  what: string,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "Gantry", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    // The URL may carry a token (Slack's do): the reason names the host only.
    throw new Error(
      `${what}: cannot reach ${safeHost(url)}: ${(error as Error).cause ?? (error as Error).message}`,
    );
  }
  await response.body?.cancel();
  if (!response.ok) throw new Error(`${what}: ${safeHost(url)} answered ${response.status}`);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
}

export { buildMessage };
