import { useQuery, useQueryClient } from "@tanstack/react-query";
import { LogOut, UserRound } from "lucide-react";
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { endpoints, type Me, setCsrfToken } from "@/lib/api";
import { onSignedOut } from "@/lib/signed-out";
import { KeySignIn } from "./key-sign-in";

const SessionContext = createContext<Me | undefined>(undefined);

/** Who is signed in; pages hide what the role may not do (the server enforces it regardless). */
export function useSession(): Me | undefined {
  return useContext(SessionContext);
}

export function canOperate(me: Me | undefined): boolean {
  return !me || me.role === "operator" || me.role === "admin";
}

/**
 * Asks the server who this is before showing anything. Not signed in, with OIDC configured: off to the
 * identity provider, coming back to the same page. Without OIDC: the API-key sign-in page, in place, so
 * the page asked for opens once signed in. A 401 or a closed-for-credentials WebSocket later (an expired
 * session, a revoked key) asks again, which leads to the same places.
 */
export function SessionGate({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const me = useQuery({ queryKey: ["me"], queryFn: endpoints.me, staleTime: 60_000, retry: false });
  const [wasSignedIn, setWasSignedIn] = useState(false);
  useEffect(() => setCsrfToken(me.data?.csrf_token), [me.data]);
  useEffect(() => {
    if (me.data?.authenticated) setWasSignedIn(true);
  }, [me.data]);
  useEffect(() => onSignedOut(() => void queryClient.invalidateQueries({ queryKey: ["me"] })), [queryClient]);
  const mustSignIn = me.data && !me.data.authenticated && me.data.login_url;
  useEffect(() => {
    if (mustSignIn && me.data?.login_url) {
      const returnTo = location.pathname + location.search;
      location.assign(`${me.data.login_url}?return_to=${encodeURIComponent(returnTo)}`);
    }
  }, [mustSignIn, me.data]);
  if (me.isPending || mustSignIn) return <Skeleton className="m-6 h-40" />;
  if (me.data && !me.data.authenticated) {
    if (me.data.key_login_url) return <KeySignIn expired={wasSignedIn} />;
    return (
      <p role="alert" className="m-6 text-sm">
        This server needs an API key and offers no sign-in page. Use the API with
        <code className="mx-1">Authorization: Bearer …</code>.
      </p>
    );
  }
  return <SessionContext.Provider value={me.data}>{children}</SessionContext.Provider>;
}

export function UserMenu() {
  const me = useSession();
  if (!me?.authenticated) return null;
  const signOut = async () => {
    const result = await endpoints.logout();
    location.assign(result.logout_url ?? "/");
  };
  return (
    <div className="flex items-center gap-2 text-sm">
      <UserRound aria-hidden className="size-4" />
      <span>
        {me.kind === "local" ? "local user" : (me.name ?? me.id)}
        <span className="ml-1 text-xs text-muted-foreground">({me.role})</span>
      </span>
      {me.kind === "user" || (me.kind === "key" && me.csrf_token) ? (
        <Button variant="ghost" size="icon" onClick={signOut} aria-label="Sign out">
          <LogOut />
        </Button>
      ) : null}
    </div>
  );
}
