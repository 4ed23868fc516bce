"""Trusted checks for assignment 03 (logistic and softmax regression as single Keras layers).

Accuracies are measured by the model sandbox on test splits the grader loads itself, with raw
features: the notebook puts a Normalization layer inside each model, so a model is usable on its
own. Labels never leave the grader. Thresholds: docs/calibration.md.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.checks.base import Checks, Evidence, as_array, require
from autograder.grading.checks.keras_models import activation, has_layer, input_width, require_loss, single_dense

CHECKS = Checks("03-logistic-regression")

CANCER_MIN_ACCURACY = 0.92
IRIS_MIN_ACCURACY = 0.85
# Exercise 3: the pairs the notebook offers, in its order (the hidden test records pair_<i> in this order).
TWO_FEATURE_CANDIDATES = (("mean radius", "mean texture"), ("mean smoothness", "mean symmetry"),
                          ("worst radius", "worst concave points"), ("mean concave points", "worst perimeter"))
PAIR_CHOICE_TIE = 1e-3           # validation log-losses closer than this: either pair is an honest choice
CHOSEN_PAIR_MIN_ACCURACY = 0.88  # the chosen pair's test accuracy; the reference's best pairs 0.930-0.956


def cancer_split():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer()
    return train_test_split(data.data, data.target, test_size=0.2, stratify=data.target, random_state=42)


def cancer_validation_split():
    """The notebook's validation split: 20 % of the training part, stratified, as the data cell makes it."""
    from sklearn.model_selection import train_test_split

    X_train, _, y_train, _ = cancer_split()
    return train_test_split(X_train, y_train, test_size=0.2, stratify=y_train, random_state=42)


def pair_columns(pair: tuple[str, str]) -> list[int]:
    from sklearn.datasets import load_breast_cancer

    names = list(load_breast_cancer().feature_names)
    return [names.index(name) for name in pair]


def iris_split():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    data = load_iris()
    return train_test_split(data.data, data.target, test_size=0.3, stratify=data.target, random_state=42)


CHECKS.inputs("cancer-test")(lambda: cancer_split()[1].astype("float32"))
CHECKS.inputs("cancer-valid")(lambda: cancer_validation_split()[1].astype("float32"))
for _i, _pair in enumerate(TWO_FEATURE_CANDIDATES):
    CHECKS.inputs(f"cancer-valid-pair-{_i}")(
        lambda pair=_pair: cancer_validation_split()[1][:, pair_columns(pair)].astype("float32"))
    CHECKS.inputs(f"cancer-test-pair-{_i}")(lambda pair=_pair: cancer_split()[1][:, pair_columns(pair)].astype("float32"))
del _i, _pair
CHECKS.inputs("iris-test")(lambda: iris_split()[1].astype("float32"))


def _logistic(model, n_features: int) -> None:
    dense = single_dense(model, units=1)
    require(activation(dense) == "sigmoid", f"logistic regression ends in a sigmoid, found {activation(dense)!r}")
    require(input_width(model) == n_features, f"the model should take {n_features} raw features")
    require(model.facts.get("trainable_params") == n_features + 1,
            f"expected {n_features + 1} trainable parameters, found {model.facts.get('trainable_params')}")
    require_loss(model, "binary_crossentropy", f"use the log-loss (binary_crossentropy), not {model.loss()!r}")
    require(has_layer(model, "Normalization"), "put the Normalization layer inside the model")


def _binary_accuracy(proba: np.ndarray, y: np.ndarray) -> float:
    require(proba.shape == (len(y), 1), f"output should have shape (n, 1), got {proba.shape}")
    require(np.all((proba >= 0) & (proba <= 1)), "outputs must be probabilities in [0, 1]")
    return float(np.mean((proba[:, 0] >= 0.5).astype(int) == y))


@CHECKS.test("test-cancer-model", models={"model": ("cancer-test",)})
def cancer_model(ev: Evidence, challenge: dict) -> None:
    X_train, _, _, y_test = cancer_split()
    model = ev.model("model", "cancer_model")
    _logistic(model, X_train.shape[1])
    accuracy = _binary_accuracy(model.predicted("cancer-test"), y_test)
    require(accuracy >= CANCER_MIN_ACCURACY, f"held-out accuracy {accuracy:.3f} < {CANCER_MIN_ACCURACY}")


