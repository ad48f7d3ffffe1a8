import { useMutation } from "@tanstack/react-query";
import { Download, FileUp, Import as ImportIcon } from "lucide-react";
import { useId, useState } from "react";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { Badge, type BadgeVariant } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import {
  endpoints,
  type ImportFinding,
  type ImportKind,
  type ImportOutcome,
  type ImportReport,
} from "@/lib/api";
import { guessImportKind } from "@/lib/import-kind";

const KINDS: { value: ImportKind; label: string }[] = [
  { value: "github-actions", label: "GitHub Actions (workflow or action.yml)" },
  { value: "circleci", label: "CircleCI (config.yml)" },
  { value: "cronjob", label: "Kubernetes CronJob" },
  { value: "rundeck", label: "Rundeck job (XML or YAML export)" },
];

const OUTCOMES: { outcome: ImportOutcome; title: string; variant: BadgeVariant }[] = [
  { outcome: "later", title: "Not converted yet", variant: "warning" },
  { outcome: "manual", title: "Not converted: to do by hand", variant: "destructive" },
  { outcome: "difference", title: "Converted with a difference", variant: "info" },
  { outcome: "converted", title: "Converted", variant: "success" },
];

/** Paste or upload a file of another tool, see it as Gantry workflows beside the report, download them. */
export function ImportPage() {
  const [kind, setKind] = useState<ImportKind>("github-actions");
  const [runner, setRunner] = useState<"kubernetes" | "docker">("kubernetes");
  const [text, setText] = useState("");
  const [file, setFile] = useState("");
  const ids = { kind: useId(), runner: useId(), text: useId(), upload: useId(), file: useId() };
  const convert = useMutation({
    mutationFn: () =>
      endpoints.importFile({
        kind,
        text,
        ...(file ? { file } : {}),
        ...(kind === "cronjob" ? { runner } : {}),
      }),
  });
  const take = (content: string, name: string) => {
    setText(content);
    setFile(name);
    const guess = guessImportKind(content, name);
    if (guess) setKind(guess);
  };
  return (
    <>
      <PageHeader
        title="Import"
        description="Convert a GitHub Actions workflow, a CircleCI config, a Kubernetes CronJob or a Rundeck job into Gantry workflows. Nothing is saved: download the result and commit it to a source."
      />
      <Card className="mb-6">
        <CardContent className="flex flex-col gap-3 pt-4">
          <div className="flex flex-wrap items-end gap-3">
            <div className="flex flex-col gap-1">
              <label htmlFor={ids.kind} className="text-sm font-medium">
                Source
              </label>
              <NativeSelect
                id={ids.kind}
                value={kind}
                onChange={(e) => setKind(e.target.value as ImportKind)}
              >
                {KINDS.map((k) => (
                  <option key={k.value} value={k.value}>
                    {k.label}
                  </option>
                ))}
              </NativeSelect>
            </div>
            {kind === "cronjob" ? (
              <div className="flex flex-col gap-1">
                <label htmlFor={ids.runner} className="text-sm font-medium">
                  Runner
                </label>
                <NativeSelect
                  id={ids.runner}
                  value={runner}
                  onChange={(e) => setRunner(e.target.value as "kubernetes" | "docker")}
                >
                  <option value="kubernetes">kubernetes</option>
                  <option value="docker">docker</option>
                </NativeSelect>
              </div>
            ) : null}
            <div className="flex flex-col gap-1">
              <label htmlFor={ids.upload} className="text-sm font-medium">
                <FileUp aria-hidden className="mr-1 inline size-4" />
                Upload a file
              </label>
              <input
                id={ids.upload}
                type="file"
                accept=".yml,.yaml,.xml"
                className="text-sm file:mr-3 file:rounded-md file:border file:border-input file:bg-background file:px-3 file:py-1.5 file:text-sm"
                onChange={async (e) => {
                  const chosen = e.target.files?.[0];
                  if (chosen) take(await chosen.text(), chosen.name);
                }}
              />
            </div>
            <div className="flex flex-col gap-1">
              <label htmlFor={ids.file} className="text-sm font-medium">
                File name
              </label>
              <Input
                id={ids.file}
                value={file}
                onChange={(e) => setFile(e.target.value)}
                placeholder=".github/workflows/ci.yml"
                className="w-64 font-mono text-xs"
              />
            </div>
            <Button
              className="ml-auto"
              onClick={() => convert.mutate()}
              disabled={!text.trim() || convert.isPending}
            >
              <ImportIcon aria-hidden />
              Convert
            </Button>
          </div>
          <label htmlFor={ids.text} className="text-sm font-medium">
            Or paste it
          </label>
          <textarea
            id={ids.text}
            value={text}
            onChange={(e) => take(e.target.value, file)}
            spellCheck={false}
            rows={10}
            placeholder="name: CI&#10;on: [push]&#10;jobs: …"
            className="w-full rounded-md border border-input bg-transparent p-3 font-mono text-xs focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
          />
        </CardContent>
      </Card>
      {convert.error ? <ErrorNote error={convert.error} /> : null}
      {convert.data ? <ImportResult report={convert.data} /> : null}
    </>
  );
}

