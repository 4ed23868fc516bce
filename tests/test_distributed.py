"""Grading on a real Dask cluster: a `dask scheduler` and `dask worker` processes started here on
127.0.0.1, sharing no folder with the coordinator. The same class graded there, with a worker killed mid-batch,
and on the default local cluster gives the same gradebook and CSV; a worker of another
course version is refused; an interrupted run, started again, grades only what was left."""

import csv
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import config
from autograder.course import Course
from autograder.grading.executor import DaskExecutor
from autograder.notebooks import compose_submission, released_notebook, solution_answers

from tests.processes import kill_tree

# Grades notebooks. An exception Python could only ignore (such as the executor cancelling an interrupted batch's
# jobs after its client had closed, when the abandoned generator was garbage-collected) fails the test.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")]

A01 = "01-perceptrons"
NAME = released_notebook(A01).name
REFERENCE = solution_answers(A01)
WRONG_AND = {**REFERENCE, "ex2-gates": REFERENCE["ex2-gates"].replace("AND_W, AND_B = np.array([1.0, 1.0]), -1.5",
                                                                      "AND_W, AND_B = np.array([1.0, 1.0]), -0.5")}
# Four: two workers each grade two, so a worker killed after the first result still has work in hand.
CLASS = {"ada": REFERENCE, "ben": {}, "cy": WRONG_AND, "dee": REFERENCE}
SCORES = {"ada": 17, "ben": 0, "cy": 16, "dee": 17}
DASK = str(config.REPO_ROOT / ".venv" / "bin" / "dask") if (config.REPO_ROOT / ".venv" / "bin" / "dask").exists() \
    else shutil.which("dask")


def _course(root, students=CLASS) -> Course:
    course = Course(root, database=f"sqlite:///{root}/gradebook.db")
    for student, answers in students.items():
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        nbformat.write(compose_submission(A01, answers), folder / NAME)
    return course


def _kill_tree(process: subprocess.Popen) -> None:
    kill_tree(process.pid)


class Cluster:
    """A scheduler and named workers, each its own `dask` command, as on real machines."""

    def __init__(self, folder):
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.processes: dict[str, subprocess.Popen] = {}
        # As the README tells instructors to start theirs: two retries after a worker's death.
        self.processes["scheduler"] = self._start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                                   "--no-dashboard", "--scheduler-file", str(self.file)], "scheduler",
                                                  env={**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2"})
        for _ in range(300):
            if self.file.exists():
                break
            time.sleep(0.1)

    def _start(self, command, name, env=None) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env or dict(os.environ),
                                cwd=self.folder)

    def add_worker(self, name, env=None) -> None:
        self.processes[name] = self._start([DASK, "worker", "--scheduler-file", str(self.file), "--name", name,
                                            "--nworkers", "1", "--nthreads", "1", "--memory-limit", "0",
                                            "--no-dashboard", "--local-directory", str(self.folder / name)], name, env)

    def wait_for(self, count: int) -> None:
        from distributed import Client

        with Client(scheduler_file=str(self.file), timeout="60s") as client:
            client.wait_for_workers(count, timeout=120)

    def stop(self) -> None:
        for process in self.processes.values():
            _kill_tree(process)


@pytest.fixture
def cluster(tmp_path):
    running = Cluster(tmp_path)
    yield running
    running.stop()


def _student(line: str) -> str:
    return line.split(": ")[0].split()[-1]


@pytest.fixture(scope="module")
def graded_locally(tmp_path_factory):
    """The class graded the default way, `make autograde` with nothing configured (a local cluster), and
    interrupted after two results as Ctrl-C would: then started again, as an instructor would."""
    course = _course(tmp_path_factory.mktemp("local"))
    first = []

    def interrupt_after_two(line):
        first.append(line)
        if len(first) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        course.autograde(A01, progress=interrupt_after_two, jobs=2)
    again = []
    results = {r.student: r for r in course.autograde(A01, progress=again.append, jobs=2)}
    return course, results, {_student(line) for line in first}, again


def _grades(course) -> dict:
    """Every score and test in the gradebook, and the CSV's rows, without time stamps."""
    rows = list(csv.DictReader(course.export_grades(course.root / "grades.csv").open()))
    exported = sorted((row["student_id"], row["raw_score"], row["score"], row["max_score"]) for row in rows)
    tests = {r.student: [(t.grade_id, t.points) for t in r.tests] for r in course.results(A01)}
    return {"csv": exported, "tests": tests}


def test_the_default_is_a_local_cluster_and_grades_right(graded_locally):
    course, results, _, _ = graded_locally
    assert {s: r.score for s, r in results.items()} == SCORES
    assert all(r.error is None and r.sandboxed for r in results.values())


def test_a_real_cluster_with_a_worker_killed_mid_batch_grades_the_same_as_the_local_one(cluster, graded_locally, tmp_path):
    """Two `dask worker` processes; one is killed after the first result, with work in hand. The class is graded
    all the same, each student once, and the gradebook and CSV are those of the default local cluster's run."""
    cluster.add_worker("w1")
    cluster.add_worker("w2")
    cluster.wait_for(2)
    course = _course(tmp_path / "remote")
    lines = []

    def progress(line):
        lines.append(line)
        if len(lines) == 1:  # one student done, others running on both workers: one worker goes
            _kill_tree(cluster.processes["w1"])

    with DaskExecutor(scheduler=str(cluster.file)) as executor:
        assert "2 workers" in executor.describe() and "Dask scheduler tcp://127.0.0.1" in executor.describe()
        results = {r.student: r for r in course.autograde(A01, progress=progress, executor=executor)}
    assert {s: r.score for s, r in results.items()} == SCORES, "\n".join(lines)
    assert all(r.error is None for r in results.values())
    assert sorted(line.split(": ")[0].split()[-1] for line in lines) == sorted(CLASS), "each student recorded once"
    assert len(course.results(A01)) == len(CLASS)
    assert _grades(course) == _grades(graded_locally[0]), "gradebook and CSV identical to the local run"


