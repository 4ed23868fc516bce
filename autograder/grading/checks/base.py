"""The shape of an assignment's trusted checks: inputs for the hidden tests, and judges of evidence.

For each test cell an assignment module declares

* optionally a **challenge**: the inputs its hidden test calls the student's code on, drawn fresh
  for every grading run from a random generator the grader seeds (``Checks.challenge``);
* its **judge**: a function of the evidence the hidden test recorded (``Evidence``) and of the
  challenge, which raises ``Failed`` with a message for the student when the test fails;
* the **models** it wants measured: which recorded Keras models to evaluate, and on which input
  sets (``Checks.inputs``), in the model sandbox (``autograder.grading.model_sandbox``).

Judges run in the grader's process, never in the student's kernel. They only compute with NumPy
and scikit-learn on plain data, and compare with what they load from the verified data.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from course_kernel.evidence import ModelReference, Unsupported


class Failed(AssertionError):
    """A hidden test failed; the message tells the student what to fix."""


def require(condition: Any, message: str) -> None:
    # An explicit check, not `assert`: judges must never be switched off by `python -O`.
    if not condition:
        raise Failed(message)


class Evidence:
    """What one hidden test recorded, with accessors that fail the test when a value is missing or
    is not the kind of value the exercise asks for."""

    def __init__(self, test_id: str, values: dict[str, Any], models: dict[str, "ModelReport"] | None = None):
        self.test_id, self.values, self.models = test_id, values, models or {}

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def value(self, key: str) -> Any:
        require(key in self.values, f"the hidden test recorded no {key!r}: did the test cell run to the end?")
        value = self.values[key]
        require(not isinstance(value, Unsupported), f"{key} is a {value!r}, which the grader cannot check")
        return value

    def array(self, key: str, *, ndim: int | None = None, shape: tuple | None = None, what: str | None = None,
              finite: bool = True) -> np.ndarray:
        return as_array(self.value(key), what or key, ndim=ndim, shape=shape, finite=finite)

    def number(self, key: str, what: str | None = None, finite: bool = True) -> float:
        return as_number(self.value(key), what or key, finite=finite)

    def flag(self, key: str) -> bool:
        value = self.value(key)
        require(isinstance(value, bool), f"{key} should be True or False")
        return value

    def text(self, key: str) -> str:
        value = self.value(key)
        require(isinstance(value, str), f"{key} should be a string")
        return value

    def mapping(self, key: str, what: str | None = None) -> dict:
        value = self.value(key)
        require(isinstance(value, dict), f"{what or key} should be a dictionary, got {type(value).__name__}")
        return value

    def history(self, key: str, what: str | None = None, *, metrics: tuple[str, ...] = ("loss",)) -> dict[str, np.ndarray]:
        """A Keras ``History.history``: each metric a list of finite numbers, one per epoch, all as long."""
        what = what or key
        logs = self.mapping(key, what)
        missing = [name for name in metrics if name not in logs]
        require(not missing, f"{what} has no {', '.join(missing)}: train with validation data and the metrics asked for")
        curves = {str(name): as_array(values, f"{what}[{name!r}]", ndim=1) for name, values in logs.items()}
        lengths = {len(curve) for curve in curves.values()}
        require(len(lengths) == 1 and lengths != {0}, f"{what} should hold one value per epoch for every metric")
        return curves

    def model(self, key: str, what: str | None = None) -> "ModelReport":
        what = what or key
        value = self.value(key)
        require(isinstance(value, ModelReference), f"{what} should be a Keras model")
        require(value.error is None or value.file or value.export,
                f"{what} could not be saved for grading: {value.error}")
        report = self.models.get(key)
        require(report is not None, f"{what} could not be evaluated by the grader")
        require(report.error is None, f"{what} could not be loaded by the grader: {report.error}")
        return report


def as_array(value: Any, what: str, *, ndim: int | None = None, shape: tuple | None = None,
             finite: bool = True) -> np.ndarray:
    """*value* as a float array, or the test fails: never a bool, a string, a model or None where a
    number is asked for, and (unless *finite* is False) never NaN or infinity, which pass or fail
    comparisons by accident."""
    require(not isinstance(value, (ModelReference, Unsupported, dict, str, bytes, bool, np.bool_)) and value is not None,
            f"{what} should be a number or an array of numbers, got {value!r}"[:300])
    try:
        raw = np.asarray(value)
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Failed(f"{what} should hold numbers only") from None
    require(raw.dtype.kind in "biuf", f"{what} should hold numbers only, got {raw.dtype} values")
    if ndim is not None:
        require(array.ndim == ndim, f"{what} should have {ndim} dimension(s), has shape {array.shape}")
    if shape is not None:
        require(array.shape == tuple(shape), f"{what} should have shape {tuple(shape)}, got {array.shape}")
    if finite:
        require(np.all(np.isfinite(array)), f"{what} holds nan or inf values")
    return array


def as_number(value: Any, what: str, *, finite: bool = True) -> float:
    array = as_array(value, what, finite=finite)
    require(array.size == 1, f"{what} should be a single number, got shape {array.shape}")
    require(np.asarray(value).dtype.kind != "b", f"{what} should be a number, not True or False")
    return float(array.reshape(-1)[0])


@dataclass
class ModelReport:
    """What the model sandbox found out about one recorded model: facts and predictions."""
    facts: dict[str, Any] = field(default_factory=dict)
    predictions: dict[str, np.ndarray] = field(default_factory=dict)
    error: str | None = None

    def layers(self, *, include_input: bool = False) -> list[dict]:
        return [layer for layer in self.facts.get("layers", []) if include_input or layer.get("class") != "InputLayer"]

    def classes(self) -> list[str]:
        return [layer.get("class") for layer in self.layers()]

    def dense(self) -> list[dict]:
        return [layer for layer in self.layers() if layer.get("class") == "Dense"]

    def loss(self) -> str | None:
        return canonical_loss(self.facts.get("loss"))

    def optimizer(self) -> str | None:
        return self.facts.get("optimizer")

    def predicted(self, label: str) -> np.ndarray:
        require(label in self.predictions, f"the model could not predict on the grader's {label} data: "
                                           f"{self.facts.get('prediction_errors', {}).get(label, 'no output')}")
        out = self.predictions[label]
        # No comparison may pass on NaN (every comparison with it is False, so "not worse than" holds).
        require(out.size and np.isfinite(out).all(),
                f"the model's predictions on the grader's {label} data are not all finite numbers "
                f"(NaN or infinity): look for weights that blew up in training")
        return out


LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "bce": "binary_crossentropy"}


def canonical_loss(loss: Any) -> str | None:
    """The snake_case name of a compiled loss, given as a string, a function or an object."""
    if isinstance(loss, dict):
        config = loss.get("config")
        if isinstance(config, str):  # a loss function, serialized by name
            name = config
        else:
            name = (config.get("name") if isinstance(config, dict) else None) or loss.get("class_name") or ""
        name = str(name)
        name = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_") if name[:1].isupper() else name
        return LOSS_ALIASES.get(name, name) or None
    if isinstance(loss, str):
        return LOSS_ALIASES.get(loss, loss)
    return None


Judge = Callable[[Evidence, dict], None]


@dataclass
class Test:
    judge: Judge
    challenge: Callable[[np.random.Generator], dict] | None = None
    models: dict[str, tuple[str, ...]] = field(default_factory=dict)  # evidence key -> input sets to predict on


class Checks:
    """The trusted checks of one assignment, filled in by its module with the decorators below."""

    def __init__(self, assignment: str, datasets: tuple[str, ...] = ()):
        self.assignment, self.datasets = assignment, datasets
        self.tests: dict[str, Test] = {}
        self.input_sets: dict[str, Callable[[], Any]] = {}

    def test(self, test_id: str, *, challenge: Callable[[np.random.Generator], dict] | None = None,
             models: dict[str, tuple[str, ...]] | None = None) -> Callable[[Judge], Judge]:
        """Register the judge of *test_id* (with its challenge and the models it wants measured)."""
        def register(judge: Judge) -> Judge:
            if test_id in self.tests:
                raise ValueError(f"{self.assignment}: two judges for {test_id}")
            self.tests[test_id] = Test(judge, challenge, dict(models or {}))
            return judge
        return register

    def inputs(self, label: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
        """Register an input set models are evaluated on (an array, or a list of arrays for several inputs)."""
        def register(load: Callable[[], Any]) -> Callable[[], Any]:
            self.input_sets[label] = load
            return load
        return register

    def challenges(self, seed: int) -> dict[str, dict]:
        """Every test's inputs for one grading run; the same seed gives the same inputs."""
        return {test_id: test.challenge(np.random.default_rng([seed, zlib.crc32(test_id.encode())]))
                for test_id, test in self.tests.items() if test.challenge is not None}

    def wants_models(self) -> bool:
        return any(test.models for test in self.tests.values())
