/**
 * The step launcher: a small Python program that the spawner helper (helper-source.ts) starts once and
 * asks to start each step's process, because Node cannot start a process cheaply on Linux: libuv forks
 * the whole calling process, which cost the helper 3–4.5 ms of CPU a step on this 2-core machine
 * (page tables copied, then faulted back), where Python's subprocess uses vfork and costs the launcher
 * about 1 ms a step, the helper's own share falling to 0.3–0.7 ms (bench in the commit that added it).
 * The helper keeps everything else (its channel with the worker, the step folders, orphan handling).
 *
 * Run as `python3 -I -S -u -X utf8 -c <source> [pid file descriptor]`: no site, no user site, no PYTHON* variables, and
 * UTF-8 for arguments, paths and the environment, as Node encodes them.
 *
 * Protocol. Helper to launcher, one JSON object a line on stdin:
 *   {op: "env", env} (the common part of the steps' environments, once)
 *   {op: "spawn", id, program, args, cwd, env | envSet and envUnset (what differs from the common part)}
 *   {op: "kill", id, signal}   {op: "pause"|"resume", id}   {op: "stop"} (the worker is gone: see below)
 * Launcher to helper, on stdout, frames of a 9-byte header (type u8, id u32 BE, length u32 BE) and a
 * body: type 1 and 2 are a chunk of a step's stdout and stderr, type 3 an event in JSON:
 *   {op: "ready"} (id 0, once started)   {op: "pid", pid}   {op: "end", code, signal}
 *   {op: "error", code, message} (the process could not start: code is the errno's name, as Node's)
 * A step's pid is written at once to the pid file, the helper's file on fd 3 when it gave one: 8 bytes
 * (id, pid; u32 BE) at offset 8 * (id % 65536), read only if this process dies (its steps must then
 * be killed by someone else). Its pid event waits for the next frames written for another reason
 * (output, an end), and is not sent for a step that ended by then: a write wakes the helper, which
 * wakes the worker, each costing both sides CPU (about 0.1 ms a step together, measured here), and
 * neither needs the pid of a step that ended. Without a pid file, pid events go at once.
 * A step's end comes once its process was reaped and both its pipes reached their end. When the
 * process exits, its group is killed first (SIGKILL, while its zombie still holds the group's id):
 * background processes it left would otherwise hold its output open. Pause and resume stop and restart
 * the reading of a step's pipes, so a step that writes faster than the worker can store blocks on a
 * full pipe. On `stop` (the helper's worker is gone), every step's group gets SIGTERM, SIGKILL half a
 * second later, and the launcher exits. When stdin ends without it (the helper died, however), every
 * step's group gets SIGKILL at once, as the worker would have done: it may not know their pids.
 *
 * Python 3.8 or later (the marker comment on the first line is how bench/lib/timing.mjs tells it from a
 * step); an older one exits with code 3 before `ready`, and the helper then starts steps itself.
 */
