import * as SwitchPrimitive from "@radix-ui/react-switch";
import type { FieldProps, RJSFSchema, WidgetProps } from "@rjsf/utils";
import { useEffect, useState } from "react";
import { NativeSelect } from "@/components/ui/native-select";
import { cn } from "@/lib/utils";

export function SwitchWidget({ id, value, disabled, readonly, onChange, label }: WidgetProps) {
  return (
    <SwitchPrimitive.Root
      id={id}
      checked={value === true}
      disabled={disabled || readonly}
      onCheckedChange={(checked) => onChange(checked)}
      aria-label={label}
      className="peer inline-flex h-5 w-9 shrink-0 items-center rounded-full border-2 border-transparent bg-input transition-colors focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring data-[state=checked]:bg-primary"
    >
      <SwitchPrimitive.Thumb className="pointer-events-none block size-4 rounded-full bg-background shadow transition-transform data-[state=checked]:translate-x-4" />
    </SwitchPrimitive.Root>
  );
}

/** A native select: typeable, and read correctly by screen readers. */
export function SelectWidget({
  id,
  value,
  required,
  disabled,
  readonly,
  onChange,
  options,
  schema,
}: WidgetProps) {
  const choices = (options.enumOptions ?? []) as { label: string; value: unknown }[];
  const index = choices.findIndex((c) => c.value === value);
  return (
    <NativeSelect
      id={id}
      className="w-full"
      required={required}
      disabled={disabled || readonly}
      value={index < 0 ? "" : String(index)}
      onChange={(event) => {
        const picked = choices[Number(event.target.value)];
        onChange(event.target.value === "" ? schemaDefault(schema) : picked?.value);
      }}
    >
      {!required || index < 0 ? <option value="">–</option> : null}
      {choices.map((choice, i) => (
        <option key={String(choice.value)} value={String(i)}>
          {choice.label}
        </option>
      ))}
    </NativeSelect>
  );
}

function schemaDefault(schema: RJSFSchema): unknown {
  return schema.default;
}

/** Objects and arrays as JSON text; a parse error is shown under the field and blocks the submit. */
export function JsonField({
  formData,
  onChange,
  schema,
  name,
  required,
  rawErrors,
  fieldPathId,
}: FieldProps) {
  const id = fieldPathId.$id;
  const [text, setText] = useState(() => (formData === undefined ? "" : JSON.stringify(formData, null, 2)));
  const [parseError, setParseError] = useState<string | null>(null);
  useEffect(() => {
    if (formData !== undefined && !parseError)
      setText((current) => (safeParse(current) === undefined ? JSON.stringify(formData, null, 2) : current));
  }, [formData, parseError]);
  const errors = [...(parseError ? [parseError] : []), ...((rawErrors as string[] | undefined) ?? [])];
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={id} className="text-sm font-medium">
        {name}
        {required ? <span aria-hidden> *</span> : null}
      </label>
      {schema.description ? (
        <p className="text-xs text-muted-foreground" id={`${id}__description`}>
          {schema.description}
        </p>
      ) : null}
      <textarea
        id={id}
        aria-describedby={schema.description ? `${id}__description` : undefined}
        aria-invalid={errors.length > 0}
        spellCheck={false}
        rows={Math.min(10, Math.max(3, text.split("\n").length))}
        className={cn(
          "w-full rounded-md border border-input bg-transparent px-3 py-2 font-mono text-xs focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
          errors.length > 0 && "border-destructive",
        )}
        placeholder={schema.type === "array" ? "[]" : "{}"}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          if (event.target.value.trim() === "") {
            setParseError(null);
            onChange(undefined, fieldPathId.path, undefined, id);
            return;
          }
          try {
            const value = JSON.parse(event.target.value) as unknown;
            setParseError(null);
            onChange(value, fieldPathId.path, undefined, id);
          } catch (error) {
            setParseError(`not valid JSON: ${(error as Error).message}`);
          }
        }}
      />
      {errors.map((message) => (
        <p key={message} className="text-xs text-destructive">
          {message}
        </p>
      ))}
    </div>
  );
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
