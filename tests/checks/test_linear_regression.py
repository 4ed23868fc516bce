"""Assignment 02 judges accept right answers and reject each kind of wrong one."""

import keras
import numpy as np
import pytest

from autograder.grading.checks import linear_regression as check

from . import harness

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A02 = "02-linear-regression"


def build(n_features, learning_rate=0.1, activation=None, loss="mean_squared_error", units=1):
    model = keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(units, activation=activation)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss)
    return model


def _adam(n, learning_rate=0.1):
    model = keras.Sequential([keras.Input((n,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


@pytest.fixture
def verdict(tmp_path, monkeypatch):
    return lambda test_id, **namespace: harness.judge(A02, test_id, {"np": np, **namespace}, tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def trained_line():
    keras.utils.set_random_seed(0)
    X, y = check.line_data()
    model = build(1, learning_rate=0.3)
    return {"line_model": model, "line_history": harness.quick_fit(model, X, y, epochs=100, batch_size=200, verbose=0)}


def test_builder_right_and_wrong(verdict):
    assert verdict("test-build-linear-model", build_linear_model=build).passed
    wrong_builders = {
        "relu": lambda n, learning_rate=0.1: build(n, learning_rate, activation="relu"),
        "mae": lambda n, learning_rate=0.1: build(n, learning_rate, loss="mae"),
        "two units": lambda n, learning_rate=0.1: build(n, learning_rate, units=2),
        "ignores learning rate": lambda n, learning_rate=0.1: build(n),
        "one feature only": lambda n, learning_rate=0.1: build(1, learning_rate),
        "adam": _adam,
    }
    for name, wrong in wrong_builders.items():
        assert not verdict("test-build-linear-model", build_linear_model=wrong).passed, f"wrong builder accepted: {name}"


def test_line_fit_right(verdict, trained_line):
    result = verdict("test-line-fit", **trained_line)
    assert result.passed, result.message


def test_line_fit_with_a_hand_typed_history_fails(verdict):
    fake_history = type("History", (), {"history": {"loss": [0.25] * 50}})()
    result = verdict("test-line-fit", line_model=build(1), line_history=fake_history)
    assert not result.passed and ("slope" in result.message or "intercept" in result.message)


def test_line_fit_stopped_short_fails(verdict):
    # Ten epochs of small mini-batch steps: near the line, but not at the least-squares answer.
    keras.utils.set_random_seed(0)
    X, y = check.line_data()
    model = build(1, learning_rate=0.02)
    history = model.fit(X, y, epochs=10, batch_size=32, verbose=0)
    result = verdict("test-line-fit", line_model=model, line_history=history)
    assert not result.passed and ("slope" in result.message or "intercept" in result.message)


def test_normal_equation_right_and_wrong(verdict):
    assert verdict("test-normal-equation", normal_equation=lambda X, y: check.closed_form(X, y)).passed
    assert "shape" in verdict("test-normal-equation",  # forgot the intercept column
                              normal_equation=lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0]).message
    assert "disagrees" in verdict("test-normal-equation",  # intercept last instead of first
                                  normal_equation=lambda X, y: np.roll(check.closed_form(X, y), -1)).message


def _rates(small, good, large):
    return {"LR_TOO_SMALL": small, "LR_GOOD": good, "LR_TOO_LARGE": large}


def test_learning_rates_right_and_wrong(verdict):
    assert verdict("test-learning-rates", **_rates(0.005, 0.2, 0.6)).passed
    for wrong in [(0.1, 0.2, 0.6),     # 0.1 is not too small
                  (0.005, 0.01, 0.6),  # 0.01 is not good enough
                  (0.005, 0.2, 0.4),   # 0.4 still converges
                  (0.005, 0.2, -1)]:   # not a learning rate
        assert not verdict("test-learning-rates", **_rates(*wrong)).passed, wrong


def test_steps_per_epoch(verdict):
    assert verdict("test-steps-per-epoch", STEPS_PER_EPOCH={"batch": 1, "mini-batch": 7, "stochastic": 200}).passed
    result = verdict("test-steps-per-epoch", STEPS_PER_EPOCH={"batch": 1, "mini-batch": 6, "stochastic": 200})
    assert "ceil" in result.message
    assert verdict("test-steps-per-epoch", STEPS_PER_EPOCH={"batch": 1.0, "mini-batch": 7, "stochastic": 200}).passed
    # True == 1 in Python; it once passed as batch gradient descent's step count.
    result = verdict("test-steps-per-epoch", STEPS_PER_EPOCH={"batch": True, "mini-batch": 7, "stochastic": 200})
    assert "whole number of steps" in result.message


def _diabetes_model(normalize=True, loss="mean_squared_error", epochs=150):
    X_train, _, y_train, _ = check.diabetes_split()
    keras.utils.set_random_seed(0)
    layers = [keras.Input((10,))]
    if normalize:
        norm = keras.layers.Normalization()
        norm.adapt(X_train)
        layers.append(norm)
    model = keras.Sequential(layers + [keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=loss)
    harness.quick_fit(model, X_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    return model


def test_diabetes_right_and_wrong(verdict):
    assert verdict("test-diabetes-model", diabetes_model=_diabetes_model()).passed
    assert "MSE" in verdict("test-diabetes-model", diabetes_model=_diabetes_model(loss="mae")).message
    assert "above" in verdict("test-diabetes-model", diabetes_model=_diabetes_model(normalize=False, epochs=20)).message


def _two_targets(units=2, activation=None, learning_rate=0.3, epochs=150, loss="mse", hidden=False):
    keras.utils.set_random_seed(0)
    X, Y = check.two_target_data()
    layers = [keras.layers.Dense(4, activation="relu")] if hidden else []
    model = keras.Sequential([keras.Input((1,)), *layers, keras.layers.Dense(units, activation=activation)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss)
    harness.quick_fit(model, X, Y[:, :units] if units < 2 else Y, epochs=epochs, batch_size=200, verbose=0)
    return model


def test_two_targets_right_and_wrong(verdict):
    assert verdict("test-two-targets", two_target_model=_two_targets()).passed
    # Other settings, mini-batches of 100 at a smaller rate: still the two least-squares lines.
    keras.utils.set_random_seed(1)
    X, Y = check.two_target_data()
    other = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2)])
    other.compile(optimizer=keras.optimizers.SGD(0.15), loss="mse")
    harness.quick_fit(other, X, Y, epochs=150, batch_size=100, verbose=0)
    assert verdict("test-two-targets", two_target_model=other).passed, verdict("test-two-targets", two_target_model=other)
    for wrong, message in [(_two_targets(epochs=5), "not within"),                        # stopped far too soon
                           (_two_targets(units=1), "two numbers"),                         # the first target only
                           (_two_targets(activation="relu"), "straight lines"),            # target 2's line dips below 0
                           (_two_targets(hidden=True), "straight lines"),                  # a ReLU layer in between
                           (_two_targets(loss="mae"), "MSE")]:
        result = verdict("test-two-targets", two_target_model=wrong)
        assert not result.passed and message in result.message, (message, result)
