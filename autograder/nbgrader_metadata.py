"""nbgrader's cell-metadata validation with each schema checked once instead of on every cell.

nbgrader validates every cell's ``metadata.nbgrader`` with ``jsonschema.validate``, which checks the
schema itself against its meta-schema on every call before it validates the cell: nine tenths of the
time, and about 0.25 s of the coordinator's CPU per graded submission (three validations of each
notebook), taken from the cores the students' kernels run on (docs/benchmarks.md). The result is the
same: the same validator class, the schema checked (once), the same best-matching error raised.
"""

from __future__ import annotations

import copy
import json
import types

import jsonschema
from jsonschema import exceptions, validators
from nbgrader.nbgraderformat import common


_VALIDATORS: dict[str, object] = {}


def _validator(schema):
    # Keyed by the schema's content (nbgrader reads it again for each validator it makes); built from
    # the schema as given, whose key order decides which error best_match reports.
    key = json.dumps(schema)
    if key not in _VALIDATORS:
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        if len(_VALIDATORS) > 8:  # nbgrader has one schema per version; never grow without bound
            _VALIDATORS.clear()
        _VALIDATORS[key] = cls(copy.deepcopy(schema))
    return _VALIDATORS[key]


def validate(instance, schema) -> None:
    """``jsonschema.validate(instance, schema)``, with *schema*'s own check done once per schema."""
    error = exceptions.best_match(_validator(schema).iter_errors(instance))
    if error is not None:
        raise error


def install() -> None:
    """Make nbgrader's metadata validators (its only use of jsonschema) call :func:`validate`."""
    common.jsonschema = types.SimpleNamespace(validate=validate, ValidationError=jsonschema.ValidationError)
