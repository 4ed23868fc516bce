# nbgrader reads this file when run from the repository root. All settings come from
# autograder.grading.nbgrader_settings, so the Makefile, the `python -m autograder` CLI and plain `nbgrader`
# commands agree: source = solutions/, release = notebooks/, course state in ./course/, and every
# notebook autograded in a sandbox, its tests decided outside it.
import sys
from pathlib import Path

from autograder.grading.nbgrader_settings import nbgrader_config

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
c.merge(nbgrader_config())

# `nbgrader autograde` run from here checks the data and the sandbox first, and stops before
# grading anyone if either is missing (an exception in this file would only be logged).
_program = Path(sys.argv[0])
if (_program.name == "nbgrader" or _program.parent.name == "nbgrader") and sys.argv[1:2] == ["autograde"]:
    from autograder.grading.preflight import exit_unless_ready

    exit_unless_ready(sys.argv[2:])
