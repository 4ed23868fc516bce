"""Assignment 04/05 judges: data split, architecture, and accuracy measured outside the notebook."""

import keras
import numpy as np
import pytest

from autograder.grading.checks import image_classifiers as check

from . import harness

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A04, A05 = "04-mnist", "05-fashion-mnist"


def mlp(hidden=(300, 100), dropout=0.0):
    layers = [keras.Input((28, 28)), keras.layers.Flatten()]
    for units in hidden:
        layers.append(keras.layers.Dense(units, activation="relu"))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])


def functional_mlp():
    inputs = keras.Input((28, 28))
    hidden = keras.layers.Dense(100, activation="relu")(keras.layers.Dense(300, activation="relu")(keras.layers.Flatten()(inputs)))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))


@pytest.fixture
def verdict(tmp_path, monkeypatch):
    def judge(assignment, test_id, sandboxed_models=False, **namespace):
        return harness.judge(assignment, test_id, {"np": np, "keras": keras, **namespace}, tmp_path, monkeypatch,
                             sandboxed_models=sandboxed_models)
    return judge


@pytest.fixture(scope="module")
def mnist(data_root):
    (x, y), (x_test, y_test) = check.MNIST.official()
    return x, y, x_test, y_test


def test_split_right_and_wrong(verdict, mnist):
    x, y, x_test, _ = mnist
    scale = lambda a: a / np.float32(255)  # noqa: E731
    right = dict(X_train=scale(x[:-5000]), X_valid=scale(x[-5000:]), X_test=scale(x_test), y_train=y[:-5000], y_valid=y[-5000:])
    assert verdict(A04, "test-mnist-split", **right).passed
    assert verdict(A04, "test-mnist-split", **{**right, "X_train": (x[:-5000] / 255.0).astype("float32")}).passed
    assert "float32" in verdict(A04, "test-mnist-split", **{**right, "X_valid": x[-5000:] / 255.0}).message
    assert "scaled" in verdict(A04, "test-mnist-split", **{**right, "X_test": x_test.astype(np.float32)}).message
    # Validation taken from the test set; or the first training images.
    assert "last 5000" in verdict(A04, "test-mnist-split", **{**right, "X_valid": scale(x_test[:5000])}).message
    assert not verdict(A04, "test-mnist-split", **{**right, "X_valid": scale(x[:5000])}).passed
    one_image_off = scale(x[-5000:]).copy()
    one_image_off[1234] = scale(x_test[0])
    assert not verdict(A04, "test-mnist-split", **{**right, "X_valid": one_image_off}).passed


def test_architecture_right_and_wrong(verdict):
    assert verdict(A04, "test-build-mlp", build_mlp=mlp).passed
    assert verdict(A04, "test-build-mlp", build_mlp=functional_mlp).passed, "the functional API is as good"
    assert verdict(A05, "test-build-fashion-mlp", build_fashion_mlp=lambda: mlp(dropout=0.2)).passed
    for wrong in [lambda: mlp((256, 128)), lambda: mlp((300,)),
                  lambda: keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])]:
        assert not verdict(A04, "test-build-mlp", build_mlp=wrong).passed
    same = mlp()
    assert "new model" in verdict(A04, "test-build-mlp", build_mlp=lambda: same).message


def test_onehot_right_and_wrong(verdict, mnist):
    _, y, _, y_test = mnist
    labels = {"y_train": y[:-5000], "y_valid": y[-5000:], "y_test": y_test}
    right = {f"{name}_onehot": keras.utils.to_categorical(values, 10) for name, values in labels.items()}
    assert verdict(A04, "test-mnist-onehot", **labels, **right).passed
    shifted = keras.utils.to_categorical((y_test + 1) % 10, 10)
    assert "one-hot" in verdict(A04, "test-mnist-onehot", **labels, **{**right, "y_test_onehot": shifted}).message
    eleven = keras.utils.to_categorical(y_test, 11)
    assert "shape" in verdict(A04, "test-mnist-onehot", **labels, **{**right, "y_test_onehot": eleven}).message
    # Test labels all 0 with their matching one-hot once passed: the test labels must be the official ones.
    zeros = np.zeros_like(y_test)
    result = verdict(A04, "test-mnist-onehot", **{**labels, "y_test": zeros},
                     **{**right, "y_test_onehot": keras.utils.to_categorical(zeros, 10)})
    assert "official" in result.message
    # Smoothed labels (not 0/1) whose projection is scaled back to match.
    smoothed = right["y_train_onehot"] * 2.0 - 0.5
    assert "0s and 1s" in verdict(A04, "test-mnist-onehot", **labels, **{**right, "y_train_onehot": smoothed}).message


