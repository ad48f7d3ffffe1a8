import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import type { RunDetail } from "@/lib/api";
import { Markdown } from "./markdown";

/** The summaries the run's steps wrote, in step order (each step's newest attempt per item). */
export function SummariesCard({ run, order }: { run: RunDetail; order: string[] }) {
  const known = new Set(order);
  const ids = [...order, ...Object.keys(run.steps).filter((id) => !known.has(id))];
  const written = ids.flatMap((id) => {
    const summary = run.steps[id]?.summary;
    return summary ? [[id, summary] as const] : [];
  });
  if (written.length === 0) return null;
  return (
    <Card className="mt-4">
      <CardHeader>
        <CardTitle>Summary</CardTitle>
      </CardHeader>
      <CardContent className="space-y-6">
        {written.map(([id, summary]) => (
          <section key={id} aria-label={`Summary of ${id}`} data-summary-step={id}>
            <h3 className="mb-2 font-mono text-xs text-muted-foreground">{id}</h3>
            <Markdown text={summary} />
          </section>
        ))}
      </CardContent>
    </Card>
  );
}
