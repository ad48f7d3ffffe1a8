import { Link } from "react-router";
import { StatusBadge } from "@/components/status-badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { RunSummary } from "@/lib/api";
import { formatDuration, formatTime, runDuration, timeAgo, triggerLabel } from "@/lib/format";
import { useNow } from "@/lib/use-now";

export function RunsTable({
  runs,
  showWorkflow = true,
  empty = "No runs yet.",
}: {
  runs: RunSummary[];
  showWorkflow?: boolean;
  empty?: string;
}) {
  const now = useNow();
  if (runs.length === 0) return <p className="py-6 text-center text-sm text-muted-foreground">{empty}</p>;
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Run</TableHead>
          {showWorkflow ? <TableHead>Workflow</TableHead> : null}
          <TableHead>Status</TableHead>
          <TableHead>Trigger</TableHead>
          <TableHead>Started</TableHead>
          <TableHead className="text-right">Duration</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {runs.map((run) => (
          <TableRow key={run.id} data-run-id={run.id}>
            <TableCell>
              <Link className="font-mono text-xs underline-offset-2 hover:underline" to={`/runs/${run.id}`}>
                {run.id.slice(0, 8)}
              </Link>
            </TableCell>
            {showWorkflow ? (
              <TableCell>
                <Link className="hover:underline" to={`/workflows/${encodeURIComponent(run.workflow)}`}>
                  {run.workflow}
                </Link>
              </TableCell>
            ) : null}
            <TableCell>
              <StatusBadge status={run.status} />
            </TableCell>
            <TableCell className="text-muted-foreground">{triggerLabel(run.trigger)}</TableCell>
            <TableCell className="text-muted-foreground" title={formatTime(run.created_at)}>
              {timeAgo(run.created_at, now)}
            </TableCell>
            <TableCell className="text-right tabular-nums">{formatDuration(runDuration(run, now))}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
