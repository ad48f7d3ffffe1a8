/**
 * The step launcher: a small Python program that a worker starts once (spawner.ts) to start its steps'
 * processes, because Node cannot start a process cheaply on Linux: libuv forks the whole calling
 * process (page tables copied, then faulted back: 3–5 ms of CPU a start on a 2-core VM), where Python's
 * subprocess uses vfork. It also makes and removes the steps' folders, with plain system calls that
 * would each cost the worker a trip through libuv's thread pool. Where there is no Python 3.8, the worker
 * starts the Node helper instead (helper-source.ts), which speaks the same protocol and forks itself.
 *
 * Run as `python3 -I -S -u -X utf8 -c <source> [pid file descriptor]`: no site, no user site, no PYTHON*
 * variables, and UTF-8 for arguments, paths and the environment, as Node encodes them.
 *
 * Protocol (both starters). Worker to starter, one JSON object a line on stdin:
 *   {op: "env", env} (the common part of the steps' environments, once)
 *   {op: "spawn", id, program, args, cwd, env | envSet and envUnset (what differs from the common part),
 *    folder?, spare?}   {op: "kill", id, signal}   {op: "pause"|"resume", id}   {op: "discard", base}
 * `folder` ({base, dirs, files: [path, text][], collect: {path, limit}, summary?: {path, limit}}) is
 * made before the step starts (`base` must not exist, unless it was made ahead as a `spare`), and
 * removed after it ended, once the heads of `collect` and `summary` were read: before its end is
 * sent, so the removal never races with a caller removing their parent. `spare` ({base, dirs, empty})
 * is the next step's folder, made ahead while this one runs; `discard` removes one never used.
 * Starter to worker, on stdout, frames of a 9-byte header (type u8, id u32 BE, length u32 BE) and a
 * body: type 1 and 2 are a chunk of a step's stdout and stderr, 4 and 5 the heads of its `collect` and
 * `summary` files (sent only when not empty, before its end), 3 an event in JSON:
 *   {op: "ready"} (id 0, once started)   {op: "pid", pid}
 *   {op: "end", code, signal, collectError?} (collectError: NOT_A_FILE, or why `collect` was unreadable)
 *   {op: "error", code, message, prepare?} (the process could not start: code is the errno's name, as
 *   Node's; prepare: its folder could not be made)
 * A step's pid is written at once to the pid file, the worker's file on fd 3 when it gave one: 8 bytes
 * (id, pid; u32 BE) at offset 8 * (id % 65536), read only if this process dies (its steps must then be
 * killed by the worker). Its pid event waits for the next frames written for another reason (output,
 * an end), and is not sent for a step that ended by then: a write wakes the worker, and it needs the
 * pid only to end a step still running. Without a pid file, pid events go at once.
 * A step's end comes once its process was reaped and both its pipes reached their end. When the
 * process exits, its group is killed first (SIGKILL, while its zombie still holds the group's id):
 * background processes it left would otherwise hold its output open. Pause and resume stop and restart
 * the reading of a step's pipes, so a step that writes faster than the worker can store blocks on a
 * full pipe. When stdin ends (the worker exited, however: SIGKILL and OOM included, or closed it) or the
 * parent changes, every step's process group gets SIGTERM, SIGKILL half a second later, their folders
 * and those made ahead are removed, and the launcher exits: no step outlives its worker, and the try
 * that runs again elsewhere never overlaps it.
 *
 * Python 3.8 or later (the marker comment on the first line is how bench/lib/timing.mjs tells it from a
 * step); an older one exits with code 3 before `ready`, and the worker then starts the Node helper.
 */
