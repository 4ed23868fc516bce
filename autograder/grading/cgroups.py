"""Control groups for one sandbox, on whichever cgroup version the host mounts each controller.

A sandbox gets a pids, a memory and a cpu controller. Each is used where this host has it:

* **cgroup v1**: a hierarchy of its own per controller (``/sys/fs/cgroup/memory`` …), one group per
  controller for each sandbox, settings ``pids.max``, ``memory.limit_in_bytes``, ``cpu.shares``;
* **cgroup v2**: the unified hierarchy (``/sys/fs/cgroup`` on a pure v2 host, ``/sys/fs/cgroup/unified``
  on a hybrid one), one group for every controller, settings ``pids.max``, ``memory.max`` (and
  ``memory.swap.max`` 0, so the limit is not spent in swap), ``cpu.weight``.

New groups go below the grader's own (``<own>/autograder/<id>``), so whatever limits the grader itself
is under also hold for what it starts. On v2 a group that hands controllers to its children may hold no
process itself (the kernel's "no internal processes" rule): where the grader's own group holds
processes, they are moved into a leaf beside ``autograder`` (``<own>/grader``) first, as systemd asks
of a delegated service. Where and why a controller is found nowhere is ``CgroupUnavailable``.
"""

from __future__ import annotations

import errno
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("pids", "memory", "cpu")
MOUNTINFO = Path("/proc/self/mountinfo")
OWN_CGROUP = Path("/proc/self/cgroup")


class CgroupUnavailable(OSError):
    """A controller a sandbox needs cannot be had here; the message says where it was looked for."""

    def __init__(self, code: int, message: str, controllers: tuple[str, ...] = ()):
        super().__init__(code, message)
        self.controllers = controllers  # the ones missing, if known


@dataclass(frozen=True)
class Hierarchies:
    """Where this host mounts each controller: v1 mount points, and the unified (v2) mount if any."""
    v1: dict[str, Path]
    v2: Path | None

    @classmethod
    def of_this_host(cls) -> "Hierarchies":
        try:
            return cls.parse(MOUNTINFO.read_text())
        except OSError:
            return cls({}, None)

    @classmethod
    def parse(cls, mountinfo: str) -> "Hierarchies":
        """From /proc/self/mountinfo: fields up to " - ", then the filesystem type, source and options."""
        v1, v2 = {}, None
        for line in mountinfo.splitlines():
            before, _, after = line.partition(" - ")
            fields, rest = before.split(), after.split()
            if len(fields) < 5 or len(rest) < 3:
                continue
            mount_point, fstype, options = Path(_unescape(fields[4])), rest[0], rest[2].split(",")
            if fstype == "cgroup2" and v2 is None:
                v2 = mount_point
            elif fstype == "cgroup":
                for controller in CONTROLLERS:
                    if controller in options:
                        v1.setdefault(controller, mount_point)
        return cls(v1, v2)


def own_paths(proc_cgroup: str) -> tuple[dict[str, str], str | None]:
    """From /proc/self/cgroup: this process's v1 group per controller, and its v2 group ("0::/path")."""
    v1, v2 = {}, None
    for line in proc_cgroup.splitlines():
        number, controllers, path = line.split(":", 2)
        if number == "0" and not controllers:
            v2 = path
        for controller in controllers.split(","):
            v1[controller] = path
    return v1, v2


def _unescape(field: str) -> str:
    # mountinfo writes a space as \040, a tab as \011, a newline as \012 and a backslash as \134
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def _own_group(hierarchy: Path, path: str) -> Path:
    return hierarchy / path.lstrip("/")


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _processes(group: Path) -> list[int]:
    return [int(p) for p in (group / "cgroup.procs").read_text().split()]


@dataclass
class Placement:
    """Where one sandbox's controllers go: per v1 controller its group's parent, and the v2 parent."""
    v1: dict[str, Path]
    v2: Path | None
    v2_controllers: tuple[str, ...]


def place(wanted: tuple[str, ...], hierarchies: Hierarchies | None = None, proc_cgroup: str | None = None) -> Placement:
    """Decide where each *wanted* controller's group is made: its v1 hierarchy if it has one, else the
    unified hierarchy if the grader's own v2 group offers it; CgroupUnavailable names what is missing."""
    hierarchies = hierarchies or Hierarchies.of_this_host()
    own_v1, own_v2 = own_paths(proc_cgroup if proc_cgroup is not None else _read_own())
    v1, v2_wanted = {}, []
    for controller in wanted:
        if controller in hierarchies.v1:
            v1[controller] = _own_group(hierarchies.v1[controller], own_v1.get(controller, "/")) / "autograder"
        else:
            v2_wanted.append(controller)
    v2_parent = None
    if v2_wanted:
        if hierarchies.v2 is None or own_v2 is None:
            raise CgroupUnavailable(errno.ENOENT, f"no {', '.join(v2_wanted)} controller is mounted "
                                                  "(neither a cgroup v1 hierarchy nor cgroup v2)", tuple(v2_wanted))
        own = _own_group(hierarchies.v2, own_v2)
        offered = _read(own / "cgroup.controllers").split()
        missing = [c for c in v2_wanted if c not in offered]
        if missing:
            raise CgroupUnavailable(errno.ENOENT, f"the {', '.join(missing)} controller is not enabled for the "
                                                  f"grader's cgroup v2 group {own} (its cgroup.controllers: "
                                                  f"{' '.join(offered) or 'none'}); run the grader in a group that "
                                                  "has it, e.g. `systemd-run --scope -p Delegate=yes …`", tuple(missing))
        v2_parent = own / "autograder"
    return Placement(v1, v2_parent, tuple(v2_wanted))


