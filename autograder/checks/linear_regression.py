"""Hidden-test checks for assignment 02 (linear regression as a single Keras neuron).

The checks regenerate or reload the data themselves and, where behaviour is tested, train
with their own code, so a mistake in one exercise costs only its own test.
Thresholds: docs/calibration.md (scripts/calibrate_02_03.py).
"""

from __future__ import annotations

import numpy as np

from .keras_models import activation_name, input_width, learning_rate, loss_name, predict, single_dense, trainable_parameters

WEIGHT_TOLERANCE = 0.02      # |Keras - closed form| for slope and intercept (batch GD, lr 0.3, 100 epochs)
LINE_LOSS_RATIO = 1.02       # final training loss / least-squares MSE, line data
DIABETES_MSE_RATIO = 1.10    # test MSE / LinearRegression's test MSE, diabetes
LR_EPOCHS = 100              # full-batch epochs of the learning-rate experiment
LR_TOO_SMALL_RATIO = 1.5     # "too small": still above 1.5 x the optimum after LR_EPOCHS
LR_GOOD_RATIO = 1.05         # "good": within 5 % of the optimum


def line_data() -> tuple[np.ndarray, np.ndarray]:
    """The synthetic line of the notebook: y = -1 + 2.5 x + noise, 200 points (seeded)."""
    rng = np.random.default_rng(42)
    X = 2 * rng.random((200, 1))
    y = -1.0 + 2.5 * X[:, 0] + rng.normal(0, 0.5, size=200)
    return X, y


def closed_form(X, y) -> np.ndarray:
    """Least squares [intercept, weights...]."""
    Xb = np.c_[np.ones(len(X)), X]
    return np.linalg.lstsq(Xb, y, rcond=None)[0]


def least_squares_mse(X, y) -> float:
    theta = closed_form(X, y)
    return float(np.mean((np.c_[np.ones(len(X)), X] @ theta - y) ** 2))


def diabetes_split():
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    data = load_diabetes()
    return train_test_split(data.data, data.target, test_size=0.2, random_state=42)


def _check_linear_regression_model(model, n_features: int) -> None:
    dense = single_dense(model, units=1)
    assert activation_name(dense) == "linear", f"linear regression has no activation, found {activation_name(dense)!r}"
    assert trainable_parameters(model) == n_features + 1, (
        f"{n_features} weights + 1 bias = {n_features + 1} trainable parameters expected, "
        f"found {trainable_parameters(model)}")
    assert input_width(model) == n_features, f"the model should take {n_features} input feature(s)"
    assert loss_name(model) == "mean_squared_error", f"linear regression minimises the MSE, not {loss_name(model)!r}"


def check_linear_model_builder(build_linear_model) -> None:
    import keras

    for n_features in (1, 3):
        model = build_linear_model(n_features, learning_rate=0.05)
        _check_linear_regression_model(model, n_features)
        assert isinstance(model.optimizer, keras.optimizers.SGD), "use keras.optimizers.SGD"
        assert abs(learning_rate(model) - 0.05) < 1e-9, "build_linear_model must use the learning_rate it is given"
        out = predict(model, np.zeros((4, n_features)))
        assert out.shape == (4, 1), f"predictions for 4 inputs should have shape (4, 1), got {out.shape}"


def check_line_fit(line_model, line_history) -> None:
    X, y = line_data()
    _check_linear_regression_model(line_model, 1)
    weights, bias = single_dense(line_model, 1).get_weights()
    intercept, slope = closed_form(X, y)
    assert abs(float(weights.ravel()[0]) - slope) <= WEIGHT_TOLERANCE, (
        f"learned slope {float(weights.ravel()[0]):.3f} is not within {WEIGHT_TOLERANCE} of the least-squares {slope:.3f}")
    assert abs(float(bias.ravel()[0]) - intercept) <= WEIGHT_TOLERANCE, (
        f"learned intercept {float(bias.ravel()[0]):.3f} is not within {WEIGHT_TOLERANCE} of {intercept:.3f}")
    optimum = least_squares_mse(X, y)
    final = float(line_history.history["loss"][-1])
    assert final <= LINE_LOSS_RATIO * optimum, f"final training loss {final:.4f} > {LINE_LOSS_RATIO} x optimum {optimum:.4f}"
    # A history can be typed in by hand; the model's own error on the data cannot.
    now = float(np.mean((predict(line_model, X)[:, 0] - y) ** 2))
    assert now <= LINE_LOSS_RATIO * optimum, f"the model's MSE on the line data is {now:.4f}"


def check_normal_equation(normal_equation) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 4 + rng.normal(0, 0.1, 50)
    theta = np.asarray(normal_equation(X, y), dtype=float)
    assert theta.shape == (4,), f"for 3 features expect [intercept, w1, w2, w3] of shape (4,), got {theta.shape}"
    assert np.allclose(theta, closed_form(X, y), atol=1e-6), "normal_equation disagrees with least squares"


def train_full_batch(learning_rate: float, seed: int = 0) -> list[float]:
    """Trusted trainer for the learning-rate experiment: batch gradient descent on the line data."""
    import keras

    X, y = line_data()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mean_squared_error")
    return model.fit(X, y, epochs=LR_EPOCHS, batch_size=len(X), verbose=0).history["loss"]


def check_learning_rates(too_small, good, too_large) -> None:
    X, y = line_data()
    optimum = least_squares_mse(X, y)
    for name, value in [("LR_TOO_SMALL", too_small), ("LR_GOOD", good), ("LR_TOO_LARGE", too_large)]:
        assert np.isscalar(value) and float(value) > 0, f"{name} must be a positive number"
    small = train_full_batch(float(too_small))
    assert np.isfinite(small[-1]) and small[-1] > LR_TOO_SMALL_RATIO * optimum, (
        f"LR_TOO_SMALL={too_small} reaches loss {small[-1]:.3f} in {LR_EPOCHS} epochs: not too small")
    right = train_full_batch(float(good))
    assert right[-1] <= LR_GOOD_RATIO * optimum, (
        f"LR_GOOD={good} ends at loss {right[-1]:.3f}, optimum is {optimum:.3f}")
    large = train_full_batch(float(too_large))
    assert not np.isfinite(large[-1]) or large[-1] > large[0], f"LR_TOO_LARGE={too_large} does not diverge"


def check_steps_per_epoch(steps: dict) -> None:
    assert set(steps) == {"batch", "mini-batch", "stochastic"}, "keys: 'batch', 'mini-batch', 'stochastic'"
    assert steps["batch"] == 1, "batch gradient descent takes one step per epoch"
    assert steps["mini-batch"] == 7, "200 samples in batches of 32: ceil(200 / 32) steps per epoch"
    assert steps["stochastic"] == 200, "stochastic gradient descent takes one step per sample"


def check_diabetes_model(diabetes_model) -> None:
    from sklearn.linear_model import LinearRegression

    X_train, X_test, y_train, y_test = diabetes_split()
    _check_linear_regression_model(diabetes_model, X_train.shape[1])
    pred = predict(diabetes_model, X_test)
    assert pred.shape == (len(X_test), 1), f"predictions should have shape ({len(X_test)}, 1), got {pred.shape}"
    mse = float(np.mean((pred[:, 0] - y_test) ** 2))
    reference = float(np.mean((LinearRegression().fit(X_train, y_train).predict(X_test) - y_test) ** 2))
    assert mse <= DIABETES_MSE_RATIO * reference, (
        f"test MSE {mse:.0f} on raw features is above {DIABETES_MSE_RATIO} x least squares ({reference:.0f}); "
        "is the Normalization layer inside the model and adapted on X_train?")
