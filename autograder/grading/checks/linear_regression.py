"""Trusted checks for assignment 02 (linear regression as a single Keras neuron).

Models are measured by the model sandbox on data the grader loads itself; where behaviour is
tested (the learning-rate experiment) the judge computes it with its own arithmetic, so a mistake
in one exercise costs only its own test. Thresholds: docs/calibration.md.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.checks import questions
from autograder.grading.checks.base import Checks, Evidence, as_number, require
from autograder.grading.checks.keras_models import activation, input_width, require_loss, single_dense

CHECKS = Checks("02-linear-regression")

WEIGHT_TOLERANCE = 0.02      # |Keras - closed form| for slope and intercept (batch GD, lr 0.3, 100 epochs)
LINE_LOSS_RATIO = 1.02       # final training loss / least-squares MSE, line data
DIABETES_MSE_RATIO = 1.10    # test MSE / LinearRegression's test MSE, diabetes
LR_EPOCHS = 100              # full-batch epochs of the learning-rate experiment
LR_TOO_SMALL_RATIO = 1.5     # "too small": still above 1.5 x the optimum after LR_EPOCHS
LR_GOOD_RATIO = 1.05         # "good": within 5 % of the optimum
BUILDER_RATE = 0.05


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


CHECKS.inputs("zeros-1")(lambda: np.zeros((4, 1), dtype="float32"))
CHECKS.inputs("zeros-3")(lambda: np.zeros((4, 3), dtype="float32"))
CHECKS.inputs("line")(lambda: line_data()[0].astype("float32"))
CHECKS.inputs("probe-x")(lambda: np.array([[0.0], [1.0], [2.0], [-3.0], [10.0]], dtype="float32"))
CHECKS.inputs("diabetes-test")(lambda: diabetes_split()[1].astype("float32"))


def _linear_regression(model, n_features: int) -> dict:
    dense = single_dense(model, units=1)
    require(activation(dense) == "linear", f"linear regression has no activation, found {activation(dense)!r}")
    require(model.facts.get("trainable_params") == n_features + 1,
            f"{n_features} weights + 1 bias = {n_features + 1} trainable parameters expected, "
            f"found {model.facts.get('trainable_params')}")
    require(input_width(model) == n_features, f"the model should take {n_features} input feature(s)")
    require_loss(model, "mean_squared_error", f"linear regression minimises the MSE, not {model.loss()!r}")
    return dense


@CHECKS.test("test-build-linear-model", models={"model_1": ("zeros-1",), "model_3": ("zeros-3",)})
def build_linear_model(ev: Evidence, challenge: dict) -> None:
    for n_features in (1, 3):
        model = ev.model(f"model_{n_features}", f"build_linear_model({n_features}, learning_rate={BUILDER_RATE})")
        _linear_regression(model, n_features)
        require(model.optimizer() == "SGD", f"use keras.optimizers.SGD, not {model.optimizer()}")
        rate = model.facts.get("learning_rate")
        require(isinstance(rate, (int, float)) and abs(rate - BUILDER_RATE) < 1e-9,
                "build_linear_model must use the learning_rate it is given")
        out = model.predicted(f"zeros-{n_features}")
        require(out.shape == (4, 1), f"predictions for 4 inputs should have shape (4, 1), got {out.shape}")


@CHECKS.test("test-line-fit", models={"model": ("line",)})
def line_fit(ev: Evidence, challenge: dict) -> None:
    X, y = line_data()
    model = ev.model("model", "line_model")
    dense = _linear_regression(model, 1)
    kernel, bias = (np.asarray(w, dtype=float) for w in dense["weights"])
    intercept, slope = closed_form(X, y)
    require(abs(float(kernel.ravel()[0]) - slope) <= WEIGHT_TOLERANCE,
            f"learned slope {float(kernel.ravel()[0]):.3f} is not within {WEIGHT_TOLERANCE} of the least-squares {slope:.3f}")
    require(abs(float(bias.ravel()[0]) - intercept) <= WEIGHT_TOLERANCE,
            f"learned intercept {float(bias.ravel()[0]):.3f} is not within {WEIGHT_TOLERANCE} of {intercept:.3f}")
    optimum = least_squares_mse(X, y)
    losses = ev.array("history_loss", ndim=1, what="line_history.history['loss']")
    require(len(losses) and losses[-1] <= LINE_LOSS_RATIO * optimum,
            f"final training loss {losses[-1] if len(losses) else None} > {LINE_LOSS_RATIO} x optimum {optimum:.4f}")
    # A history can be typed in by hand; the model's own error on the data cannot.
    now = float(np.mean((model.predicted("line")[:, 0] - y) ** 2))
    require(now <= LINE_LOSS_RATIO * optimum, f"the model's MSE on the line data is {now:.4f}")


def two_target_data() -> tuple[np.ndarray, np.ndarray]:
    """Exercise 3b's data: the line's points, its target and a second one, y2 = 3 - 0.8 x + noise (seeded)."""
    X, y = line_data()
    second = 3.0 - 0.8 * X[:, 0] + np.random.default_rng(7).normal(0, 0.3, size=200)
    return X, np.c_[y, second]


@CHECKS.test("test-two-targets", models={"model": ("probe-x",)})
def two_targets(ev: Evidence, challenge: dict) -> None:
    """One linear layer predicting both targets: the lines it predicts, read at the grader's probe points (linear
    everywhere, so no activation), each within WEIGHT_TOLERANCE of the least-squares fit to its own target."""
    model = ev.model("model", "two_target_model")
    require(input_width(model) == 1, "two_target_model should take the one feature of X_line")
    require_loss(model, "mean_squared_error", f"a regression on two targets still minimises the MSE, not {model.loss()!r}")
    out = model.predicted("probe-x")
    require(out.shape == (5, 2), f"two_target_model should give two numbers (one per target) per input, gave {out.shape}")
    x = np.array([0.0, 1.0, 2.0, -3.0, 10.0])
    intercepts, slopes = out[0], out[1] - out[0]
    require(np.allclose(out, intercepts + np.outer(x, slopes), atol=1e-3),
            "two_target_model's predictions are not straight lines in x: one linear Dense layer, no activation")
    X, Y = two_target_data()
    fits = np.stack([closed_form(X, Y[:, column]) for column in range(2)], axis=1)  # rows: intercept, slope
    for column in range(2):
        for name, learned, best in (("intercept", intercepts[column], fits[0, column]), ("slope", slopes[column], fits[1, column])):
            require(abs(float(learned) - best) <= WEIGHT_TOLERANCE,
                    f"target {column + 1}: the learned {name} {float(learned):.3f} is not within {WEIGHT_TOLERANCE} of the "
                    f"least-squares {best:.3f}")


def _normal_equation_inputs(rng: np.random.Generator) -> dict:
    X = rng.normal(size=(50, 3))
    y = X @ rng.normal(0, 2, size=3) + rng.uniform(-5, 5) + rng.normal(0, 0.1, 50)
    return {"X": X, "y": y}


@CHECKS.test("test-normal-equation", challenge=_normal_equation_inputs)
def normal_equation(ev: Evidence, challenge: dict) -> None:
    theta = ev.array("theta", what="normal_equation(X, y)")
    require(theta.shape == (4,), f"for 3 features expect [intercept, w1, w2, w3] of shape (4,), got {theta.shape}")
    require(np.allclose(theta, closed_form(challenge["X"], challenge["y"]), atol=1e-6),
            "normal_equation disagrees with least squares")


def full_batch_losses(learning_rate: float) -> np.ndarray:
    """Batch gradient descent on the line data from zero weights: the MSE after each of LR_EPOCHS
    steps, computed here exactly as Keras' SGD takes them (gradient of the mean squared error)."""
    X, y = line_data()
    Xb = np.c_[np.ones(len(X)), X]
    theta = np.zeros(2)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(LR_EPOCHS):
            error = Xb @ theta - y
            losses.append(float(np.mean(error ** 2)))
            theta = theta - learning_rate * 2 * Xb.T @ error / len(X)
    return np.array(losses)


