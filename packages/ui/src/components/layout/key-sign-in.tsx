import { useMutation, useQueryClient } from "@tanstack/react-query";
import { KeyRound } from "lucide-react";
import { type FormEvent, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { ApiError, endpoints } from "@/lib/api";

/**
 * The sign-in page of a server without OIDC: an API key pasted here becomes a session cookie (the key
 * itself is never kept by the page), and the page the person asked for opens once it is accepted.
 */
export function KeySignIn({ expired }: { expired: boolean }) {
  const queryClient = useQueryClient();
  const [key, setKey] = useState("");
  const signIn = useMutation({
    mutationFn: (value: string) => endpoints.keySignIn(value),
    onSuccess: async () => {
      setKey("");
      await queryClient.invalidateQueries();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim()) signIn.mutate(key.trim());
  };
  const error = signIn.error instanceof ApiError ? signIn.error.message : signIn.error?.message;
  return (
    <main className="flex min-h-screen items-center justify-center bg-muted/30 p-6">
      <Card className="w-full max-w-md">
        <CardHeader>
          <CardTitle className="flex items-center gap-2 text-base">
            <KeyRound aria-hidden className="size-4" /> Sign in to Gantry
          </CardTitle>
          <CardDescription>
            {expired
              ? "Your session ended. Sign in again to go on where you were."
              : "This server signs people in with an API key."}{" "}
            An admin creates one with
            <code className="mt-1 block whitespace-nowrap text-xs">
              gantry keys create --name you --role viewer
            </code>
          </CardDescription>
        </CardHeader>
        <CardContent>
          <form className="flex flex-col gap-3" onSubmit={submit}>
            <label className="flex flex-col gap-1 text-sm font-medium" htmlFor="api-key">
              API key
              <Input
                id="api-key"
                type="password"
                autoComplete="current-password"
                placeholder="gantry_…"
                maxLength={200}
                value={key}
                onChange={(e) => setKey(e.target.value)}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? "api-key-error" : undefined}
              />
            </label>
            {error ? (
              <p id="api-key-error" role="alert" className="text-sm text-destructive">
                {error}
              </p>
            ) : null}
            <Button type="submit" disabled={signIn.isPending || !key.trim()}>
              {signIn.isPending ? "Signing in…" : "Sign in"}
            </Button>
          </form>
        </CardContent>
      </Card>
    </main>
  );
}
