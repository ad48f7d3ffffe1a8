import {
  CircleCheck,
  CircleDashed,
  CircleMinus,
  CircleSlash,
  CircleX,
  Clock,
  Hand,
  LoaderCircle,
  TimerOff,
} from "lucide-react";
import { Badge, type BadgeVariant } from "@/components/ui/badge";

const STYLE: Record<string, { variant: BadgeVariant; Icon: typeof CircleCheck }> = {
  succeeded: { variant: "success", Icon: CircleCheck },
  failed: { variant: "destructive", Icon: CircleX },
  timed_out: { variant: "destructive", Icon: TimerOff },
  cancelled: { variant: "warning", Icon: CircleSlash },
  running: { variant: "info", Icon: LoaderCircle },
  queued: { variant: "secondary", Icon: Clock },
  waiting: { variant: "warning", Icon: Hand },
  pending: { variant: "secondary", Icon: CircleDashed },
  skipped: { variant: "outline", Icon: CircleMinus },
};

/** A run's or step's status as a coloured badge with an icon, so it reads without colour too. */
export function StatusBadge({ status }: { status: string }) {
  const style = STYLE[status] ?? { variant: "outline" as const, Icon: CircleDashed };
  const { Icon } = style;
  return (
    <Badge variant={style.variant} data-status={status}>
      <Icon aria-hidden className={status === "running" ? "size-3 animate-spin" : "size-3"} />
      {status.replace("_", " ")}
    </Badge>
  );
}

/** The colour of a status as a CSS variable, for the DAG and the chart. */
export function statusColor(status: string): string {
  switch (STYLE[status]?.variant) {
    case "success":
      return "var(--success)";
    case "destructive":
      return "var(--destructive)";
    case "warning":
      return "var(--warning)";
    case "info":
      return "var(--info)";
    default:
      return "var(--muted-foreground)";
  }
}
