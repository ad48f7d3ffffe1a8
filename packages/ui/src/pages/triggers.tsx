import { useQuery } from "@tanstack/react-query";
import { Fragment } from "react";
import { Link } from "react-router";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { Badge, type BadgeVariant } from "@/components/ui/badge";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { type EventTrigger, endpoints } from "@/lib/api";
import { formatTime, timeAgo } from "@/lib/format";
import { useNow } from "@/lib/use-now";

const STATE: Record<EventTrigger["state"], BadgeVariant> = {
  connected: "success",
  connecting: "info",
  reconnecting: "warning",
  standby: "secondary",
  stopped: "outline",
};

/** Queue and database listeners: which server holds each, whether it is connected, what it last did. */
export function TriggersPage() {
  const now = useNow(5000);
  const triggers = useQuery({ queryKey: ["triggers"], queryFn: endpoints.triggers, refetchInterval: 3000 });
  if (triggers.error) return <ErrorNote error={triggers.error} />;
  const list = triggers.data?.triggers;
  return (
    <>
      <PageHeader
        title="Triggers"
        description="Listeners for RabbitMQ, Kinesis, PostgreSQL, MQTT, NATS and workflow chains; one server consumes each."
      />
      {!list ? (
        <Skeleton className="h-40" />
      ) : list.length === 0 ? (
        <p className="py-6 text-center text-sm text-muted-foreground">No workflow has an event trigger.</p>
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Trigger</TableHead>
              <TableHead>Source</TableHead>
              <TableHead>State</TableHead>
              <TableHead className="text-right">Events</TableHead>
              <TableHead>Last event</TableHead>
              <TableHead>Last error</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.map((t) => (
              <Fragment key={t.id}>
                <TableRow data-trigger={t.id}>
                  <TableCell>
                    <Link
                      className="font-medium hover:underline"
                      to={`/workflows/${encodeURIComponent(t.workflow)}`}
                    >
                      {t.workflow}
                    </Link>
                    <p className="font-mono text-xs text-muted-foreground">{t.id}</p>
                  </TableCell>
                  <TableCell className="max-w-80">
                    <Badge variant="outline">{t.kind}</Badge>
                    <p
                      className="mt-1 truncate font-mono text-xs text-muted-foreground"
                      title={JSON.stringify(t.config)}
                    >
                      {describe(t.config)}
                    </p>
                  </TableCell>
                  <TableCell>
                    <Badge variant={STATE[t.state]}>{t.state}</Badge>
                    {t.holder ? (
                      <p className="mt-1 font-mono text-xs text-muted-foreground">{t.holder}</p>
                    ) : null}
                  </TableCell>
                  <TableCell className="text-right tabular-nums">
                    {t.events}
                    {t.failures ? (
                      <span className="text-xs text-destructive"> ({t.failures} failed)</span>
                    ) : null}
                  </TableCell>
                  <TableCell title={formatTime(t.last_event_at)}>
                    {t.last_event_at ? timeAgo(t.last_event_at, now) : "never"}
                    {t.last_run_id ? (
                      <Link className="ml-2 font-mono text-xs underline" to={`/runs/${t.last_run_id}`}>
                        {t.last_run_id.slice(0, 8)}
                      </Link>
                    ) : null}
                  </TableCell>
                  <TableCell
                    className="max-w-72 text-xs text-destructive"
                    title={formatTime(t.last_error_at)}
                  >
                    {t.last_error ?? ""}
                  </TableCell>
                </TableRow>
                {t.notes && t.notes.length > 0 ? (
                  <TableRow data-trigger-notes={t.id}>
                    <TableCell colSpan={6} className="pt-0">
                      <ul className="flex flex-col gap-0.5 text-xs" aria-label={`Notes of ${t.id}`}>
                        {t.notes.map((note) => (
                          <li key={`${note.at}:${note.kind}:${note.key}`} data-note={note.kind}>
                            <Badge variant={note.kind === "duplicate" ? "secondary" : "warning"}>
                              {note.kind === "duplicate" ? "dropped" : "defaults"}
                            </Badge>{" "}
                            <span className="text-muted-foreground" title={formatTime(note.at)}>
                              {timeAgo(note.at, now)}
                            </span>{" "}
                            {note.message}
                            {note.run_id ? (
                              <Link className="ml-2 font-mono underline" to={`/runs/${note.run_id}`}>
                                {note.run_id.slice(0, 8)}
                              </Link>
                            ) : null}
                          </li>
                        ))}
                      </ul>
                    </TableCell>
                  </TableRow>
                ) : null}
              </Fragment>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}

/** The entry's target in a few words: queue, stream, channel, topic or subject, as configured. */
function describe(config: Record<string, unknown>): string {
  const keys = ["queue", "exchange", "stream", "channel", "table", "topic", "subject", "name", "url"];
  return keys
    .filter((k) => config[k] !== undefined)
    .map((k) => `${k}: ${String(config[k])}`)
    .join(" · ");
}
