"""Control groups on cgroup v1 and v2: where each controller is found, what each sandbox group is told,
and, on this host's own unified hierarchy, the kernel's v2 rules the grader has to follow.

The memory limit itself is proven on the real kernel in test_sandbox.py (here, cgroup v1: this kind of
machine mounts memory, pids and cpu there). A pure v2 host is not available here, so the v2 settings
are checked on a copy of its file layout, and the v2 mechanics (a group handing a controller to its
children while the grader sits in it, cgroup.kill, removal) on this host's unified hierarchy with the
one controller it leaves to v2."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from autograder.grading import cgroups, sandbox

HYBRID = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
HYBRID_OWN = "9:name=systemd:/\n8:pids:/a\n4:memory:/b\n1:cpu,cpuacct:/c\n0::/\n"


def _pure_v2(root: Path) -> str:
    return f"29 23 0:26 / {str(root).replace(' ', chr(92) + '040')} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"


def test_each_controller_is_found_in_its_v1_hierarchy_on_a_hybrid_host():
    hierarchies = cgroups.Hierarchies.parse(HYBRID)
    assert hierarchies.v1 == {"cpu": Path("/sys/fs/cgroup/cpu,cpuacct"), "memory": Path("/sys/fs/cgroup/memory"),
                              "pids": Path("/sys/fs/cgroup/pids")}
    assert hierarchies.v2 == Path("/sys/fs/cgroup/unified")
    placement = cgroups.place(("pids", "memory", "cpu"), hierarchies, HYBRID_OWN)
    assert placement.v1 == {"pids": Path("/sys/fs/cgroup/pids/a/autograder"),
                            "memory": Path("/sys/fs/cgroup/memory/b/autograder"),
                            "cpu": Path("/sys/fs/cgroup/cpu,cpuacct/c/autograder")}
    assert placement.v2 is None and placement.v2_controllers == ()


@pytest.fixture
def v2_host(tmp_path, monkeypatch):
    """The file layout of a pure cgroup v2 host (a folder with a space in its name, as mountinfo escapes
    it), the grader in /user.slice/grader.scope with memory, pids and cpu offered to it."""
    root = tmp_path / "cgroup fs"
    own = root / "user.slice" / "grader.scope"
    own.mkdir(parents=True)
    for group in (root, root / "user.slice", own):
        (group / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
        (group / "cgroup.subtree_control").write_text("")
    (own / "cgroup.procs").write_text("")
    (tmp_path / "mountinfo").write_text(_pure_v2(root))
    (tmp_path / "cgroup").write_text("0::/user.slice/grader.scope\n")
    monkeypatch.setattr(cgroups, "MOUNTINFO", tmp_path / "mountinfo")
    monkeypatch.setattr(cgroups, "OWN_CGROUP", tmp_path / "cgroup")
    return root, own


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox groups are made as root (CI and the graders run as root)")
def test_on_a_v2_host_one_group_holds_every_limit_of_a_sandbox(v2_host):
    root, own = v2_host
    groups = sandbox.SandboxGroups(64, memory_mb=512)
    try:
        group = groups.groups["memory"]
        assert groups.groups == {"pids": group, "memory": group, "cpu": group} and set(groups.versions.values()) == {2}
        assert group.parent == own / "autograder"
        assert (group / "pids.max").read_text() == "64"
        assert (group / "memory.max").read_text() == str(512 << 20)
        assert (group / "cpu.weight").read_text() == "100"
        # The grader's group and the sandboxes' parent hand the three controllers down.
        for parent in (own, own / "autograder"):
            assert set((parent / "cgroup.subtree_control").read_text().split()) == {"+pids", "+memory", "+cpu"}
        # What the kernel would report: the kills at the limit, and the peak.
        (group / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n")
        (group / "memory.peak").write_text(str(300 << 20))
        assert groups.oom_killed() == 2 and groups.peak_mb() == 300
    finally:
        groups.close()
    assert groups.groups == {}


@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox groups are made as root (CI and the graders run as root)")
def test_on_a_v2_host_a_controller_not_offered_is_said_with_the_fix(v2_host):
    _, own = v2_host
    (own / "cgroup.controllers").write_text("cpu pids\n")
    with pytest.raises(sandbox.SandboxUnavailable) as refused:
        sandbox.SandboxGroups(64, memory_mb=512)
    message = str(refused.value)
    assert "memory controller is not enabled" in message and "Delegate=yes" in message, message
    assert "set COURSE_MEMORY_LIMIT_MB=0 to grade without that limit" in message, message
    assert not (own / "autograder").exists() or not list((own / "autograder").iterdir()), "nothing left half made"


def test_a_host_with_no_cgroups_at_all_is_said():
    with pytest.raises(cgroups.CgroupUnavailable, match="no memory controller is mounted"):
        cgroups.place(("memory",), cgroups.Hierarchies({}, None), "")


# --- the real kernel's cgroup v2 rules, on this host's unified hierarchy ---------------------------------

def _unified() -> Path | None:
    hierarchies = cgroups.Hierarchies.of_this_host()
    return hierarchies.v2 if hierarchies.v2 and os.access(hierarchies.v2, os.W_OK) else None


# Plays the grader: joins the group it is given (a non-root v2 group, as a grader under systemd sits in
# its scope), then makes a sandbox group below it with the controllers it is given, starts a sleeper in
# it and prints the sleeper's pid.
_GRADER = """
    import os, subprocess, sys
    from pathlib import Path
    from autograder.grading import cgroups
    own, controllers = Path(sys.argv[1]), tuple(sys.argv[2:])
    (own / "cgroup.procs").write_text(str(os.getpid()))
    group = cgroups.new_v2_group(own / "autograder", controllers, {})
    sleeper = subprocess.Popen(["sleep", "300"], preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())))
    print(sleeper.pid, group, flush=True)
    import time
    time.sleep(300)
    """


@pytest.fixture
def unified_with_a_controller():
    """This host's unified hierarchy and one controller it can hand to groups below its root (hugetlb on
    this kind of machine, whose other controllers are on v1), enabled at the root for the test only."""
    unified = _unified()
    if os.geteuid() != 0 or unified is None:
        pytest.skip("needs root and a writable cgroup v2 hierarchy")
    available = (unified / "cgroup.controllers").read_text().split()
    controller = next((c for c in ("hugetlb", "pids", "memory", "cpu", "io") if c in available), None)
    if controller is None:
        pytest.skip("the unified hierarchy offers no controller here")
    before = (unified / "cgroup.subtree_control").read_text().split()
    if controller not in before:
        (unified / "cgroup.subtree_control").write_text(f"+{controller}")
    test_group = unified / f"autograder-test-{uuid.uuid4().hex[:8]}"
    test_group.mkdir()
    try:
        yield test_group, controller
    finally:
        for group in sorted(test_group.rglob("*"), key=lambda p: -len(p.parts)):
            if group.is_dir():
                cgroups.kill_and_remove([group])
        cgroups.kill_and_remove([test_group])
        if controller not in before:
            (unified / "cgroup.subtree_control").write_text(f"-{controller}")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_the_kernel_refuses_a_controller_to_the_children_of_a_group_with_a_process_in_it(unified_with_a_controller):
    """The rule the grader works around: proven here so that the next test can fail."""
    test_group, controller = unified_with_a_controller
    sleeper = subprocess.Popen(["sleep", "300"], preexec_fn=lambda: (test_group / "cgroup.procs").write_text(str(os.getpid())))
    try:
        time.sleep(0.1)
        with pytest.raises(OSError) as refused:
            (test_group / "cgroup.subtree_control").write_text(f"+{controller}")
        assert refused.value.errno == errno.EBUSY
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_the_grader_moves_itself_to_a_leaf_and_its_sandbox_group_is_killed_and_removed(unified_with_a_controller):
    test_group, controller = unified_with_a_controller
    grader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_GRADER), str(test_group), controller],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = grader.stdout.readline()
        assert line, grader.stderr.read()
        pid, group = int(line.split()[0]), Path(line.split()[1])
        assert group.parent == test_group / "autograder"
        assert (test_group / "grader" / "cgroup.procs").read_text().split() == [str(grader.pid)], "moved to the leaf"
        assert controller in (test_group / "cgroup.subtree_control").read_text().split()
        assert controller in (group / "cgroup.controllers").read_text().split(), "the sandbox group has it"
        assert (group / "cgroup.procs").read_text().split() == [str(pid)]
        cgroups.kill_and_remove([group])
        assert not group.exists()
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":  # killed, waiting for its parent
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the sleeper {pid} survived its group's removal")
    finally:
        grader.kill()
        grader.wait()