def test_untrained_model_fails_whatever_its_history_says(verdict, data_root):
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fake = type("History", (), {"history": {"accuracy": [0.99], "val_accuracy": [0.99]}})()
    result = verdict(A04, "test-mnist-model", mnist_model=model, mnist_history=fake)
    assert "measured by the grader" in result.message


def test_a_patched_predict_changes_nothing_outside_the_kernel(verdict, data_root, monkeypatch):
    # Patched where the hidden test records (here), measured in the model sandbox (another process).
    model = mlp()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    (_, _), (_, y_test) = check.MNIST.official()
    monkeypatch.setattr(keras.Model, "predict", lambda self, *args, **kwargs: keras.utils.to_categorical(y_test, 10))
    result = verdict(A04, "test-mnist-results", mnist_model=model, test_accuracy=1.0, y_pred=y_test,
                     sandboxed_models=True)
    assert "really scores" in result.message


def test_a_model_with_code_in_it_is_refused(verdict, data_root):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    fake = type("History", (), {"history": {"accuracy": [0.99], "val_accuracy": [0.99]}})()
    result = verdict(A04, "test-mnist-model", mnist_model=model, mnist_history=fake)
    assert "could not be loaded" in result.message


def test_continued_training(verdict, monkeypatch, data_root):
    monkeypatch.setattr(check, "FIRST_EPOCHS", 2)
    monkeypatch.setattr(check, "TOTAL_EPOCHS", 3)
    monkeypatch.setattr(check, "STEPS_PER_EPOCH", 2)
    X, y = np.zeros((64, 28, 28), np.float32), np.zeros(64, int)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    first = model.fit(X, y, epochs=2, batch_size=32, validation_data=(X, y), verbose=0)
    second = model.fit(X, y, initial_epoch=2, epochs=3, batch_size=32, validation_data=(X, y), verbose=0)
    result = verdict(A05, "test-fashion-model", fashion_model=model, history_1=first, history_2=second)
    assert "measured by the grader" in result.message, "the two fits pass; only the (untrained) accuracy fails"
    fresh = mlp()
    fresh.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    again = fresh.fit(X, y, initial_epoch=2, epochs=3, batch_size=32, validation_data=(X, y), verbose=0)
    result = verdict(A05, "test-fashion-model", fashion_model=fresh, history_1=first, history_2=again)
    assert "rebuilt or recompiled" in result.message


def _tag_model(X, tags, activation="sigmoid", loss="binary_crossentropy", epochs=10):
    keras.utils.set_random_seed(42)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(100, activation="relu"),
                              keras.layers.Dense(2, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    harness.quick_fit(model, X, tags, epochs=epochs, batch_size=128, verbose=0)
    return model


def test_tag_model_right_and_wrong(verdict, data_root):
    """05's two-tag head: the grader's own tags and its own measurement on the test images decide."""
    (x, y), _ = check.FASHION.official()
    X, labels = x[:check.SMALL_TRAIN] / np.float32(255), y[:check.SMALL_TRAIN]
    tags = check.fashion_tags(labels).astype("float32")
    right = _tag_model(X, tags)
    assert verdict(A05, "test-tag-model", tag_model=right, tags_small=tags).passed
    assert verdict(A05, "test-tag-model", tag_model=right, tags_small=tags.astype(int)).passed
    # The head of a one-of-k task: a pullover cannot be both a top and warm (the top tag drops to at most 0.82).
    softmax = _tag_model(X, tags, activation="softmax", loss="categorical_crossentropy")
    assert "right on" in verdict(A05, "test-tag-model", tag_model=softmax, tags_small=tags).message
    # Scores, not probabilities (no activation), are refused, whatever they get right.
    linear = _tag_model(X, tags, activation=None, loss="mean_squared_error", epochs=1)
    assert "probabilities" in verdict(A05, "test-tag-model", tag_model=linear, tags_small=tags).message
    for wrong in (tags[:, ::-1],                                              # the columns swapped
                  check.fashion_tags(labels).astype(float) * [1, 0],         # "warm" never set
                  np.stack([np.isin(labels, [0, 2, 3, 4, 6]), np.isin(labels, [2, 4, 9])], axis=1)):  # a dress as a top
        result = verdict(A05, "test-tag-model", tag_model=right, tags_small=wrong)
        assert not result.passed and "tags_small" in result.message, result
    assert "shape" in verdict(A05, "test-tag-model", tag_model=right, tags_small=tags[:5000]).message
