"""The grader's folders are its pipeline's stages, and imports point one way down them.

authoring → intake → grading → reporting, over a foundation (settings, paths, notebooks, data files)
that imports no stage; only the commands (``cli``, ``course``, ``single``) reach every stage. Read
from the source with ``ast`` (imports inside functions count too), so a shortcut fails here before
it becomes a cycle. The kernel's package and the model evaluator, which run inside sandboxes, import
nothing of the grader at all, and no grader module shares a name with a kernel module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from autograder import config

PACKAGE = config.REPO_ROOT / "autograder"
STAGES = ["authoring", "intake", "grading", "reporting"]
FOUNDATION = {"config", "layout", "version", "notebooks", "nbgrader_metadata", "dataset_files"}
COMMANDS = {"cli", "course", "single", "__main__", "__init__"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(config.REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str | None = None) -> set[str]:
    """Every autograder/course_kernel module *path* (module *module*) imports, as absolute names."""
    module = module or _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in {"autograder", "course_kernel"}}


def _rank(module: str) -> int | None:
    """Foundation 0, the stages 1-4, the commands 5; None for a name that is not a module."""
    parts = module.split(".")
    if parts[0] != "autograder" or len(parts) == 1:
        return 0 if parts == ["autograder"] else None
    if parts[1] in STAGES:
        return STAGES.index(parts[1]) + 1
    if parts[1] in FOUNDATION:
        return 0
    if parts[1] in COMMANDS:
        return 5
    return None


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_grader_module_belongs_to_a_stage_or_the_foundation():
    loose = [_module(p) for p in SOURCES if _rank(_module(p)) is None]
    assert not loose, f"place these in a stage folder or list them as foundation/commands here: {loose}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: _module(p))
def test_imports_point_down_the_pipeline(path):
    own = _rank(_module(path))
    upward = sorted(name for name in _imports(path)
                    if name.startswith("autograder") and (_rank(name) or 0) > own)
    assert not upward, f"{_module(path)} (rank {own}) imports a later stage or a command: {upward}"


def test_sandboxed_code_imports_nothing_of_the_grader():
    inside = sorted((config.REPO_ROOT / "course_kernel").rglob("*.py")) + [PACKAGE / "grading" / "model_evaluator.py"]
    reaching = {_module(p): sorted(n for n in _imports(p) if n.startswith("autograder")) for p in inside}
    assert not any(reaching.values()), f"code that runs in a sandbox imports the grader: {reaching}"


def test_no_grader_module_shares_a_name_with_a_kernel_module():
    kernel = {p.stem for p in (config.REPO_ROOT / "course_kernel").glob("*.py")} - {"__init__"}
    grader = {p.stem for p in SOURCES} - {"__init__"}
    assert not kernel & grader, f"one name, two modules (a reader cannot tell which is meant): {kernel & grader}"


def test_the_rule_catches_an_upward_import(tmp_path):
    """The check itself can fail: a foundation module importing a stage is reported."""
    bad = PACKAGE / "layout.py"
    source = bad.read_text() + "\nfrom autograder.grading import batch\n"
    probe = tmp_path / "autograder" / "layout.py"
    probe.parent.mkdir()
    probe.write_text(source)
    imports = {n for n in _imports(probe, "autograder.layout") if n.startswith("autograder")}
    assert "autograder.grading.batch" in imports and max(_rank(n) or 0 for n in imports) == 3
