"""Reading a student's Keras model the same way in every judge: from the facts the model sandbox
reported (``autograder/grading/model_evaluator.py``), never from the student's kernel."""

from __future__ import annotations

import numpy as np

from autograder.grading.checks.base import ModelReport, require


def activation(layer: dict) -> str:
    return layer.get("activation") or "linear"


def single_dense(model: ModelReport, units: int) -> dict:
    """The model's only Dense layer, requiring that there is exactly one, with *units* units."""
    dense = model.dense()
    require(len(dense) == 1, f"expected exactly one Dense layer, found {len(dense)}")
    require(dense[0].get("units") == units, f"the Dense layer should have {units} unit(s), has {dense[0].get('units')}")
    return dense[0]


def input_shapes(model: ModelReport) -> list[tuple]:
    return [tuple(shape) for shape in model.facts.get("inputs", [])]


def output_shapes(model: ModelReport) -> list[tuple]:
    return [tuple(shape) for shape in model.facts.get("outputs", [])]


def input_width(model: ModelReport) -> int | None:
    shapes = input_shapes(model)
    return shapes[0][-1] if shapes else None


def has_layer(model: ModelReport, kind: str) -> bool:
    return kind in model.classes()


def require_loss(model: ModelReport, loss: str, advice: str | None = None) -> None:
    found = model.loss()
    require(found is not None, "the model is not compiled (call model.compile(...))")
    require(found == loss, advice or f"compile with {loss}, not {found!r}")


def normalization(model: ModelReport) -> dict | None:
    layers = [layer for layer in model.layers() if layer.get("class") == "Normalization"]
    return layers[0] if layers else None


def require_regression_output(model: ModelReport, inputs: int = 1) -> None:
    """One output value, no activation on it: a regression head."""
    require(len(input_shapes(model)) == inputs, f"the model should have {inputs} input(s), has {len(input_shapes(model))}")
    outputs = output_shapes(model)
    require(outputs == [(None, 1)], f"output shape should be (None, 1), got {outputs}")
    dense = model.dense()
    require(dense and activation(dense[-1]) == "linear",
            f"a regression output has no activation, found {activation(dense[-1]) if dense else 'no Dense layer'!r}")


def rmse(y_true, y_pred) -> float:
    return float(np.sqrt(np.mean((np.ravel(y_pred) - np.ravel(y_true)) ** 2)))
