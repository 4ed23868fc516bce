"""The once-checked schema validation decides every cell's metadata exactly as jsonschema.validate does."""

import json

import jsonschema
import pytest
from hypothesis import given, settings, strategies as st
from nbgrader.nbgraderformat import MetadataValidator, ValidationError, common

from autograder import nbgrader_metadata
from autograder.grading import nbgrader_settings
from autograder.notebooks import read_notebook, source_notebook

SCHEMA = MetadataValidator().schema
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False), st.text(max_size=4),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
KEYS = st.sampled_from(["grade", "solution", "locked", "task", "points", "grade_id", "schema_version", "other"])


def _outcome(validate, instance, schema=SCHEMA):
    try:
        validate(instance, schema)
    except jsonschema.ValidationError as error:
        return error.message, list(error.absolute_path)
    return "valid"


def test_nbgrader_uses_the_once_checked_validation():
    assert common.jsonschema.validate is nbgrader_metadata.validate


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=7), st.booleans())
def test_every_cell_metadata_gets_jsonschemas_own_verdict(metadata, as_nbgrader_writes_it):
    if as_nbgrader_writes_it:
        metadata = {"schema_version": 3, "grade": True, "solution": False, "locked": True, "points": 1,
                    "grade_id": "x", **metadata}
    assert _outcome(nbgrader_metadata.validate, metadata) == _outcome(jsonschema.validate, metadata)


def test_a_wrong_schema_is_still_refused():
    broken = {**SCHEMA, "type": 12}
    with pytest.raises(jsonschema.SchemaError):
        nbgrader_metadata.validate({}, json.loads(json.dumps(broken)))


def test_the_course_notebooks_still_validate_and_a_bad_cell_still_fails(tmp_path):
    validator = MetadataValidator()
    nb = read_notebook(source_notebook("01-perceptrons"))
    validator.validate_nb(nb)
    graded = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade"))
    graded.metadata.nbgrader["points"] = "three"
    with pytest.raises(ValidationError):
        validator.validate_nb(nb)
