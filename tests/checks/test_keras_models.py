"""Reading Keras models: loss names however they were given, layers, parameters."""

import keras
import numpy as np
import pytest

from autograder.checks import keras_models as km


def _compiled(loss):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Normalization(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=loss)
    return model


@pytest.mark.parametrize("loss", ["mse", "mean_squared_error", keras.losses.MeanSquaredError(),
                                  keras.losses.mean_squared_error])
def test_mse_recognised_in_every_spelling(loss):
    assert km.loss_name(_compiled(loss)) == "mean_squared_error"


@pytest.mark.parametrize("loss, name", [("binary_crossentropy", "binary_crossentropy"),
                                        (keras.losses.BinaryCrossentropy(), "binary_crossentropy"),
                                        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
                                        ("mae", "mean_absolute_error")])
def test_other_losses(loss, name):
    assert km.loss_name(_compiled(loss)) == name


def test_uncompiled_model_is_reported():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(AssertionError, match="not compiled"):
        km.loss_name(model)


def test_layers_parameters_and_prediction():
    model = _compiled("mse")
    assert km.trainable_parameters(model) == 4, "Normalization statistics are not trainable"
    assert km.input_width(model) == 3 and km.has_normalization(model)
    assert km.activation_name(km.single_dense(model, 1)) == "linear"
    assert km.predict(model, np.zeros((5, 3))).shape == (5, 1)
    with pytest.raises(AssertionError, match="3 unit"):
        km.single_dense(model, 3)
