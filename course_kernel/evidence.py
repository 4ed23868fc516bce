"""What a hidden test observed, written down as plain data for the grader to judge.

Hidden tests run in the student's kernel, so nothing they compute there can be trusted to decide a
point. They only *record evidence*: the outputs of the student's functions on the grader's inputs
(``challenge``), numbers and arrays the notebook produced, training histories, and models saved as
``.keras`` files. After the kernel is gone, the grader reads the evidence in a process of its own
and decides each test there (``autograder.grading.judging``).

The format is JSON with a few tagged objects, so it can be read without unpickling anything:

* ``{"__array__": {"dtype": "float32", "shape": [2, 3], "data": "<base64>"}}`` for numeric arrays;
* ``{"__float__": "nan"}`` (or ``"inf"``, ``"-inf"``) for non-finite numbers;
* ``{"__dict__": [[key, value], ...]}`` for a dictionary whose keys JSON cannot carry as they are;
* ``{"__model__": {"file": "<name>.keras", "export": "<folder>" or null, "error": ...}}`` for a Keras
  model, saved beside the evidence file (subclassed models are also exported as a SavedModel, which
  the grader can run without the student's class);
* ``{"__unsupported__": "<type name>"}`` for anything else: recorded as what it is, never pickled.

Outside grading there are no challenges, and the hidden tests say so.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

CHALLENGE_DIR_VARIABLE = "COURSE_CHALLENGE_DIR"
EVIDENCE_DIR_VARIABLE = "COURSE_EVIDENCE_DIR"
TEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# Array kinds that are plain numbers: bool, signed and unsigned integers, floating point.
NUMERIC_KINDS = "biuf"
MAX_DEPTH = 32

_recorded: dict[str, dict[str, Any]] = {}


class NotGrading(RuntimeError):
    """Hidden tests only run inside the grader, which provides their inputs."""


def _checked(test_id: str) -> str:
    if not isinstance(test_id, str) or not TEST_ID.match(test_id):
        raise ValueError(f"not a test id: {test_id!r}")
    return test_id


def evidence_dir() -> Path:
    return Path(os.environ.get(EVIDENCE_DIR_VARIABLE) or "evidence")


def challenge(test_id: str) -> dict[str, Any]:
    """The grader's inputs for one hidden test (random for every grading run)."""
    folder = os.environ.get(CHALLENGE_DIR_VARIABLE)
    if not folder:
        raise NotGrading("hidden tests run only when the notebook is graded "
                         "(python -m autograder grade <notebook>), which gives them their inputs")
    path = Path(folder) / f"{_checked(test_id)}.json"
    return decode(json.loads(path.read_text()))


def record(test_id: str, **values: Any) -> None:
    """Write *values* down as the evidence of *test_id* (later calls add to it)."""
    folder = evidence_dir()
    own = folder / _checked(test_id)
    entry = _recorded.setdefault(test_id, {})
    for key, value in values.items():
        entry[key] = encode(value, own, key)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{test_id}.json.part"
    partial.write_text(json.dumps(entry))
    partial.replace(folder / f"{test_id}.json")


def fingerprint(array: Any, projection: Any) -> dict[str, Any]:
    """Enough to tell a large array exactly without copying it: its shape, dtype and range, and
    each row projected on the grader's random vector (a different one every grading run)."""
    array = np.asarray(array)
    facts: dict[str, Any] = {"shape": list(array.shape), "dtype": str(array.dtype), "min": None, "max": None,
                             "rows": None}
    if array.size and array.dtype.kind in NUMERIC_KINDS:
        facts["min"], facts["max"] = float(array.min()), float(array.max())
        rows = array.reshape(len(array), -1) if array.ndim else array.reshape(1, -1)
        projection = np.asarray(projection, dtype=np.float32)
        if rows.shape[1] == projection.shape[0]:
            facts["rows"] = rows @ projection
    return facts


# --- the format ---------------------------------------------------------------------------------