def _labelling_inputs(rng: np.random.Generator) -> dict:
    """A two-input sigmoid neuron the hidden test builds, rows whose probabilities are clear of
    the thresholds, and one row at exactly p = 0.5 (dyadic numbers: exact in float32 too)."""
    kernel = np.array([[rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])], [np.round(rng.normal(0, 1.5) * 8) / 8]])
    bias = np.array([np.round(rng.normal(0, 0.5) * 8) / 8])
    threshold = float(rng.uniform(0.55, 0.8))
    rows = rng.normal(0, 2, size=(60, 2))
    p = 1 / (1 + np.exp(-(rows @ kernel[:, 0] + bias[0])))
    rows = rows[(np.abs(p - 0.5) > 1e-3) & (np.abs(p - threshold) > 1e-3)][:30]
    at_half = np.array([[-bias[0] / kernel[0, 0], 0.0]])
    return {"kernel": kernel, "bias": bias, "threshold": threshold, "X": np.vstack([rows, at_half])}


def _expected_labels(given: dict, threshold: float) -> np.ndarray:
    p = 1 / (1 + np.exp(-(given["X"] @ given["kernel"][:, 0] + given["bias"][0])))
    return (p >= threshold).astype(int)


@CHECKS.test("test-predict-labels", challenge=_labelling_inputs)
def predict_labels(ev: Evidence, challenge: dict) -> None:
    n = len(challenge["X"])
    for key, threshold, what in (("default", 0.5, "predict_labels(model, X)"),
                                 ("raised", challenge["threshold"], "predict_labels(model, X, threshold)")):
        raw = ev.value(key)
        labels = ev.array(key, what=what)
        require(labels.shape == (n,), f"{what}: one label per row, shape ({n},), got {labels.shape}")
        require(not isinstance(raw, np.ndarray) or raw.dtype.kind in "iu", f"{what}: labels should be integers (0 or 1)")
        expected = _expected_labels(challenge, threshold)
        wrong = int(np.sum(labels != expected))
        require(wrong == 0, f"{what} gives {wrong} wrong label(s): label 1 when the probability is >= the threshold "
                            f"({threshold:.2f})")


# Exercise 2b: the screening rule, applied by the grader to its own measurement of the student's model.
SCREEN_CANDIDATES = tuple(float(t) for t in np.round(np.arange(0.05, 1.0, 0.05), 2))
SCREEN_MOST_MISSED = 1
# A probability this close to the threshold may land on either side in another float32 run: both counts pass.
SCREEN_BAND = 1e-6
# The screened model must be a real classifier (a constant one makes every high threshold "fewest false alarms"
# with nothing learnt): far below any honest exercise 1 (0.956 at worst over seeds) and far above a constant
# model (0.63, the benign share).
SCREEN_MIN_ACCURACY = 0.85


