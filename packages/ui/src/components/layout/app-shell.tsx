import { Suspense } from "react";
import { NavLink, Outlet } from "react-router";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";
import { CommandPalette } from "./command-palette";
import { NAV_ITEMS } from "./nav-items";
import { SessionGate, UserMenu, useSession } from "./session";
import { ThemeToggle } from "./theme-toggle";

export function AppShell() {
  return (
    <SessionGate>
      <Shell />
    </SessionGate>
  );
}

function Shell() {
  const me = useSession();
  const items = NAV_ITEMS.filter((item) => !item.admin || !me || me.role === "admin");
  return (
    <div className="flex min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:m-2 focus:rounded focus:bg-background focus:p-2"
      >
        Skip to content
      </a>
      <aside className="w-52 shrink-0 border-r bg-sidebar">
        <div className="flex h-14 items-center gap-2 px-4 text-lg font-semibold">
          <span aria-hidden className="inline-block size-5 rounded bg-primary" />
          Gantry
        </div>
        <nav aria-label="Main">
          <ul className="flex flex-col gap-0.5 px-2">
            {items.map(({ to, label, Icon }) => (
              <li key={to}>
                <NavLink
                  to={to}
                  end={to === "/"}
                  className={({ isActive }) =>
                    cn(
                      "flex items-center gap-2 rounded-md px-3 py-2 text-sm hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                      isActive && "bg-accent font-medium",
                    )
                  }
                >
                  <Icon aria-hidden className="size-4" />
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-14 items-center gap-3 border-b px-6">
          <CommandPalette />
          <div className="ml-auto flex items-center gap-2">
            <UserMenu />
            <ThemeToggle />
          </div>
        </header>
        <main id="main" className="min-w-0 flex-1 p-6">
          <Suspense fallback={<Skeleton className="h-40 w-full" />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}
