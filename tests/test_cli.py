"""`python -m autograder grade FILE --json`: one file, no course folder, JSON out, exit 2 on unusable input.
The file graded is a Colab download: its repair is reported."""

import json
import subprocess
import sys

import nbformat
import pytest

from autograder import config
from autograder.notebooks import compose_submission, solution_answers

from tests.factories import colab_saved

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A01 = "01-perceptrons"


def run(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          cwd=config.REPO_ROOT, timeout=600)


@pytest.fixture(scope="module")
def colab_named_partial(tmp_path_factory):
    # Any file name: the assignment is recognised from the notebook itself, saved as Colab saves it
    # (nbgrader's metadata gone, put back by matching cells to the release).
    path = tmp_path_factory.mktemp("download") / "Copy of homework (2).ipynb"
    answers = solution_answers(A01)
    answers["ex2-gates"] = answers["ex2-gates"].replace("AND_B = np.array([1.0, 1.0]), -1.5",
                                                        "AND_B = np.array([1.0, 1.0]), -0.5")
    nbformat.write(colab_saved(compose_submission(A01, answers), strip_nbgrader=True), path)
    return path


def test_grade_prints_json_per_test(colab_named_partial):
    done = run("grade", colab_named_partial, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["assignment"] == A01 and report["max_score"] == 21 and report["score"] == 16
    tests = {t["grade_id"]: t for t in report["tests"]}
    assert len(tests) == 14 and tests["written-1"] == {"grade_id": "written-1", "points": 0, "max_points": 2,
                                                       "passed": False, "written": True, "needs_grading": True}
    assert tests["test-and-gate"]["passed"] is False and tests["test-and-gate"]["points"] == 0
    assert "AssertionError" in tests["test-and-gate"]["error"]
    assert all(t["passed"] and t["points"] == t["max_points"] and "error" not in t
               for g, t in tests.items() if g.startswith("test-") and g != "test-and-gate")
    assert any("restored nbgrader metadata" in note for note in report["notes"]), report["notes"]


def test_grade_without_json_prints_a_table(colab_named_partial):
    done = run("grade", colab_named_partial, "--assignment", A01)
    assert done.returncode == 0 and "16/21" in done.stdout and "and-gate" in done.stdout


@pytest.mark.parametrize("setup, message", [
    (lambda p: p.write_text("this is not json"), "not a Jupyter notebook"),
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "folder"),
])
def test_unusable_input_exits_2_with_a_message(tmp_path, setup, message):
    path = tmp_path / "01-perceptrons.ipynb"
    setup(path)
    done = run("grade", path, "--json")
    assert done.returncode == 2 and message in done.stderr and done.stdout == ""


def test_unknown_assignment_exits_2(tmp_path):
    path = tmp_path / "essay.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("hi")]), path)
    done = run("grade", path)
    assert done.returncode == 2 and "cannot tell which assignment" in done.stderr
    done = run("grade", path, "--assignment", "99-nope")
    assert done.returncode == 2 and "unknown assignment" in done.stderr


def test_data_verify_command(data_root):
    done = run("data", "verify")
    assert done.returncode == 0 and done.stdout.count("ok ") == 10, "nine files and the cache built from one"


def test_every_subcommand_has_its_handler_in_the_table():
    """The parser's subcommands and cli.COMMANDS name the same commands, each to its own _cmd_ function."""
    import argparse

    from autograder import cli

    (choices,) = [a.choices for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(choices) == set(cli.COMMANDS), f"parser and table differ: {set(choices) ^ set(cli.COMMANDS)}"
    assert all(handler.__name__ == f"_cmd_{name}" for name, handler in cli.COMMANDS.items())
