import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { useParams } from "react-router";
import { canOperate, useSession } from "@/components/layout/session";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { RunForm } from "@/components/run-form/run-form";
import { RunsTable } from "@/components/runs-table";
import { TriggersList } from "@/components/triggers-list";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { endpoints, type WorkflowStep } from "@/lib/api";

const WorkflowDag = lazy(() =>
  import("@/components/dag/workflow-dag").then((m) => ({ default: m.WorkflowDag })),
);

export function WorkflowPage() {
  const me = useSession();
  const { name = "" } = useParams();
  const workflow = useQuery({ queryKey: ["workflow", name], queryFn: () => endpoints.workflow(name) });
  const runs = useQuery({
    queryKey: ["runs", { workflow: name }],
    queryFn: () => endpoints.runs({ workflow: name, limit: "10" }),
    refetchInterval: 3000,
  });
  if (workflow.error) return <ErrorNote error={workflow.error} />;
  const w = workflow.data;
  return (
    <>
      <PageHeader
        title={name}
        description={
          w ? (
            (w.description ?? <span className="italic">No description.</span>)
          ) : (
            <Skeleton className="h-4 w-64" />
          )
        }
      />
      <div className="grid gap-4 xl:grid-cols-[1fr_24rem]">
        <div className="flex min-w-0 flex-col gap-4">
          <Card>
            <CardHeader>
              <CardTitle>Steps</CardTitle>
            </CardHeader>
            <CardContent>
              <Suspense fallback={<Skeleton className="h-40" />}>
                {w ? <WorkflowDag steps={w.steps} /> : <Skeleton className="h-40" />}
              </Suspense>
              {w ? <UnsafeSteps steps={w.steps} /> : null}
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Recent runs</CardTitle>
            </CardHeader>
            <CardContent>
              {runs.data ? (
                <RunsTable runs={runs.data.runs} showWorkflow={false} />
              ) : (
                <Skeleton className="h-24" />
              )}
            </CardContent>
          </Card>
        </div>
        <div className="flex flex-col gap-4">
          <Card>
            <CardHeader>
              <CardTitle>Run</CardTitle>
            </CardHeader>
            <CardContent>
              {!canOperate(me) ? (
                <p className="text-sm text-muted-foreground">
                  Your role ({me?.role}) can look, not start runs.
                </p>
              ) : w ? (
                <RunForm workflow={w.name} schema={w.input_schema} />
              ) : (
                <Skeleton className="h-32" />
              )}
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Triggers</CardTitle>
            </CardHeader>
            <CardContent>
              {w ? <TriggersList triggers={w.triggers} workflow={w.name} /> : <Skeleton className="h-6" />}
            </CardContent>
          </Card>
          {w ? (
            <Card>
              <CardHeader>
                <CardTitle>Source</CardTitle>
              </CardHeader>
              <CardContent className="text-xs text-muted-foreground">
                <p className="break-all font-mono">{w.file}</p>
                <p className="mt-1">
                  revision <span className="font-mono">{w.revision.slice(0, 12)}</span>
                </p>
              </CardContent>
            </Card>
          ) : null}
        </div>
      </div>
    </>
  );
}

/** Steps that opted out of the injection check: whoever can start a run may be able to run code in them. */
function UnsafeSteps({ steps }: { steps: WorkflowStep[] }) {
  const unsafe = steps.filter((s) => s.unsafe_interpolation);
  if (unsafe.length === 0) return null;
  return (
    <p
      role="alert"
      className="mt-3 rounded-md border border-destructive/50 px-3 py-2 text-sm text-destructive"
    >
      <strong>unsafe_interpolation</strong> on {unsafe.map((s) => s.name).join(", ")}: outside text (inputs,
      webhook payloads) is spliced into the script and runs as code. Pass it through <code>env:</code>{" "}
      instead.
    </p>
  );
}
