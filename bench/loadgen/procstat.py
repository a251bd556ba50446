"""Process figures from /proc (no psutil here): RSS (VmRSS), CPU time (utime + stime), the process
tree under a pid, the processes listening on a TCP port, and the machine's busy share."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
MAX_PROCS = 100_000   # bound for every walk over /proc


@dataclass(slots=True)
class ProcSample:
    pid: int
    ppid: int
    name: str
    cpu_s: float          # utime + stime, seconds
    rss_kb: int
    wait_s: float = 0.0   # time its threads were runnable but waiting for a CPU (schedstat), seconds


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm is in parentheses and may hold spaces: split after the last ')'
    close = raw.rfind(")")
    return [raw[raw.find("(") + 1:close], *raw[close + 2:].split()]


def cpu_split(pid: int) -> tuple[float, float] | None:
    """(user, system) CPU seconds so far."""
    f = _stat_fields(pid)
    if f is None:
        return None
    # f[0] is comm, f[k] is field k+2 of proc(5)'s stat: utime is field 14, stime 15
    return int(f[12]) / CLK_TCK, int(f[13]) / CLK_TCK


def cpu_seconds(pid: int) -> float | None:
    split = cpu_split(pid)
    return None if split is None else split[0] + split[1]


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return 0  # a zombie has no VmRSS line


def pss_kb(pid: int) -> int | None:
    """Proportional set size: shared pages (a forked worker's copy-on-write heap, libraries) divided
    among the processes sharing them, so a sum over workers does not count them twice."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return None
    return 0


def describe(pid: int) -> str:
    """A short name: the command line's interesting part (granian worker, reflex run, python -m …)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    args = [a.decode(errors="replace") for a in argv if a]
    if not args:
        f = _stat_fields(pid)
        return f[0] if f else "?"
    if " " in args[0]:  # a process title (PostgreSQL backends, redis-server), not a path
        return args[0][:60]
    words = [os.path.basename(args[0])] + args[1:]
    if os.path.basename(args[0]).startswith("python") and len(args) > 1:
        words = [os.path.basename(args[1])] + args[2:]
    return " ".join(words)[:60]


def sample(pid: int) -> ProcSample | None:
    f, rss = _stat_fields(pid), rss_kb(pid)
    if f is None or rss is None:
        return None
    return ProcSample(pid, int(f[2]), describe(pid), (int(f[12]) + int(f[13])) / CLK_TCK, rss, runqueue_wait_s(pid))


def runqueue_wait_s(pid: int) -> float:
    """Seconds the process's threads have spent runnable but not running (the second field of
    /proc/<pid>/task/<tid>/schedstat, in ns): on a shared machine, how long the app waited for a CPU."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tids[:10_000]:
        try:
            total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def _all_pids() -> list[int]:
    pids = []
    for i, entry in enumerate(os.scandir("/proc")):
        if i > MAX_PROCS:
            break
        if entry.name.isdigit():
            pids.append(int(entry.name))
    return pids


def tree(root: int) -> list[int]:
    """root and all its descendants (parents from /proc/<pid>/stat)."""
    children: dict[int, list[int]] = {}
    for pid in _all_pids():
        f = _stat_fields(pid)
        if f is not None:
            children.setdefault(int(f[2]), []).append(pid)
    found, todo = [], [root]
    for _ in range(MAX_PROCS):
        if not todo:
            break
        pid = todo.pop()
        if pid in found:
            continue
        found.append(pid)
        todo.extend(children.get(pid, []))
    return sorted(found)


def pids_by_cmdline(prefix: bytes, contains: bytes = b"") -> list[int]:
    """Processes whose command line starts with `prefix` (and holds `contains`), e.g. PostgreSQL backends,
    whose title is `postgres: <user> <database> <client> <state>`."""
    found = []
    for pid in _all_pids():
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if cmd.startswith(prefix) and contains in cmd:
            found.append(pid)
    return found


def listening_pids(port: int) -> list[int]:
    """The processes holding a listening TCP socket on `port` (IPv4 or IPv6): a granian server and its
    workers all hold the inherited socket."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{cols[9]}]")
    holders = []
    for pid in _all_pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds[:100_000]:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    holders.append(pid)
                    break
            except OSError:
                continue
    return holders


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    cols = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = cols[3] + (cols[4] if len(cols) > 4 else 0)  # idle + iowait
    return sum(cols) - idle, sum(cols)
