import { useInfiniteQuery } from "@tanstack/react-query";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { endpoints } from "@/lib/api";
import { formatTime } from "@/lib/format";

/** Who started, cancelled or re-ran what, key changes and sign-ins, newest first. */
export function AuditPage() {
  const audit = useInfiniteQuery({
    queryKey: ["audit"],
    queryFn: ({ pageParam }) => endpoints.audit(pageParam),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const entries = audit.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <>
      <PageHeader title="Audit log" description="Every change made through the API, by whom, newest first." />
      {audit.error ? <ErrorNote error={audit.error} /> : null}
      {audit.isPending ? (
        <Skeleton className="h-40" />
      ) : entries.length === 0 ? (
        <p className="py-6 text-center text-sm text-muted-foreground">Nothing recorded yet.</p>
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>When</TableHead>
              <TableHead>Who</TableHead>
              <TableHead>Action</TableHead>
              <TableHead>Target</TableHead>
              <TableHead>Detail</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {entries.map((entry) => (
              <TableRow key={entry.id} data-audit-action={entry.action}>
                <TableCell className="whitespace-nowrap">{formatTime(entry.at)}</TableCell>
                <TableCell>
                  {entry.actor_name}
                  <p className="font-mono text-xs text-muted-foreground">{entry.actor}</p>
                </TableCell>
                <TableCell className="font-mono text-xs">{entry.action}</TableCell>
                <TableCell className="font-mono text-xs">{entry.target ?? "–"}</TableCell>
                <TableCell
                  className="max-w-96 truncate font-mono text-xs"
                  title={entry.detail ? JSON.stringify(entry.detail) : undefined}
                >
                  {entry.detail ? JSON.stringify(entry.detail) : ""}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {audit.hasNextPage ? (
        <Button
          className="mt-4"
          variant="outline"
          onClick={() => audit.fetchNextPage()}
          disabled={audit.isFetchingNextPage}
        >
          Older entries
        </Button>
      ) : null}
    </>
  );
}
