"""Trusted checks for assignment 06: California-housing regression MLPs.

The grader loads the data itself (``california_split``); models are run by the model sandbox on
its inputs, and errors are computed here against labels that never leave the grader. The
scikit-learn baseline is checked by running its recorded weights through the grader's own forward
pass. Thresholds: docs/calibration.md.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from course_kernel import data

from autograder.grading.checks.base import Checks, Evidence, as_array, require
from autograder.grading.checks.keras_models import (activation, has_layer, input_shapes, normalization, require_loss, require_regression_output, rmse)

CHECKS = Checks("06-california-housing", datasets=("california-housing",))

MAX_BASELINE_VALID_RMSE = 0.56   # MLPRegressor([50, 50, 50], random_state=42) validation RMSE, measured 0.505
MAX_TEST_RMSE = 0.55             # Keras Sequential 3x50 test RMSE; the reference measures 0.505-0.517
MAX_LOCATION_TEST_RMSE = 0.52    # the same MLP plus a latitude x longitude embedding; the reference measures < 0.50
LOCATION_GAIN = 0.01             # validation RMSE below the plain MLP's; designs measured 0.017-0.041 better, 80 bins not
MAX_HUBER_VALID_RMSE = 0.52      # the location model trained on the Huber loss; the reference measures 0.465-0.469
LOSS_CHOICE_TIE = 1e-3           # closer than this on validation, either loss is an honest choice
MAX_BOUNDED_VALID_RMSE = 0.52    # the location design with a sigmoid x 5 output; the reference measures 0.47-0.48
LABEL_RANGE = (0.0, 5.0)         # where a bounded output must stay, on any input (labels: 0.15-5.0)
FINAL_CHOICE_TIE = 1e-3          # candidates closer than this to the best on validation are honest choices
REPORT_TOLERANCE = 1e-3          # what the notebook reports vs what the grader measures
WIDE_FEATURES, DEEP_FEATURES = 5, 6  # two-input model: features 0-4 wide, 2-7 deep


@functools.lru_cache(maxsize=1)
def california_split():
    """The seeds' split: train_test_split twice with random_state=42 -> train, valid, test."""
    from sklearn.model_selection import train_test_split

    housing = data.fetch_california_housing()
    X_train_full, X_test, y_train_full, y_test = train_test_split(housing.data, housing.target, random_state=42)
    X_train, X_valid, y_train, y_valid = train_test_split(X_train_full, y_train_full, random_state=42)
    return (X_train, y_train), (X_valid, y_valid), (X_test, y_test)


def _test():
    return california_split()[2][0].astype("float32")


def far_out_districts() -> np.ndarray:
    """Districts no census has seen: validation rows scaled a thousand times up and down and shifted far, each
    feature alone pushed far either way, and random far directions (a ReLU network's output grows along each one,
    so an output unbounded on either side shows on some)."""
    X_valid = california_split()[1][0][:300].astype("float32")
    one_feature = np.vstack([np.eye(8), -np.eye(8)]) * 1e4 + X_valid[:1]
    directions = np.random.default_rng(6).normal(size=(200, 8)) * 1e4
    return np.vstack([X_valid * 1000, X_valid * -1000, X_valid + 1e4, X_valid - 1e4, one_feature, directions]).astype("float32")


def _two_inputs(rows: int):
    X_train = california_split()[0][0][:rows].astype("float32")
    return [X_train[:, :WIDE_FEATURES], X_train[:, 2:]]


CHECKS.inputs("test")(_test)
CHECKS.inputs("valid")(lambda: california_split()[1][0].astype("float32"))
CHECKS.inputs("test-500")(lambda: _test()[:500])
CHECKS.inputs("far-out")(lambda: far_out_districts())
CHECKS.inputs("train-7-two")(lambda: _two_inputs(7))
CHECKS.inputs("train-500-two")(lambda: _two_inputs(500))


# --- exercise 1: the scikit-learn baseline ------------------------------------------------------------

def mlp_forward(X, mean, scale, coefs, intercepts, hidden_activation: str) -> np.ndarray:
    """What a fitted StandardScaler + MLPRegressor pipeline predicts, computed with NumPy here."""
    functions = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "identity": lambda z: z,
                 "logistic": lambda z: 1 / (1 + np.exp(-z))}
    require(hidden_activation in functions, f"unknown MLPRegressor activation {hidden_activation!r}")
    z = (X - mean) / np.where(scale == 0, 1, scale)
    for index, (weights, bias) in enumerate(zip(coefs, intercepts)):
        z = z @ weights + bias
        if index < len(coefs) - 1:
            z = functions[hidden_activation](z)
    return z.ravel()