def encode(value: Any, model_dir: Path | None = None, name: str = "value") -> Any:
    """*value* as JSON-ready plain data; Keras models are saved into *model_dir*."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": str(value)}
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        return encode(value.item(), model_dir, name)
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, (list, tuple)):
        return [encode(item, model_dir, f"{name}-{i}") for i, item in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode(v, model_dir, f"{name}-{k}") for k, v in value.items()}
        return {"__dict__": [[encode(k), encode(v, model_dir, f"{name}-{i}")] for i, (k, v) in enumerate(value.items())]}
    if _is_keras_model(value):
        return {"__model__": _save_model(value, model_dir, name)}
    if hasattr(value, "__array__"):  # tensors and other array-likes
        try:
            return _encode_array(np.asarray(value))
        except Exception:  # noqa: BLE001 - recorded as unsupported below
            pass
    return {"__unsupported__": type(value).__name__}


def _encode_array(array: np.ndarray) -> Any:
    if array.dtype.kind not in NUMERIC_KINDS:
        return {"__unsupported__": f"array of dtype {array.dtype}"}
    array = array if array.flags.c_contiguous else np.array(array, order="C")  # keeps 0-d arrays 0-d
    return {"__array__": {"dtype": array.dtype.str, "shape": list(array.shape),
                          "data": base64.b64encode(array.tobytes()).decode("ascii")}}


def _is_keras_model(value: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def _save_model(model: Any, folder: Path | None, name: str) -> dict[str, Any]:
    if folder is None:
        return {"file": None, "export": None, "error": "models can only be recorded as evidence"}
    import keras

    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]
    saved: dict[str, Any] = {"file": None, "export": None, "error": None}
    try:
        model.save(folder / f"{stem}.keras")
        saved["file"] = f"{stem}.keras"
    except Exception as exc:  # noqa: BLE001 - the grader reports why the model could not be graded
        saved["error"] = f"{type(exc).__name__}: {exc}"[:500]
    if type(model) not in (keras.Sequential, keras.Model) and type(model).__name__ != "Functional":
        # A subclass of keras.Model cannot be rebuilt without the student's class; its traced
        # computation (a TensorFlow SavedModel) can be run without any of the student's code.
        try:
            model.export(str(folder / f"{stem}.export"), verbose=False)
            saved["export"] = f"{stem}.export"
        except Exception as exc:  # noqa: BLE001
            saved["error"] = f"{type(exc).__name__}: {exc}"[:500]
    return saved


class FormatError(ValueError):
    """Evidence that is not in the format above."""


def decode(data: Any, *, max_array_bytes: int = 1 << 28, _depth: int = 0) -> Any:
    """Plain data back from JSON: strict about types, dtypes and sizes; never unpickles."""
    if _depth > MAX_DEPTH:
        raise FormatError("nested too deeply")
    if data is None or isinstance(data, (bool, int, str, float)):
        return data
    if isinstance(data, list):
        return [decode(item, max_array_bytes=max_array_bytes, _depth=_depth + 1) for item in data]
    if not isinstance(data, dict):
        raise FormatError(f"unexpected {type(data).__name__}")
    tagged = [k for k in data if k.startswith("__")]
    if not tagged:
        return {k: decode(v, max_array_bytes=max_array_bytes, _depth=_depth + 1) for k, v in data.items()}
    if len(data) != 1:
        raise FormatError(f"a tagged object has one key, found {sorted(data)[:5]}")
    tag, body = next(iter(data.items()))
    if tag == "__float__":
        if body not in ("nan", "inf", "-inf"):
            raise FormatError(f"not a special float: {body!r}")
        return float(body)
    if tag == "__array__":
        return _decode_array(body, max_array_bytes)
    if tag == "__dict__":
        if not isinstance(body, list) or not all(isinstance(p, list) and len(p) == 2 for p in body):
            raise FormatError("__dict__ holds [key, value] pairs")
        return {_hashable(decode(k, _depth=_depth + 1)): decode(v, max_array_bytes=max_array_bytes, _depth=_depth + 1)
                for k, v in body}
    if tag == "__model__":
        if not isinstance(body, dict) or set(body) != {"file", "export", "error"}:
            raise FormatError("__model__ holds file, export and error")
        if not all(v is None or isinstance(v, str) for v in body.values()):
            raise FormatError("__model__ fields are strings or null")
        return ModelReference(**body)
    if tag == "__unsupported__":
        return Unsupported(str(body))
    raise FormatError(f"unknown tag {tag}")


def _hashable(key: Any) -> Any:
    if isinstance(key, (list, dict, np.ndarray)):
        raise FormatError("dictionary keys must be plain values")
    return key


def _decode_array(body: Any, max_array_bytes: int) -> np.ndarray:
    if not isinstance(body, dict) or set(body) != {"dtype", "shape", "data"}:
        raise FormatError("__array__ holds dtype, shape and data")
    dtype = np.dtype(_simple_dtype(body["dtype"]))
    shape = body["shape"]
    if not isinstance(shape, list) or not all(isinstance(n, int) and 0 <= n for n in shape) or len(shape) > 32:
        raise FormatError(f"bad array shape {shape!r}")
    size = math.prod(shape) * dtype.itemsize
    if size > max_array_bytes:
        raise FormatError(f"array of {size} bytes is larger than the {max_array_bytes} allowed")
    if not isinstance(body["data"], str) or len(body["data"]) > 4 * (size // 3 + 1) + 4:
        raise FormatError("array data does not match its shape")
    raw = base64.b64decode(body["data"], validate=True)
    if len(raw) != size:
        raise FormatError(f"array data holds {len(raw)} bytes, its shape needs {size}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _simple_dtype(name: Any) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[<>|=]?[biuf][1248]|[<>|=]?f16|\|b1", name):
        raise FormatError(f"not a plain numeric dtype: {name!r}")
    return name


class ModelReference:
    """A model the hidden test saved beside its evidence (paths relative to the test's folder)."""

    def __init__(self, file: str | None, export: str | None, error: str | None):
        self.file, self.export, self.error = file, export, error

    def __repr__(self) -> str:
        return f"ModelReference(file={self.file!r}, export={self.export!r}, error={self.error!r})"


class Unsupported:
    """Something the hidden test was given that is not plain data (its type name only)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"
