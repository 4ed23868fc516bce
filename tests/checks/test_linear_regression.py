"""Assignment 02 checks accept a right model and reject each kind of wrong one."""

import keras
import numpy as np
import pytest

from autograder.checks import linear_regression as check


def build(n_features, learning_rate=0.1, activation=None, loss="mean_squared_error", units=1):
    model = keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(units, activation=activation)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss)
    return model


@pytest.fixture(scope="module")
def trained_line():
    keras.utils.set_random_seed(0)
    X, y = check.line_data()
    model = build(1, learning_rate=0.3)
    return model, model.fit(X, y, epochs=100, batch_size=200, verbose=0)


def test_builder_right_and_wrong():
    check.check_linear_model_builder(build)
    wrong_builders = {
        "relu": lambda n, learning_rate=0.1: build(n, learning_rate, activation="relu"),
        "mae": lambda n, learning_rate=0.1: build(n, learning_rate, loss="mae"),
        "two units": lambda n, learning_rate=0.1: build(n, learning_rate, units=2),
        "ignores learning rate": lambda n, learning_rate=0.1: build(n),
        "one feature only": lambda n, learning_rate=0.1: build(1, learning_rate),
        "adam": lambda n, learning_rate=0.1: _adam(n, learning_rate),
    }
    for name, wrong in wrong_builders.items():
        with pytest.raises(AssertionError):
            check.check_linear_model_builder(wrong)
            pytest.fail(f"wrong builder accepted: {name}")


def _adam(n, learning_rate):
    model = keras.Sequential([keras.Input((n,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def test_line_fit_right(trained_line):
    check.check_line_fit(*trained_line)


def test_line_fit_with_a_hand_typed_history_fails():
    fake_history = type("History", (), {"history": {"loss": [0.25] * 50}})()
    with pytest.raises(AssertionError, match="slope|intercept"):
        check.check_line_fit(build(1), fake_history)


def test_line_fit_stopped_short_fails():
    # Ten epochs of small mini-batch steps: near the line, but not at the least-squares answer.
    keras.utils.set_random_seed(0)
    X, y = check.line_data()
    model = build(1, learning_rate=0.02)
    history = model.fit(X, y, epochs=10, batch_size=32, verbose=0)
    with pytest.raises(AssertionError, match="slope|intercept"):
        check.check_line_fit(model, history)


def test_normal_equation_right_and_wrong():
    check.check_normal_equation(lambda X, y: check.closed_form(X, y))
    with pytest.raises(AssertionError, match="shape"):  # forgot the intercept column
        check.check_normal_equation(lambda X, y: np.linalg.lstsq(X, y, rcond=None)[0])
    with pytest.raises(AssertionError, match="disagrees"):  # intercept last instead of first
        check.check_normal_equation(lambda X, y: np.roll(check.closed_form(X, y), -1))


def test_learning_rates_right_and_wrong():
    check.check_learning_rates(0.005, 0.2, 0.6)
    for wrong in [(0.1, 0.2, 0.6),     # 0.1 is not too small
                  (0.005, 0.01, 0.6),  # 0.01 is not good enough
                  (0.005, 0.2, 0.4)]:  # 0.4 still converges
        with pytest.raises(AssertionError):
            check.check_learning_rates(*wrong)


def test_steps_per_epoch():
    check.check_steps_per_epoch({"batch": 1, "mini-batch": 7, "stochastic": 200})
    with pytest.raises(AssertionError, match="ceil"):
        check.check_steps_per_epoch({"batch": 1, "mini-batch": 6, "stochastic": 200})


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
    model.fit(X_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    return model


def test_diabetes_right_and_wrong():
    check.check_diabetes_model(_diabetes_model())
    with pytest.raises(AssertionError, match="MSE"):
        check.check_diabetes_model(_diabetes_model(loss="mae"))
    with pytest.raises(AssertionError, match="above"):
        check.check_diabetes_model(_diabetes_model(normalize=False, epochs=20))
