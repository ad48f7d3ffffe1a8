import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Folder, GitBranch, RefreshCw } from "lucide-react";
import { Link } from "react-router";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { endpoints, type Source, type WorkflowFolder } from "@/lib/api";
import { formatTime, timeAgo } from "@/lib/format";
import { useNow } from "@/lib/use-now";

/** Git sources: what is active, when it last synced, and why a newer commit was refused. */
export function SourcesPage() {
  const sources = useQuery({ queryKey: ["sources"], queryFn: endpoints.sources, refetchInterval: 5000 });
  if (sources.error) return <ErrorNote error={sources.error} />;
  return (
    <>
      <PageHeader
        title="Sources"
        description="Folders and git repositories that workflows are loaded from. A commit, or a change to a folder, is activated only when all of its workflows are valid."
      />
      {!sources.data ? (
        <Skeleton className="h-40" />
      ) : sources.data.sources.length === 0 && (sources.data.folders ?? []).length === 0 ? (
        <p className="py-6 text-center text-sm text-muted-foreground">
          No git sources are configured: add <code>sources:</code> to gantry.yaml.
        </p>
      ) : (
        <div className="flex flex-col gap-4">
          {(sources.data.folders ?? []).map((folder) => (
            <FolderCard key={folder.dir} folder={folder} />
          ))}
          {sources.data.sources.map((source) => (
            <SourceCard key={source.name} source={source} />
          ))}
        </div>
      )}
    </>
  );
}

function SourceCard({ source }: { source: Source }) {
  const now = useNow(10_000);
  const client = useQueryClient();
  const sync = useMutation({
    mutationFn: () => endpoints.syncSource(source.name),
    onSettled: () => client.invalidateQueries({ queryKey: ["sources"] }),
  });
  const behind = source.seen_commit && source.seen_commit !== source.active_commit;
  return (
    <Card data-source={source.name}>
      <CardHeader className="flex-row items-center gap-3">
        <GitBranch aria-hidden className="size-4" />
        <CardTitle>{source.name}</CardTitle>
        <Badge
          variant={source.state === "ok" ? "success" : source.state === "error" ? "destructive" : "secondary"}
        >
          {source.syncing ? "syncing" : source.state}
        </Badge>
        <Button
          className="ml-auto"
          variant="outline"
          size="sm"
          onClick={() => sync.mutate()}
          disabled={sync.isPending}
        >
          <RefreshCw aria-hidden className={sync.isPending ? "animate-spin" : undefined} />
          Sync now
        </Button>
      </CardHeader>
      <CardContent>
        <dl className="grid grid-cols-2 gap-3 text-sm md:grid-cols-4">
          <Fact label="Repository">
            <span className="break-all font-mono text-xs">{source.url}</span>
          </Fact>
          <Fact label="Ref and path">
            <span className="font-mono text-xs">
              {source.ref} · {source.path}
            </span>
          </Fact>
          <Fact label="Active commit">
            <span className="font-mono text-xs" title={source.active_commit ?? undefined}>
              {source.active_commit?.slice(0, 12) ?? "none"}
            </span>
            {source.activated_at ? (
              <span className="text-xs text-muted-foreground"> · {timeAgo(source.activated_at, now)}</span>
            ) : null}
          </Fact>
          <Fact label="Last sync">
            <span title={formatTime(source.last_sync_at)}>{timeAgo(source.last_sync_at, now)}</span>
            <span className="text-xs text-muted-foreground">
              {" "}
              · {source.interval_seconds ? `every ${source.interval_seconds}s` : "webhooks only"}
            </span>
          </Fact>
        </dl>
        {behind ? (
          <p className="mt-3 text-sm" data-kept-out={source.seen_commit}>
            Commit <span className="font-mono text-xs">{source.seen_commit?.slice(0, 12)}</span> was not
            activated and started no run, by webhook or polling: the workflows of{" "}
            <span className="font-mono text-xs">{source.active_commit?.slice(0, 12) ?? "no commit"}</span>{" "}
            stay active until a commit fixes these errors.
          </p>
        ) : null}
        {source.errors.length > 0 ? <ErrorList errors={source.errors} of={source.name} /> : null}
        {sync.error ? <ErrorNote error={sync.error} /> : null}
        <WorkflowLinks names={source.workflows} />
      </CardContent>
    </Card>
  );
}

/** A watched folder (--dir): its files load only when all are valid, as a commit of a git source does. */
function FolderCard({ folder }: { folder: WorkflowFolder }) {
  const now = useNow(10_000);
  return (
    <Card data-folder={folder.dir}>
      <CardHeader className="flex-row items-center gap-3">
        <Folder aria-hidden className="size-4" />
        <CardTitle className="break-all font-mono text-sm">{folder.dir}</CardTitle>
        <Badge
          variant={folder.state === "ok" ? "success" : folder.state === "error" ? "destructive" : "secondary"}
        >
          {folder.state}
        </Badge>
        <span className="ml-auto text-xs text-muted-foreground">
          watched · read {timeAgo(folder.checked_at, now)}
        </span>
      </CardHeader>
      <CardContent>
        {folder.errors.length > 0 ? (
          <>
            <p className="text-sm">
              The files as they are now were not loaded: the workflows loaded{" "}
              {folder.loaded_at ? timeAgo(folder.loaded_at, now) : "before"} stay active until these errors
              are fixed.
            </p>
            <ErrorList errors={folder.errors} of={folder.dir} />
          </>
        ) : null}
        <WorkflowLinks names={folder.workflows} />
      </CardContent>
    </Card>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="mt-0.5">{children}</dd>
    </div>
  );
}

/** The errors that kept a commit or a folder's files out, one per line. */
function ErrorList({ errors, of }: { errors: string[]; of: string }) {
  return (
    <ul
      className="mt-2 flex flex-col gap-1 rounded-md border border-destructive/40 bg-destructive/10 p-3 font-mono text-xs text-destructive"
      aria-label={`Errors of ${of}`}
    >
      {errors.map((error) => (
        <li key={error}>{error}</li>
      ))}
    </ul>
  );
}

/** Links to the workflows a source or folder registered; nothing when it has none. */
function WorkflowLinks({ names }: { names: string[] }) {
  if (names.length === 0) return null;
  return (
    <p className="mt-3 flex flex-wrap gap-2 text-sm">
      <span className="text-muted-foreground">Workflows:</span>
      {names.map((w) => (
        <Link key={w} className="hover:underline" to={`/workflows/${encodeURIComponent(w)}`}>
          {w}
        </Link>
      ))}
    </p>
  );
}