def screening_mistakes(benign: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    """(malignant called benign, benign flagged as malignant) for labels *benign* (True = called benign)."""
    return int(np.sum(benign & (y == 0))), int(np.sum(~benign & (y == 1)))


def screening_choices(proba: np.ndarray, y: np.ndarray) -> set[float]:
    """The candidates the rule allows: at most SCREEN_MOST_MISSED malignant called benign, fewest false
    alarms; if none keeps to the limit, fewest missed, then fewest false alarms."""
    return screening_rule({t: screening_mistakes(proba[:, 0] >= t, y) for t in SCREEN_CANDIDATES})


def screening_rule(counts: dict) -> set:
    """The candidates whose (missed, false alarms) the rule allows: at most SCREEN_MOST_MISSED missed and the
    fewest false alarms; if none keeps to the limit, the fewest missed, then the fewest false alarms."""
    allowed = {key: c[1] for key, c in counts.items() if c[0] <= SCREEN_MOST_MISSED}
    if not allowed:
        allowed = counts
    best = min(allowed.values())
    return {key for key, value in allowed.items() if value == best}


@CHECKS.test("test-screen-threshold", models={"model": ("cancer-valid", "cancer-test")})
def screen_threshold(ev: Evidence, challenge: dict) -> None:
    _, _, _, y_valid = cancer_validation_split()
    _, _, _, y_test = cancer_split()
    model = ev.model("model", "cancer_model")
    valid, test = model.predicted("cancer-valid"), model.predicted("cancer-test")
    _binary_accuracy(valid, y_valid)  # the shape and range checks
    accuracy = _binary_accuracy(test, y_test)
    require(accuracy >= SCREEN_MIN_ACCURACY, f"screen with exercise 1's trained cancer_model (this one classifies "
                                             f"{accuracy:.0%} of the test tumours right at 0.5)")
    threshold = ev.number("threshold", "SCREEN_THRESHOLD")
    require(any(abs(threshold - t) < 1e-9 for t in SCREEN_CANDIDATES), "SCREEN_THRESHOLD should be one of CANDIDATE_THRESHOLDS")
    threshold = min(SCREEN_CANDIDATES, key=lambda t: abs(t - threshold))
    missed, alarms = screening_mistakes(valid[:, 0] >= threshold, y_valid)
    require(threshold in screening_choices(valid, y_valid),
            f"SCREEN_THRESHOLD is not the candidate the rule picks on the validation split (the grader measures "
            f"your cancer_model there: at {threshold:g}, {missed} malignant called benign, {alarms} false alarms)")
    low, high = (screening_mistakes(test[:, 0] >= threshold + d, y_test) for d in (-SCREEN_BAND, SCREEN_BAND))
    for key, i, what in (("missed", 0, "SCREEN_MISSED: malignant test tumours called benign"),
                         ("false_alarms", 1, "SCREEN_FALSE_ALARMS: benign test tumours flagged")):
        value = ev.value(key)
        require(type(value) is int, f"{what.split(':')[0]} should be a whole number")
        require(min(low[i], high[i]) <= value <= max(low[i], high[i]),
                f"{what} at your threshold: count them on the test split (not the validation split)")


# Exercise 2c: class weights for the malignant class, the same rule applied at threshold 0.5.
CLASS_WEIGHT_CANDIDATES = (1.0, 2.0, 4.0, 8.0)
# The mean validation P(benign) of the weight-8 model below weight 1's by at least this: 0.066-0.073 over six
# seeds, while two unweighted models differ by about 0.01 (docs/calibration.md).
CLASS_WEIGHT_MIN_SHIFT = 0.03


@CHECKS.test("test-class-weight",
             models={f"weight_{i}": ("cancer-valid", "cancer-test") for i in range(len(CLASS_WEIGHT_CANDIDATES))})
def class_weight_choice(ev: Evidence, challenge: dict) -> None:
    """One weighted cancer model per class weight; the weight the screening rule picks at 0.5 on validation."""
    X_train, _, _, y_test = cancer_split()
    _, _, _, y_valid = cancer_validation_split()
    counts, mean_benign, models = {}, {}, {}
    for i, weight in enumerate(CLASS_WEIGHT_CANDIDATES):
        model = models[weight] = ev.model(f"weight_{i}", f"weighted_models[{weight:g}]")
        _logistic(model, X_train.shape[1])
        valid = model.predicted("cancer-valid")
        _binary_accuracy(valid, y_valid)  # the shape and range checks
        _binary_accuracy(model.predicted("cancer-test"), y_test)  # every model predicts both splits
        counts[weight] = screening_mistakes(valid[:, 0] >= 0.5, y_valid)
        mean_benign[weight] = float(np.mean(valid))
    lightest, heaviest = CLASS_WEIGHT_CANDIDATES[0], CLASS_WEIGHT_CANDIDATES[-1]
    require(mean_benign[heaviest] <= mean_benign[lightest] - CLASS_WEIGHT_MIN_SHIFT,
            f"weight {heaviest:g} should make your model call fewer tumours benign than weight {lightest:g} (the grader "
            f"measures a mean P(benign) of {mean_benign[heaviest]:.3f} against {mean_benign[lightest]:.3f} on validation): "
            f"pass class_weight={{0: weight, 1: 1.0}} to fit")
    weight = ev.number("choice", "MALIGNANT_WEIGHT")
    require(weight in counts, "MALIGNANT_WEIGHT should be one of CLASS_WEIGHT_CANDIDATES")
    missed, alarms = counts[weight]
    require(weight in screening_rule(counts),
            f"MALIGNANT_WEIGHT is not the weight the rule picks on the validation split (the grader measures your "
            f"model of weight {weight:g} there: {missed} malignant called benign, {alarms} false alarms at 0.5)")
    accuracy = _binary_accuracy(models[weight].predicted("cancer-test"), y_test)
    require(accuracy >= SCREEN_MIN_ACCURACY, f"train each weighted model as exercise 1 trains cancer_model (the chosen "
                                             f"one classifies {accuracy:.0%} of the test tumours right)")


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Binary cross-entropy as Keras computes it (probabilities clipped to [1e-7, 1 - 1e-7])."""
    p = np.clip(proba[:, 0].astype("float64"), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@CHECKS.test("test-two-feature-model",
             models={f"pair_{i}": (f"cancer-valid-pair-{i}", f"cancer-test-pair-{i}")
                     for i in range(len(TWO_FEATURE_CANDIDATES))})
def two_feature_choice(ev: Evidence, challenge: dict) -> None:
    """One logistic neuron per candidate pair; the pair with the lowest validation loss the grader measures."""
    _, _, _, y_valid = cancer_validation_split()
    _, _, _, y_test = cancer_split()
    losses = {}
    for i, pair in enumerate(TWO_FEATURE_CANDIDATES):
        model = ev.model(f"pair_{i}", f"pair_models[{pair!r}]")
        _logistic(model, 2)
        proba = model.predicted(f"cancer-valid-pair-{i}")
        _binary_accuracy(proba, y_valid)  # the shape and range checks
        _binary_accuracy(model.predicted(f"cancer-test-pair-{i}"), y_test)  # every model predicts both splits
        losses[pair] = log_loss(proba, y_valid)
    raw = ev.value("choice")
    choice = tuple(raw) if isinstance(raw, (list, tuple)) and all(isinstance(name, str) for name in raw) else None
    require(choice in losses, "TWO_FEATURES should be one of the pairs in TWO_FEATURE_CANDIDATES")
    best = min(losses.values())
    require(losses[choice] <= best + PAIR_CHOICE_TIE,
            f"TWO_FEATURES is not the pair whose model has the lowest validation loss (the grader measures "
            f"{losses[choice]:.4f} for {' + '.join(choice)}; the lowest of your models is {best:.4f})")
    i = TWO_FEATURE_CANDIDATES.index(choice)
    accuracy = _binary_accuracy(ev.model(f"pair_{i}").predicted(f"cancer-test-pair-{i}"), y_test)
    require(accuracy >= CHOSEN_PAIR_MIN_ACCURACY,
            f"the chosen pair's model classifies {accuracy:.3f} of the test tumours right, needs at least "
            f"{CHOSEN_PAIR_MIN_ACCURACY}: train each model as exercise 1 trains cancer_model")


def _softmax(ev: Evidence, name: str, loss: str) -> None:
    _, _, _, y_test = iris_split()
    model = ev.model("model", name)
    dense = single_dense(model, units=3)
    require(activation(dense) == "softmax", f"a k-class output uses softmax, found {activation(dense)!r}")
    require(input_width(model) == 4 and has_layer(model, "Normalization"), "4 raw iris features in, Normalization inside")
    require_loss(model, loss, f"this model should be compiled with {loss}, not {model.loss()!r}")
    proba = model.predicted("iris-test")
    require(proba.shape == (len(y_test), 3), f"one probability per class: shape (n, 3), got {proba.shape}")
    require(np.allclose(proba.sum(axis=1), 1, atol=1e-5), "softmax rows must sum to 1")
    accuracy = float(np.mean(proba.argmax(axis=1) == y_test))
    require(accuracy >= IRIS_MIN_ACCURACY, f"held-out iris accuracy {accuracy:.3f} < {IRIS_MIN_ACCURACY}")


@CHECKS.test("test-softmax-sparse", models={"model": ("iris-test",)})
def softmax_sparse(ev: Evidence, challenge: dict) -> None:
    _softmax(ev, "softmax_sparse", "sparse_categorical_crossentropy")


@CHECKS.test("test-softmax-onehot", models={"model": ("iris-test",)})
def softmax_onehot(ev: Evidence, challenge: dict) -> None:
    _, _, y_train, _ = iris_split()
    onehot = ev.array("y_train_onehot")
    require(onehot.shape == (len(y_train), 3), f"one-hot labels should have shape ({len(y_train)}, 3), got {onehot.shape}")
    require(np.array_equal(onehot.argmax(axis=1), y_train) and np.allclose(onehot.sum(axis=1), 1)
            and np.allclose(onehot.max(axis=1), 1),
            "y_train_onehot must be the one-hot coding of y_train (keras.utils.to_categorical)")
    _softmax(ev, "softmax_onehot", "categorical_crossentropy")


# Exercise 5b: the gradient of softmax + cross-entropy with respect to the logits, derived by the student.
def logit_cases(rng: np.random.Generator) -> dict:
    """Logits and labels for the hidden test: two classes (where softmax is the sigmoid of 2b's neuron), the
    visible test's three, and more; one example in every case confidently wrong, so that sign slips show."""
    cases = []
    for classes in (2, 3, int(rng.integers(4, 8)), int(rng.integers(4, 11))):
        n = int(rng.integers(4, 9))
        logits = np.round(rng.normal(0, 2.5, size=(n, classes)), 3)
        labels = rng.integers(0, classes, size=n)
        logits[0, labels[0]] = -4.0
        logits[0, (labels[0] + 1) % classes] = 4.0
        cases.append({"logits": logits, "labels": labels})
    return {"cases": cases}


def softmax_cross_entropy_gradient(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True) - np.eye(logits.shape[1])[labels]


# The answer is a closed form; a student computing in float32 (keras.ops) is off by about 1e-7.
LOGIT_GRADIENT_ATOL = 1e-5


def _gradient_slip(got: np.ndarray, logits: np.ndarray, labels: np.ndarray) -> str:
    """What a wrong gradient most likely got wrong, said without giving the answer."""
    right = softmax_cross_entropy_gradient(logits, labels)
    probabilities = right + np.eye(logits.shape[1])[labels]
    close = lambda other: np.allclose(got, other, atol=LOGIT_GRADIENT_ATOL, rtol=0)  # noqa: E731
    if close(-right):
        return "the sign is turned round (raising the true class's logit should lower the loss)"
    if close(right / len(labels)):
        return "it is averaged over the examples: each row should be that one example's own gradient"
    if close(probabilities):
        return "the label is missing: the loss, and so its gradient, depends on which class is the true one"
    return "differentiate -log p_y with respect to each logit, the true class's and every other one"


@CHECKS.test("test-softmax-gradient", challenge=logit_cases)
def softmax_gradient(ev: Evidence, challenge: dict) -> None:
    gradients = ev.value("gradients")
    require(isinstance(gradients, list) and len(gradients) == len(challenge["cases"]),
            "softmax_logit_gradient gave no answer for some of the grader's logits")
    for case, got in zip(challenge["cases"], gradients):
        logits, labels = np.asarray(case["logits"], dtype=float), np.asarray(case["labels"], dtype=int)
        what = f"softmax_logit_gradient on {logits.shape[0]} examples of {logits.shape[1]} classes"
        gradient = as_array(got, what, shape=logits.shape)
        require(np.allclose(gradient, softmax_cross_entropy_gradient(logits, labels), atol=LOGIT_GRADIENT_ATOL, rtol=0),
                f"{what} is not right: {_gradient_slip(gradient, logits, labels)}")