function ImportResult({ report }: { report: ImportReport }) {
  const complete = report.outputs.length > 0 && report.outputs.every((o) => o.complete);
  return (
    <div className="grid gap-6 xl:grid-cols-2" data-import-result>
      <Card>
        <CardHeader className="flex-row items-center gap-3">
          <CardTitle>Gantry files</CardTitle>
          <Badge
            variant={report.outputs.length === 0 ? "destructive" : complete ? "success" : "warning"}
            data-import-status
          >
            {report.outputs.length === 0 ? "not converted" : complete ? "converted" : "not fully converted"}
          </Badge>
          {report.outputs.length > 1 ? (
            <Button
              className="ml-auto"
              variant="outline"
              size="sm"
              onClick={() => report.outputs.forEach(download)}
            >
              <Download aria-hidden />
              Download all ({report.outputs.length})
            </Button>
          ) : null}
        </CardHeader>
        <CardContent>
          {report.errors.map((error) => (
            <ErrorNote key={error} error={error} />
          ))}
          {report.outputs.length > 0 ? (
            <Tabs defaultValue={report.outputs[0]?.path}>
              <TabsList className="h-auto flex-wrap">
                {report.outputs.map((o) => (
                  <TabsTrigger key={o.path} value={o.path} className="font-mono text-xs">
                    {o.path}
                  </TabsTrigger>
                ))}
              </TabsList>
              {report.outputs.map((o) => (
                <TabsContent key={o.path} value={o.path}>
                  <div className="mb-2 flex justify-end">
                    <Button
                      variant="outline"
                      size="sm"
                      onClick={() => download(o)}
                      aria-label={`Download ${o.path}`}
                    >
                      <Download aria-hidden />
                      Download
                    </Button>
                  </div>
                  <pre
                    className="max-h-[70vh] overflow-auto rounded-md bg-muted p-3 font-mono text-xs leading-relaxed"
                    data-import-output={o.path}
                    // A scrollable region must be reachable by keyboard.
                    // biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls, so keyboard users need to reach it.
                    tabIndex={0}
                  >
                    {o.text}
                  </pre>
                </TabsContent>
              ))}
            </Tabs>
          ) : null}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Report</CardTitle>
          <p className="text-sm text-muted-foreground">
            Each feature {report.file} uses, and how it came across.
          </p>
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          {OUTCOMES.map(({ outcome, title, variant }) => {
            const findings = report.findings.filter((f) => f.outcome === outcome);
            if (findings.length === 0) return null;
            // What needs attention is open; the long list of what converted as it was is one click away.
            return (
              <details key={outcome} data-import-outcome={outcome} open={outcome !== "converted"}>
                <summary className="mb-2 flex cursor-pointer items-center gap-2 text-sm font-semibold">
                  <Badge variant={variant}>{findings.length}</Badge>
                  {title}
                </summary>
                <ul className="flex flex-col gap-1.5 text-sm">
                  {findings.map((f) => (
                    // The converter reports a feature at one place with the same words once.
                    <FindingItem key={`${f.feature}:${f.line}:${f.output}:${f.detail}`} finding={f} />
                  ))}
                </ul>
              </details>
            );
          })}
        </CardContent>
      </Card>
    </div>
  );
}

function FindingItem({ finding: f }: { finding: ImportFinding }) {
  return (
    <li className="rounded-md border px-3 py-2" data-feature={f.feature}>
      <div className="flex flex-wrap items-baseline gap-x-2">
        {f.line !== undefined ? (
          <span className="font-mono text-xs text-muted-foreground">line {f.line}</span>
        ) : null}
        <span className="font-medium">{f.source}</span>
        {f.needs ? <span className="text-xs text-muted-foreground">needs {f.needs}</span> : null}
      </div>
      {f.detail ? <div className="break-words font-mono text-xs">{f.detail}</div> : null}
      {f.explanation ? <div className="text-xs text-muted-foreground">{f.explanation}</div> : null}
    </li>
  );
}

function download(output: { path: string; text: string }) {
  const url = URL.createObjectURL(new Blob([output.text], { type: "application/yaml" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = output.path.split("/").filter(Boolean).join("_");
  link.click();
  URL.revokeObjectURL(url);
}