@CHECKS.test("test-cal-baseline")
def baseline(ev: Evidence, challenge: dict) -> None:
    """A fitted StandardScaler + MLPRegressor([50, 50, 50]) pipeline and its honest validation RMSE."""
    require(ev.value("steps") == ["StandardScaler", "MLPRegressor"],
            "the pipeline should be make_pipeline(StandardScaler(), MLPRegressor(...))")
    require(ev.array("hidden_layer_sizes", ndim=1).tolist() == [50, 50, 50], "three hidden layers of 50 neurons")
    # Outlying validation districts make this RMSE swing from 0.51 to 3.5 with the seed (docs/calibration.md).
    require(ev.value("random_state") == 42, "use MLPRegressor(..., random_state=42) as asked")
    require(ev.value("scaler_mean") is not None and ev.value("coefs") is not None, "fit the pipeline on the training set")
    (X_train, _), (X_valid, y_valid), _ = california_split()
    mean, scale = ev.array("scaler_mean", shape=(8,)), ev.array("scaler_scale", shape=(8,))
    require(np.allclose(mean, X_train.mean(axis=0)), "fit the pipeline on X_train (the scaler's means differ)")
    coefs, intercepts = ev.value("coefs"), ev.value("intercepts")
    require(isinstance(coefs, list) and isinstance(intercepts, list) and len(coefs) == len(intercepts) == 4,
            "the fitted network should have three hidden layers and an output layer")
    weights = [as_array(w, "coefs_", ndim=2) for w in coefs]
    biases = [as_array(b, "intercepts_", ndim=1) for b in intercepts]
    # The shapes of a 8-50-50-50-1 network, or a bias per validation row (and zero weights) would
    # "predict" any targets it was given.
    expected = [(8, 50), (50, 50), (50, 50), (50, 1)]
    require([w.shape for w in weights] == expected and [b.shape for b in biases] == [(50,), (50,), (50,), (1,)],
            f"the fitted network's coefs_ should have shapes {expected} and its intercepts_ one bias per unit, "
            f"got {[w.shape for w in weights]} and {[b.shape for b in biases]}")
    measured = rmse(y_valid, mlp_forward(X_valid, mean, scale, weights, biases, ev.text("activation")))
    reported = ev.number("valid_rmse", "baseline_valid_rmse")
    require(abs(reported - measured) < REPORT_TOLERANCE,
            f"baseline_valid_rmse = {reported:.4f}, but the pipeline scores {measured:.4f} on the validation set")
    require(measured <= MAX_BASELINE_VALID_RMSE, f"validation RMSE {measured:.4f}, needs at most {MAX_BASELINE_VALID_RMSE}")


# --- exercises 2-4: a Sequential MLP, trained with callbacks, evaluated ----------------------------------

def _check_normalization(layer: dict | None) -> None:
    require(layer is not None, "the model should start with a Normalization layer")
    require(layer.get("mean") is not None and layer.get("variance") is not None, "call norm_layer.adapt(X_train) before training")
    (X_train, _), _, _ = california_split()
    mean, variance = np.asarray(layer["mean"], dtype=float), np.asarray(layer["variance"], dtype=float)
    require(mean.shape == (X_train.shape[1],), f"one mean per feature expected, found shape {mean.shape}")
    require(np.allclose(mean, X_train.mean(axis=0), rtol=1e-4, atol=1e-3),
            "the layer's mean is not the mean of X_train: adapt it on the training set (not the full or test set)")
    require(np.allclose(variance, X_train.var(axis=0), rtol=1e-3), "the layer's variance is not that of X_train")


@CHECKS.test("test-cal-sequential", models={"model": ()})
def sequential_model(ev: Evidence, challenge: dict) -> None:
    model = ev.model("model")
    require(model.facts.get("class") == "Sequential", "build model with keras.Sequential")
    require(ev.flag("first_is_norm") and model.classes()[:1] == ["Normalization"], "the first layer should be norm_layer")
    require(input_shapes(model) == [(None, 8)], f"eight input features expected, got {input_shapes(model)}")
    require_regression_output(model)
    hidden = model.dense()[:-1]
    require([d.get("units") for d in hidden] == [50, 50, 50],
            f"three hidden Dense layers of 50 units, got {[d.get('units') for d in hidden]}")
    require(all(activation(d) == "relu" for d in hidden), "the hidden layers use relu")
    _check_normalization(normalization(model))


