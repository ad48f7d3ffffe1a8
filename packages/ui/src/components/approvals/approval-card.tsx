import Form from "@rjsf/shadcn";
import type { RegistryFieldsType, RegistryWidgetsType, RJSFSchema } from "@rjsf/utils";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Check, X } from "lucide-react";
import { useId, useMemo, useState } from "react";
import { Link } from "react-router";
import { ErrorNote } from "@/components/page-header";
import { errorSchemaFor, uiSchemaFor } from "@/components/run-form/ui-schema";
import { JsonField, SelectWidget, SwitchWidget } from "@/components/run-form/widgets";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { ApiError, endpoints, type PendingApproval } from "@/lib/api";
import { formValidator } from "@/lib/form-validator";
import { formatTime } from "@/lib/format";

const widgets: RegistryWidgetsType = { switch: SwitchWidget, SelectWidget };
const fields: RegistryFieldsType = { json: JsonField };

function approversText(a: PendingApproval["approvers"]): string {
  const parts = [
    ...(a.roles ?? []).map((r) => `role ${r}`),
    ...(a.users ?? []),
    ...(a.groups ?? []).map((g) => `group ${g}`),
  ];
  return parts.length ? parts.join(", ") : "operators and admins";
}

/**
 * One waiting approval: its message, who may decide, and the form generated from its inputs (the run
 * form's machinery). Approve checks the form; reject needs none of its required values.
 */
export function ApprovalCard({
  approval,
  showRun = false,
}: {
  approval: PendingApproval;
  showRun?: boolean;
}) {
  const client = useQueryClient();
  const commentId = useId();
  const [formData, setFormData] = useState<Record<string, unknown>>({});
  const [comment, setComment] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const schema = approval.input_schema;
  const hasInputs = Object.keys(schema.properties ?? {}).length > 0;
  const uiSchema = useMemo(
    () => ({ ...uiSchemaFor(schema), "ui:submitButtonOptions": { norender: true } }),
    [schema],
  );
  const decide = useMutation({
    mutationFn: (decision: "approve" | "reject") =>
      endpoints.decide(approval.run_id, approval.step, {
        decision,
        ...(decision === "approve" || Object.keys(formData).length > 0 ? { inputs: formData } : {}),
        ...(comment ? { comment } : {}),
      }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["approvals"] });
      void client.invalidateQueries({ queryKey: ["run", approval.run_id] });
    },
  });
  const serverErrors = decide.error instanceof ApiError ? decide.error.errors : [];
  const title =
    approval.kind === "environment"
      ? `Deploy to ${approval.environment} (step ${approval.step})`
      : `Approve ${approval.step}`;
  return (
    <Card data-approval={`${approval.run_id}:${approval.step}`}>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
        {showRun ? (
          <p className="text-sm text-muted-foreground">
            <Link
              className="underline"
              to={`/runs/${approval.run_id}?step=${encodeURIComponent(approval.step)}`}
            >
              {approval.workflow} · {approval.run_id.slice(0, 8)}
            </Link>
          </p>
        ) : null}
      </CardHeader>
      <CardContent className="space-y-3">
        {approval.message ? <p className="whitespace-pre-wrap">{approval.message}</p> : null}
        {approval.url ? (
          <p className="text-sm">
            Target: <span className="font-mono">{approval.url}</span>
          </p>
        ) : null}
        <p className="text-xs text-muted-foreground">
          Approvers: {approversText(approval.approvers)}
          {approval.since ? ` · waiting since ${formatTime(approval.since)}` : ""}
          {approval.expires_at
            ? ` · ${approval.on_timeout ?? "reject"}s by itself at ${formatTime(approval.expires_at)}`
            : ""}
        </p>
        {approval.can_decide ? (
          <Form
            schema={{ ...schema, title: undefined } as RJSFSchema}
            uiSchema={uiSchema}
            validator={formValidator}
            widgets={widgets}
            fields={fields}
            formData={formData}
            onChange={(event) => setFormData((event.formData ?? {}) as Record<string, unknown>)}
            onSubmit={() => decide.mutate("approve")}
            onError={() => setSubmitted(true)}
            liveValidate={submitted ? "onChange" : false}
            showErrorList={false}
            extraErrors={errorSchemaFor(serverErrors)}
            extraErrorsBlockSubmit={false}
            noHtml5Validate
          >
            {!hasInputs ? null : <div className="h-1" />}
            <label htmlFor={commentId} className="mt-2 block text-sm font-medium">
              Comment
            </label>
            <textarea
              id={commentId}
              className="mt-1 w-full rounded-md border bg-transparent p-2 text-sm"
              rows={2}
              maxLength={2000}
              value={comment}
              onChange={(event) => setComment(event.target.value)}
            />
            {decide.error && serverErrors.length === 0 ? <ErrorNote error={decide.error} /> : null}
            <div className="mt-3 flex gap-2">
              <Button type="submit" disabled={decide.isPending} onClick={() => setSubmitted(true)}>
                <Check aria-hidden />
                Approve
              </Button>
              <Button
                type="button"
                variant="destructive"
                disabled={decide.isPending}
                onClick={() => decide.mutate("reject")}
              >
                <X aria-hidden />
                Reject
              </Button>
            </div>
          </Form>
        ) : (
          <p className="text-sm text-muted-foreground">{approval.refusal}</p>
        )}
      </CardContent>
    </Card>
  );
}
