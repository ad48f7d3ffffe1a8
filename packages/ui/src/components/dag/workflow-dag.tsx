import {
  Background,
  BaseEdge,
  Controls,
  type Edge,
  type EdgeProps,
  Handle,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { ChevronDown, ChevronRight } from "lucide-react";
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { statusColor } from "@/components/status-badge";
import type { ChildRunGraph } from "@/lib/api";
import { useDarkMode } from "@/lib/use-dark-mode";
import { cn } from "@/lib/utils";
import { type DagStep, layoutDag, NODE_HEIGHT, NODE_WIDTH, routedPath } from "./layout";
import { innerNodes, subGraphs, unfoldedSizes } from "./sub-graphs";

type StepNodeData = {
  label: string;
  status?: string;
  selected: boolean;
  /** A sub-workflow step with a child run: it can unfold into the child's graph. */
  sub?: {
    workflow: string;
    runId: string;
    runs: number;
    expanded: boolean;
    width: number;
    height: number;
    toggle: () => void;
  };
};
type StepNode = Node<StepNodeData, "step">;

function StepNodeView({ data }: NodeProps<StepNode>) {
  const sub = data.sub;
  return (
    <div
      className={cn(
        "rounded-md border bg-card text-sm shadow-sm",
        data.selected && "ring-2 ring-ring",
        sub?.expanded && "bg-muted/40",
      )}
      style={{
        width: sub?.expanded ? sub.width : NODE_WIDTH,
        height: sub?.expanded ? sub.height : NODE_HEIGHT,
        borderLeft: `4px solid ${statusColor(data.status ?? "")}`,
      }}
      data-step-status={data.status ?? "none"}
      data-sub-workflow={sub ? (sub.expanded ? "expanded" : "folded") : undefined}
    >
      <Handle type="target" position={Position.Left} className="!bg-muted-foreground" />
      <div className="flex items-center gap-2 px-3" style={{ height: NODE_HEIGHT }}>
        {sub ? (
          <button
            type="button"
            className="nodrag nopan -ml-1 rounded p-0.5 hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
            aria-expanded={sub.expanded}
            aria-label={`${sub.expanded ? "Fold" : "Unfold"} sub-workflow ${sub.workflow} of step ${data.label}`}
            onClick={(event) => {
              event.stopPropagation();
              sub.toggle();
            }}
          >
            {sub.expanded ? <ChevronDown className="size-4" /> : <ChevronRight className="size-4" />}
          </button>
        ) : null}
        <span className="truncate font-medium">{data.label}</span>
        {sub?.expanded ? (
          <Link
            className="nodrag nopan truncate text-xs text-muted-foreground underline"
            to={`/runs/${sub.runId}`}
            onClick={(event) => event.stopPropagation()}
          >
            {sub.workflow} · run {sub.runId.slice(0, 8)}
            {sub.runs > 1 ? ` (1 of ${sub.runs})` : ""}
          </Link>
        ) : null}
        {data.status ? (
          <span className="ml-auto shrink-0 text-xs text-muted-foreground">
            {data.status.replace("_", " ")}
          </span>
        ) : null}
      </div>
      <Handle type="source" position={Position.Right} className="!bg-muted-foreground" />
    </div>
  );
}

const nodeTypes = { step: StepNodeView };

type RoutedEdge = Edge<{ route: { x: number; y: number }[] }, "routed">;

/** An edge along dagre's route: its first and last points give way to the handles. */
function RoutedEdgeView({
  id,
  sourceX,
  sourceY,
  targetX,
  targetY,
  data,
  markerEnd,
  style,
}: EdgeProps<RoutedEdge>) {
  const inner = (data?.route ?? []).slice(1, -1);
  return (
    <BaseEdge
      id={id}
      path={routedPath({ x: sourceX, y: sourceY }, inner, { x: targetX, y: targetY })}
      markerEnd={markerEnd}
      style={style}
    />
  );
}

const edgeTypes = { routed: RoutedEdgeView };

/** Room on the left kept free of nodes for the zoom controls. */
const CONTROLS_GUTTER = 56;

/** The workflow's DAG, left to right; with statuses, each step is coloured by its live state. */
export function WorkflowDag({
  steps,
  statuses,
  selected,
  onSelect,
  childRuns,
  onOpenChild,
}: {
  steps: DagStep[];
  statuses?: Record<string, string>;
  selected?: string | undefined;
  onSelect?: (step: string) => void;
  /** The run's sub-workflow runs: their steps' nodes unfold into the child's graph. */
  childRuns?: ChildRunGraph[];
  /** A click on a step of an unfolded child run. */
  onOpenChild?: (runId: string, step: string) => void;
}) {
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  const graphs = useMemo(() => subGraphs(childRuns ?? []), [childRuns]);
  const { positions, routes } = useMemo(
    () => layoutDag(steps, unfoldedSizes(graphs, expanded)),
    [steps, graphs, expanded],
  );
  const dark = useDarkMode();
  const toggle = (step: string) =>
    setExpanded((open) => {
      const next = new Set(open);
      if (!next.delete(step)) next.add(step);
      return next;
    });
  const nodes: StepNode[] = steps.flatMap((step) => {
    const graph = graphs.get(step.id);
    const open = graph !== undefined && expanded.has(step.id);
    const node: StepNode = {
      id: step.id,
      type: "step",
      position: positions.get(step.id) ?? { x: 0, y: 0 },
      data: {
        label: step.name,
        selected: step.id === selected,
        ...(statuses?.[step.id] ? { status: statuses[step.id] } : {}),
        ...(graph
          ? {
              sub: {
                workflow: graph.child.workflow,
                runId: graph.child.id,
                runs: graph.runs,
                expanded: open,
                width: graph.width,
                height: graph.height,
                toggle: () => toggle(step.id),
              },
            }
          : {}),
      },
      draggable: false,
      connectable: false,
      ariaLabel: `Step ${step.name}${statuses?.[step.id] ? `, ${statuses[step.id]}` : ""}`,
    };
    if (!open || !graph) return [node];
    // The child's steps are nodes of their own inside the unfolded node (xyflow's sub flows).
    const inner: StepNode[] = innerNodes(step.id, graph).map((s) => ({
      id: s.nodeId,
      type: "step",
      parentId: step.id,
      extent: "parent",
      position: { x: s.x, y: s.y },
      data: { label: s.name, status: s.status, selected: false },
      draggable: false,
      connectable: false,
      ariaLabel: `Step ${s.name} of sub-workflow ${graph.child.workflow}, ${s.status}`,
    }));
    return [node, ...inner];
  });
  const edges: RoutedEdge[] = steps.flatMap((step) =>
    step.needs.map((need) => ({
      id: `${need}->${step.id}`,
      type: "routed" as const,
      source: need,
      target: step.id,
      data: { route: routes.get(`${need}->${step.id}`) ?? [] },
      animated: statuses?.[need] === "running" || statuses?.[step.id] === "running",
    })),
  );
  for (const step of expanded) {
    const graph = graphs.get(step);
    if (!graph) continue;
    for (const s of graph.child.steps)
      for (const need of s.needs)
        edges.push({
          id: `${step}/${need}->${step}/${s.id}`,
          type: "routed",
          source: `${step}/${need}`,
          target: `${step}/${s.id}`,
          data: { route: [] },
          animated: s.status === "running",
        });
  }
  const bottom = Math.max(
    0,
    ...steps.map(
      (s) =>
        (positions.get(s.id)?.y ?? 0) + (unfoldedSizes(graphs, expanded).get(s.id)?.height ?? NODE_HEIGHT),
    ),
  );
  const height = Math.min(expanded.size > 0 ? 720 : 480, Math.max(160, bottom + 60));
  return (
    <figure className="w-full rounded-md border" style={{ height }} aria-label="Workflow graph">
      <ReactFlow
        // Unfolding a node changes the layout: fit the view to it again.
        key={[...expanded].sort().join(",")}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        fitView
        // The controls sit in a gutter on the left that the fitted graph leaves free.
        fitViewOptions={{
          maxZoom: 1,
          padding: { top: "16px", bottom: "16px", right: "16px", left: `${CONTROLS_GUTTER}px` },
        }}
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={(_, node) => {
          const [parent, inner] = node.id.split("/") as [string, string | undefined];
          const graph = inner !== undefined ? graphs.get(parent) : undefined;
          if (graph && inner !== undefined) onOpenChild?.(graph.child.id, inner);
          else onSelect?.(node.id);
        }}
        proOptions={{ hideAttribution: true }}
        colorMode={dark ? "dark" : "light"}
      >
        <Background />
        <Controls showInteractive={false} position="top-left" />
      </ReactFlow>
    </figure>
  );
}