def _read_own() -> str:
    try:
        return OWN_CGROUP.read_text()
    except OSError:
        return ""


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise CgroupUnavailable(exc.errno, f"cannot read {path} ({exc.strerror})") from exc


def prepare_v2_parent(parent: Path, controllers: tuple[str, ...]) -> None:
    """Make *parent* (``<own>/autograder``) hand *controllers* to the groups below it. The grader's own
    group must enable them for its children first, which the kernel allows only once that group holds
    no process: its processes move to the leaf ``<own>/grader``."""
    own = parent.parent
    if _enabled(parent, controllers):
        return
    if not _enabled(own, controllers):
        try:
            _enable(own, controllers)
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            _move_processes_to_leaf(own, own / "grader")
            _enable(own, controllers)
    parent.mkdir(exist_ok=True)
    _enable(parent, controllers)


def _enabled(group: Path, controllers: tuple[str, ...]) -> bool:
    try:
        return set(controllers) <= set((group / "cgroup.subtree_control").read_text().split())
    except OSError:
        return False


def _enable(group: Path, controllers: tuple[str, ...]) -> None:
    if controllers:
        _write(group / "cgroup.subtree_control", " ".join(f"+{c}" for c in controllers))


def _move_processes_to_leaf(group: Path, leaf: Path) -> None:
    leaf.mkdir(exist_ok=True)
    for _ in range(20):  # a process may be forked into *group* while the others move
        pids = _processes(group)
        if not pids:
            return
        for pid in pids:
            try:
                _write(leaf / "cgroup.procs", str(pid))
            except ProcessLookupError:
                pass
            except OSError as exc:
                if exc.errno != errno.ESRCH:
                    raise
    raise CgroupUnavailable(errno.EBUSY, f"processes kept arriving in {group} while moving them to {leaf}")


def new_v1_group(parent: Path, settings: dict[str, str]) -> Path:
    parent.mkdir(exist_ok=True)
    group = parent / uuid.uuid4().hex[:16]
    group.mkdir()
    for name, value in settings.items():
        _write(group / name, value)
    return group


def new_v2_group(parent: Path, controllers: tuple[str, ...], settings: dict[str, str]) -> Path:
    prepare_v2_parent(parent, controllers)
    group = parent / uuid.uuid4().hex[:16]
    group.mkdir()
    for name, value in settings.items():
        if name == "memory.swap.max" and not (group / name).exists():  # no swap accounting: nothing to limit
            continue
        _write(group / name, value)
    return group


# What each controller is told, per version: at most *count* processes, *memory_mb* of memory, an equal share.
def v1_settings(controller: str, count: int | None, memory_mb: int | None) -> dict[str, str]:
    return {"pids": {"pids.max": str(count)},
            "memory": {"memory.limit_in_bytes": str((memory_mb or 0) << 20)},
            "cpu": {"cpu.shares": "1024"}}[controller]


def v2_settings(controller: str, count: int | None, memory_mb: int | None) -> dict[str, str]:
    return {"pids": {"pids.max": str(count)},
            "memory": {"memory.max": str((memory_mb or 0) << 20), "memory.swap.max": "0"},
            "cpu": {"cpu.weight": "100"}}[controller]


def oom_kills(group: Path, version: int) -> int:
    """Processes of *group* the kernel killed at its memory limit."""
    name = "memory.events" if version == 2 else "memory.oom_control"
    try:
        fields = dict(line.split() for line in (group / name).read_text().splitlines())
        return int(fields.get("oom_kill", 0))
    except (OSError, ValueError):
        return 0


def peak_bytes(group: Path, version: int) -> int | None:
    """The most memory *group* held at once (``memory.peak`` needs Linux 5.19 on v2)."""
    try:
        return int((group / ("memory.peak" if version == 2 else "memory.max_usage_in_bytes")).read_text())
    except (OSError, ValueError):
        return None


def kill_and_remove(groups: list[Path]) -> None:
    """Kill whatever is left in *groups* and remove them (each once, however many controllers it holds)."""
    unique = list(dict.fromkeys(groups))
    for group in unique:
        if (group / "cgroup.kill").exists():  # v2, Linux 5.14: the kernel kills every process, forks included
            try:
                _write(group / "cgroup.kill", "1")
            except OSError:
                pass
        for _ in range(50):
            try:
                pids = _processes(group)
            except OSError:
                break
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
    for group in unique:
        for _ in range(20):
            try:
                group.rmdir()
                break
            except OSError as exc:
                if exc.errno != errno.EBUSY:  # gone already, or not a group at all
                    break
                time.sleep(0.05)  # a process still leaving it