def _test_rmse(model) -> float:
    _, _, (X_test, y_test) = california_split()
    predictions = model.predicted("test")
    require(predictions.shape == (len(y_test), 1), f"one prediction per district expected, got {predictions.shape}")
    return rmse(y_test, predictions)


def _valid_rmse(model) -> float:
    _, (X_valid, y_valid), _ = california_split()
    predictions = model.predicted("valid")
    require(predictions.shape == (len(y_valid), 1), f"one prediction per district expected, got {predictions.shape}")
    return rmse(y_valid, predictions)


def _is_callback_record(record: Any) -> bool:
    """What the hidden test records of one callback: its class name, two flags (None where the kind has
    none) and a checkpoint path ('' where it has none)."""
    return (isinstance(record, dict) and isinstance(record.get("kind"), str) and isinstance(record.get("filepath"), str)
            and all(record.get(flag) is None or isinstance(record.get(flag), bool)
                    for flag in ("restore_best_weights", "save_best_only")))


@CHECKS.test("test-cal-training", models={"model": ("test", "test-500"), "checkpoint": ("test-500",)})
def training(ev: Evidence, challenge: dict) -> None:
    callbacks = ev.value("callbacks")
    require(isinstance(callbacks, list) and all(_is_callback_record(c) for c in callbacks), "callbacks should be a list")
    kinds = {c.get("kind"): c for c in callbacks}
    require(kinds.get("EarlyStopping", {}).get("restore_best_weights") is True,
            "use EarlyStopping(..., restore_best_weights=True)")
    checkpoint = kinds.get("ModelCheckpoint")
    require(checkpoint is not None and checkpoint.get("save_best_only") is True, "use ModelCheckpoint(..., save_best_only=True)")
    require(str(checkpoint.get("filepath")).endswith(".keras"), "the checkpoint should be a .keras file")
    require("LearningRateScheduler" in kinds or "ReduceLROnPlateau" in kinds, "add a LearningRateScheduler or ReduceLROnPlateau")
    require("TensorBoard" in kinds, "add a TensorBoard callback")
    require(ev.number("event_files") > 0, "no TensorBoard event files were written: train with the callback")
    model = ev.model("model")
    # Both callbacks watch the validation loss, so the best checkpoint holds the restored weights.
    saved = ev.model("checkpoint", "the best checkpoint")
    require(np.allclose(saved.predicted("test-500"), model.predicted("test-500"), atol=1e-4),
            "the best checkpoint and the trained model should predict the same (restore_best_weights=True)")
    require_loss(model, "mean_squared_error", f"compile with loss='mse', not {model.loss()!r}")
    ev.history("history", metrics=("val_root_mean_squared_error",))
    measured = _test_rmse(model)
    require(measured <= MAX_TEST_RMSE, f"test RMSE measured by the grader is {measured:.4f}, needs at most {MAX_TEST_RMSE}")


@CHECKS.test("test-cal-evaluate", models={"model": ("test",)})
def reported_results(ev: Evidence, challenge: dict) -> None:
    model = ev.model("model")
    measured = _test_rmse(model)
    reported = ev.number("test_rmse")
    require(abs(reported - measured) < REPORT_TOLERANCE,
            f"test_rmse = {reported:.4f} but the model really scores {measured:.4f} on the test set")
    y_new = ev.array("y_new")
    require(y_new.shape in [(3,), (3, 1)], "y_new: predictions for the first three test districts")
    require(np.allclose(y_new.ravel(), model.predicted("test")[:3].ravel(), atol=1e-4),
            "y_new should be the model's predictions for X_test[:3]")


# --- exercise 5: the functional API -------------------------------------------------------------------

def _concatenation(model) -> dict | None:
    return next((layer for layer in model.layers() if layer.get("class") == "Concatenate"), None)


