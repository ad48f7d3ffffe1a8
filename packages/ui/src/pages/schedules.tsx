import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ChevronDown, ChevronRight, Pause, Play, Zap } from "lucide-react";
import { Fragment, useState } from "react";
import { Link, useNavigate } from "react-router";
import { ErrorNote, PageHeader } from "@/components/page-header";
import { StatusBadge } from "@/components/status-badge";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { endpoints, type Schedule } from "@/lib/api";
import { formatTime, timeAgo } from "@/lib/format";
import { useNow } from "@/lib/use-now";

const FIRE_STATUS: Record<string, string> = {
  fired: "succeeded",
  skipped: "skipped",
  missed: "cancelled",
  failed: "failed",
};

export function SchedulesPage() {
  const now = useNow(30_000);
  // 100 next times is the API's cap: enough for a 24-hour view of anything slower than every 15 minutes.
  const schedules = useQuery({
    queryKey: ["schedules"],
    queryFn: () => endpoints.schedules(100),
    refetchInterval: 10_000,
  });
  const [open, setOpen] = useState<string | null>(null);
  if (schedules.error) return <ErrorNote error={schedules.error} />;
  const list = schedules.data?.schedules;
  return (
    <>
      <PageHeader
        title="Schedules"
        description="Cron schedules from every workflow's on.schedule, their next fires and their history."
      />
      <Card>
        <CardHeader>
          <CardTitle>Next 24 hours</CardTitle>
        </CardHeader>
        <CardContent>
          {list ? <Calendar schedules={list} now={now} /> : <Skeleton className="h-32" />}
        </CardContent>
      </Card>
      <Card className="mt-4">
        <CardHeader>
          <CardTitle>All schedules</CardTitle>
        </CardHeader>
        <CardContent>
          {!list ? (
            <Skeleton className="h-40" />
          ) : list.length === 0 ? (
            <p className="py-6 text-center text-sm text-muted-foreground">
              No workflow has an on.schedule trigger.
            </p>
          ) : (
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead className="w-8" />
                  <TableHead>Schedule</TableHead>
                  <TableHead>Cron</TableHead>
                  <TableHead>State</TableHead>
                  <TableHead>Next</TableHead>
                  <TableHead>Last fire</TableHead>
                  <TableHead className="text-right">Actions</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {list.map((s) => (
                  <Fragment key={s.id}>
                    <TableRow data-schedule={s.id}>
                      <TableCell>
                        <Button
                          variant="ghost"
                          size="icon"
                          aria-expanded={open === s.id}
                          aria-label={`History of ${s.id}`}
                          onClick={() => setOpen(open === s.id ? null : s.id)}
                        >
                          {open === s.id ? <ChevronDown /> : <ChevronRight />}
                        </Button>
                      </TableCell>
                      <TableCell>
                        <Link
                          className="font-medium hover:underline"
                          to={`/workflows/${encodeURIComponent(s.workflow)}`}
                        >
                          {s.id}
                        </Link>
                        <p className="text-xs text-muted-foreground">
                          concurrency {s.concurrency} · catch-up {s.catch_up}
                        </p>
                      </TableCell>
                      <TableCell className="font-mono text-xs">
                        {s.cron}
                        <p className="text-muted-foreground">{s.timezone}</p>
                      </TableCell>
                      <TableCell>
                        <Badge variant={s.state === "active" ? "success" : "warning"}>{s.state}</Badge>
                      </TableCell>
                      <TableCell title={formatTime(s.next[0])}>
                        {s.next[0] ? timeAgo(s.next[0], now) : "–"}
                      </TableCell>
                      <TableCell>
                        {s.last_fire ? (
                          <span className="flex items-center gap-2">
                            <StatusBadge status={FIRE_STATUS[s.last_fire.status] ?? s.last_fire.status} />
                            <span className="text-xs text-muted-foreground">
                              {timeAgo(s.last_fire.scheduled_time, now)}
                            </span>
                          </span>
                        ) : (
                          <span className="text-xs text-muted-foreground">never</span>
                        )}
                      </TableCell>
                      <TableCell className="text-right">
                        <ScheduleActions schedule={s} />
                      </TableCell>
                    </TableRow>
                    {open === s.id ? (
                      <TableRow>
                        <TableCell colSpan={7}>
                          <FireHistory id={s.id} />
                        </TableCell>
                      </TableRow>
                    ) : null}
                  </Fragment>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
    </>
  );
}

function ScheduleActions({ schedule }: { schedule: Schedule }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const refresh = () => client.invalidateQueries({ queryKey: ["schedules"] });
  const suspend = useMutation({
    mutationFn: () => endpoints.setSuspended(schedule.id, schedule.state === "active"),
    onSuccess: refresh,
  });
  const fire = useMutation({
    mutationFn: () => endpoints.fireNow(schedule.id),
    onSuccess: (fired) => (fired.run_id ? navigate(`/runs/${fired.run_id}`) : refresh()),
  });
  return (
    <span className="inline-flex gap-2">
      <Button variant="outline" size="sm" onClick={() => suspend.mutate()} disabled={suspend.isPending}>
        {schedule.state === "active" ? <Pause aria-hidden /> : <Play aria-hidden />}
        {schedule.state === "active" ? "Suspend" : "Resume"}
      </Button>
      <Button variant="outline" size="sm" onClick={() => fire.mutate()} disabled={fire.isPending}>
        <Zap aria-hidden />
        Fire now
      </Button>
    </span>
  );
}

function FireHistory({ id }: { id: string }) {
  const fires = useQuery({ queryKey: ["schedule-fires", id], queryFn: () => endpoints.scheduleFires(id) });
  if (fires.error) return <ErrorNote error={fires.error} />;
  if (!fires.data) return <Skeleton className="h-16" />;
  if (fires.data.fires.length === 0) return <p className="text-sm text-muted-foreground">Not fired yet.</p>;
  return (
    <ul className="divide-y text-sm" aria-label={`Fire history of ${id}`}>
      {fires.data.fires.map((fire) => (
        <li key={`${fire.scheduled_time}-${fire.kind}`} className="flex items-center gap-3 py-1.5">
          <span className="w-52 tabular-nums">{formatTime(fire.scheduled_time)}</span>
          <Badge variant="outline">{fire.kind}</Badge>
          <StatusBadge status={FIRE_STATUS[fire.status] ?? fire.status} />
          <span className="text-xs text-muted-foreground">{fire.status}</span>
          {fire.reason ? <span className="text-xs text-muted-foreground">{fire.reason}</span> : null}
          {fire.run_id ? (
            <Link className="ml-auto font-mono text-xs underline" to={`/runs/${fire.run_id}`}>
              {fire.run_id.slice(0, 8)}
            </Link>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

const HOUR = 3_600_000;

/** One row per schedule, one column per hour from now: a tick for each fire in the next 24 hours. */
function Calendar({ schedules, now }: { schedules: Schedule[]; now: number }) {
  const start = Math.floor(now / HOUR) * HOUR;
  const hours = Array.from({ length: 24 }, (_, i) => start + i * HOUR);
  const active = schedules.filter((s) => s.state === "active");
  if (active.length === 0) return <p className="text-sm text-muted-foreground">No active schedule.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full table-fixed border-collapse text-xs" aria-label="Fires in the next 24 hours">
        <thead>
          <tr className="text-[10px] text-muted-foreground">
            <th scope="col" className="w-48 text-left font-normal">
              Schedule
            </th>
            {hours.map((h) => (
              <th scope="col" key={h} className="w-7 border-l pl-0.5 text-left font-normal">
                {new Date(h).toLocaleTimeString(undefined, { hour: "2-digit" })}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {active.map((s) => {
            const times = s.next.map((t) => Date.parse(t)).filter((t) => t < start + 24 * HOUR);
            return (
              <tr key={s.id} className="h-7 border-t" data-calendar-row={s.id}>
                <th
                  scope="row"
                  className="truncate pr-2 text-left font-normal"
                  title={`${s.id} · ${s.cron} (${s.timezone})`}
                >
                  {s.id}
                </th>
                {hours.map((h) => (
                  <td key={h} className="relative border-l">
                    {times
                      .filter((t) => t >= h && t < h + HOUR)
                      .map((t) => (
                        <span
                          key={t}
                          role="img"
                          aria-label={`fires at ${new Date(t).toLocaleString()}`}
                          title={new Date(t).toLocaleString()}
                          className="absolute top-1.5 h-4 w-0.5 rounded bg-info"
                          style={{ left: `${((t - h) / HOUR) * 100}%` }}
                        />
                      ))}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {active.some((s) => s.next.length === 100) ? (
        <p className="mt-2 text-xs text-muted-foreground">
          Schedules firing more than 100 times a day show their first 100 fires.
        </p>
      ) : null}
    </div>
  );
}
