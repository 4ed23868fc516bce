"""The environment files agree, and CI runs exactly the README's test command."""

import importlib.util
import os
import re
import sys

import yaml

from autograder import config


def _pins(lines):
    return dict(m.groups() for line in lines if (m := re.match(r"^\s*-?\s*([A-Za-z0-9_.-]+)==(\S+)\s*$", line)))


def test_environment_yml_pins_equal_requirements():
    env = yaml.safe_load((config.REPO_ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_pins = _pins(pip_section)
    locked = {k.lower(): v for k, v in _pins((config.REPO_ROOT / "requirements.txt").read_text().splitlines()).items()}
    assert conda_pins, "environment.yml pins nothing"
    mismatched = {name: (version, locked.get(name.lower())) for name, version in conda_pins.items()
                  if locked.get(name.lower()) != version}
    assert not mismatched, f"environment.yml vs requirements.txt: {mismatched}"
    assert "python=3.11" in env["dependencies"]


def test_required_versions_are_pinned():
    locked = _pins((config.REPO_ROOT / "requirements.txt").read_text().splitlines())
    assert locked["tensorflow"].startswith("2.21") and locked["keras"].startswith("3.")
    assert locked["nbgrader"] == "0.9.6" and locked["jupyterlab"].startswith("4.6")


def test_ci_runs_the_readme_test_command():
    readme = (config.REPO_ROOT / "README.md").read_text()
    ci = (config.REPO_ROOT / ".ci" / "run").read_text()
    command = re.search(r"make test MIRROR=\S+", readme).group(0)
    assert [line for line in ci.splitlines() if line.startswith("make")] == [command]
    assert re.search(r"make demo MIRROR=\S+", readme), "the README's first commands: demo and test"


def test_the_installed_modules_carry_their_bytecode():
    """`make install` compiles the environment itself (pip is told not to): a sandboxed kernel, whose runtime
    is read-only, would otherwise compile TensorFlow's modules again at every start."""
    missing = []
    for name in ("numpy", "keras", "sklearn", "tensorflow", "nbgrader"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        cached = importlib.util.cache_from_source(spec.origin)
        if not os.path.exists(cached):
            missing.append(cached)
    assert not missing, f"no bytecode beside these modules of {sys.prefix}: {missing}"


def test_what_install_leaves_uncompiled_is_nothing_a_kernel_imports():
    """`make install` skips the bytecode of packages' own test suites; no module a notebook's setup cell or the
    kernel itself imports may be among them (TensorFlow's tf.test API, in `test/` folders, is imported at start)."""
    import sysconfig

    import ipykernel.kernelapp  # noqa: F401 - what a kernel imports, then what the setup cells do
    import keras  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import tensorflow  # noqa: F401

    pattern = re.search(r"^NOT_COMPILED := (\S+)$", (config.REPO_ROOT / "Makefile").read_text(), re.M).group(1)
    purelib = sysconfig.get_path("purelib")
    loaded = [m.__file__ for m in list(sys.modules.values()) if str(getattr(m, "__file__", "")).startswith(purelib)]
    assert len(loaded) > 1000 and any("/tensorflow/_api/v2/test/" in f for f in loaded), "the probe imported them"
    skipped = [f for f in loaded if re.search(pattern, f)]
    assert not skipped, f"make install leaves these without bytecode ({pattern!r}), yet they are imported: {skipped[:5]}"


def test_grader_processes_skip_the_slow_optional_iri_checker():
    """A grader process pays nothing for rfc3987-syntax's parser (1.1 CPU-seconds at import), and nbformat still
    validates: a notebook with a broken cell is refused."""
    import subprocess

    probe = ("import autograder, nbformat, sys\n"
             "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
             "nbformat.validate(nb)\n"
             "nb.cells[0]['cell_type'] = 'nonsense'\n"
             "try:\n    nbformat.validate(nb)\nexcept nbformat.ValidationError:\n    print('refused')\n"
             "print('lark' in sys.modules, 'jsonschema' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", "False", "True"], done.stdout


def test_hypothesis_writes_nothing_into_the_repository():
    """test_redteam.py hashes the repository around its batch; the suite's own tools must not write there."""
    from hypothesis.configuration import storage_directory

    where = storage_directory("unicode_data").path.resolve()
    assert config.REPO_ROOT.resolve() not in where.parents, where
