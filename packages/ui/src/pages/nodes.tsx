import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { ApiError, endpoints, type NodeList } from "@/lib/api";

/** How long typing pauses before the filter is sent: a selector is read whole, not per keystroke. */
const FILTER_DELAY_MS = 300;

/**
 * The node inventory steps on runner type ssh choose from, filtered with the same selector language
 * (`tags:web and env:prod`); the filter is in the URL, so a selection can be shared.
 */
export function NodesPage() {
  const [params, setParams] = useSearchParams();
  const filter = params.get("filter") ?? "";
  const [text, setText] = useState(filter);
  useEffect(() => {
    if (text === filter) return;
    const timer = setTimeout(
      () => setParams(text ? { filter: text } : {}, { replace: true }),
      FILTER_DELAY_MS,
    );
    return () => clearTimeout(timer);
  }, [text, filter, setParams]);
  const nodes = useQuery({
    queryKey: ["nodes", filter],
    queryFn: () => endpoints.nodes(filter),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
    retry: (count, error) => !(error instanceof ApiError && error.status === 400) && count < 1,
  });
  const filterError = nodes.error instanceof ApiError && nodes.error.status === 400 ? nodes.error : undefined;
  // While a selector cannot be read (typing is under way), the last list that could be read stays.
  const lastGood = useRef<NodeList | undefined>(undefined);
  if (nodes.data) lastGood.current = nodes.data;
  const list = nodes.data ?? lastGood.current;
  return (
    <>
      <PageHeader
        title="Nodes"
        description="Machines steps reach over SSH (runner: {type: ssh, nodes: …}), from gantry.yaml, node files and Ansible inventories."
      />
      <div className="mb-4 max-w-xl">
        <Input
          type="search"
          placeholder="tags:web and env:prod"
          aria-label="Node selector"
          aria-invalid={filterError ? true : undefined}
          aria-describedby="node-filter-help"
          value={text}
          onChange={(event) => setText(event.target.value)}
          className="font-mono"
        />
        <p
          id="node-filter-help"
          className={`mt-1 text-xs ${filterError ? "text-destructive" : "text-muted-foreground"}`}
        >
          {filterError
            ? filterError.message
            : "name, host, user, port, tags or any attribute; globs (web-*), /regex/, and, or, not, ( )"}
        </p>
      </div>
      {nodes.error && !filterError ? <ErrorNote error={nodes.error} /> : null}
      {list ? <NodesView list={list} filtered={filter.trim() !== ""} /> : <Skeleton className="h-40" />}
    </>
  );
}

/** The inventory as a table, with what could not be read above it. */
export function NodesView({ list, filtered }: { list: NodeList; filtered: boolean }) {
  return (
    <>
      {list.problems.length > 0 ? (
        <div
          role="alert"
          className="mb-4 rounded-md border border-warning/40 bg-warning/10 p-3 text-sm text-amber-900 dark:text-amber-200"
        >
          <p className="font-medium">Some of the inventory could not be read:</p>
          <ul className="mt-1 list-disc pl-5 font-mono text-xs">
            {list.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <p className="mb-2 text-sm text-muted-foreground" aria-live="polite">
        {filtered ? `${list.nodes.length} of ${list.total} nodes match` : `${list.total} nodes`}
      </p>
      {list.total === 0 ? (
        <p className="py-6 text-center text-sm text-muted-foreground">
          No nodes: declare them under nodes: in gantry.yaml (or point it at a node file or an Ansible
          inventory).
        </p>
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Node</TableHead>
              <TableHead>Address</TableHead>
              <TableHead>Tags</TableHead>
              <TableHead>Attributes</TableHead>
              <TableHead>Login</TableHead>
              <TableHead>Host key</TableHead>
              <TableHead>From</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.nodes.map((node) => (
              <TableRow key={node.name} data-node={node.name}>
                <TableCell className="font-medium">{node.name}</TableCell>
                <TableCell className="font-mono text-xs">
                  {node.user ? `${node.user}@` : ""}
                  {node.host}
                  {node.port === 22 ? "" : `:${node.port}`}
                </TableCell>
                <TableCell>
                  <div className="flex flex-wrap gap-1">
                    {node.tags.map((tag) => (
                      <Badge key={tag} variant="secondary">
                        {tag}
                      </Badge>
                    ))}
                  </div>
                </TableCell>
                <TableCell className="font-mono text-xs">
                  {Object.entries(node.attributes)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")}
                </TableCell>
                <TableCell>
                  {node.auth === "none" ? <span className="text-muted-foreground">default</span> : node.auth}
                </TableCell>
                <TableCell className="font-mono text-xs">
                  {node.host_keys.length > 0 ? (
                    node.host_keys.map((k) => (
                      <span key={k.fingerprint} className="block" title={k.type}>
                        {k.fingerprint}
                      </span>
                    ))
                  ) : (
                    <span className="font-sans text-muted-foreground">known_hosts</span>
                  )}
                </TableCell>
                <TableCell className="max-w-48 truncate text-xs text-muted-foreground" title={node.origin}>
                  {node.origin}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
}
