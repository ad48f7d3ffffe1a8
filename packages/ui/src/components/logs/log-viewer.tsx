import { useVirtualizer } from "@tanstack/react-virtual";
import { ArrowDownToLine, ChevronDown, ChevronRight, Download, Pause, Play } from "lucide-react";
import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { formatDuration } from "@/lib/format";
import { cn } from "@/lib/utils";
import { AnsiText, stripAnsi } from "./ansi";
import { type JobStepReport, type LogRow, sectionRows } from "./job-sections";
import { useLogStream } from "./use-log-stream";

const ROW_HEIGHT = 20;

/**
 * A step's log, live. Only the rows on screen are in the DOM (a million lines scroll like a hundred);
 * "follow" keeps the newest line in view until the user scrolls up; search filters to matching lines.
 */
export function LogViewer({
  runId,
  step,
  jobSteps,
}: {
  runId: string;
  step: string | undefined;
  /** A job's steps by item: the log's sections show their status and duration. */
  jobSteps?: (item: number) => JobStepReport[] | undefined;
}) {
  const { lines, version, state } = useLogStream(runId, step);
  const [query, setQuery] = useState("");
  const [follow, setFollow] = useState(true);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const deferredQuery = useDeferredValue(query.trim().toLowerCase());
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` says when the line buffer grew
  const visible: LogRow[] = useMemo(
    () =>
      deferredQuery
        ? lines
            .filter((l) => stripAnsi(l.text).toLowerCase().includes(deferredQuery))
            .map((line): LogRow => ({ kind: "line", line }))
        : sectionRows(lines, collapsed, jobSteps ?? (() => undefined)),
    [lines, version, deferredQuery, collapsed, jobSteps],
  );
  const toggle = (key: string) =>
    setCollapsed((previous) => {
      const next = new Set(previous);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 30,
  });
  useEffect(() => {
    if (follow && visible.length > 0) virtualizer.scrollToIndex(visible.length - 1, { align: "end" });
  }, [follow, visible.length, virtualizer]);
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
            onClick={() => virtualizer.scrollToIndex(visible.length - 1, { align: "end" })}
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
            {virtualizer.getVirtualItems().map((row) => {
              const entry = visible[row.index]!;
              const line = entry.line;
              if (entry.kind === "section") {
                return (
                  <button
                    type="button"
                    key={line.offset}
                    data-log-section={entry.name}
                    data-section-status={entry.step?.status}
                    aria-expanded={!entry.collapsed}
                    onClick={() => toggle(entry.key)}
                    className="absolute left-0 flex w-full items-center gap-2 whitespace-pre bg-zinc-900 px-3 text-left font-semibold hover:bg-zinc-800"
                    style={{
                      height: ROW_HEIGHT,
                      transform: `translateY(${row.start}px)`,
                      lineHeight: `${ROW_HEIGHT}px`,
                    }}
                  >
                    {entry.collapsed ? (
                      <ChevronRight aria-hidden className="size-3" />
                    ) : (
                      <ChevronDown aria-hidden className="size-3" />
                    )}
                    <span
                      className={cn(
                        entry.step?.status === "failed" || entry.step?.status === "timed_out"
                          ? "text-red-300"
                          : entry.step?.status === "skipped"
                            ? "text-zinc-500"
                            : undefined,
                      )}
                    >
                      {entry.name}
                    </span>
                    <span className="ml-auto text-zinc-400 tabular-nums">
                      {entry.step ? `${entry.step.status} · ${formatDuration(entry.step.duration_ms)}` : ""}
                      {entry.collapsed ? ` · ${entry.count} lines` : ""}
                    </span>
                  </button>
                );
              }
              return (
                <div
                  key={line.offset}
                  data-log-line
                  className={cn(
                    "absolute left-0 flex w-full whitespace-pre px-3",
                    line.stream === "stderr" && "text-red-300",
                  )}
                  style={{
                    height: ROW_HEIGHT,
                    transform: `translateY(${row.start}px)`,
                    lineHeight: `${ROW_HEIGHT}px`,
                  }}
                >
                  <span className="mr-3 w-12 shrink-0 select-none text-right text-zinc-500">
                    {row.index + 1}
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
