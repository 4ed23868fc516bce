"""The new-assignment checklist (docs/adding-an-assignment.md), as a test: every assignment in
solutions/ has each of the things a new one must bring, so forgetting one fails here by name."""

import ast
import tomllib

import pytest

from autograder import config
from autograder.authoring.samples import PARTIAL_SCORES
from autograder.grading import checks

ASSIGNMENTS = config.assignments()


def _script_names(script: str, variable: str) -> set[str]:
    """The string keys (or elements) of a top-level dict or list in scripts/<script>."""
    tree = ast.parse((config.REPO_ROOT / "scripts" / script).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == variable for t in node.targets):
            return {k.value for k in getattr(node.value, "keys", getattr(node.value, "elts", [])) if isinstance(k, ast.Constant)}
    raise AssertionError(f"scripts/{script} has no {variable}")


def _calibrated() -> set[str]:
    """What scripts/calibrate.py measures by default: its Keras table and the assignments it names itself."""
    text = (config.REPO_ROOT / "scripts" / "calibrate.py").read_text()
    return _script_names("calibrate.py", "KERAS_METRICS") | {a for a in ASSIGNMENTS if f'"{a}"' in text}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_new_assignment_brings_everything(assignment):
    missing = []
    if assignment not in checks.REGISTRY:
        missing.append("its judges in autograder/grading/checks/, registered in autograder/grading/checks/__init__.py")
    if not (config.SAMPLES_DIR / assignment / "partial.py").is_file() or assignment not in PARTIAL_SCORES:
        missing.append("samples/<assignment>/partial.py and its pinned score in autograder/authoring/samples.py")
    if assignment not in (config.REPO_ROOT / "docs" / "calibration.md").read_text():
        missing.append("its thresholds in docs/calibration.md")
    if assignment not in _script_names("benchmark.py", "HEADLINE"):
        missing.append("its headline number in scripts/benchmark.py")
    if assignment not in _calibrated():
        missing.append("its measurements in scripts/calibrate.py")
    if assignment not in tomllib.loads((config.REPO_ROOT / "schedule.toml").read_text()):
        missing.append("its release and due dates in schedule.toml")
    wrong = (config.REPO_ROOT / "tests" / "test_assignments.py").read_text()
    if assignment != "01-perceptrons" and f"WRONG[{_constant(assignment)}]" not in wrong and f"{_constant(assignment)}: {{" not in wrong:
        missing.append("wrong submissions in tests/test_assignments.py (WRONG)")
    if not (config.NOTEBOOKS_DIR / assignment).is_dir():
        missing.append("its release in notebooks/ (make release)")
    assert not missing, f"{assignment} lacks: " + "; ".join(missing)


def _constant(assignment: str) -> str:
    """The name test_assignments.py gives it: A02 for 02-linear-regression, A01B for 01b-..."""
    return "A" + assignment.split("-")[0].upper()
