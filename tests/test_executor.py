"""The default executor, a local Dask cluster: jobs under limits, failures of a notebook or its kernel,
and a PostgreSQL gradebook written by the coordinator while jobs run in parallel.

The SQLite gradebook with parallel jobs is exercised by test_hostile.py (14 students, 2 jobs); a real
multi-process cluster, a killed worker and resuming by test_distributed.py; packing results here.
"""

import csv
import warnings

import nbformat
import psutil
import pytest

from autograder.course import Course
from autograder.grading.sandbox import Limits
from autograder.notebooks import compose_submission, released_notebook, solution_answers

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A01 = "01-perceptrons"
NAME = released_notebook(A01).name
REFERENCE = solution_answers(A01)


def _submit(course, students: dict) -> None:
    for student, answers in students.items():
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        nbformat.write(compose_submission(A01, answers), folder / NAME)


def _kernels() -> list:
    return [p for p in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]


def test_a_result_folder_travels_as_files_inside_it_only(tmp_path):
    import io
    import zipfile

    from autograder.grading.executor import pack, unpack

    source = tmp_path / "result"
    (source / "evidence").mkdir(parents=True)
    (source / "result.json").write_text("{}")
    (source / "evidence" / "test-a.json").write_text("[1]")
    (source / "link").symlink_to("/etc/passwd")
    unpack(pack(source), tmp_path / "copy")
    assert sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*")) == [
        "evidence", "evidence/test-a.json", "result.json"], "symlinks are not packed"
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as archive:
        archive.writestr("../outside.txt", "x")
        archive.writestr("/abs.txt", "x")
        archive.writestr("inside.txt", "x")
    unpack(forged.getvalue(), tmp_path / "forged")
    assert not (tmp_path / "outside.txt").exists() and [p.name for p in (tmp_path / "forged").iterdir()] == ["inside.txt"]


# The classmate beside the looper must finish inside the same limit. 01's reference takes about 3 CPU-seconds;
# beside the rest of the suite (two workers and the class batches on two cores) on a day three times slower
# than usual that is about 30 s, so the limit is 60 s. (It ran alone with 25 s: 31 s of an idle machine.)
WALL_LIMIT = 60


def test_wall_clock_limit_stops_one_notebook_and_its_kernel(tmp_path):
    # The cell timeout is far away (300 s): only the per-notebook limit can end this one.
    course = Course(tmp_path, database=f"sqlite:///{tmp_path}/gradebook.db", timeout=300)
    _submit(course, {"looper": {**REFERENCE, "ex1-threshold-unit": "import time\nwhile True:\n    time.sleep(0.1)"},
                     "reference": REFERENCE})
    results = {r.student: r for r in course.autograde(A01, progress=lambda m: None, jobs=2,
                                                      limits=Limits(seconds=WALL_LIMIT, memory_mb=None, processes=512))}
    assert f"{WALL_LIMIT} s time limit" in results["looper"].error and results["looper"].score == 0
    assert WALL_LIMIT <= results["looper"].seconds < 2 * WALL_LIMIT
    assert results["reference"].error is None and results["reference"].score == 17
    assert not _kernels(), "the looping student's kernel was killed with its worker"
    assert course.errors(A01) == {"looper": results["looper"].error}


def test_a_kernel_that_cannot_start_is_an_error_not_a_crash(tmp_path):
    course = Course(tmp_path, database=f"sqlite:///{tmp_path}/gradebook.db")
    _submit(course, {"a": REFERENCE, "b": {}})
    # 16 MB of address space is too little for Python to even start in the sandbox.
    results = course.autograde(A01, progress=lambda m: None, jobs=2, limits=Limits(seconds=60, memory_mb=16, processes=512))
    assert [r.student for r in results] == ["a", "b"]
    for result in results:
        assert result.score == 0 and "kernel could not start under the 16 MB memory limit" in result.error


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    pgserver = pytest.importorskip("pgserver")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR not set on CI machines
        server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


def test_postgresql_gradebook_with_parallel_workers(tmp_path, postgres):
    assert postgres.startswith("postgresql://")
    course = Course(tmp_path, database=postgres)
    wrong = {**REFERENCE, "ex2-gates": REFERENCE["ex2-gates"].replace("AND_W, AND_B = np.array([1.0, 1.0]), -1.5",
                                                                      "AND_W, AND_B = np.array([1.0, 1.0]), -0.5")}
    _submit(course, {"reference": REFERENCE, "blank": {}, "wrong-and": wrong, "reference-2": REFERENCE})
    results = {r.student: r for r in course.autograde(A01, progress=lambda m: None, jobs=2)}
    assert {s: r.score for s, r in results.items()} == {"reference": 17, "blank": 0, "wrong-and": 16, "reference-2": 17}
    assert all(r.error is None for r in results.values())
    # Read back from the server, not from the workers' answers.
    assert {r.student: r.score for r in course.results(A01)} == {s: r.score for s, r in results.items()}
    rows = list(csv.DictReader(course.export_grades(tmp_path / "grades.csv").open()))
    assert {row["student_id"]: float(row["score"]) for row in rows} == {"reference": 17, "blank": 0, "wrong-and": 16,
                                                                          "reference-2": 17}


def test_a_result_the_coordinators_full_disk_cannot_take_is_not_the_students_error(tmp_path, monkeypatch):
    """Unpacking a job's result onto a full disk stops grading (grading.grade says so and keeps what is
    recorded); any other failure there stays that one job's error."""
    import errno

    from autograder.grading import executor as executor_module

    class Done:
        def result(self):
            return b"packed result"

    def full(data, folder):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(executor_module, "unpack", full)
    with pytest.raises(OSError, match="No space left"):
        executor_module.DaskExecutor._collect(Done(), tmp_path / "result")

    def broken(data, folder):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(executor_module, "unpack", broken)
    outcome = executor_module.DaskExecutor._collect(Done(), tmp_path / "result")
    assert outcome.error and "Input/output error" in outcome.error


def test_the_local_clusters_web_server_listens_on_loopback_only():
    """The scheduler's web server (JSON about the workers, an API that can retire them, a dashboard when
    bokeh is there) is the grader's own: never on another interface, and never on a fixed port that a
    second grading run on the same machine would find taken."""
    import socket

    from autograder.grading.executor import DaskExecutor

    with DaskExecutor(1) as executor:
        executor.ready()
        bound = [s.getsockname()[:2] for s in executor.cluster.scheduler.http_server._sockets.values()
                 if s.family in (socket.AF_INET, socket.AF_INET6)]
    assert bound and {address for address, _ in bound} <= {"127.0.0.1"}, bound
    assert all(port != 8787 for _, port in bound), bound
