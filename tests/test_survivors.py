"""The end-of-run check (tests/conftest.py) fails a run that leaves a process behind, and names it: in a plain
run, and in `make test`'s run on pytest-xdist workers, where the controller checks once its workers have gone.
The same conftest splits the suite the way `make test` runs it: the tests marked alone apart from the rest."""

import subprocess
import sys

import pytest

from autograder import config

from tests import conftest
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


class _Item:
    def __init__(self, nodeid, alone=False):
        self.nodeid, self.alone = nodeid, alone

    def get_closest_marker(self, name):
        return name == "alone" and self.alone or None


class _Config:
    """What conftest's collection hook reads of pytest's config: --alone, the deselection hook, the stash."""

    def __init__(self, alone):
        self.alone, self.deselected, self.stash = alone, [], pytest.Stash()
        self.hook = type("Hook", (), {"pytest_deselected": lambda _, items: self.deselected.extend(items)})()

    def getoption(self, name):
        return {"alone": self.alone}[name]


def test_the_alone_tests_and_the_rest_split_the_suite_as_make_test_runs_it():
    """`--alone=without` and `--alone=only` together keep each test once, the alone-marked ones in the second and
    the class batches' tests in the first (they go last there); `--alone=last` keeps everything, alone ones last."""
    def items():
        return [_Item("tests/test_sandbox.py::test_cpu_share", alone=True),
                _Item("tests/test_assignments.py::test_reference_full_blank_zero[04-mnist]"),
                _Item("tests/test_hostile.py::test_each[reference]", alone=True),
                _Item("tests/test_course.py::test_feedback"), _Item("tests/test_cli.py::test_grade")]

    def kept(alone):
        config, collected = _Config(alone), items()
        conftest.pytest_collection_modifyitems(None, config, collected)
        return [item.nodeid for item in collected], [item.nodeid for item in config.deselected], config
    everything = [item.nodeid for item in items()]
    rest, rest_deselected, config = kept("without")
    alone, alone_deselected, _ = kept("only")
    assert sorted(rest + alone) == sorted(everything) and not set(rest) & set(alone)
    assert alone == ["tests/test_sandbox.py::test_cpu_share", "tests/test_hostile.py::test_each[reference]"]
    assert sorted(rest_deselected) == sorted(alone) and sorted(alone_deselected) == sorted(rest), "deselected, said so"
    assert rest[-1].startswith(conftest.BATCHES) and config.stash[conftest._ASSIGNMENTS] == ["04-mnist"]
    last, _, _ = kept("last")
    assert sorted(last) == sorted(everything) and last[-2:] == alone


def test_a_run_of_the_alone_tests_that_selects_none_passes():
    """make test's PYTEST_ARGS reach both runs: a `-k` that selects no alone test must not fail the second."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_sandbox.py",
                           "--alone=only", "-k", "network"], capture_output=True, text=True, cwd=config.REPO_ROOT,
                          timeout=120)
    assert done.returncode == 0 and "deselected" in done.stdout, done.stdout[-2000:]


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
