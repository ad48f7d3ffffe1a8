import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { RotateCcw } from "lucide-react";
import { lazy, Suspense, useMemo } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { ApprovalCard } from "@/components/approvals/approval-card";
import { ConfirmCancel } from "@/components/confirm-cancel";
import { canOperate, useSession } from "@/components/layout/session";
import { LogViewer } from "@/components/logs/log-viewer";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { RerunFromDialog } from "@/components/rerun/rerun-dialog";
import { ArtifactsCard } from "@/components/results/artifacts-card";
import { SummariesCard } from "@/components/results/summaries-card";
import { StatusBadge } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { endpoints, FINISHED, type RunDetail, type StepReport, type WorkflowStep } from "@/lib/api";
import { formatDuration, formatTime, runDuration, triggerLabel } from "@/lib/format";
import { useNow } from "@/lib/use-now";
import { cn } from "@/lib/utils";

const WorkflowDag = lazy(() =>
  import("@/components/dag/workflow-dag").then((m) => ({ default: m.WorkflowDag })),
);

export function RunPage() {
  const { id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const now = useNow();
  const run = useQuery({
    queryKey: ["run", id],
    queryFn: () => endpoints.run(id),
    // Poll while it runs; a finished run never changes.
    refetchInterval: (query) => (query.state.data && FINISHED.has(query.state.data.status) ? false : 1000),
  });
  const workflow = useQuery({
    queryKey: ["workflow", run.data?.workflow],
    queryFn: () => endpoints.workflow(run.data!.workflow),
    enabled: !!run.data,
  });
  const steps = useMemo(() => dagSteps(run.data, workflow.data?.steps), [run.data, workflow.data]);
  // Sub-workflow runs this run started: their nodes in the graph unfold into the child's steps.
  const children = useQuery({
    queryKey: ["run-children", id],
    queryFn: () => endpoints.runChildren(id),
    enabled: !!run.data,
    refetchInterval: (query) =>
      run.data &&
      FINISHED.has(run.data.status) &&
      query.state.data?.children.every((c) => FINISHED.has(c.status))
        ? false
        : 2000,
  });
  const navigate = useNavigate();
  if (run.error) return <ErrorNote error={run.error} />;
  const r = run.data;
  if (!r) return <Skeleton className="h-64" />;
  const selected = params.get("step") ?? defaultStep(r, steps);
  const select = (step: string) => setParams({ step }, { replace: true });
  const statuses = Object.fromEntries(Object.entries(r.steps).map(([step, report]) => [step, report.status]));
  return (
    <>
      <ParentBreadcrumb run={r} />
      <PageHeader
        title={
          <span className="flex items-center gap-3">
            <Link to={`/workflows/${encodeURIComponent(r.workflow)}`} className="hover:underline">
              {r.workflow}
            </Link>
            <StatusBadge status={r.status} />
          </span>
        }
        description={<span className="font-mono text-xs">{r.id}</span>}
        actions={
          <RunActions
            run={r}
            rerunFrom={
              <RerunFromDialog
                run={r}
                steps={steps}
                step={selected}
                currentRevision={workflow.data?.revision}
              />
            }
          />
        }
      />
      <dl className="mb-4 grid grid-cols-2 gap-4 text-sm md:grid-cols-5">
        <Fact label="Trigger">{triggerLabel(r.trigger)}</Fact>
        <Fact label="Created">{formatTime(r.created_at)}</Fact>
        <Fact label="Duration">{formatDuration(runDuration(r, now))}</Fact>
        <Fact label="Revision">
          <span className="font-mono text-xs">{r.revision.slice(0, 12)}</span>
        </Fact>
        <Fact label="Attempt">
          {r.attempt}
          {r.parent_run_id ? (
            <>
              {" "}
              ({r.trigger.type === "workflow_call" ? "called by" : "re-run of"}{" "}
              <Link className="font-mono text-xs underline" to={`/runs/${r.parent_run_id}`}>
                {r.parent_run_id.slice(0, 8)}
              </Link>
              )
            </>
          ) : null}
        </Fact>
      </dl>
      {r.error ? <ErrorNote error={r.error} /> : null}
      <WorkerWarnings run={r} />
      <RunApprovals run={r} />
      <Card className="mt-4">
        <CardHeader>
          <CardTitle>Graph</CardTitle>
        </CardHeader>
        <CardContent>
          <Suspense fallback={<Skeleton className="h-40" />}>
            <WorkflowDag
              steps={steps}
              statuses={statuses}
              selected={selected}
              onSelect={select}
              childRuns={children.data?.children ?? []}
              onOpenChild={(child, step) => navigate(`/runs/${child}?step=${encodeURIComponent(step)}`)}
            />
          </Suspense>
        </CardContent>
      </Card>
      <div className="mt-4 grid gap-4 xl:grid-cols-[22rem_1fr]">
        <Card>
          <CardHeader>
            <CardTitle>Steps</CardTitle>
          </CardHeader>
          <CardContent>
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>Step</TableHead>
                  <TableHead>Status</TableHead>
                  <TableHead className="text-right">Tries</TableHead>
                  <TableHead className="text-right">Time</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {steps.map((step) => {
                  const report = r.steps[step.id];
                  return (
                    <TableRow
                      key={step.id}
                      className={cn(step.id === selected && "bg-accent")}
                      data-step={step.id}
                    >
                      <TableCell>
                        <button
                          type="button"
                          className="text-left font-medium hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                          aria-current={step.id === selected ? "true" : undefined}
                          onClick={() => select(step.id)}
                        >
                          {step.name}
                        </button>
                        {report?.error ? <p className="text-xs text-destructive">{report.error}</p> : null}
                        {report?.waiting_for ? (
                          <p className="text-xs text-muted-foreground" data-waiting-for={step.id}>
                            {report.waiting_for}
                          </p>
                        ) : null}
                        {report?.items?.some((i) => i.name !== undefined) ? (
                          <ul
                            className="mt-1 text-xs text-muted-foreground"
                            aria-label={`Legs of ${step.id}`}
                          >
                            {report.items.map((leg, index) => (
                              <li key={leg.name ?? index} data-leg={leg.name}>
                                {step.id} ({leg.name}): {leg.status}
                              </li>
                            ))}
                          </ul>
                        ) : null}
                      </TableCell>
                      <TableCell>
                        <StatusBadge status={report?.status ?? "pending"} />
                      </TableCell>
                      <TableCell className="text-right tabular-nums">{report?.attempts ?? 0}</TableCell>
                      <TableCell className="text-right tabular-nums">
                        {formatDuration(report?.duration_ms)}
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </CardContent>
        </Card>
        <Card className="min-w-0">
          <CardHeader>
            <CardTitle>Log{selected ? ` · ${selected}` : ""}</CardTitle>
          </CardHeader>
          <CardContent>
            {selected && r.steps[selected]?.waiting_for ? (
              <p className="mb-2 text-sm text-muted-foreground" role="status">
                {r.steps[selected]?.waiting_for}
              </p>
            ) : null}
            <LogViewer
              key={`${r.id}:${selected}`}
              runId={r.id}
              step={selected}
              report={selected ? r.steps[selected] : undefined}
              jobSteps={jobStepsOf(selected ? r.steps[selected] : undefined)}
            />
          </CardContent>
        </Card>
      </div>
      <SummariesCard run={r} order={steps.map((s) => s.id)} />
      <ArtifactsCard run={r} />
      <div className="mt-4 grid gap-4 lg:grid-cols-2">
        <ValuesCard title="Inputs" values={r.inputs} empty="No inputs (secret inputs are never shown)." />
        <ValuesCard
          title="Outputs"
          values={r.outputs}
          empty={FINISHED.has(r.status) ? "No outputs." : "Not finished yet."}
        />
      </div>
      <RunNotifications run={r} />
    </>
  );
}

/** Who was told what about this run: each message, its channel, and whether it went out. */
function RunNotifications({ run }: { run: RunDetail }) {
  const notifications = useQuery({
    queryKey: ["notifications", run.id],
    queryFn: () => endpoints.runNotifications(run.id),
    refetchInterval: 5000,
  });
  const rows = notifications.data?.notifications ?? [];
  if (rows.length === 0) return null;
  return (
    <Card className="mt-4">
      <CardHeader>
        <CardTitle>Notifications</CardTitle>
      </CardHeader>
      <CardContent>
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Event</TableHead>
              <TableHead>Channel</TableHead>
              <TableHead>To</TableHead>
              <TableHead>Status</TableHead>
              <TableHead className="text-right">Tries</TableHead>
              <TableHead>Last error</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {rows.map((n) => (
              <TableRow key={n.id} data-notification={`${n.event}:${n.channel}`}>
                <TableCell>{n.event}</TableCell>
                <TableCell>{n.channel}</TableCell>
                <TableCell className="font-mono text-xs">{n.target}</TableCell>
                <TableCell>
                  {n.status === "sent" && n.sent_at ? `sent ${formatTime(n.sent_at)}` : n.status}
                </TableCell>
                <TableCell className="text-right tabular-nums">{n.attempts}</TableCell>
                <TableCell className="text-xs text-destructive">{n.last_error ?? ""}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}

/** The run's waiting approvals, each with its form, while the run waits. */
function RunApprovals({ run }: { run: RunDetail }) {
  const waiting = Object.values(run.steps).some((s) => s.status === "waiting");
  const approvals = useQuery({
    queryKey: ["approvals", run.id],
    queryFn: () => endpoints.approvals(run.id),
    enabled: waiting,
    refetchInterval: waiting ? 2000 : false,
  });
  if (!waiting || !approvals.data?.approvals.length) return null;
  return (
    <div className="mt-4 grid gap-4 lg:grid-cols-2">
      {approvals.data.approvals.map((a) => (
        <ApprovalCard key={a.step} approval={a} />
      ))}
    </div>
  );
}

function RunActions({ run, rerunFrom }: { run: RunDetail; rerunFrom: React.ReactNode }) {
  const me = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => endpoints.cancel(run.id),
    onSuccess: () => client.invalidateQueries({ queryKey: ["run", run.id] }),
  });
  const rerun = useMutation({
    mutationFn: (fromFailed: boolean) => endpoints.rerun(run.id, { fromFailed }),
    onSuccess: (next) => navigate(`/runs/${next.id}`),
  });
  const finished = FINISHED.has(run.status);
  if (!canOperate(me)) return null;
  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex gap-2">
        {!finished ? (
          <ConfirmCancel
            workflow={run.workflow}
            disabled={cancel.isPending}
            onConfirm={() => cancel.mutate()}
          />
        ) : null}
        {finished && run.status !== "succeeded" ? (
          <Button variant="outline" onClick={() => rerun.mutate(true)} disabled={rerun.isPending}>
            <RotateCcw aria-hidden />
            Re-run failed
          </Button>
        ) : null}
        {finished ? rerunFrom : null}
        {finished ? (
          <Button onClick={() => rerun.mutate(false)} disabled={rerun.isPending}>
            <RotateCcw aria-hidden />
            Re-run
          </Button>
        ) : null}
      </div>
      {cancel.error ? <ErrorNote error={cancel.error} /> : null}
      {rerun.error ? <ErrorNote error={rerun.error} /> : null}
    </div>
  );
}

/** Steps nothing will take as things stand: no live worker has the labels they need. */
export function WorkerWarnings({ run }: { run: RunDetail }) {
  const warnings = Object.entries(run.steps).filter(([, step]) => step.warning);
  if (warnings.length === 0) return null;
  return (
    <div
      role="alert"
      className="mt-4 rounded-md border border-amber-500/50 bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100"
    >
      {warnings.map(([id, step]) => (
        <p key={id}>
          <span className="font-medium">{id}</span>: {step.warning}
        </p>
      ))}
    </div>
  );
}

/**
 * A sub-workflow run's way back: the run and step that called it, above its own title. Other runs
 * (a re-run's link to the run it repeats is in the facts) show nothing here.
 */
export function ParentBreadcrumb({ run }: { run: RunDetail }) {
  const trigger = run.trigger as {
    type: string;
    parent_run?: string;
    parent_workflow?: string;
    parent_step?: string;
  };
  if (trigger.type !== "workflow_call" || !trigger.parent_run) return null;
  return (
    <nav aria-label="Breadcrumb" className="mb-2 text-sm text-muted-foreground">
      <ol className="flex flex-wrap items-center gap-1">
        <li>
          <Link className="hover:underline" to={`/runs/${trigger.parent_run}`}>
            {trigger.parent_workflow ?? "parent run"}{" "}
            <span className="font-mono text-xs">{trigger.parent_run.slice(0, 8)}</span>
          </Link>
        </li>
        <li aria-hidden="true">›</li>
        <li>
          <Link
            className="hover:underline"
            to={`/runs/${trigger.parent_run}?step=${encodeURIComponent(trigger.parent_step ?? "")}`}
          >
            step {trigger.parent_step}
          </Link>
        </li>
        <li aria-hidden="true">›</li>
        <li aria-current="page" className="text-foreground">
          {run.workflow}
        </li>
      </ol>
    </nav>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="mt-0.5">{children}</dd>
    </div>
  );
}

function ValuesCard({
  title,
  values,
  empty,
}: {
  title: string;
  values: Record<string, unknown>;
  empty: string;
}) {
  const entries = Object.entries(values);
  return (
    <Card>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
      </CardHeader>
      <CardContent>
        {entries.length === 0 ? (
          <p className="text-sm text-muted-foreground">{empty}</p>
        ) : (
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" aria-label={title}>
            {entries.map(([key, value]) => (
              <div key={key} className="contents" data-value-name={key}>
                <dt className="font-mono text-xs text-muted-foreground">{key}</dt>
                <dd className="break-all font-mono text-xs">
                  {typeof value === "string" ? value : JSON.stringify(value)}
                </dd>
              </div>
            ))}
          </dl>
        )}
      </CardContent>
    </Card>
  );
}

/** The graph's steps: the workflow's edges, plus any step the run has that the current definition lost. */
function dagSteps(run: RunDetail | undefined, defined: WorkflowStep[] | undefined): WorkflowStep[] {
  const steps = [...(defined ?? [])];
  const known = new Set(steps.map((s) => s.id));
  for (const id of Object.keys(run?.steps ?? {})) if (!known.has(id)) steps.push({ id, name: id, needs: [] });
  return steps;
}

/** A job's steps by item, for the log's sections; undefined for a step that is not a job. */
function jobStepsOf(report: StepReport | undefined) {
  if (report?.steps) return () => report.steps;
  if (report?.items?.some((i) => i.steps)) return (item: number) => report.items?.[item]?.steps;
  return undefined;
}

/** Open the step worth looking at: the one running, else the first that failed, else the first. */
function defaultStep(run: RunDetail, steps: WorkflowStep[]): string | undefined {
  const entries = Object.entries(run.steps);
  return (
    entries.find(([, s]) => s.status === "running")?.[0] ??
    entries.find(([, s]) => s.status === "failed" || s.status === "timed_out")?.[0] ??
    steps[0]?.id
  );
}
