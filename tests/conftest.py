import os
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

from autograder import config
from tests import class_batches as class_batches_module
from tests.processes import kill_tree

# Hypothesis keeps its examples and a Unicode table in ./.hypothesis by default, that is, in the repository, which
# test_redteam.py hashes before and after its batch to prove no attacker wrote there: a property test on the other
# xdist worker writing that table failed it once. So the suite's Hypothesis files live in the user's cache.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path.home() / ".cache" / "ann-keras-course" / "hypothesis"))


@pytest.fixture(autouse=True)
def _no_real_course(monkeypatch, tmp_path_factory):
    # Tests never touch ./course or a configured gradebook: each gets a throwaway course folder.
    monkeypatch.setenv("COURSE_DIR", str(tmp_path_factory.mktemp("course")))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    monkeypatch.delenv("COURSE_SANDBOX", raising=False)
    # The repository's own schedule, and no real student repository to publish into.
    monkeypatch.delenv("COURSE_SCHEDULE", raising=False)
    monkeypatch.delenv("COURSE_PUBLISH_DIR", raising=False)


@pytest.fixture(autouse=True, scope="session")
def _always_sandboxed():
    # Hostile submissions are graded here, some in module-wide fixtures: never without the sandbox,
    # whatever the shell says. (A test that means to grade unsandboxed sets COURSE_SANDBOX=off itself.)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COURSE_SANDBOX", raising=False)
        yield


# --- the class batches of test_assignments.py, in the background from the start ------------------------------

BATCHES = "tests/test_assignments.py::"
# Modules that mostly wait (on a server, a browser, git, pip, one kernel at a time): they run first, beside the
# class batches, whose processes take the cores they leave idle; the modules that grade classes of their own
# keep both cores busy and run after. Measured with a /proc/stat sampler, 2026-12-07 (docs/benchmarks.md).
BESIDE_THE_BATCHES = ("tests/test_fresh_clone.py", "tests/test_formgrader.py", "tests/test_publish.py",
                      "tests/test_executor.py", "tests/test_scripts.py", "tests/test_preflight.py",
                      "tests/test_sandbox.py", "tests/test_model_sandbox.py", "tests/test_schedule.py",
                      "tests/test_lms.py", "tests/test_report.py", "tests/test_data.py", "tests/checks/",
                      "tests/test_distributed.py", "tests/test_cli.py", "tests/test_survivors.py", "tests/test_intake.py",
                      "tests/test_release.py")
# `make test` runs everything but the tests marked alone on two pytest-xdist workers, whose controller starts
# the class batches once for both (--alone=without), then those tests in a run of their own (--alone=only).
# A plain `pytest` runs them last in the same run, once the batches have ended (--alone=last).
BATCHES_DIR = "TESTS_CLASS_BATCHES_DIR"  # the controller's folder for the batches, for its workers


def pytest_addoption(parser):
    parser.addoption("--alone", choices=("last", "without", "only"), default="last",
                     help="the tests that measure the whole machine: last in this run (default), left out, or only they")


def _is_xdist_worker(pytest_config) -> bool:
    return hasattr(pytest_config, "workerinput")


def _is_xdist_controller(pytest_config) -> bool:
    return pytest_config.pluginmanager.has_plugin("dsession")


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected: grade only the batches that will be read
def pytest_collection_modifyitems(session, config, items):
    """The class batches' tests go last, reading what a background process graded while the rest ran
    (tests/class_batches.py); the tests that measure the whole machine go after them, alone."""
    alone_mode = config.getoption("alone")
    if alone_mode != "last":
        kept = [item for item in items if bool(item.get_closest_marker("alone")) == (alone_mode == "only")]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
    batches = [item for item in items if item.nodeid.startswith(BATCHES)]
    alone = [item for item in items if item.get_closest_marker("alone") and item not in batches]
    rest = [item for item in items if item not in batches and item not in alone]
    beside = [item for item in rest if item.nodeid.startswith(BESIDE_THE_BATCHES)] if batches else []
    items[:] = beside + [item for item in rest if item not in beside] + batches + alone
    config.stash[_ASSIGNMENTS] = batch_assignments(item.nodeid for item in batches)


def batch_assignments(nodeids) -> list[str]:
    """The assignments whose class batches these tests read (each such test is parametrised by one), in order."""
    known = set(config.assignments())
    named = (nodeid.rpartition("[")[2].rstrip("]") for nodeid in nodeids if nodeid.startswith(BATCHES))
    return list(dict.fromkeys(name for name in named if name in known))


