"""The README's main command on a fresh clone: `make demo` alone builds the environment, fetches and verifies
the data, releases, grades the sample class and checks its own outcome; with a data file then damaged,
grading stops before anyone is graded and says how to fix it.

The chain (clone, venv, data, sandbox, grading, the demo's own check) is proven on one assignment, 01:
what the demo checks for every assignment (references full, blanks 0, partial samples at their pinned
scores, a truncated download reported) is checked on the class batches the suite grades anyway
(test_assignments.py, test_course.py), so it is not graded a second time here.

This clones the committed HEAD and builds a second environment (from pip's cache when the suite's own
`make test` has just filled it), so it is the slowest test of the suite; the mirror it fetches from is the
suite's verified data folder, whatever the machine calls its own mirror.
"""

import os
import subprocess
import sys

import pytest

from autograder import config

pytestmark = pytest.mark.slow

DEMO = "01-perceptrons"


def _clean_environment() -> dict:
    """The environment of someone who just cloned: no course settings, no activated virtual environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "VIRTUAL_ENV", "PYTHONPATH"))}
    venv_bin = str(config.REPO_ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
    env["PYTHON"] = os.environ.get("PYTHON", f"python{sys.version_info.major}.{sys.version_info.minor}")
    return env


@pytest.fixture(scope="module")
def demo_in_a_fresh_clone(tmp_path_factory, data_root):
    clone = tmp_path_factory.mktemp("fresh") / "course-repo"
    subprocess.run(["git", "clone", "-q", str(config.REPO_ROOT), str(clone)], check=True)
    env = _clean_environment()
    done = subprocess.run(["make", "demo", f"ASSIGNMENT={DEMO}", f"MIRROR={data_root}", f"PYTHON={env['PYTHON']}"],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=3600)
    return clone, env, done


def test_make_demo_alone_gives_every_reference_full_marks(demo_in_a_fresh_clone):
    clone, _, done = demo_in_a_fresh_clone
    assert done.returncode == 0, f"make demo failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "demo ok: every reference earned every autograded point" in done.stdout
    assert f"== {DEMO}: grading" in done.stdout, f"the demo graded {DEMO}"
    # The sample class holds one copied pair (samples/01-perceptrons/copied.py): named, not graded down.
    assert "copied ~ partial" in done.stdout or "partial ~ copied" in done.stdout, done.stdout[-3000:]
    assert (clone / ".venv" / "bin" / "python").exists() and (clone / "data" / "files" / "mnist").is_dir()


@pytest.mark.parametrize("damage", ["deleted", "corrupted"])
def test_with_a_data_file_damaged_grading_stops_and_names_the_fix(demo_in_a_fresh_clone, damage):
    clone, env, done = demo_in_a_fresh_clone
    assert done.returncode == 0, "the demo ran first"
    victim = clone / "data" / "files" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    original = victim.read_bytes()
    try:
        if damage == "deleted":
            victim.unlink()
        else:
            victim.write_bytes(original[:100] + bytes(len(original) - 100))
        graded = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-m", "autograder", "demo", "04-mnist"],
                                cwd=clone, env=env, capture_output=True, text=True, timeout=600)
        assert graded.returncode == 3, graded.stdout[-2000:] + graded.stderr[-2000:]
        assert "nothing was graded" in graded.stderr and "t10k-labels-idx1-ubyte.gz" in graded.stderr
        assert "make data" in graded.stderr, "the message names the command that fixes it"
        assert "grading 4 sample submissions" not in graded.stdout
    finally:
        victim.write_bytes(original)
