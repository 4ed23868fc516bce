"""Corrupted copies of recorded evidence, for the property tests of the judges.

A value at any depth of what a hidden test recorded is replaced by something the exercise's answer
never is: NaN, an infinity, an empty, scalar, transposed or column-shaped array, digits as strings,
a bool, a string or None. Used on 01 and 01b (tests/checks/test_evidence_variants.py) and on every
graded reference (tests/test_assignments.py).
"""

from __future__ import annotations

import copy

import numpy as np

# A scikit-learn get_params() dict is judged by refitting it: settings that change nothing about
# the fit (n_jobs, verbose) are not wrong answers, so such a dict is varied whole, not per setting.
WHOLE = ("_params",)


def is_leaf(key, value) -> bool:
    if isinstance(key, str) and key.endswith(WHOLE):
        return True
    if isinstance(value, dict):
        return False
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value).dtype.kind in "biuf"
        except ValueError:  # ragged
            return False
    return True


def leaves(values, path=()):
    """Every (path, value) of *values* that is a single answer: a number, an array, a string, None."""
    items = values.items() if isinstance(values, dict) else enumerate(values)
    for key, value in items:
        if is_leaf(key, value):
            yield (*path, key), value
        else:
            yield from leaves(value, (*path, key))


def corruptions(value) -> list:
    """What *value* is replaced by. A text is replaced only by non-texts and None only by non-bools:
    another text, or a flag where the recorder found no attribute, is another answer (the wrong
    submissions' business), not a corruption."""
    array = np.asarray(value) if not isinstance(value, (dict, str)) and value is not None else None
    out = [float("nan"), float("inf"), -float("inf"), True, "0.5", None, np.zeros((0, 2))]
    if array is not None and array.dtype.kind in "biuf":
        out += [np.full(array.shape, np.nan), np.full(array.shape, np.inf), np.array(array.astype(str))]
        if array.ndim >= 1:
            out += [0.0, array.reshape(-1, 1) if array.ndim == 1 else array.T if array.shape[0] != array.shape[1]
                    else array[:, :0], np.zeros((0,) + array.shape[1:])]
    if isinstance(value, str):
        out = [new for new in out if not isinstance(new, str)]
    if value is None:
        out = [new for new in out if new is not None and not isinstance(new, bool)]
    return [new for new in out if not (isinstance(new, bool) and value is new)]  # a change, never the same value


def replace(values, path, new):
    """A deep copy of *values* with the leaf at *path* replaced by *new*."""
    values = copy.deepcopy(values)
    target = values
    for key in path[:-1]:
        target = target[key]
        if isinstance(target, tuple):
            raise TypeError("tuples are recorded as lists")
    target[path[-1]] = new
    return values


def prediction_corruptions(array: np.ndarray) -> list[np.ndarray]:
    """What a model's predictions (written by the model sandbox) are replaced by."""
    return [np.full(array.shape, np.nan), np.full(array.shape, np.inf), array[:0],
            array.reshape(-1, 1) if array.ndim == 1 else array.T]