@CHECKS.test("test-learning-rates")
def learning_rates(ev: Evidence, challenge: dict) -> None:
    X, y = line_data()
    optimum = least_squares_mse(X, y)
    rates = {name: ev.number(name) for name in ("LR_TOO_SMALL", "LR_GOOD", "LR_TOO_LARGE")}
    for name, value in rates.items():
        require(np.isfinite(value) and value > 0, f"{name} must be a positive number")
    small = full_batch_losses(rates["LR_TOO_SMALL"])
    require(np.isfinite(small[-1]) and small[-1] > LR_TOO_SMALL_RATIO * optimum,
            f"LR_TOO_SMALL={rates['LR_TOO_SMALL']:g} reaches loss {small[-1]:.3f} in {LR_EPOCHS} epochs: not too small")
    good = full_batch_losses(rates["LR_GOOD"])
    require(np.isfinite(good[-1]) and good[-1] <= LR_GOOD_RATIO * optimum,
            f"LR_GOOD={rates['LR_GOOD']:g} ends at loss {good[-1]:.3f}, the optimum is {optimum:.3f}")
    large = full_batch_losses(rates["LR_TOO_LARGE"])
    require(not np.isfinite(large[-1]) or large[-1] > large[0], f"LR_TOO_LARGE={rates['LR_TOO_LARGE']:g} does not diverge")


@CHECKS.test("test-steps-per-epoch")
def steps_per_epoch(ev: Evidence, challenge: dict) -> None:
    steps = ev.mapping("steps", "STEPS_PER_EPOCH")
    require(set(steps) == {"batch", "mini-batch", "stochastic"}, "keys: 'batch', 'mini-batch', 'stochastic'")
    for name, value in steps.items():  # True == 1 in Python: a step count is a number, never a bool
        require(not isinstance(value, (bool, np.bool_)) and as_number(value, f"steps[{name!r}]") == round(as_number(value, name)),
                f"STEPS_PER_EPOCH[{name!r}] should be a whole number of steps, got {value!r}")
    require(steps["batch"] == 1, "batch gradient descent takes one step per epoch")
    require(steps["mini-batch"] == 7, "200 samples in batches of 32: ceil(200 / 32) steps per epoch")
    require(steps["stochastic"] == 200, "stochastic gradient descent takes one step per sample")


@CHECKS.test("test-diabetes-model", models={"model": ("diabetes-test",)})
def diabetes_model(ev: Evidence, challenge: dict) -> None:
    from sklearn.linear_model import LinearRegression

    X_train, X_test, y_train, y_test = diabetes_split()
    model = ev.model("model", "diabetes_model")
    _linear_regression(model, X_train.shape[1])
    pred = model.predicted("diabetes-test")
    require(pred.shape == (len(X_test), 1), f"predictions should have shape ({len(X_test)}, 1), got {pred.shape}")
    mse = float(np.mean((pred[:, 0] - y_test) ** 2))
    reference = float(np.mean((LinearRegression().fit(X_train, y_train).predict(X_test) - y_test) ** 2))
    require(mse <= DIABETES_MSE_RATIO * reference,
            f"test MSE {mse:.0f} on raw features is above {DIABETES_MSE_RATIO} x least squares ({reference:.0f}); "
            "is the Normalization layer inside the model and adapted on X_train?")


CHECKS.test("test-collapse-linear", challenge=questions.stacked_layers)(questions.collapse_linear)
