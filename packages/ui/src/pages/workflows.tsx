import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { StatusBadge } from "@/components/status-badge";
import { TriggersList } from "@/components/triggers-list";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { endpoints } from "@/lib/api";
import { formatTime, timeAgo } from "@/lib/format";
import { useNow } from "@/lib/use-now";

export function WorkflowsPage() {
  const now = useNow(10_000);
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const workflows = useQuery({
    queryKey: ["workflows"],
    queryFn: endpoints.workflows,
    refetchInterval: 5000,
  });
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const all = workflows.data?.workflows ?? [];
    return needle
      ? all.filter(
          (w) =>
            w.name.toLowerCase().includes(needle) || (w.description ?? "").toLowerCase().includes(needle),
        )
      : all;
  }, [workflows.data, q]);
  return (
    <>
      <PageHeader title="Workflows" description="Every workflow Gantry has loaded, with its last run." />
      <Input
        type="search"
        className="mb-4 max-w-sm"
        placeholder="Filter by name or description…"
        aria-label="Filter workflows"
        value={q}
        onChange={(event) =>
          setParams(event.target.value ? { q: event.target.value } : {}, { replace: true })
        }
      />
      {workflows.error ? <ErrorNote error={workflows.error} /> : null}
      {workflows.isPending ? (
        <Skeleton className="h-40" />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Name</TableHead>
              <TableHead>Triggers</TableHead>
              <TableHead>Last run</TableHead>
              <TableHead>When</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {shown.map((w) => (
              <TableRow key={w.name} data-workflow={w.name}>
                <TableCell>
                  <Link
                    to={`/workflows/${encodeURIComponent(w.name)}`}
                    className="font-medium hover:underline"
                  >
                    {w.name}
                  </Link>
                  {w.description ? <p className="text-xs text-muted-foreground">{w.description}</p> : null}
                </TableCell>
                <TableCell>
                  <TriggersList triggers={w.triggers} />
                </TableCell>
                <TableCell>
                  {w.last_run ? (
                    <Link to={`/runs/${w.last_run.id}`}>
                      <StatusBadge status={w.last_run.status} />
                    </Link>
                  ) : (
                    <span className="whitespace-nowrap text-xs text-muted-foreground">never run</span>
                  )}
                </TableCell>
                <TableCell className="text-muted-foreground" title={formatTime(w.last_run?.created_at)}>
                  {w.last_run ? timeAgo(w.last_run.created_at, now) : "–"}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {workflows.data && shown.length === 0 ? (
        <p className="py-6 text-center text-sm text-muted-foreground">No workflow matches “{q}”.</p>
      ) : null}
    </>
  );
}
