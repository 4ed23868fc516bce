"""Autograding, hidden-test checks and offline data for the 'Artificial Neural Networks with Keras' notebooks."""

import sys

__version__ = "0.1.0"

# Every grader process (CLI, Dask worker, coordinator) imports nbformat, which imports jsonschema, which imports
# the optional IRI-format checker rfc3987-syntax when it is installed (jupyter-events' extras pull it in). That
# package builds a Lark parser at import: 1.1 CPU-seconds in each process, for a string format nothing here
# validates (python-jsonschema/jsonschema#1392). Marked absent, jsonschema skips that one format.
sys.modules.setdefault("rfc3987_syntax", None)
