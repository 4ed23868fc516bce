# nbgrader reads this file when run from the repository root. All settings come from
# autograder.config so the Makefile, the `python -m autograder` CLI and plain `nbgrader`
# commands agree: source = solutions/, release = notebooks/, course state in ./course/.
from autograder.config import nbgrader_config

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)
c.merge(nbgrader_config())