export const LAUNCHER_SOURCE = String.raw`# gantry-step-launcher
import errno, json, os, select, signal, struct, subprocess, sys, time
if sys.version_info < (3, 8):
    sys.exit(3)
HEAD = struct.Struct(">BII")
EVENT = 3
# epoll where there is one (poll elsewhere), without the selectors module's objects for each call.
poller = select.epoll() if hasattr(select, "epoll") else select.poll()
READ = select.POLLIN
# Each polled descriptor's step (None: stdin, the wakeup pipe).
owners = {}
steps = {}
by_pid = {}
out = bytearray()
devnull = os.open(os.devnull, os.O_RDONLY)
wake_r, wake_w = os.pipe()
base_env = {}
PID_RECORD = struct.Struct(">II")
PID_SLOTS = 65536
# Steps whose pid event waits for the next frames written (see above), by id.
held = {}
# The pid file's descriptor, when the helper gave one (its argument).
pid_file = int(sys.argv[1]) if len(sys.argv) > 1 else None


class Step:
    __slots__ = ("id", "pid", "proc", "fds", "paused", "status")


def event(ident, fields):
    body = json.dumps(fields).encode()
    out.extend(HEAD.pack(EVENT, ident, len(body)))
    out.extend(body)


def flush():
    view = memoryview(out)
    done = 0
    try:
        while done < len(view):
            done += os.write(1, view[done:])
    finally:
        view.release()
        del out[:done]


def group(step, sig):
    try:
        os.killpg(step.pid, sig)
    except OSError:
        pass


def finish(step):
    if step.fds or step.status is None:
        return
    del steps[step.id]
    held.pop(step.id, None)
    status = step.status
    if os.WIFSIGNALED(status):
        try:
            name = signal.Signals(os.WTERMSIG(status)).name
        except ValueError:
            name = None
        event(step.id, {"op": "end", "code": None, "signal": name})
    else:
        event(step.id, {"op": "end", "code": os.WEXITSTATUS(status), "signal": None})


def spawn(m):
    ident = m["id"]
    env = m.get("env")
    if env is None:
        env = dict(base_env)
        env.update(m["envSet"])
        for name in m["envUnset"]:
            env.pop(name, None)
    fds = []
    try:
        r1, w1 = os.pipe()
        fds += [r1, w1]
        r2, w2 = os.pipe()
        fds += [r2, w2]
        # vfork and exec (Python 3.10 and later): the cost does not grow with this process's memory.
        proc = subprocess.Popen([m["program"]] + m["args"], stdin=devnull, stdout=w1, stderr=w2,
                                cwd=m["cwd"], env=env, close_fds=True, start_new_session=True)
    except Exception as e:
        for fd in fds:
            os.close(fd)
        code = errno.errorcode.get(e.errno) if isinstance(e, OSError) and e.errno else None
        # Node's wording, which the worker's messages expect.
        message = "spawn %s %s" % (m["program"], code) if code else str(e)
        event(ident, {"op": "error", "code": code, "message": message})
        return
    os.close(w1)
    os.close(w2)
    step = Step()
    step.id = ident
    step.pid = proc.pid
    step.proc = proc
    step.fds = {r1: 1, r2: 2}
    step.paused = False
    step.status = None
    steps[ident] = step
    by_pid[proc.pid] = step
    for fd in step.fds:
        os.set_blocking(fd, False)
        poller.register(fd, READ)
        owners[fd] = step
    if pid_file is None:
        event(ident, {"op": "pid", "pid": proc.pid})
        return
    try:
        os.pwrite(pid_file, PID_RECORD.pack(ident, proc.pid), (ident % PID_SLOTS) * PID_RECORD.size)
        held[ident] = proc.pid
    except OSError:
        event(ident, {"op": "pid", "pid": proc.pid})


def request(m):
    global base_env
    op = m["op"]
    if op == "spawn":
        return spawn(m)
    if op == "env":
        base_env = m["env"]
        return
    if op == "stop":
        orphaned(signal.SIGTERM)
    step = steps.get(m["id"])
    if step is None:
        return
    if op == "kill":
        group(step, getattr(signal, m["signal"], signal.SIGTERM))
    elif op == "pause" and not step.paused:
        step.paused = True
        for fd in step.fds:
            poller.unregister(fd)
    elif op == "resume" and step.paused:
        step.paused = False
        for fd in step.fds:
            poller.register(fd, READ)


def reap():
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid == 0:
            return
        step = by_pid.pop(info.si_pid, None)
        if step is not None:
            group(step, signal.SIGKILL)
        _, status = os.waitpid(info.si_pid, 0)
        if step is not None:
            step.status = status
            # Reaped here: Popen must not wait for it (nor list it as a child to reap later).
            step.proc.returncode = status
            finish(step)


def orphaned(first):
    for step in steps.values():
        group(step, first)
    if steps and first != signal.SIGKILL:
        time.sleep(0.5)
        for step in steps.values():
            group(step, signal.SIGKILL)
    os._exit(0)


def main():
    os.set_blocking(1, True)
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    # Ctrl-C in a terminal ends it silently, as it does the helper (and steps, in sessions of their own,
    # never see it); SIGCHLD only wakes the loop, through the wakeup pipe.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    for fd in (wake_r, 0):
        poller.register(fd, READ)
        owners[fd] = None
    pending = b""
    event(0, {"op": "ready"})
    while True:
        if out:
            for ident, pid in held.items():
                event(ident, {"op": "pid", "pid": pid})
            held.clear()
            try:
                flush()
            except OSError:
                orphaned(signal.SIGKILL)
        for fd, _ in poller.poll():
            step = owners.get(fd)
            if step is not None:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if data:
                    out.extend(HEAD.pack(step.fds[fd], step.id, len(data)))
                    out.extend(data)
                    continue
                poller.unregister(fd)
                del owners[fd]
                os.close(fd)
                del step.fds[fd]
                finish(step)
            elif fd == 0:
                data = os.read(0, 65536)
                if not data:
                    orphaned(signal.SIGKILL)
                lines = (pending + data).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    request(json.loads(line))
            else:
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
                reap()


main()
`;
