"""Before anyone is graded: the data the assignments load, and a working sandbox.

Grading a class against a missing data file or without the sandbox it promises would give every
student a wrong grade, silently. So grading of any kind checks first and stops, before grading
anyone, with the missing file (or the sandbox's problem) and the command that fixes it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from autograder import config, dataset_files
from autograder.grading import checks as registry, sandbox

_sandbox_works = False


def require_ready(assignments: list[str]) -> None:
    """Raise DataError or SandboxUnavailable, each with its fix, unless grading *assignments* can go ahead."""
    global _sandbox_works
    dataset_files.require_data({name for assignment in assignments for name in registry.for_assignment(assignment).datasets})
    if sandbox.enabled() and not _sandbox_works:
        with tempfile.TemporaryDirectory(prefix="sandbox-check-") as scratch:
            sandbox.check(Path(scratch))
        _sandbox_works = True


def exit_unless_ready(arguments: list[str]) -> None:
    """For plain `nbgrader autograde ARGS`: check the assignments named in ARGS (all if none)."""
    known = config.assignments()
    named = [argument for argument in arguments if argument in known]
    try:
        require_ready(named or known)
    except (dataset_files.DataError, sandbox.SandboxUnavailable) as exc:
        raise SystemExit(f"error: nothing was graded: {exc}") from None
