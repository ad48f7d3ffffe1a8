import { useQuery } from "@tanstack/react-query";
import { ApprovalCard } from "@/components/approvals/approval-card";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { Skeleton } from "@/components/ui/skeleton";
import { endpoints } from "@/lib/api";

/** The Approvals inbox: every approval step and environment waiting for a person, oldest first. */
export function ApprovalsPage() {
  const approvals = useQuery({
    queryKey: ["approvals"],
    queryFn: () => endpoints.approvals(),
    refetchInterval: 3000,
  });
  return (
    <>
      <PageHeader
        title="Approvals"
        description="Runs waiting for a decision. They hold no worker while they wait."
      />
      {approvals.error ? <ErrorNote error={approvals.error} /> : null}
      {!approvals.data ? (
        <Skeleton className="h-32" />
      ) : approvals.data.approvals.length === 0 ? (
        <p className="text-sm text-muted-foreground">Nothing is waiting for a decision.</p>
      ) : (
        <div className="grid gap-4 lg:grid-cols-2">
          {approvals.data.approvals.map((a) => (
            <ApprovalCard key={`${a.run_id}:${a.step}`} approval={a} showRun />
          ))}
        </div>
      )}
    </>
  );
}
