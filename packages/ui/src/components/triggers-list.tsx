import { Badge } from "@/components/ui/badge";

/** A workflow's `on:` as a short list: "manual", "schedule 0 3 * * * (Europe/Berlin)", "push main". */
export function triggerSummaries(triggers: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [kind, spec] of Object.entries(triggers)) {
    if (kind === "schedule" && Array.isArray(spec)) {
      for (const entry of spec as { cron?: string; timezone?: string }[])
        out.push(`schedule ${entry.cron ?? ""}${entry.timezone ? ` (${entry.timezone})` : ""}`);
    } else if ((kind === "push" || kind === "pull_request") && spec && typeof spec === "object") {
      const branches = (spec as { branches?: string[] }).branches;
      out.push(branches?.length ? `${kind} ${branches.join(", ")}` : kind);
    } else if (kind === "webhook") {
      const hooks = Array.isArray(spec) ? spec : [spec];
      for (const hook of hooks as { name?: string }[]) out.push(`webhook ${hook.name ?? ""}`.trim());
    } else if (Array.isArray(spec)) {
      out.push(`${kind} ×${spec.length}`);
    } else {
      out.push(kind);
    }
  }
  return out;
}

/** The URLs a workflow's `on.webhook` entries answer on, for the caller to configure. */
export function webhookUrls(workflow: string, triggers: Record<string, unknown>, origin: string): string[] {
  const spec = triggers.webhook;
  if (!spec) return [];
  const hooks = (Array.isArray(spec) ? spec : [spec]) as { name?: string }[];
  return hooks
    .filter((h) => h.name)
    .map((h) => `${origin}/api/v1/hooks/${encodeURIComponent(workflow)}/${encodeURIComponent(h.name ?? "")}`);
}

export function TriggersList({
  triggers,
  workflow,
}: {
  triggers: Record<string, unknown>;
  workflow?: string;
}) {
  const urls = workflow ? webhookUrls(workflow, triggers, location.origin) : [];
  return (
    <>
      {urls.length > 0 ? (
        <ul className="mb-2 flex flex-col gap-1" aria-label="Webhook URLs">
          {urls.map((url) => (
            <li key={url} className="break-all font-mono text-xs">
              POST {url}
            </li>
          ))}
        </ul>
      ) : null}
      <ul className="flex flex-wrap gap-1.5" aria-label="Triggers">
        {triggerSummaries(triggers).map((t) => (
          <li key={t}>
            <Badge variant="outline" className="font-mono">
              {t}
            </Badge>
          </li>
        ))}
      </ul>
    </>
  );
}
