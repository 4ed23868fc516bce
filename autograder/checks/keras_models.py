"""Reading a student's Keras model the same way in every hidden test.

Predictions are computed by calling the model directly (``model(x, training=False)``), not
``predict``: no progress bar, no tf.function retracing warning on stderr (which nbgrader would
score as a failure), and a monkeypatched ``predict`` changes nothing here.
"""

from __future__ import annotations

import numpy as np

LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}


def dense_layers(model) -> list:
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def single_dense(model, units: int):
    """The model's only Dense layer, asserting there is exactly one with *units* units."""
    dense = dense_layers(model)
    assert len(dense) == 1, f"expected exactly one Dense layer, found {len(dense)}"
    assert dense[0].units == units, f"the Dense layer should have {units} unit(s), has {dense[0].units}"
    return dense[0]


def trainable_parameters(model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def activation_name(layer) -> str:
    return getattr(layer.activation, "__name__", type(layer.activation).__name__)


def loss_name(model) -> str:
    """Canonical snake_case name of the compiled loss, whether given as a string, function or object."""
    import keras

    loss = getattr(model, "loss", None)
    assert loss is not None, "the model is not compiled (call model.compile(...))"
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    name = getattr(loss, "name", None) or getattr(loss, "__name__", "") or type(loss).__name__
    return LOSS_ALIASES.get(name, name)


def learning_rate(model) -> float:
    return float(np.asarray(model.optimizer.learning_rate))


def input_width(model) -> int:
    shape = model.inputs[0].shape if model.inputs else model.input_shape
    return int(shape[-1])


def predict(model, X) -> np.ndarray:
    return np.asarray(model(np.asarray(X, dtype="float32"), training=False))


def has_normalization(model) -> bool:
    import keras

    return any(isinstance(layer, keras.layers.Normalization) for layer in model.layers)
