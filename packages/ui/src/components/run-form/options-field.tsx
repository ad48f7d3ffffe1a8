import type { FieldProps } from "@rjsf/utils";
import { useQuery } from "@tanstack/react-query";
import { RefreshCw } from "lucide-react";
import { useEffect } from "react";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/native-select";
import { endpoints } from "@/lib/api";

/** What the run form shares with its option fields: the workflow and every value entered so far. */
export interface OptionsFormContext {
  workflow: string;
  values: Record<string, unknown>;
}

/**
 * A choice whose options come from the server (`options_from`): asked again whenever an input it
 * depends on changes, with a loading state, the source's error and a retry, and a note while an input
 * it depends on is still empty. A value that is not among the new options is cleared.
 */
export function OptionsField({
  formData,
  onChange,
  schema,
  name,
  required,
  rawErrors,
  fieldPathId,
  registry,
}: FieldProps) {
  const id = fieldPathId.$id;
  const context = registry.formContext as OptionsFormContext;
  const dependsOn = ((schema as { "x-options-from"?: { depends_on?: string[] } })["x-options-from"]
    ?.depends_on ?? []) as string[];
  const parents = Object.fromEntries(
    dependsOn.map((d) => [d, context.values[d] === undefined ? "" : String(context.values[d])]),
  );
  const query = useQuery({
    queryKey: ["input-options", context.workflow, name, parents],
    queryFn: () => endpoints.inputOptions(context.workflow, name, parents),
    retry: false,
    staleTime: 30_000,
  });
  const options = query.data?.options ?? [];
  const index = options.findIndex((o) => o.value === formData);
  useEffect(() => {
    if (query.data && formData !== undefined && !query.data.options.some((o) => o.value === formData))
      onChange(undefined, fieldPathId.path, undefined, id);
  }, [query.data, formData, onChange, fieldPathId.path, id]);
  const waiting = query.data?.waiting_for ?? [];
  const errors = (rawErrors as string[] | undefined) ?? [];
  return (
    <div className="flex flex-col gap-1.5" data-options-field={name}>
      <label htmlFor={id} className="text-sm font-medium">
        {name}
        {required ? <span aria-hidden> *</span> : null}
      </label>
      {schema.description ? <p className="text-xs text-muted-foreground">{schema.description}</p> : null}
      <NativeSelect
        id={id}
        className="w-full"
        aria-busy={query.isFetching}
        disabled={query.isFetching || waiting.length > 0 || query.isError}
        value={index < 0 ? "" : String(index)}
        onChange={(event) =>
          onChange(
            event.target.value === "" ? undefined : options[Number(event.target.value)]?.value,
            fieldPathId.path,
            undefined,
            id,
          )
        }
      >
        <option value="">{query.isFetching ? "Loading options…" : "–"}</option>
        {options.map((option, i) => (
          <option key={String(option.value)} value={String(i)}>
            {option.label ?? String(option.value)}
          </option>
        ))}
      </NativeSelect>
      {waiting.length > 0 ? (
        <p className="text-xs text-muted-foreground">Choose {waiting.join(", ")} first.</p>
      ) : null}
      {query.isError ? (
        <div className="flex items-center gap-2 text-xs text-destructive" role="alert">
          <span>Could not load the options: {(query.error as Error).message}</span>
          <Button type="button" variant="outline" size="sm" onClick={() => void query.refetch()}>
            <RefreshCw aria-hidden />
            Retry
          </Button>
        </div>
      ) : null}
      {errors.map((message) => (
        <p key={message} className="text-xs text-destructive">
          {message}
        </p>
      ))}
    </div>
  );
}