_ASSIGNMENTS = pytest.StashKey[list]()
_PROCESS = pytest.StashKey[subprocess.Popen]()


def _start_batches(folder: Path, assignments: list[str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if k not in ("COURSE_DB_URL", "COURSE_SANDBOX", "COURSE_SCHEDULE", "COURSE_PUBLISH_DIR", BATCHES_DIR)}
    env["COURSE_DIR"] = str(folder / "no-course")
    with (folder / class_batches_module.LOG).open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "tests.class_batches", str(folder), *assignments],
                                   cwd=config.REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    (folder / class_batches_module.PID).write_text(str(process.pid))
    return process


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers, which inherit the environment
def pytest_sessionstart(session):
    if _is_xdist_controller(session.config):
        os.environ[BATCHES_DIR] = str(session.config._tmp_path_factory.mktemp("class-batches"))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """The controller starts the class batches, once, as soon as the first worker has collected."""
    stash, assignments = node.config.stash, batch_assignments(ids)
    if _PROCESS not in stash and assignments:
        stash[_PROCESS] = _start_batches(Path(os.environ[BATCHES_DIR]), assignments)


def pytest_runtest_setup(item):
    # A test that measures the whole machine starts once the background batches have ended (and been reaped).
    process = item.config.stash.get(_PROCESS, None)
    if item.get_closest_marker("alone") and process is not None:
        process.wait(timeout=3600)


@pytest.fixture(scope="session", autouse=True)
def class_batches(request, tmp_path_factory):
    """(folder, process) of the background grading, started with the run if any class batch is selected;
    on an xdist worker, the one its controller started, watched by its pid."""
    if _is_xdist_worker(request.config):
        folder = Path(os.environ[BATCHES_DIR])
        started = (folder / class_batches_module.PID).exists()
        yield (folder, class_batches_module.Watched.from_folder(folder)) if started else None
        return
    assignments = request.config.stash.get(_ASSIGNMENTS, [])
    if not assignments:
        yield None
        return
    folder = tmp_path_factory.mktemp("class-batches")
    request.config.stash[_PROCESS] = process = _start_batches(folder, assignments)
    yield folder, process


@pytest.fixture(scope="session")
def data_root():
    """The verified data folder `make install` fills; its absence is a failure, not a skip."""
    root = config.data_dir()
    if not (root / "mnist").is_dir():
        pytest.fail(f"no data in {root}: run `make data MIRROR=<folder>` (part of `make install`)")
    return root


# Every process this run starts carries this mark in its environment (sandboxes clear theirs, but
# bubblewrap, which they die with, keeps it). Whatever still carries it when the run ends outlived
# its test: the run fails and names it.
RUN_MARK = "COURSE_TEST_RUN"
# An xdist worker keeps its controller's mark (the controller checks for both, at the end); any other
# pytest, a test's own nested run included, has a mark of its own.
if not (os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get(RUN_MARK, "").startswith(f"{os.getppid()}-")):
    os.environ[RUN_MARK] = f"{os.getpid()}-{uuid.uuid4().hex}"
# Python's own helpers of this process end with it: not survivors.
OWN_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker", "from multiprocessing")


def _survivors() -> list[psutil.Process]:
    mine, found = os.environ[RUN_MARK], []
    for process in psutil.process_iter(["pid", "ppid", "cmdline"]):
        if process.pid == os.getpid():
            continue
        try:
            if process.environ().get(RUN_MARK) != mine:
                continue
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        command = " ".join(process.info["cmdline"] or [])
        if process.info["ppid"] == os.getpid() and any(helper in command for helper in OWN_HELPERS):
            continue
        found.append(process)
    return found


@pytest.hookimpl(trylast=True)  # after xdist has taken its workers down
def pytest_sessionfinish(session, exitstatus):
    if session.config.getoption("alone") == "only" and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK  # -k selected none of them: nothing to run alone is no failure
    process = session.config.stash.get(_PROCESS, None)
    if process is not None and process.poll() is None:  # the run stopped before the batches were read
        kill_tree(process.pid)
    if not _is_xdist_worker(session.config):  # the controller, once its workers have gone, checks for them too
        _fail_on_survivors(session)


def _fail_on_survivors(session) -> None:
    left = _survivors()
    if left:
        _, left = psutil.wait_procs(left, timeout=5)  # a server that is still shutting down
    if not left:
        return
    names = []
    for process in left:
        try:
            names.append(f"{process.pid}: {' '.join(process.cmdline())[:200]}")
            process.kill()
        except psutil.NoSuchProcess:
            pass
    print("\nprocesses outlived the test run (killed now):\n  " + "\n  ".join(names))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
