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
import { useMemo } from "react";
import { statusColor } from "@/components/status-badge";
import { useDarkMode } from "@/lib/use-dark-mode";
import { cn } from "@/lib/utils";
import { type DagStep, layoutDag, NODE_HEIGHT, NODE_WIDTH, routedPath } from "./layout";

type StepNodeData = { label: string; status?: string; selected: boolean };
type StepNode = Node<StepNodeData, "step">;

function StepNodeView({ data }: NodeProps<StepNode>) {
  return (
    <div
      className={cn(
        "flex items-center gap-2 rounded-md border bg-card px-3 text-sm shadow-sm",
        data.selected && "ring-2 ring-ring",
      )}
      style={{
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        borderLeft: `4px solid ${statusColor(data.status ?? "")}`,
      }}
      data-step-status={data.status ?? "none"}
    >
      <Handle type="target" position={Position.Left} className="!bg-muted-foreground" />
      <span className="truncate font-medium">{data.label}</span>
      {data.status ? (
        <span className="ml-auto text-xs text-muted-foreground">{data.status.replace("_", " ")}</span>
      ) : null}
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
}: {
  steps: DagStep[];
  statuses?: Record<string, string>;
  selected?: string | undefined;
  onSelect?: (step: string) => void;
}) {
  const { positions, routes } = useMemo(() => layoutDag(steps), [steps]);
  const dark = useDarkMode();
  const nodes: StepNode[] = steps.map((step) => ({
    id: step.id,
    type: "step",
    position: positions.get(step.id) ?? { x: 0, y: 0 },
    data: {
      label: step.name,
      selected: step.id === selected,
      ...(statuses?.[step.id] ? { status: statuses[step.id] } : {}),
    },
    draggable: false,
    connectable: false,
    ariaLabel: `Step ${step.name}${statuses?.[step.id] ? `, ${statuses[step.id]}` : ""}`,
  }));
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
  const height = Math.min(
    480,
    Math.max(160, Math.max(...[...positions.values()].map((p) => p.y), 0) + NODE_HEIGHT + 60),
  );
  return (
    <figure className="w-full rounded-md border" style={{ height }} aria-label="Workflow graph">
      <ReactFlow
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
        onNodeClick={(_, node) => onSelect?.(node.id)}
        proOptions={{ hideAttribution: true }}
        colorMode={dark ? "dark" : "light"}
      >
        <Background />
        <Controls showInteractive={false} position="top-left" />
      </ReactFlow>
    </figure>
  );
}
