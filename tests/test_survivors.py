"""The end-of-run check (tests/conftest.py) fails a run that leaves a process behind, and names it: in a plain
run, and in `make test`'s run on pytest-xdist workers, where the controller checks once its workers have gone.
The same conftest splits the suite the way `make test` runs it: the tests marked alone apart from the rest."""

import subprocess
import sys

import pytest

from autograder import config

from tests.conftest import batch_assignments

LEAKY = ("import subprocess, sys\n"
         "def test_starts_a_server_and_forgets_it():\n"
         "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # leaked-on-purpose'],\n"
         "                     start_new_session=True)\n"
         "def test_does_nothing():\n"
         "    pass\n")


def _pytest(*args, rootdir):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                           "--rootdir", str(rootdir), *map(str, args)],
                          capture_output=True, text=True, cwd=config.REPO_ROOT, timeout=120)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["plain", "two-xdist-workers"])
def test_a_run_that_leaves_a_process_behind_fails(tmp_path, workers):
    (tmp_path / "test_leaky.py").write_text(LEAKY)
    done = _pytest(*workers, tmp_path / "test_leaky.py", rootdir=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert done.stdout.count("processes outlived the test run") == 1, "checked once, by whoever started the run"
    assert "leaked-on-purpose" in done.stdout
    assert "2 passed" in done.stdout, "the tests themselves passed: the check failed the run"


def test_the_alone_tests_and_the_rest_split_the_suite_as_make_test_runs_it():
    """`--alone=without` and `--alone=only` together collect each test once, the alone-marked in the second;
    a second run that selects none of them passes (make test's `-k` reaches both runs)."""
    def collected(*args):
        done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                               "tests/test_sandbox.py", *args], capture_output=True, text=True, cwd=config.REPO_ROOT,
                              timeout=120)
        return {line for line in done.stdout.splitlines() if line.startswith("tests/")}, done.returncode
    (everything, _), (rest, _), (alone, _) = collected(), collected("--alone=without"), collected("--alone=only")
    assert alone and rest and not alone & rest and alone | rest == everything, (alone, rest)
    assert len(alone) == 2 and all("tmpfs_pages" in test or "share_of_the_cpu" in test for test in alone), alone
    none, code = collected("--alone=only", "-k", "network")
    assert not none and code == 0, code


def test_the_class_batches_to_start_are_read_from_the_test_ids():
    """What an xdist controller knows of the run: the workers' test ids. Only test_assignments' tests, and only
    the parameters that are assignments, start a batch: once each, in the order their tests come."""
    ids = ["tests/test_assignments.py::test_reference_full_blank_zero[04-mnist]",
           "tests/test_assignments.py::test_no_corrupted_evidence_passes_its_judge[04-mnist]",
           "tests/test_assignments.py::test_reference_full_blank_zero[02-linear-regression]",
           "tests/test_colab.py::test_colab_variants_of_the_reference_get_full_marks[06-california-housing]",
           "tests/test_assignments.py::test_something[not-an-assignment]"]
    assert batch_assignments(ids) == ["04-mnist", "02-linear-regression"]
    assert batch_assignments(ids[3:]) == []
