import { RUN_TRIGGER_TYPES } from "@gantry/core/vocabulary";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ChevronRight, ChevronsLeft } from "lucide-react";
import { useSearchParams } from "react-router";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { RunsTable } from "@/components/runs-table";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/native-select";
import { Skeleton } from "@/components/ui/skeleton";
import { endpoints, RUN_STATUSES } from "@/lib/api";

const PAGE_SIZE = "25";

/** Filters and the page live in the URL, so a filtered view can be shared; the first page refreshes itself. */
export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const filter = {
    workflow: params.get("workflow") ?? undefined,
    status: params.get("status") ?? undefined,
    trigger: params.get("trigger") ?? undefined,
    cursor: params.get("cursor") ?? undefined,
  };
  const workflows = useQuery({ queryKey: ["workflows"], queryFn: endpoints.workflows });
  const runs = useQuery({
    queryKey: ["runs", filter],
    queryFn: () => endpoints.runs({ ...filter, limit: PAGE_SIZE }),
    refetchInterval: filter.cursor ? false : 2000,
    placeholderData: keepPreviousData,
  });
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== "cursor") next.delete("cursor");
    setParams(next);
  };
  return (
    <>
      <PageHeader title="Runs" description="Every run, newest first." />
      <form
        className="mb-4 flex flex-wrap gap-3"
        aria-label="Filter runs"
        onSubmit={(e) => e.preventDefault()}
      >
        <FilterSelect
          name="workflow"
          label="Workflow"
          value={filter.workflow}
          options={(workflows.data?.workflows ?? []).map((w) => [w.name, w.name])}
          onChange={set}
        />
        <FilterSelect
          name="status"
          label="Status"
          value={filter.status}
          options={RUN_STATUSES.map((s) => [s, s.replace("_", " ")])}
          onChange={set}
        />
        <FilterSelect
          name="trigger"
          label="Trigger"
          value={filter.trigger}
          options={RUN_TRIGGER_TYPES.map((t) => [t, t])}
          onChange={set}
        />
      </form>
      {runs.error ? <ErrorNote error={runs.error} /> : null}
      {runs.data ? (
        <RunsTable runs={runs.data.runs} empty="No run matches these filters." />
      ) : (
        <Skeleton className="h-64" />
      )}
      <nav aria-label="Pages" className="mt-4 flex gap-2">
        <Button variant="outline" size="sm" disabled={!filter.cursor} onClick={() => set("cursor", "")}>
          <ChevronsLeft aria-hidden />
          Newest
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={!runs.data?.next_cursor}
          onClick={() => set("cursor", runs.data?.next_cursor ?? "")}
        >
          Older
          <ChevronRight aria-hidden />
        </Button>
      </nav>
    </>
  );
}

/** One filter: a labelled select whose first choice, "All", clears it. */
function FilterSelect(props: {
  name: string;
  label: string;
  value: string | undefined;
  options: [value: string, label: string][];
  onChange: (name: string, value: string) => void;
}) {
  const id = `runs-${props.name}`;
  return (
    <label className="flex items-center gap-2 text-sm" htmlFor={id}>
      {props.label}
      <NativeSelect
        id={id}
        value={props.value ?? ""}
        onChange={(e) => props.onChange(props.name, e.target.value)}
      >
        <option value="">All</option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </NativeSelect>
    </label>
  );
}
