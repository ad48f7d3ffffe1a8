/**
 * The web UI (React, Vite, Tailwind, shadcn/ui). pages/: one file per route; components/: what pages
 * share (layout/, dag/, logs/, run-form/, ui/ for shadcn's primitives); lib/: the API client (its reply
 * types generated from the server's schemas), formatting, session events. Of the other packages it
 * imports only core's browser-safe subpaths and the import package; e2e/ drives Chromium against a real
 * `gantry up`.
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, RouterProvider } from "react-router";
import { AppShell } from "@/components/layout/app-shell";
import "./index.css";

const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 2000, retry: 1 } } });

function PageLoading() {
  return <p className="p-6 text-sm text-muted-foreground">Loading…</p>;
}

// Each page is its own chunk: the first load carries only the shell and the page it opens.
const router = createBrowserRouter([
  {
    path: "/",
    Component: AppShell,
    // Shown while the first page's chunk loads (React Router warns on every load without one).
    HydrateFallback: PageLoading,
    children: [
      { index: true, lazy: () => import("./pages/dashboard").then((m) => ({ Component: m.DashboardPage })) },
      {
        path: "workflows",
        lazy: () => import("./pages/workflows").then((m) => ({ Component: m.WorkflowsPage })),
      },
      {
        path: "workflows/:name",
        lazy: () => import("./pages/workflow").then((m) => ({ Component: m.WorkflowPage })),
      },
      { path: "runs", lazy: () => import("./pages/runs").then((m) => ({ Component: m.RunsPage })) },
      { path: "runs/:id", lazy: () => import("./pages/run").then((m) => ({ Component: m.RunPage })) },
      {
        path: "approvals",
        lazy: () => import("./pages/approvals").then((m) => ({ Component: m.ApprovalsPage })),
      },
      {
        path: "deployments",
        lazy: () => import("./pages/deployments").then((m) => ({ Component: m.DeploymentsPage })),
      },
      {
        path: "schedules",
        lazy: () => import("./pages/schedules").then((m) => ({ Component: m.SchedulesPage })),
      },
      {
        path: "triggers",
        lazy: () => import("./pages/triggers").then((m) => ({ Component: m.TriggersPage })),
      },
      { path: "workers", lazy: () => import("./pages/workers").then((m) => ({ Component: m.WorkersPage })) },
      { path: "nodes", lazy: () => import("./pages/nodes").then((m) => ({ Component: m.NodesPage })) },
      { path: "sources", lazy: () => import("./pages/sources").then((m) => ({ Component: m.SourcesPage })) },
      { path: "import", lazy: () => import("./pages/import").then((m) => ({ Component: m.ImportPage })) },
      { path: "keys", lazy: () => import("./pages/keys").then((m) => ({ Component: m.KeysPage })) },
      { path: "audit", lazy: () => import("./pages/audit").then((m) => ({ Component: m.AuditPage })) },
      { path: "*", lazy: () => import("./pages/not-found").then((m) => ({ Component: m.NotFoundPage })) },
    ],
  },
]);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
