import type { Client, ClientChannel } from "ssh2";

/** A POSIX shell word for any text: single quotes, with each quote closed, escaped and reopened. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * A command for the node's login shell, whatever it is: the text runs under `sh -c`, so commands are
 * POSIX sh whether the user's shell is bash, dash, zsh or fish.
 */
export function shCommand(script: string): string {
  return `sh -c ${shellQuote(script)}`;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** Runs a short command and collects its output (for mktemp, cat, rm: a few bytes, capped at 1 MiB). */
export function execCollect(client: Client, command: string, stdin?: Buffer | string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      const keep = (list: Buffer[]) => (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 1024 * 1024) list.push(chunk);
      };
      let code: number | null = null;
      let signal: string | undefined;
      channel.on("data", keep(out));
      channel.stderr.on("data", keep(err));
      channel.on("exit", (c: number | null, s?: string) => {
        code = c;
        signal = s;
      });
      channel.on("close", () =>
        resolve({
          code,
          ...(signal ? { signal } : {}),
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
        }),
      );
      channel.end(stdin);
    });
  });
}

/** Starts a long command, handing back its channel (stdout, stderr, exit) for the caller to stream. */
export function execStream(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => (error ? reject(error) : resolve(channel)));
  });
}

/**
 * The step's wrapper, run by `sh` on the node with the step folder and the program as arguments. It
 * loads the environment from a private file (values never appear on a command line), starts the program
 * in a session of its own (setsid, where there is one) so that stopping it stops what it started, and
 * watches its own stdin: the worker ends stdin to stop the step (cancel, timeout), and a lost connection
 * ends it too, so no step outlives the worker's hold on it. After the program exits, whatever it left
 * running in its session is killed, as the local runner does.
 */
export function wrapperScript(killGraceSeconds: number): string {
  return `d="$1"; shift
exec 3<&0
. "$d/env.sh" || exit 125
cd "$GANTRY_CWD" || exit 125
unset GANTRY_CWD
if command -v setsid >/dev/null 2>&1; then
  setsid "$@" </dev/null 3<&- &
else
  "$@" </dev/null 3<&- &
fi
pid=$!
echo "$pid" > "$d/pid"
(
  cat <&3 >/dev/null
  kill -TERM -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  sleep ${killGraceSeconds}
  kill -KILL -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
) </dev/null >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait "$pid"
code=$?
kill "$watcher" 2>/dev/null
kill -KILL -"$pid" 2>/dev/null
exit "$code"
`;
}
