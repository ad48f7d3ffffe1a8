import { useVirtualizer } from "@tanstack/react-virtual";
import { ArrowDownToLine, ChevronDown, ChevronRight, Download, Pause, Play } from "lucide-react";
import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import type { StepReport } from "@/lib/api";
import { formatDuration } from "@/lib/format";
import { cn } from "@/lib/utils";
import { AnsiText, stripAnsi } from "./ansi";
import {
  hasSections as hasJobSections,
  type JobStepReport,
  type LogViewRow,
  withJobSections,
} from "./job-sections";
import { hasSections, type LogRow, sectionRows } from "./log-sections";
import { type LogLine, useLogStream } from "./use-log-stream";

const ROW_HEIGHT = 20;

/**
 * A step's log, live. Only the rows on screen are in the DOM (a million lines scroll like a hundred);
 * "follow" keeps the newest line in view until the user scrolls up; search filters to matching lines.
 */
export function LogViewer({
  runId,
  step,
  report,
  jobSteps,
}: {
  runId: string;
  step: string | undefined;
  /** The step as the run reports it: its items and attempts head the log's sections. */
  report?: StepReport;
  /** A job's steps by item: its steps' sections show their status and duration, and fold. */
  jobSteps?: (item: number) => JobStepReport[] | undefined;
}) {
  const { lines, version, state } = useLogStream(runId, step);
  const [query, setQuery] = useState("");
  const [follow, setFollow] = useState(true);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const deferredQuery = useDeferredValue(query.trim().toLowerCase());
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` says when the line buffer grew
  const visible: LogLine[] = useMemo(
    () =>
      deferredQuery ? lines.filter((l) => stripAnsi(l.text).toLowerCase().includes(deferredQuery)) : lines,
    [lines, version, deferredQuery],
  );
  // The report is polled: only what the headers show may recompute the sections.
  const reportKey = report
    ? `${report.status}:${report.attempts}:${(report.items ?? []).map((i) => `${i.status}/${i.attempts}`).join(",")}`
    : "";
  // Sections only where a step ran more than once; a plain log stays the line buffer itself.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` says when the buffer grew; reportKey, when the report did
  const rows: LogViewRow[] | undefined = useMemo(() => {
    const sectioned = hasSections(visible, report) ? sectionRows(visible, report) : undefined;
    // A job's steps fold under their own headers, except while searching.
    if (deferredQuery || !hasJobSections(visible)) return sectioned;
    const base: LogRow[] =
      sectioned ?? visible.map((line, index): LogRow => ({ kind: "line", line, number: index + 1 }));
    return withJobSections(base, collapsed, jobSteps ?? (() => undefined));
  }, [visible, version, reportKey, deferredQuery, collapsed, jobSteps]);
  const toggle = (key: string) =>
    setCollapsed((previous) => {
      const next = new Set(previous);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  const count = rows ? rows.length : visible.length;
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 30,
  });
  useEffect(() => {
    if (follow && count > 0) virtualizer.scrollToIndex(count - 1, { align: "end" });
  }, [follow, count, virtualizer]);
  const download = `/api/v1/runs/${encodeURIComponent(runId)}/logs${step ? `?step=${encodeURIComponent(step)}` : ""}`;
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <Input
          type="search"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          placeholder="Search the log…"
          aria-label="Search the log"
          className="h-8 w-64"
        />
        {deferredQuery ? (
          <span className="text-xs text-muted-foreground" aria-live="polite">
            {visible.length} of {lines.length} lines match
          </span>
        ) : (
          <span className="text-xs text-muted-foreground">{lines.length} lines</span>
        )}
        <Badge variant={state === "live" ? "info" : "outline"} aria-live="polite" data-log-state={state}>
          {state === "live" ? "live" : state}
        </Badge>
        <div className="ml-auto flex gap-2">
          <Button variant="outline" size="sm" onClick={() => setFollow((f) => !f)} aria-pressed={follow}>
            {follow ? <Pause aria-hidden /> : <Play aria-hidden />}
            {follow ? "Unfollow" : "Follow"}
          </Button>
          <Button
            variant="outline"
            size="sm"
            onClick={() => virtualizer.scrollToIndex(count - 1, { align: "end" })}
            aria-label="Scroll to the end"
          >
            <ArrowDownToLine aria-hidden />
          </Button>
          <Button variant="outline" size="sm" asChild>
            <a href={download} download={`${runId}${step ? `-${step}` : ""}.log`}>
              <Download aria-hidden />
              Download
            </a>
          </Button>
        </div>
      </div>
      <div
        ref={scroller}
        role="log"
        aria-label={step ? `Log of step ${step}` : "Log"}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus so the keyboard can scroll it (WCAG 2.1.1)
        tabIndex={0}
        onWheel={(event) => {
          if (event.deltaY < 0 && follow) setFollow(false);
        }}
        className="h-[28rem] overflow-auto rounded-md border bg-zinc-950 font-mono text-xs text-zinc-100"
      >
        {visible.length === 0 ? (
          <p className="p-3 text-zinc-400">{state === "ended" ? "No output." : "Waiting for output…"}</p>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualizer.getVirtualItems().map((virtual) => {
              const row: LogViewRow = rows
                ? rows[virtual.index]!
                : { kind: "line", line: visible[virtual.index]!, number: virtual.index + 1 };
              const style = {
                height: ROW_HEIGHT,
                transform: `translateY(${virtual.start}px)`,
                lineHeight: `${ROW_HEIGHT}px`,
              };
              if (row.kind === "header") {
                return (
                  <div
                    key={`section:${row.key}`}
                    data-log-section={row.key}
                    data-section-status={row.status}
                    className="absolute left-0 flex w-full items-center gap-2 border-t border-zinc-700 bg-zinc-900 px-3 font-sans font-medium text-zinc-200"
                    style={style}
                  >
                    <span>{row.label}</span>
                    {row.status ? (
                      <span
                        className={cn(
                          "rounded bg-zinc-700 px-1.5 text-[10px] uppercase text-zinc-100",
                          row.status === "succeeded" && "bg-emerald-900 text-emerald-100",
                          (row.status === "failed" || row.status === "timed_out") &&
                            "bg-red-900 text-red-100",
                        )}
                      >
                        {row.status}
                      </span>
                    ) : null}
                  </div>
                );
              }
              if (row.kind === "section") {
                return (
                  <button
                    type="button"
                    key={`job-step:${row.key}`}
                    data-log-section={row.name}
                    data-section-status={row.step?.status}
                    aria-expanded={!row.collapsed}
                    onClick={() => toggle(row.key)}
                    className="absolute left-0 flex w-full items-center gap-2 whitespace-pre bg-zinc-900 px-3 text-left font-semibold hover:bg-zinc-800"
                    style={style}
                  >
                    {row.collapsed ? (
                      <ChevronRight aria-hidden className="size-3" />
                    ) : (
                      <ChevronDown aria-hidden className="size-3" />
                    )}
                    <span
                      className={cn(
                        row.step?.status === "failed" || row.step?.status === "timed_out"
                          ? "text-red-300"
                          : row.step?.status === "skipped"
                            ? "text-zinc-500"
                            : undefined,
                      )}
                    >
                      {row.name}
                    </span>
                    <span className="ml-auto text-zinc-400 tabular-nums">
                      {row.step ? `${row.step.status} · ${formatDuration(row.step.duration_ms)}` : ""}
                      {row.collapsed ? ` · ${row.count} lines` : ""}
                    </span>
                  </button>
                );
              }
              const line = row.line;
              return (
                <div
                  key={line.offset}
                  data-log-line
                  className={cn(
                    "absolute left-0 flex w-full whitespace-pre px-3",
                    line.stream === "stderr" && "text-red-300",
                  )}
                  style={style}
                >
                  <span className="mr-3 w-12 shrink-0 select-none text-right text-zinc-500">
                    {row.number}
                  </span>
                  <span>
                    <AnsiText text={line.text} />
                  </span>
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