@CHECKS.test("test-cal-functional", models={"wide_and_deep": (), "two_input": ("train-7-two",)})
def functional(ev: Evidence, challenge: dict) -> None:
    wide = ev.model("wide_and_deep", "build_wide_and_deep()")
    require_regression_output(wide)
    require(input_shapes(wide) == [(None, 8)], f"eight input features expected, got {input_shapes(wide)}")
    concat = _concatenation(wide)
    require(concat is not None, "join the wide path and the deep path with keras.layers.Concatenate")
    hidden = wide.dense()[:-1]
    require([d.get("units") for d in hidden] == [30, 30], f"two hidden Dense layers of 30 units, got {[d.get('units') for d in hidden]}")
    width = (concat.get("output_shape") or [None])[-1]
    require(width == 8 + 30, f"the concatenation should hold the 8 (normalized) inputs and 30 deep features, has {width}")

    two = ev.model("two_input", "build_two_input_model()")
    require_regression_output(two, inputs=2)
    require(input_shapes(two) == [(None, WIDE_FEATURES), (None, DEEP_FEATURES)],
            f"inputs should be (None, {WIDE_FEATURES}) for the wide path and (None, {DEEP_FEATURES}) for the deep path, "
            f"got {input_shapes(two)}")
    require(_concatenation(two) is not None, "join the two paths with keras.layers.Concatenate")
    out = two.predicted("train-7-two")
    require(out.shape == (7, 1) and np.all(np.isfinite(out)), "the model should predict one finite value per row")


# --- exercise 6: location -----------------------------------------------------------------------------

@CHECKS.test("test-cal-location", models={"model": ("test", "valid"), "plain": ("valid",)})
def location_model(ev: Evidence, challenge: dict) -> None:
    """The student's own location design: raw 8 features in, at least one coordinate binned; measured here on
    validation against exercise 3's plain MLP, and on the test set once."""
    model = ev.model("model", "location_model")
    require_regression_output(model)
    require(input_shapes(model) == [(None, 8)], "the model should take the 8 raw features")
    for needed in ("Normalization", "Discretization"):
        require(has_layer(model, needed), f"the model should contain a {needed} layer")
    require_loss(model, "mean_squared_error", f"compile with loss='mse', not {model.loss()!r}")
    ev.history("history", metrics=("val_root_mean_squared_error",))
    # A plain MLP trained badly in exercise 3 only makes this comparison easier: exercise 3 loses its own points.
    location, plain = _valid_rmse(model), _valid_rmse(ev.model("plain", "model (exercise 3)"))
    require(location <= plain - LOCATION_GAIN,
            f"the location model's validation RMSE measured by the grader is {location:.4f}, the plain MLP's {plain:.4f}: "
            f"the design should be at least {LOCATION_GAIN} better")
    measured = _test_rmse(model)
    require(measured <= MAX_LOCATION_TEST_RMSE,
            f"test RMSE measured by the grader is {measured:.4f}, needs at most {MAX_LOCATION_TEST_RMSE}")


# --- exercise 6b: a robust loss, chosen on validation -------------------------------------------------

@CHECKS.test("test-cal-robust-loss", models={"mse_model": ("valid",), "huber_model": ("valid",)})
def robust_loss(ev: Evidence, challenge: dict) -> None:
    """Exercise 6's model trained on the Huber loss, and the loss whose model the grader measures lower on validation."""
    huber = ev.model("huber_model", "huber_model")
    require_regression_output(huber)
    require(input_shapes(huber) == [(None, 8)], "huber_model should take the 8 raw features (build it with build_location_model())")
    mse = ev.model("mse_model", "location_model")
    require(huber.classes() == mse.classes(),
            "huber_model should be built by your build_location_model(), as location_model was: their layers differ")
    require(huber.loss() in ("huber", "huber_loss"), f"compile huber_model with loss=keras.losses.Huber(), not {huber.loss()!r}")
    ev.history("history", metrics=("val_root_mean_squared_error",))
    require_loss(mse, "mean_squared_error", "location_model, the other candidate, should be exercise 6's model trained on 'mse'")
    measured = {"mse": _valid_rmse(mse), "huber": _valid_rmse(huber)}
    require(measured["huber"] <= MAX_HUBER_VALID_RMSE,
            f"huber_model's validation RMSE measured by the grader is {measured['huber']:.4f}, needs at most "
            f"{MAX_HUBER_VALID_RMSE}: train it with exercise 6's recipe")
    choice = ev.value("choice")
    require(choice in measured, 'LOSS_CHOICE should be "mse" or "huber"')
    other = "huber" if choice == "mse" else "mse"
    require(measured[choice] <= measured[other] + LOSS_CHOICE_TIE,
            f"LOSS_CHOICE is not the loss whose model has the lower validation RMSE (the grader measures "
            f"{measured['mse']:.4f} for the MSE model and {measured['huber']:.4f} for the Huber model)")


# --- exercise 6c: the Huber loss's derivative, derived by the student -----------------------------------

