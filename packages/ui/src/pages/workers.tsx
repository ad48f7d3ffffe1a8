import { useQuery } from "@tanstack/react-query";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { endpoints } from "@/lib/api";
import { formatTime, timeAgo } from "@/lib/format";
import { useNow } from "@/lib/use-now";

/**
 * The fleet: each worker's kind (a worker on the store, or an agent over the API) and version, its
 * runner types and labels, how busy it is, and when it last said so.
 */
export function WorkersPage() {
  const now = useNow(5000);
  const workers = useQuery({ queryKey: ["workers"], queryFn: endpoints.workers, refetchInterval: 5000 });
  if (workers.error) return <ErrorNote error={workers.error} />;
  const list = workers.data?.workers;
  return (
    <>
      <PageHeader
        title="Workers"
        description="Processes that claim and run steps: workers reach the store, agents only the API (gantry agent). Each heartbeats every few seconds; silent ones are shown for a day."
      />
      {!list ? (
        <Skeleton className="h-40" />
      ) : list.length === 0 ? (
        <p className="py-6 text-center text-sm text-muted-foreground">
          No worker has reported in the last day.
        </p>
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Worker</TableHead>
              <TableHead>Kind</TableHead>
              <TableHead>State</TableHead>
              <TableHead>Runners</TableHead>
              <TableHead>Labels</TableHead>
              <TableHead className="text-right">Running</TableHead>
              <TableHead>Heartbeat</TableHead>
              <TableHead>Started</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.map((w) => (
              <TableRow key={w.id} data-worker={w.id}>
                <TableCell>
                  <span className="font-mono text-xs">{w.id}</span>
                  <p className="text-xs text-muted-foreground">
                    {w.hostname}
                    {w.version ? ` · v${w.version}` : ""}
                  </p>
                </TableCell>
                <TableCell>
                  <Badge variant={w.kind === "agent" ? "info" : "secondary"} data-kind={w.kind}>
                    {w.kind}
                  </Badge>
                </TableCell>
                <TableCell>
                  <Badge variant={w.state === "online" ? "success" : "warning"}>{w.state}</Badge>
                </TableCell>
                <TableCell>{w.runners.join(", ") || "local"}</TableCell>
                <TableCell className="text-xs">
                  {w.labels.filter((l) => !l.startsWith("runner:")).join(", ") || (
                    <span className="text-muted-foreground">none</span>
                  )}
                </TableCell>
                <TableCell className="text-right tabular-nums">
                  {w.running} / {w.capacity}
                </TableCell>
                <TableCell title={formatTime(w.heartbeat_at)}>{timeAgo(w.heartbeat_at, now)}</TableCell>
                <TableCell title={formatTime(w.started_at)}>{timeAgo(w.started_at, now)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
