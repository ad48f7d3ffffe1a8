import { useMutation } from "@tanstack/react-query";
import { RotateCcw } from "lucide-react";
import { useState } from "react";
import { useNavigate } from "react-router";
import { ErrorNote } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { NativeSelect } from "@/components/ui/native-select";
import { endpoints, type RerunRevision, type RunDetail, type WorkflowStep } from "@/lib/api";

/**
 * "Re-run from…": picks the step to start again from (the step open on the run page by default) and the
 * revision: the run's own (pinned) or the workflow's current one, saying plainly which is which.
 */
export function RerunFromDialog({
  run,
  steps,
  step,
  currentRevision,
}: {
  run: RunDetail;
  steps: WorkflowStep[];
  step: string | undefined;
  currentRevision: string | undefined;
}) {
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(step ?? steps[0]?.id ?? "");
  const [revision, setRevision] = useState<RerunRevision>("pinned");
  const rerun = useMutation({
    mutationFn: () => endpoints.rerun(run.id, { fromStep: from, revision }),
    onSuccess: (next) => navigate(`/runs/${next.id}`),
  });
  const changed = currentRevision !== undefined && currentRevision !== run.revision;
  return (
    <>
      <Button
        variant="outline"
        onClick={() => {
          setFrom(step ?? steps[0]?.id ?? "");
          setOpen(true);
        }}
      >
        <RotateCcw aria-hidden />
        Re-run from {step ?? "…"}
      </Button>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent className="space-y-4 p-6">
          <DialogTitle className="text-lg font-semibold">Re-run from a step</DialogTitle>
          <DialogDescription className="text-sm text-muted-foreground">
            The step and every step after it run again with this run's inputs; the steps before it keep their
            results and outputs.
          </DialogDescription>
          <div className="flex flex-col gap-1 text-sm">
            <label htmlFor="rerun-step">Step</label>
            <NativeSelect id="rerun-step" value={from} onChange={(e) => setFrom(e.target.value)}>
              {steps.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </NativeSelect>
          </div>
          <fieldset className="space-y-1 text-sm">
            <legend className="mb-1">Revision</legend>
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name="revision"
                checked={revision === "pinned"}
                onChange={() => setRevision("pinned")}
              />
              This run's revision <span className="font-mono text-xs">{run.revision.slice(0, 12)}</span>
            </label>
            <label className="flex items-center gap-2">
              <input
                type="radio"
                name="revision"
                checked={revision === "current"}
                onChange={() => setRevision("current")}
              />
              The workflow's current revision{" "}
              <span className="font-mono text-xs">{currentRevision?.slice(0, 12) ?? "…"}</span>
              {changed ? null : <span className="text-xs text-muted-foreground">(the same)</span>}
            </label>
            {changed && revision === "current" ? (
              <p className="text-xs text-amber-600" data-testid="revision-note">
                The workflow changed since this run: the re-run uses the new definition.
              </p>
            ) : null}
          </fieldset>
          {rerun.error ? <ErrorNote error={rerun.error} /> : null}
          <div className="flex justify-end gap-2">
            <Button variant="outline" onClick={() => setOpen(false)}>
              Close
            </Button>
            <Button onClick={() => rerun.mutate()} disabled={rerun.isPending || !from}>
              <RotateCcw aria-hidden />
              Re-run from {from}
            </Button>
          </div>
        </DialogContent>
      </Dialog>
    </>
  );
}