def huber_cases(rng: np.random.Generator) -> dict:
    """Labels, predictions and thresholds for the hidden test: delta 1 as in Keras' default, and others on
    both sides of it (where forgetting the factor delta outside the threshold shows); errors from well inside
    to three deltas outside, both signs, so that a turned-round sign or a missing clip shows too."""
    cases = []
    for delta in (1.0, 0.5, float(np.round(rng.uniform(1.5, 3.0), 2)), float(np.round(rng.uniform(0.2, 0.8), 2))):
        y_true = np.round(rng.uniform(0.2, 5.0, size=int(rng.integers(6, 12))), 3)
        errors = np.round(rng.uniform(-3 * delta, 3 * delta, size=len(y_true)), 3)
        errors[:2] = (-2.5 * delta, 0.4 * delta)  # one far outside, one inside, in every case
        cases.append({"y_true": y_true, "y_pred": y_true + errors, "delta": delta})
    return {"cases": cases}


def huber_derivative(y_true: np.ndarray, y_pred: np.ndarray, delta: float) -> np.ndarray:
    return np.clip(y_pred - y_true, -delta, delta)


HUBER_GRADIENT_ATOL = 1e-5  # a closed form: float32 arithmetic is off by about 1e-7


def _huber_slip(got: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, delta: float) -> str:
    """What a wrong derivative most likely got wrong, said without giving the answer."""
    right, error = huber_derivative(y_true, y_pred, delta), y_pred - y_true
    close = lambda other: np.allclose(got, other, atol=HUBER_GRADIENT_ATOL, rtol=0)  # noqa: E731
    if close(-right):
        return "the sign is turned round (a prediction above its label should be pulled down)"
    if close(np.clip(error, -1, 1)) or close(np.where(np.abs(error) <= delta, error, np.sign(error))):
        return "outside the threshold the loss grows by delta for every unit of error, not by 1"
    if close(error) or close(2 * error):
        return "that is the squared error's derivative everywhere: outside the threshold the loss is linear"
    if close(right / len(y_true)):
        return "it is averaged over the districts: each entry should be that district's own derivative"
    return "differentiate each piece of the loss with respect to the prediction, and use the piece the error falls in"


@CHECKS.test("test-cal-huber-gradient", challenge=huber_cases)
def huber_gradient(ev: Evidence, challenge: dict) -> None:
    gradients = ev.value("gradients")
    require(isinstance(gradients, list) and len(gradients) == len(challenge["cases"]),
            "huber_gradient gave no answer for some of the grader's districts")
    for case, got in zip(challenge["cases"], gradients):
        y_true, y_pred = np.asarray(case["y_true"], dtype=float), np.asarray(case["y_pred"], dtype=float)
        what = f"huber_gradient on {len(y_true)} districts with delta={case['delta']}"
        gradient = as_array(got, what, shape=y_true.shape)
        require(np.allclose(gradient, huber_derivative(y_true, y_pred, case["delta"]), atol=HUBER_GRADIENT_ATOL, rtol=0),
                f"{what} is not right: {_huber_slip(gradient, y_true, y_pred, case['delta'])}")


# --- exercise 6d: a bounded output ----------------------------------------------------------------------

@CHECKS.test("test-cal-bounded", models={"model": ("valid", "far-out")})
def bounded_output(ev: Evidence, challenge: dict) -> None:
    """A trained regression model whose output stays within the labels' range on any input, the grader's far-out
    districts included (a bound learned from the data would not hold there)."""
    model = ev.model("model", "bounded_model")
    require(input_shapes(model) == [(None, 8)], "bounded_model should take the 8 raw features")
    require_loss(model, "mean_squared_error", f"compile bounded_model with loss='mse', not {model.loss()!r}")
    ev.history("history", metrics=("val_root_mean_squared_error",))
    far = model.predicted("far-out")
    require(far.shape == (len(far_out_districts()), 1), f"one prediction per district expected, got {far.shape}")
    low, high = LABEL_RANGE
    require(bool(np.all(np.isfinite(far))) and float(far.min()) >= low - 1e-4 and float(far.max()) <= high + 1e-4,
            f"on districts far outside the data the grader measures predictions from {np.nanmin(far):.3g} to "
            f"{np.nanmax(far):.3g}: the output layer itself should keep them between {low:g} and {high:g}")
    measured = _valid_rmse(model)
    require(measured <= MAX_BOUNDED_VALID_RMSE,
            f"bounded_model's validation RMSE measured by the grader is {measured:.4f}, needs at most "
            f"{MAX_BOUNDED_VALID_RMSE}: train it with exercise 6's recipe")


