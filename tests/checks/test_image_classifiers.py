"""Assignment 04/05 checks: data split, architecture, and accuracy measured in a clean process."""

import keras
import numpy as np
import pytest

from autograder.checks import image_classifiers as check
from autograder.checks.isolated import evaluate_saved_model


def mlp(hidden=(300, 100), dropout=0.0):
    layers = [keras.Input((28, 28)), keras.layers.Flatten()]
    for units in hidden:
        layers.append(keras.layers.Dense(units, activation="relu"))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])


@pytest.fixture(scope="module")
def mnist(data_root):
    (x, y), (x_test, y_test) = check.official("mnist")
    return x, y, x_test, y_test


def test_split_right_and_wrong(mnist):
    x, y, x_test, _ = mnist
    scale = lambda a: a / np.float32(255)  # noqa: E731
    right = dict(X_train=scale(x[:-5000]), X_valid=scale(x[-5000:]), X_test=scale(x_test), y_train=y[:-5000], y_valid=y[-5000:])
    check.check_split("mnist", **right)
    with pytest.raises(AssertionError, match="float32"):
        check.check_split("mnist", **{**right, "X_valid": x[-5000:] / 255.0})
    with pytest.raises(AssertionError, match="scaled"):
        check.check_split("mnist", **{**right, "X_test": x_test.astype(np.float32)})
    with pytest.raises(AssertionError, match="last 5000"):
        check.check_split("mnist", **{**right, "X_valid": scale(x_test[:5000])})  # validation taken from the test set
    with pytest.raises(AssertionError):
        check.check_split("mnist", **{**right, "X_valid": scale(x[:5000])})


def test_architecture_right_and_wrong():
    check.check_architecture(mlp())
    check.check_architecture(mlp(dropout=0.2))
    check.check_builder(mlp)
    for wrong in [mlp((256, 128)), mlp((300,)), keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])]:
        with pytest.raises(AssertionError):
            check.check_architecture(wrong)
    same = mlp()
    with pytest.raises(AssertionError, match="new model"):
        check.check_builder(lambda: same)


def test_untrained_model_fails_whatever_its_history_says(data_root):
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fake = type("History", (), {"history": {"accuracy": [0.99], "val_accuracy": [0.99]}})()
    with pytest.raises(AssertionError, match="measured by the grader"):
        check.check_trained_model("mnist", model, fake, "categorical_crossentropy")


def test_clean_process_ignores_a_patched_predict(data_root, monkeypatch):
    model = mlp()
    monkeypatch.setattr(keras.Model, "predict", lambda self, *args, **kwargs: np.eye(10)[np.zeros(10000, int)])
    facts = evaluate_saved_model(model, "fashion_mnist")
    assert facts["output_shape"] == [10000, 10] and facts["parameters"] == check.PARAMETERS
    assert facts["accuracy"] < 0.3, "an untrained model stays untrained in the grader's process"


def test_a_model_that_cannot_be_reloaded_is_reported(data_root):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(AssertionError, match="clean process|could not be saved"):
        evaluate_saved_model(model, "mnist")


def test_continued_training():
    model = mlp((8, 4))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    X, y = np.zeros((64, 28, 28), np.float32), np.zeros(64, int)
    first = model.fit(X, y, epochs=2, batch_size=32, verbose=0)
    second = model.fit(X, y, initial_epoch=2, epochs=3, batch_size=32, verbose=0)
    check.check_continued_training(model, first, second, 2, 3, 2)
    fresh = mlp((8, 4))
    fresh.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    again = fresh.fit(X, y, initial_epoch=2, epochs=3, batch_size=32, verbose=0)
    with pytest.raises(AssertionError, match="rebuilt or recompiled"):
        check.check_continued_training(fresh, first, again, 2, 3, 2)
