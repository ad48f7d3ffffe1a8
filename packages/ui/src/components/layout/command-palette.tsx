import { useQuery } from "@tanstack/react-query";
import { Command } from "cmdk";
import { History, Search, Workflow as WorkflowIcon } from "lucide-react";
import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { StatusBadge } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { endpoints } from "@/lib/api";

/** Ctrl+K / ⌘K: jump to any workflow or recent run by typing part of its name or id. */
export function CommandPalette() {
  const [open, setOpen] = useState(false);
  const navigate = useNavigate();
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key.toLowerCase() === "k" && (event.metaKey || event.ctrlKey)) {
        event.preventDefault();
        setOpen((o) => !o);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  // Workflows are fetched up front (one small request), so they are there the moment the palette opens.
  const workflows = useQuery({ queryKey: ["workflows"], queryFn: endpoints.workflows });
  const runs = useQuery({
    queryKey: ["runs", "palette"],
    queryFn: () => endpoints.runs({ limit: "20" }),
    enabled: open,
  });
  const go = (path: string) => {
    setOpen(false);
    navigate(path);
  };
  return (
    <>
      <Button
        variant="outline"
        className="w-80 justify-start text-muted-foreground"
        onClick={() => setOpen(true)}
        aria-keyshortcuts="Control+K"
      >
        <Search />
        Search workflows and runs…
        <kbd className="ml-auto rounded border bg-muted px-1.5 text-[10px]">Ctrl K</kbd>
      </Button>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent className="p-0">
          <DialogTitle className="sr-only">Search</DialogTitle>
          <DialogDescription className="sr-only">Type to find a workflow or a recent run</DialogDescription>
          <Command
            label="Search workflows and runs"
            className="[&_[cmdk-group-heading]]:px-3 [&_[cmdk-group-heading]]:py-2 [&_[cmdk-group-heading]]:text-xs [&_[cmdk-group-heading]]:text-muted-foreground"
          >
            <Command.Input
              autoFocus
              placeholder="Workflow name or run id…"
              className="h-11 w-full border-b bg-transparent px-3 text-sm outline-none"
            />
            <Command.List className="max-h-80 overflow-y-auto p-1">
              <Command.Empty className="p-4 text-center text-sm text-muted-foreground">
                Nothing found.
              </Command.Empty>
              <Command.Group heading="Workflows">
                {workflows.data?.workflows.map((w) => (
                  <Command.Item
                    key={w.name}
                    // The name itself: typing a workflow's name ranks it above runs that merely belong to it.
                    value={w.name}
                    keywords={w.description ? [w.description] : []}
                    onSelect={() => go(`/workflows/${encodeURIComponent(w.name)}`)}
                    className="flex cursor-pointer items-center gap-2 rounded px-3 py-2 text-sm data-[selected=true]:bg-accent"
                  >
                    <WorkflowIcon className="size-4" aria-hidden />
                    {w.name}
                  </Command.Item>
                ))}
              </Command.Group>
              <Command.Group heading="Recent runs">
                {runs.data?.runs.map((r) => (
                  <Command.Item
                    key={r.id}
                    value={`run ${r.id}`}
                    keywords={[r.workflow]}
                    onSelect={() => go(`/runs/${r.id}`)}
                    className="flex cursor-pointer items-center gap-2 rounded px-3 py-2 text-sm data-[selected=true]:bg-accent"
                  >
                    <History className="size-4" aria-hidden />
                    <span className="font-mono text-xs">{r.id.slice(0, 8)}</span>
                    {r.workflow}
                    <span className="ml-auto">
                      <StatusBadge status={r.status} />
                    </span>
                  </Command.Item>
                ))}
              </Command.Group>
            </Command.List>
          </Command>
        </DialogContent>
      </Dialog>
    </>
  );
}