export const LAUNCHER_SOURCE = String.raw`# gantry-step-launcher
import errno, json, os, select, shutil, signal, stat, struct, subprocess, sys, time
if sys.version_info < (3, 8):
    sys.exit(3)
HEAD = struct.Struct(">BII")
EVENT = 3
COLLECTED = 4
SUMMARY = 5
NOT_A_FILE = "not a regular file"
# epoll where there is one (poll elsewhere), without the selectors module's objects for each call.
if hasattr(select, "epoll"):
    poller = select.epoll()
    wait = lambda: poller.poll(0.25)
else:
    poller = select.poll()
    wait = lambda: poller.poll(250)
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
# The pid file's descriptor, when the worker gave one (its argument).
pid_file = int(sys.argv[1]) if len(sys.argv) > 1 else None
# Folders made ahead for coming steps: base -> the folders and empty files made in it.
premade = {}
parent = os.getppid()
WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


class Step:
    __slots__ = ("id", "pid", "proc", "fds", "paused", "status", "folder")


class NotAFile(Exception):
    pass


def frame(kind, ident, body):
    out.extend(HEAD.pack(kind, ident, len(body)))
    out.extend(body)


def event(ident, fields):
    frame(EVENT, ident, json.dumps(fields).encode())


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


def encode(text):
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A lone surrogate (JSON can carry one, UTF-8 cannot) becomes U+FFFD, as Node writes it.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode()


def write_file(path, text):
    data = encode(text)
    fd = os.open(path, WRITE, 0o666)
    try:
        done = 0
        while done < len(data):
            done += os.write(fd, data[done:])
    finally:
        os.close(fd)


def remove_tree(base):
    # Retries: a step's processes killed a moment ago may still be writing in the folder.
    for attempt in range(10):
        try:
            if not stat.S_ISDIR(os.lstat(base).st_mode):
                os.unlink(base)
                return
            shutil.rmtree(base)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)


def make_folder(folder):
    base = folder["base"]
    made = premade.pop(base, None)
    if made is None:
        os.mkdir(base)
        made = ()
    for path in folder["dirs"]:
        if path not in made:
            os.makedirs(path, exist_ok=True)
    for path, text in folder["files"]:
        if not (text == "" and path in made):
            write_file(path, text)


def make_spare(spare):
    base = spare["base"]
    try:
        os.mkdir(base)
        for path in spare["dirs"]:
            os.mkdir(path)
        for path in spare["empty"]:
            os.close(os.open(path, WRITE, 0o666))
        premade[base] = set(spare["dirs"]) | set(spare["empty"])
    except OSError:
        remove_tree(base)


# A step's folder as it was made (the files and folders made in it, last made first): a call each,
# where a tree walk costs about three times as many. Anything else in it (what the step left, a file it
# replaced) sends it to the walk. Its base is checked not to be a symbolic link first: the names below
# it would resolve elsewhere.
def remove_folder(folder):
    base = folder["base"]
    inside = base + os.sep
    try:
        if not stat.S_ISDIR(os.lstat(base).st_mode):
            raise OSError("not a folder")
        for path, _ in folder["files"]:
            if path.startswith(inside):
                os.unlink(path)
        for path in reversed(folder["dirs"]):
            if path.startswith(inside):
                os.rmdir(path)
        os.rmdir(base)
    except OSError:
        remove_tree(base)


# At most limit bytes of a regular file, opened without blocking: a step may have put a FIFO in its
# place, which would stall this process and every later step. Most steps write no output nor summary:
# a stat tells an empty file (or a missing one, or something else) in one call.
def head(path, limit):
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise NotAFile()
    if info.st_size == 0:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotAFile()
        size = min(info.st_size, limit)
        return os.pread(fd, size, 0) if size > 0 else None
    finally:
        os.close(fd)


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
        end = {"op": "end", "code": None, "signal": name}
    else:
        end = {"op": "end", "code": os.WEXITSTATUS(status), "signal": None}
    folder = step.folder
    if folder is not None:
        collect = folder["collect"]
        try:
            data = head(collect["path"], collect["limit"])
            if data:
                frame(COLLECTED, step.id, data)
        except NotAFile:
            end["collectError"] = NOT_A_FILE
        except OSError as e:
            end["collectError"] = str(e)
        summary = folder.get("summary")
        if summary is not None:
            try:
                data = head(summary["path"], summary["limit"])
                if data:
                    frame(SUMMARY, step.id, data)
            except (NotAFile, OSError):
                pass
        remove_folder(folder)
    event(step.id, end)


def spawn(m):
    ident = m["id"]
    folder = m.get("folder")
    if folder is not None:
        try:
            make_folder(folder)
        except Exception as e:
            remove_tree(folder["base"])
            event(ident, {"op": "error", "code": None, "message": str(e), "prepare": True})
            return
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
        if folder is not None:
            remove_folder(folder)
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
    step.folder = folder
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
        spawn(m)
        # The next step's folder, made while this one runs.
        if m.get("spare") is not None:
            make_spare(m["spare"])
        return
    if op == "env":
        base_env = m["env"]
        return
    if op == "discard":
        if premade.pop(m["base"], None) is not None:
            remove_tree(m["base"])
        return
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


def orphaned():
    for step in steps.values():
        group(step, signal.SIGTERM)
    if steps:
        time.sleep(0.5)
        for step in steps.values():
            group(step, signal.SIGKILL)
    for step in steps.values():
        if step.folder is not None:
            remove_tree(step.folder["base"])
    for base in premade:
        remove_tree(base)
    os._exit(0)


def main():
    os.set_blocking(1, True)
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    # Ctrl-C in a terminal ends it silently, as it does the worker (and steps, in sessions of their own,
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
                orphaned()
        ready = wait()
        # The worker is gone and its end of stdin was kept open by someone else.
        if os.getppid() != parent:
            orphaned()
        for fd, _ in ready:
            step = owners.get(fd)
            if step is not None:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if data:
                    frame(step.fds[fd], step.id, data)
                    continue
                poller.unregister(fd)
                del owners[fd]
                os.close(fd)
                del step.fds[fd]
                finish(step)
            elif fd == 0:
                data = os.read(0, 65536)
                if not data:
                    orphaned()
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
