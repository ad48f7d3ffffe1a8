import {
  CalendarClock,
  GitBranch,
  Hand,
  History,
  Import,
  KeyRound,
  LayoutDashboard,
  type LucideIcon,
  Network,
  RadioTower,
  Rocket,
  ScrollText,
  Server,
  Workflow,
} from "lucide-react";

export interface NavItem {
  to: string;
  label: string;
  Icon: LucideIcon;
  /** Shown to admins only (the server refuses the others anyway). */
  admin?: boolean;
}

/** The sidebar, in order. Pages of later features append here. */
export const NAV_ITEMS: NavItem[] = [
  { to: "/", label: "Dashboard", Icon: LayoutDashboard },
  { to: "/workflows", label: "Workflows", Icon: Workflow },
  { to: "/runs", label: "Runs", Icon: History },
  { to: "/approvals", label: "Approvals", Icon: Hand },
  { to: "/deployments", label: "Deployments", Icon: Rocket },
  { to: "/schedules", label: "Schedules", Icon: CalendarClock },
  { to: "/triggers", label: "Triggers", Icon: RadioTower },
  { to: "/sources", label: "Sources", Icon: GitBranch },
  { to: "/workers", label: "Workers", Icon: Server },
  { to: "/nodes", label: "Nodes", Icon: Network },
  { to: "/import", label: "Import", Icon: Import },
  { to: "/keys", label: "API keys", Icon: KeyRound, admin: true },
  { to: "/audit", label: "Audit log", Icon: ScrollText, admin: true },
];
