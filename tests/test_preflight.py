"""Grading never runs on missing data: every way in stops before grading anyone, and says the fix.

(The data cache built before any kernel starts, with two 06 notebooks graded at once on a data
folder that had none, is in test_assignments.py.)
"""

import gzip
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import config, dataset_files
from autograder.course import Course
from autograder.grading import preflight
from autograder.notebooks import compose_submission, released_notebook, solution_answers

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A04 = "04-mnist"


@pytest.fixture
def broken_data(tmp_path, data_root):
    """A copy of the data folder with one MNIST file missing and one corrupt."""
    copy = tmp_path / "data"
    shutil.copytree(data_root / "mnist", copy / "mnist")
    (copy / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    images = copy / "mnist" / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(gzip.decompress(images.read_bytes())[:-1]))
    return copy


def _course_with_one_submission(root):
    course = Course(root, database=f"sqlite:///{root}/gradebook.db")
    folder = course.submission_dir(assignment=A04, student="ann")
    folder.mkdir(parents=True)
    nbformat.write(compose_submission(A04, solution_answers(A04)), folder / released_notebook(A04).name)
    return course


def _environment(**settings):
    return {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}", **settings}


def test_the_library_refuses_and_names_the_file_and_the_fix(broken_data, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(broken_data))
    with pytest.raises(dataset_files.DataError, match=r"(missing|corrupt): .*mnist.*make data"):
        preflight.require_ready([A04])
    preflight.require_ready(["01-perceptrons"])  # needs no data files: not held up by MNIST


def test_make_autograde_grades_no_one_without_the_data(tmp_path, broken_data):
    course = _course_with_one_submission(tmp_path / "course")
    done = subprocess.run([sys.executable, "-m", "autograder", "autograde", A04], capture_output=True, text=True,
                          cwd=config.REPO_ROOT, timeout=600,
                          env=_environment(COURSE_DIR=str(course.root), COURSE_DATA_DIR=str(broken_data)))
    assert done.returncode == 3 and "nothing was graded" in done.stderr and "make data" in done.stderr, done.stderr
    assert "t10k" in done.stderr
    # Refused before anything started: no cluster, no generated release, no gradebook written.
    assert "Dask" not in done.stdout and not (course.root / "release").exists()
    assert not (course.root / "gradebook.db").exists()
    assert course.results(A04)[0].error == "not graded yet: run make autograde"
    assert not (course.root / "autograded").exists() and not course.layout.jobs().exists()


def test_the_library_s_autograde_refuses_before_it_generates_or_starts_a_cluster(tmp_path, broken_data, monkeypatch):
    """What the single-file grader and the tests call: it once generated the release and started a local
    cluster (about 10 s) before the batch's own check refused."""
    course = _course_with_one_submission(tmp_path / "course")
    monkeypatch.setenv("COURSE_DATA_DIR", str(broken_data))
    monkeypatch.setattr("autograder.course.DaskExecutor", lambda *a, **k: pytest.fail("a cluster was started"))
    with pytest.raises(dataset_files.DataError, match="make data"):
        course.autograde(A04)
    assert not (course.root / "release").exists() and not course.layout.jobs().exists()


def test_the_single_file_grader_refuses_too(tmp_path, broken_data):
    path = tmp_path / "Copy of 04-mnist.ipynb"
    nbformat.write(compose_submission(A04, solution_answers(A04)), path)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--json"], capture_output=True, text=True,
                          cwd=config.REPO_ROOT, timeout=600, env=_environment(COURSE_DATA_DIR=str(broken_data)))
    assert done.returncode == 3 and done.stdout == "" and "make data" in done.stderr, done.stderr


def test_plain_nbgrader_autograde_from_the_repository_refuses_too(tmp_path, broken_data):
    course = _course_with_one_submission(tmp_path / "course")
    course.generate(A04)
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", A04, "--force"], capture_output=True, text=True,
                          cwd=config.REPO_ROOT, timeout=600,
                          env=_environment(COURSE_DIR=str(course.root), COURSE_DB_URL=course.db_url,
                                           COURSE_DATA_DIR=str(broken_data)))
    assert done.returncode != 0 and "nothing was graded" in done.stderr and "make data" in done.stderr, done.stderr
    assert not (course.root / "autograded").exists()
