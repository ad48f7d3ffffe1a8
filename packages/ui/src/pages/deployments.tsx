import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { StatusBadge } from "@/components/status-badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { type Deployment, endpoints } from "@/lib/api";
import { formatTime } from "@/lib/format";

/** Per environment: what was deployed (workflow, commit, inputs), by whom, when, with what result. */
export function DeploymentsPage() {
  const environments = useQuery({ queryKey: ["environments"], queryFn: endpoints.environments });
  const deployments = useQuery({
    queryKey: ["deployments"],
    queryFn: () => endpoints.deployments(),
    refetchInterval: 5000,
  });
  const error = environments.error ?? deployments.error;
  return (
    <>
      <PageHeader
        title="Deployments"
        description="Environments from gantry.yaml and what was deployed to them."
      />
      {error ? <ErrorNote error={error} /> : null}
      {!environments.data || !deployments.data ? (
        <Skeleton className="h-32" />
      ) : environments.data.environments.length === 0 ? (
        <p className="text-sm text-muted-foreground">
          No environments: declare them under <code>environments:</code> in gantry.yaml.
        </p>
      ) : (
        <div className="space-y-4">
          {environments.data.environments.map((env) => (
            <Card key={env.name} data-environment={env.name}>
              <CardHeader>
                <CardTitle>{env.name}</CardTitle>
                <p className="text-xs text-muted-foreground">
                  {env.branches ? `branches ${env.branches.join(", ")}` : "any branch"}
                  {env.wait_seconds ? ` · waits ${env.wait_seconds}s after approval` : ""}
                  {env.secrets.length ? ` · secrets ${env.secrets.join(", ")}` : ""}
                </p>
              </CardHeader>
              <CardContent>
                <DeploymentTable
                  rows={deployments.data.deployments.filter((d) => d.environment === env.name)}
                />
              </CardContent>
            </Card>
          ))}
        </div>
      )}
    </>
  );
}

function DeploymentTable({ rows }: { rows: Deployment[] }) {
  if (rows.length === 0) return <p className="text-sm text-muted-foreground">Nothing deployed yet.</p>;
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>When</TableHead>
          <TableHead>Workflow</TableHead>
          <TableHead>Commit</TableHead>
          <TableHead>Inputs</TableHead>
          <TableHead>Started by</TableHead>
          <TableHead>Approved by</TableHead>
          <TableHead>Result</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map((d) => (
          <TableRow key={d.id}>
            <TableCell>
              <Link className="underline" to={`/runs/${d.run_id}?step=${encodeURIComponent(d.step)}`}>
                {formatTime(d.created_at)}
              </Link>
            </TableCell>
            <TableCell>{d.workflow}</TableCell>
            <TableCell className="font-mono text-xs">{d.commit ? d.commit.slice(0, 12) : "-"}</TableCell>
            <TableCell className="max-w-64 truncate font-mono text-xs">{JSON.stringify(d.inputs)}</TableCell>
            <TableCell>{d.started_by ?? "-"}</TableCell>
            <TableCell>{d.approved_by ?? "-"}</TableCell>
            <TableCell>
              <StatusBadge status={d.status} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
