import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { RunsTable } from "@/components/runs-table";
import { statusColor } from "@/components/status-badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { endpoints, type RunStatus } from "@/lib/api";
import { formatTime, timeAgo } from "@/lib/format";
import { useNow } from "@/lib/use-now";

const CHART_STATUSES: RunStatus[] = ["succeeded", "failed", "cancelled", "timed_out", "running", "queued"];

export function DashboardPage() {
  const now = useNow(5000);
  const dashboard = useQuery({
    queryKey: ["dashboard"],
    queryFn: endpoints.dashboard,
    refetchInterval: 3000,
  });
  if (dashboard.error) return <ErrorNote error={dashboard.error} />;
  const data = dashboard.data;
  const chart = data?.hours.map((h) => ({
    hour: new Date(h.start).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }),
    ...h.counts,
  }));
  const total = Object.values(data?.totals ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  return (
    <>
      <PageHeader
        title="Dashboard"
        description="What ran in the last 24 hours, what runs now, and what comes next."
      />
      <div className="grid gap-4 md:grid-cols-4">
        <Stat label="Runs (24 h)" value={data ? total : undefined} />
        <Stat label="Succeeded" value={data ? (data.totals.succeeded ?? 0) : undefined} />
        <Stat
          label="Failed"
          value={data ? (data.totals.failed ?? 0) + (data.totals.timed_out ?? 0) : undefined}
        />
        <Stat label="Queue depth" value={data?.queue_depth} />
      </div>
      <Card className="mt-4">
        <CardHeader>
          <CardTitle>Runs per hour by status</CardTitle>
        </CardHeader>
        <CardContent className="h-56">
          {chart ? (
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={chart} accessibilityLayer>
                <CartesianGrid vertical={false} strokeOpacity={0.2} />
                <XAxis dataKey="hour" tickLine={false} fontSize={11} interval={2} />
                <YAxis allowDecimals={false} width={32} fontSize={11} />
                <Tooltip contentStyle={{ background: "var(--popover)", border: "1px solid var(--border)" }} />
                {CHART_STATUSES.map((status) => (
                  <Bar
                    key={status}
                    dataKey={status}
                    stackId="runs"
                    fill={statusColor(status)}
                    name={status.replace("_", " ")}
                  />
                ))}
              </BarChart>
            </ResponsiveContainer>
          ) : (
            <Skeleton className="h-full w-full" />
          )}
        </CardContent>
      </Card>
      <div className="mt-4 grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Running now</CardTitle>
          </CardHeader>
          <CardContent>
            {data ? (
              <RunsTable runs={data.running} empty="Nothing is running." />
            ) : (
              <Skeleton className="h-24" />
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Recent failures</CardTitle>
          </CardHeader>
          <CardContent>
            {data ? <RunsTable runs={data.failures} empty="No failures. " /> : <Skeleton className="h-24" />}
          </CardContent>
        </Card>
      </div>
      {data && data.next_fires.length > 0 ? (
        <Card className="mt-4">
          <CardHeader>
            <CardTitle>Next scheduled runs</CardTitle>
          </CardHeader>
          <CardContent>
            <ul className="divide-y text-sm">
              {data.next_fires.map((fire) => (
                <li key={`${fire.schedule}-${fire.time}`} className="flex gap-3 py-2">
                  <Link
                    className="font-medium hover:underline"
                    to={`/workflows/${encodeURIComponent(fire.workflow)}`}
                  >
                    {fire.workflow}
                  </Link>
                  <span className="text-muted-foreground">{fire.schedule}</span>
                  <span className="ml-auto" title={formatTime(fire.time)}>
                    {timeAgo(fire.time, now)}
                  </span>
                </li>
              ))}
            </ul>
          </CardContent>
        </Card>
      ) : null}
    </>
  );
}

function Stat({ label, value }: { label: string; value: number | undefined }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-muted-foreground text-xs font-medium">{label}</CardTitle>
      </CardHeader>
      <CardContent>
        {value === undefined ? (
          <Skeleton className="h-8 w-16" />
        ) : (
          <p className="text-2xl font-semibold tabular-nums">{value}</p>
        )}
      </CardContent>
    </Card>
  );
}
