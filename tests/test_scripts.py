"""Every script in scripts/ runs (one seed, one assignment), so none breaks silently; and what the
Keras calibrations use of the checks still exists (running them takes a notebook per seed)."""

import ast
import importlib
import subprocess
import sys

import pytest

from autograder import config

SCRIPTS = config.REPO_ROOT / "scripts"
pytestmark = pytest.mark.slow  # grades a notebook


def _run(*arguments, timeout=600):
    done = subprocess.run([sys.executable, *map(str, arguments)], capture_output=True, text=True,
                          cwd=config.REPO_ROOT, timeout=timeout)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_every_script_has_a_smoke_test_here():
    assert {p.name for p in SCRIPTS.glob("*.py")} == {"benchmark.py", "benchmark_parallel.py", "calibrate.py"}


@pytest.mark.parametrize("assignment", ["01-perceptrons", "01b-backpropagation"])
def test_calibrate_runs_one_seed(assignment):
    out = _run(SCRIPTS / "calibrate.py", assignment, "--seeds", "1")
    assert assignment in out and "min" in out


def test_what_the_keras_calibrations_use_of_the_checks_exists():
    """`from autograder.grading.checks import X as name` inside the calibration functions, then `name.attr`:
    every such attribute must exist (06's once named a removed function)."""
    tree = ast.parse((SCRIPTS / "calibrate.py").read_text())
    used = []
    for function in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        aliases = {}
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograder"):
                for alias in node.names:
                    module = f"{node.module}.{alias.name}"
                    try:
                        importlib.import_module(module)
                        aliases[alias.asname or alias.name] = module
                    except ModuleNotFoundError:
                        assert hasattr(importlib.import_module(node.module), alias.name), f"{function.name}: {module}"
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                used.append((function.name, aliases[node.value.id], node.attr))
    assert len(used) > 20
    missing = [u for u in used if not hasattr(importlib.import_module(u[1]), u[2])]
    assert not missing, missing


def test_benchmark_grades_one_reference():
    out = _run(SCRIPTS / "benchmark.py", "--yardstick-epochs", "1", "01-perceptrons")
    assert "| 01-perceptrons |" in out and "17/21" in out and "yardstick: the 784-300-100-10 MLP, 1 epochs" in out


def test_benchmark_parallel_compares_one_notebook_with_stock_nbgrader():
    out = _run(SCRIPTS / "benchmark_parallel.py", "single", "01-perceptrons", "--repeat", "1")
    assert "01-perceptrons" in out and "stock" in out.lower()
