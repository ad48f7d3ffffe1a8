import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Copy, KeyRound, Trash2 } from "lucide-react";
import { type FormEvent, useState } from "react";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { ApiError, endpoints } from "@/lib/api";
import { formatTime, timeAgo } from "@/lib/format";
import { useNow } from "@/lib/use-now";

/** API keys for scripts and machines: created here (shown once), listed without the key, revoked. */
export function KeysPage() {
  const now = useNow(30_000);
  const client = useQueryClient();
  const keys = useQuery({ queryKey: ["keys"], queryFn: endpoints.keys });
  const forbidden = keys.error instanceof ApiError && keys.error.status === 403;
  const revoke = useMutation({
    mutationFn: endpoints.revokeKey,
    onSuccess: () => client.invalidateQueries({ queryKey: ["keys"] }),
  });
  return (
    <>
      <PageHeader
        title="API keys"
        description="Sent as Authorization: Bearer <key>. Gantry keeps only a hash: a key is shown once."
      />
      {/* Only admins manage keys: after a 403 the form would only invite another refusal. */}
      {forbidden ? null : <CreateKey />}
      <Card className="mt-4">
        <CardHeader>
          <CardTitle>Keys</CardTitle>
        </CardHeader>
        <CardContent>
          {keys.error ? <ErrorNote error={keys.error} /> : null}
          {!keys.data ? (
            <Skeleton className="h-24" />
          ) : keys.data.keys.length === 0 ? (
            <p className="py-6 text-center text-sm text-muted-foreground">No API keys yet.</p>
          ) : (
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead>Role</TableHead>
                  <TableHead>Key</TableHead>
                  <TableHead>State</TableHead>
                  <TableHead>Last used</TableHead>
                  <TableHead>Expires</TableHead>
                  <TableHead className="text-right">Revoke</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {keys.data.keys.map((key) => (
                  <TableRow key={key.id} data-key={key.name}>
                    <TableCell>
                      {key.name}
                      <p className="text-xs text-muted-foreground">
                        by {key.created_by}, {timeAgo(key.created_at, now)}
                      </p>
                    </TableCell>
                    <TableCell>
                      {key.role}
                      {key.scope ? (
                        <span className="text-xs text-muted-foreground"> · {key.scope}</span>
                      ) : null}
                      {key.labels?.length ? (
                        <span className="text-xs text-muted-foreground">
                          {" "}
                          · labels {key.labels.join(", ")}
                        </span>
                      ) : null}
                    </TableCell>
                    <TableCell className="font-mono text-xs">{key.hint}…</TableCell>
                    <TableCell>
                      <Badge variant={key.state === "active" ? "success" : "outline"}>{key.state}</Badge>
                    </TableCell>
                    <TableCell title={formatTime(key.last_used_at)}>
                      {key.last_used_at ? timeAgo(key.last_used_at, now) : "never"}
                    </TableCell>
                    <TableCell title={formatTime(key.expires_at)}>
                      {key.expires_at ? timeAgo(key.expires_at, now) : "never"}
                    </TableCell>
                    <TableCell className="text-right">
                      {key.state === "active" ? (
                        <Button
                          variant="outline"
                          size="sm"
                          aria-label={`Revoke ${key.name}`}
                          disabled={revoke.isPending}
                          onClick={() => {
                            if (
                              confirm(`Revoke the key "${key.name}"? Scripts using it stop working at once.`)
                            )
                              revoke.mutate(key.id);
                          }}
                        >
                          <Trash2 aria-hidden />
                          Revoke
                        </Button>
                      ) : null}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          {revoke.error ? <ErrorNote error={revoke.error} /> : null}
        </CardContent>
      </Card>
    </>
  );
}

function CreateKey() {
  const client = useQueryClient();
  const [name, setName] = useState("");
  const [role, setRole] = useState("operator");
  const [expires, setExpires] = useState("90d");
  const [labels, setLabels] = useState("");
  const labelList = labels
    .split(",")
    .map((label) => label.trim())
    .filter(Boolean);
  const create = useMutation({
    mutationFn: () =>
      endpoints.createKey({
        name,
        role,
        ...(role === "agent" && labelList.length ? { labels: labelList } : {}),
        ...(expires ? { expires_in: expires } : {}),
      }),
    onSuccess: () => {
      setName("");
      client.invalidateQueries({ queryKey: ["keys"] });
    },
  });
  const fieldError = (field: string) =>
    create.error instanceof ApiError
      ? create.error.errors.find((e) => e.field === field)?.message
      : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <Card>
      <CardHeader>
        <CardTitle>New key</CardTitle>
      </CardHeader>
      <CardContent>
        <form className="flex flex-wrap items-end gap-3" onSubmit={submit} aria-label="Create an API key">
          <div className="flex flex-col gap-1">
            <label htmlFor="key-name" className="text-sm font-medium">
              Name <span aria-hidden>*</span>
            </label>
            <Input
              id="key-name"
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              className="w-56"
              aria-invalid={!!fieldError("name")}
            />
          </div>
          <div className="flex flex-col gap-1">
            <label htmlFor="key-role" className="text-sm font-medium">
              Role
            </label>
            <NativeSelect id="key-role" value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="viewer">viewer: read</option>
              <option value="operator">operator: start, cancel, re-run</option>
              <option value="admin">admin: everything</option>
              <option value="agent">agent: gantry agent, runs jobs its labels match</option>
            </NativeSelect>
          </div>
          {role === "agent" ? (
            <div className="flex flex-col gap-1">
              <label htmlFor="key-labels" className="text-sm font-medium">
                Labels
              </label>
              <Input
                id="key-labels"
                value={labels}
                onChange={(e) => setLabels(e.target.value)}
                placeholder="linux, gpu"
                className="w-40"
                aria-invalid={!!fieldError("labels")}
              />
            </div>
          ) : null}
          <div className="flex flex-col gap-1">
            <label htmlFor="key-expires" className="text-sm font-medium">
              Expires in
            </label>
            <Input
              id="key-expires"
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
              placeholder="never"
              className="w-28"
            />
          </div>
          <Button type="submit" disabled={create.isPending || !name.trim()}>
            <KeyRound aria-hidden />
            Create key
          </Button>
        </form>
        {create.error ? <ErrorNote error={create.error} /> : null}
        {create.data ? <NewKey name={create.data.name} secret={create.data.key} /> : null}
      </CardContent>
    </Card>
  );
}

function NewKey({ name, secret }: { name: string; secret: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="mt-4 rounded-md border border-success/40 bg-success/10 p-3 text-sm">
      <p>
        The key <strong>{name}</strong>. Copy it now: it is not shown again.
      </p>
      <div className="mt-2 flex items-center gap-2">
        <code className="break-all rounded bg-background px-2 py-1 font-mono text-xs" data-new-key>
          {secret}
        </code>
        <Button
          variant="outline"
          size="sm"
          onClick={async () => {
            await navigator.clipboard.writeText(secret);
            setCopied(true);
          }}
        >
          <Copy aria-hidden />
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </div>
  );
}