# Writes a marker into its own scratch folder, then waits: the test kills its worker each time it
# sees the marker, as an out-of-memory kill would.
KILLS_ITS_WORKER = {**REFERENCE, "ex1-threshold-unit": REFERENCE["ex1-threshold-unit"]
                    + "\n\nimport pathlib, time\npathlib.Path('KILL-ME').touch()\ntime.sleep(120)\n"}


def test_a_worker_killed_again_and_again_costs_only_its_own_job(cluster, tmp_path):
    """One worker (restarted by its nanny each time), a notebook that gets it killed three times,
    and a classmate behind it: it was once charged for each death ('the worker grading it died 3
    times', 0/21) while it waited in that worker's queue (checked against the code before the
    fix). Now it waits here, is graded exactly, and the killed job's folders are gone."""
    worker_tmp = Path(tempfile.mkdtemp(prefix="w-", dir="/tmp"))  # short: kernels' socket paths live in it
    cluster.add_worker("w1", env={**os.environ, "TMPDIR": str(worker_tmp)})
    cluster.wait_for(1)
    # One classmate: behind the killer on the only worker, it is charged for every death (with more
    # classmates, the charges happen to spread out and none reaches three).
    classmates = {"ada": REFERENCE}
    course = _course(tmp_path / "remote", {"aaa-killer": KILLS_ITS_WORKER, **classmates})
    nanny = psutil.Process(cluster.processes["w1"].pid)
    kills, stop = [], threading.Event()

    def killer():
        deadline, handled = time.monotonic() + 600, set()
        while not stop.is_set() and time.monotonic() < deadline:
            for marker in set(worker_tmp.rglob("KILL-ME")) - handled:  # a new run of the killer's job
                handled.add(marker)
                for child in nanny.children(recursive=True):  # the worker and its sandboxes; the nanny restarts it
                    try:
                        child.kill()
                    except psutil.NoSuchProcess:
                        pass
                kills.append(marker)
            time.sleep(0.2)

    watcher = threading.Thread(target=killer, daemon=True)
    watcher.start()
    try:
        with DaskExecutor(scheduler=str(cluster.file)) as executor:
            results = {r.student: r for r in course.autograde(A01, progress=lambda m: None, executor=executor)}
    finally:
        stop.set()
        watcher.join(timeout=10)
        leftover = sorted(p.name for p in worker_tmp.iterdir())
        shutil.rmtree(worker_tmp, ignore_errors=True)
    assert len(kills) >= 3, (kills, {s: (r.score, r.error) for s, r in results.items()})
    assert "died 3 times" in results["aaa-killer"].error and results["aaa-killer"].score == 0
    assert {s: results[s].score for s in classmates} == {s: SCORES[s] for s in classmates}
    assert all(results[s].error is None for s in classmates)
    assert not [name for name in leftover if name.startswith("course-job-")], "the dead jobs' folders were removed"


def test_a_worker_of_another_course_version_is_refused(cluster, tmp_path):
    # That worker's repository differs in one release notebook (a re-release it never got).
    other = tmp_path / "other-repo"
    shutil.copytree(config.REPO_ROOT, other, ignore=shutil.ignore_patterns(".venv", ".git", "course", "files"))
    notebook = other / "notebooks" / A01 / NAME
    notebook.write_text(notebook.read_text().replace("Threshold units", "Threshold units (old)"))
    cluster.add_worker("stale", env={**os.environ, "COURSE_REPO": str(other)})
    cluster.wait_for(1)
    course = _course(tmp_path / "remote", {"ada": REFERENCE, "ben": {}})
    with DaskExecutor(scheduler=str(cluster.file)) as executor:
        results = course.autograde(A01, progress=lambda m: None, executor=executor)
    for result in results:
        assert result.score == 0 and "refused the job: its course version is" in result.error
        assert "Install the same commit of the course repository there" in result.error


def test_an_interrupted_run_started_again_grades_only_what_was_left(graded_locally):
    _, _, done, again = graded_locally
    skipped = {_student(line) for line in again if "already graded from these files" in line}
    assert len(done) == 2 and skipped == done, "the second run skipped exactly what the first finished"
    assert len(again) == len(CLASS)


def test_a_changed_submission_is_graded_again_and_regrade_grades_everything(graded_locally, tmp_path):
    # On a copy of that course folder (its gradebook and results travel with it), so the other tests keep theirs.
    graded, _, done, _ = graded_locally
    shutil.copytree(graded.root, tmp_path / "course")
    course = Course(tmp_path / "course", database=f"sqlite:///{tmp_path / 'course'}/gradebook.db")
    changed, unchanged = sorted(done)
    (course.submission_dir(assignment=A01, student=changed) / NAME).write_text(
        nbformat.writes(compose_submission(A01, WRONG_AND if SCORES[changed] == 17 else REFERENCE)))
    third = []
    course.autograde(A01, progress=third.append, jobs=2, students=[changed, unchanged])
    assert [changed in line and "already graded" not in line for line in third].count(True) == 1
    assert [unchanged in line and "already graded" in line for line in third].count(True) == 1
    fourth = []
    course.autograde(A01, progress=fourth.append, jobs=2, regrade=True, students=[unchanged])
    assert len(fourth) == 1 and "already graded" not in fourth[0]
