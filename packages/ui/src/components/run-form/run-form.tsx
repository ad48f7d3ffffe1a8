import Form from "@rjsf/shadcn";
import type { RegistryFieldsType, RegistryWidgetsType, RJSFSchema } from "@rjsf/utils";
import { useMutation } from "@tanstack/react-query";
import { Play } from "lucide-react";
import { useMemo, useState } from "react";
import { useNavigate } from "react-router";
import { ErrorNote } from "@/components/page-header";
import { Button } from "@/components/ui/button";
import { ApiError, endpoints, type JsonSchemaObject } from "@/lib/api";
import { formValidator } from "@/lib/form-validator";
import { OptionsField } from "./options-field";
import { plainErrors } from "./plain-errors";
import { errorSchemaFor, uiSchemaFor } from "./ui-schema";
import { JsonField, SelectWidget, SwitchWidget } from "./widgets";

const widgets: RegistryWidgetsType = { switch: SwitchWidget, SelectWidget };
const fields: RegistryFieldsType = { json: JsonField, options: OptionsField };

/**
 * The run form, generated from the workflow's input schema. The browser checks the schema before it
 * sends anything; what only the server knows (a coercion, a pattern) comes back as a 400 and is shown
 * under the field it names.
 */
export function RunForm({ workflow, schema }: { workflow: string; schema: JsonSchemaObject }) {
  const navigate = useNavigate();
  const [formData, setFormData] = useState<Record<string, unknown>>(() => defaultsOf(schema));
  const [submitted, setSubmitted] = useState(false);
  const uiSchema = useMemo(
    () => ({ ...uiSchemaFor(schema), "ui:submitButtonOptions": { norender: true } }),
    [schema],
  );
  // The API refuses unknown fields; rjsf's own check needs the same schema but without writeOnly noise.
  const formSchema = useMemo(() => ({ ...schema, title: undefined }) as RJSFSchema, [schema]);
  const start = useMutation({
    mutationFn: (inputs: Record<string, unknown>) => endpoints.startRun(workflow, inputs),
    onSuccess: (run) => navigate(`/runs/${run.id}`),
  });
  const serverErrors = start.error instanceof ApiError ? start.error.errors : [];
  const hasInputs = Object.keys(schema.properties ?? {}).length > 0;
  return (
    <section aria-label={`Run ${workflow}`}>
      <Form
        schema={formSchema}
        uiSchema={uiSchema}
        validator={formValidator}
        widgets={widgets}
        fields={fields}
        formData={formData}
        formContext={{ workflow, values: formData }}
        onChange={(event) => setFormData((event.formData ?? {}) as Record<string, unknown>)}
        onSubmit={(event) => start.mutate((event.formData ?? {}) as Record<string, unknown>)}
        onError={() => setSubmitted(true)}
        liveValidate={submitted ? "onChange" : false}
        showErrorList={false}
        transformErrors={plainErrors}
        extraErrors={errorSchemaFor(serverErrors)}
        extraErrorsBlockSubmit={false}
        noHtml5Validate
      >
        {!hasInputs ? <p className="text-sm text-muted-foreground">This workflow takes no inputs.</p> : null}
        {start.error && serverErrors.length === 0 ? <ErrorNote error={start.error} /> : null}
        <div className="mt-4">
          <Button type="submit" disabled={start.isPending} onClick={() => setSubmitted(true)}>
            <Play aria-hidden />
            Run
          </Button>
        </div>
      </Form>
    </section>
  );
}

/**
 * Every input's default, filled in up front: rjsf drops the keys of an object default whose schema lists
 * no properties (a free-form object input), so it cannot be left to compute them.
 */
function defaultsOf(schema: JsonSchemaObject): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {}))
    if (property.default !== undefined) values[name] = structuredClone(property.default);
  return values;
}
