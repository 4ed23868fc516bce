"""What the model evaluator reports about a Keras model, and how judges read it: losses however
they were given, layers, parameters, predictions."""

import keras
import numpy as np
import pytest

from autograder.grading.checks import keras_models as km
from autograder.grading.checks.base import Failed

from . import harness

pytestmark = pytest.mark.slow  # grades notebooks or trains models


def _compiled(loss):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Normalization(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=loss)
    return model


@pytest.mark.parametrize("loss", ["mse", "mean_squared_error", keras.losses.MeanSquaredError(),
                                  keras.losses.mean_squared_error])
def test_mse_recognised_in_every_spelling(loss, tmp_path):
    assert harness.model_report(_compiled(loss), tmp_path).loss() == "mean_squared_error"


@pytest.mark.parametrize("loss, name", [("binary_crossentropy", "binary_crossentropy"),
                                        (keras.losses.BinaryCrossentropy(), "binary_crossentropy"),
                                        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
                                        ("mae", "mean_absolute_error")])
def test_other_losses(loss, name, tmp_path):
    assert harness.model_report(_compiled(loss), tmp_path).loss() == name


def test_uncompiled_model_is_reported(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(Failed, match="not compiled"):
        km.require_loss(harness.model_report(model, tmp_path), "mean_squared_error")


def test_layers_parameters_and_prediction(tmp_path):
    report = harness.model_report(_compiled("mse"), tmp_path, zeros=np.zeros((5, 3), dtype="float32"))
    assert report.facts["trainable_params"] == 4, "Normalization statistics are not trainable"
    assert km.input_width(report) == 3 and km.has_layer(report, "Normalization")
    assert km.activation(km.single_dense(report, 1)) == "linear"
    assert report.predicted("zeros").shape == (5, 1)
    with pytest.raises(Failed, match="3 unit"):
        km.single_dense(report, 3)


def test_a_model_with_code_in_it_is_not_loaded(tmp_path):
    # Safe mode: a Lambda layer would run the student's code in the grader's sandbox; it is refused.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(1)])
    report = harness.model_report(model, tmp_path)
    assert report.error and "safe" in report.error.lower()