# --- exercise 6e: the final model, chosen on validation and tested once --------------------------------

FINAL_CANDIDATES = ("plain", "location", "huber", "bounded")


@CHECKS.test("test-cal-final-choice", models={name: ("valid", "test") for name in FINAL_CANDIDATES})
def final_choice(ev: Evidence, challenge: dict) -> None:
    measured = {name: _valid_rmse(ev.model(name, f"the {name} candidate")) for name in FINAL_CANDIDATES}
    choice = ev.value("choice")
    require(choice in measured, f"FINAL_MODEL should be one of {', '.join(map(repr, FINAL_CANDIDATES))}")
    best = min(measured.values())
    require(measured[choice] <= best + FINAL_CHOICE_TIE,
            "FINAL_MODEL is not the candidate with the lowest validation RMSE (the grader measures "
            + ", ".join(f"{name} {value:.4f}" for name, value in measured.items()) + ")")
    # Every candidate is measured on the test set too (the grader cannot know the choice before it asks): each
    # must predict it properly, whichever is chosen.
    tested = {name: _test_rmse(ev.model(name, f"the {name} candidate")) for name in FINAL_CANDIDATES}[choice]
    reported = ev.number("test_rmse")
    require(abs(reported - tested) < REPORT_TOLERANCE,
            f"final_test_rmse = {reported:.4f} but {choice!r} really scores {tested:.4f} on the test set")


# --- exercise 7: subclassing --------------------------------------------------------------------------

@CHECKS.test("test-cal-subclass", models={"model": ("train-500-two",)})
def subclassed_model(ev: Evidence, challenge: dict) -> None:
    """A keras.Model subclass mapping (wide, deep) inputs to one value, trained."""
    require(ev.flag("is_subclass"), "define a subclass of keras.Model")
    require(ev.flag("overrides_call"), "implement call(self, inputs)")
    require(ev.flag("is_instance"), "subclassed_model should be an instance of WideAndDeepModel")
    model = ev.model("model", "subclassed_model")
    out = model.predicted("train-500-two")
    require(out.shape == (500, 1), f"calling the model on (wide, deep) should give shape (500, 1), got {out.shape}")
    require((model.facts.get("trainable_variables") or len(model.dense()) * 2) >= 6,
            "the model should hold its own Dense layers (created in __init__)")
    (_, y_train), _, _ = california_split()
    # Trained for a few epochs on normalized inputs, it must beat predicting the mean by far.
    require(rmse(y_train[:500], out) < 0.8 * float(np.std(y_train)),
            "the model's predictions are barely better than the mean price: adapt the Normalization layers and train it")


# --- exercise 8: saving -------------------------------------------------------------------------------

@CHECKS.test("test-cal-saving", models={"model": ("test-500",), "reloaded": ("test-500",), "restored": ("test-500",)})
def saved_copies(ev: Evidence, challenge: dict) -> None:
    """A .keras reload and a .weights.h5 restore both predict exactly like the original."""
    expected = ev.model("model").predicted("test-500")
    for name in ("reloaded", "restored"):
        require(ev.flag(f"{name}_is_new"), f"{name} should be a new model, not the original object")
        copy = ev.model(name)
        require(np.allclose(copy.predicted("test-500"), expected, atol=1e-5), f"{name} predicts differently from the original")


# --- exercise 9: KerasTuner ---------------------------------------------------------------------------

@CHECKS.test("test-cal-tuner", models={"built": (), "best": ()})
def tuner(ev: Evidence, challenge: dict) -> None:
    """A KerasTuner search over the learning rate and layer sizes, and a usable best model."""
    names = ev.value("hp_names")
    require(isinstance(names, list) and all(isinstance(name, str) for name in names),
            "build_tuned_model(hp) should register hyperparameters")
    require("learning_rate" in names, f"tune 'learning_rate' (found {sorted(map(str, names))})")
    require(any("neurons" in str(name) or "units" in str(name) for name in names), "tune the number of neurons per layer")
    built = ev.model("built", "build_tuned_model(hp)")
    require_regression_output(built)
    require_loss(built, "mean_squared_error", "compile the tuned model with loss='mse'")
    require(ev.flag("is_tuner"), "tuner should be a keras_tuner tuner (RandomSearch, Hyperband, ...)")
    completed = ev.number("completed")
    require(completed >= 2, f"at least two completed trials expected, found {completed:g}")
    require_regression_output(ev.model("best", "the best model"))
