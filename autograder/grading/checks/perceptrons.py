"""Trusted checks for assignment 01 (threshold units, the perceptron rule, activation functions).

Each judge uses its own arithmetic, never the student's other functions, so one wrong exercise
costs exactly the points of its own test. Inputs are drawn fresh for every grading run, so an
answer hard-coded for the visible tests cannot pass. Thresholds: docs/calibration.md.
"""

from __future__ import annotations

import itertools

import numpy as np

from autograder.grading.checks.base import Checks, Evidence, Failed, as_array, as_number, require

CHECKS = Checks("01-perceptrons")

# Calibrated in docs/calibration.md: zero start, learning rate 1, samples in truth-table order.
MAX_EPOCHS_AND_OR = 10
IRIS_MIN_ACCURACY = 0.95
MAX_REFIT_ITERATIONS = 10_000  # the judge refits estimators from the recorded settings; bound its work

TRUTH_TABLES = {
    "NOT": lambda a: 1 - a,
    "AND": lambda a, b: a & b,
    "OR": lambda a, b: a | b,
    "NAND": lambda a, b: 1 - (a & b),
    "XOR": lambda a, b: a ^ b,
}


def truth_table(gate: str, n_inputs: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Every binary input of the gate (in counting order) and the gate's output for each."""
    X = np.array(list(itertools.product([0, 1], repeat=n_inputs)), dtype=int)
    y = np.array([TRUTH_TABLES[gate](*row) for row in X], dtype=int)
    return X, y


def step(z) -> np.ndarray:
    return (np.asarray(z, dtype=float) >= 0).astype(int)


def _shown(array: np.ndarray, limit: int = 6) -> str:
    flat = np.asarray(array).reshape(-1)
    text = np.array2string(flat[:limit], precision=3, separator=", ")
    return text[:-1] + ", ...]" if flat.size > limit else text


# --- exercise 1: the threshold logic unit -------------------------------------------------------------

def _heaviside_inputs(rng: np.random.Generator) -> dict:
    edges = np.array([-5.0, -1e-9, 0.0, 1e-9, 3.0])
    return {"z": [rng.permutation(np.concatenate([edges, rng.normal(0, 2, size=7)])),
                  rng.normal(0, 2, size=(3, 4)), np.zeros((2, 1, 3))]}


@CHECKS.test("test-heaviside", challenge=_heaviside_inputs)
def heaviside(ev: Evidence, challenge: dict) -> None:
    outputs = ev.value("outputs")
    require(isinstance(outputs, list) and len(outputs) == len(challenge["z"]), "heaviside gave no output for some inputs")
    for z, out in zip(challenge["z"], outputs):
        out = as_array(out, "heaviside(z)")
        require(out.shape == z.shape, f"heaviside must keep the shape of its input: {z.shape} gave {out.shape}")
        require(np.array_equal(out, step(z)), f"heaviside(z) must be 1 where z >= 0 and 0 elsewhere, element-wise: "
                                              f"z = {_shown(z)} gave {_shown(out)}")


def _unit_inputs(rng: np.random.Generator) -> dict:
    return {"X": rng.normal(size=(20, 3)), "w": rng.normal(size=3), "b": float(rng.uniform(-1, 1))}


@CHECKS.test("test-threshold-unit", challenge=_unit_inputs)
def threshold_unit(ev: Evidence, challenge: dict) -> None:
    X, w, b = challenge["X"], challenge["w"], challenge["b"]
    batch = ev.array("batch", what="threshold_unit(X, w, b) for a batch X")
    require(batch.shape == (len(X),), f"a batch of {len(X)} inputs should give {len(X)} outputs, got shape {batch.shape}")
    require(np.array_equal(batch, step(X @ w + b)), "threshold_unit(X, w, b) must equal H(X @ w + b) for every row")
    single = ev.array("single", what="threshold_unit(x, w, b) for one input vector")
    require(single.shape == (), f"a single input vector should give one 0/1 output, got shape {single.shape}")
    require(int(single) == step(X[0] @ w + b), "threshold_unit(x, w, b) must be H(x . w + b) for one input vector")


# --- exercise 2: logic gates --------------------------------------------------------------------------

def _check_gate(gate: str, ev: Evidence) -> None:
    n_inputs = 1 if gate == "NOT" else 2
    w = ev.array("weights", what=f"{gate} weights")
    require(w.shape == (n_inputs,), f"{gate} weights must have shape ({n_inputs},), got {w.shape}")
    bias = ev.array("bias", what=f"{gate} bias")
    require(bias.ndim == 0, f"{gate} bias must be a single number")
    X, expected = truth_table(gate, n_inputs)
    got = step(X @ w + float(bias))
    wrong = [tuple(x) for x, g, e in zip(X.tolist(), got, expected) if g != e]
    require(not wrong, f"{gate} gives the wrong output for input(s) {wrong}")


for _gate in ("NOT", "AND", "OR"):
    CHECKS.test(f"test-{_gate.lower()}-gate")(lambda ev, challenge, gate=_gate: _check_gate(gate, ev))


# --- exercise 3: the perceptron rule ------------------------------------------------------------------

def _perceptron_cases(rng: np.random.Generator) -> dict:
    cases = []
    for gate, epochs in (("AND", 50), ("OR", 50), ("XOR", 25)):
        X, y = truth_table(gate)
        cases.append({"name": gate, "X": X, "y": y, "learning_rate": 1.0, "max_epochs": epochs})
    X3 = np.array(list(itertools.product([0, 1], repeat=3)))
    cases.append({"name": "AND3", "X": X3, "y": X3.min(axis=1), "learning_rate": 0.5, "max_epochs": 100})
    # A linearly separable cloud with a clear margin, in a direction of its own every run.
    X = rng.uniform(-1, 1, size=(80, 2))
    direction = rng.normal(size=2)
    margin = X @ direction + rng.uniform(-0.3, 0.3)
    keep = np.abs(margin) > 0.2 * np.linalg.norm(direction)
    cases.append({"name": "cloud", "X": X[keep], "y": (margin[keep] > 0).astype(int), "learning_rate": 0.1,
                  "max_epochs": 500})
    return {"cases": cases}


def _run(run, name: str) -> tuple[np.ndarray, float, list[int]]:
    require(isinstance(run, list) and len(run) == 3, f"{name}: train_perceptron must return (w, b, errors)")
    w = as_array(run[0], f"{name}: w")
    b = as_number(run[1], f"{name}: b")
    errors = as_array(run[2], f"{name}: errors", ndim=1)
    require(len(errors) > 0, f"{name}: errors should list the mistakes of every epoch")
    require(np.array_equal(errors, np.round(errors)) and errors.min() >= 0,
            f"{name}: errors should count mistakes (whole numbers), got {_shown(errors)}")
    return w, b, errors.astype(int).tolist()


def perceptron_rule_replay(X, y, learning_rate: float, max_epochs: int) -> tuple[np.ndarray, float, list[int]]:
    """The rule exactly as the exercise states it: zero start, examples in the given order, an update
    after every mistake, mistakes counted during the epoch, stop after the first epoch without one."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    w, b, errors = np.zeros(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            update = learning_rate * (y_i - int(x_i @ w + b >= 0))
            if update != 0:
                w, b, mistakes = w + update * x_i, b + update, mistakes + 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors


@CHECKS.test("test-perceptron-rule", challenge=_perceptron_cases)
def perceptron_rule(ev: Evidence, challenge: dict) -> None:
    runs = ev.value("runs")
    cases = challenge["cases"]
    require(isinstance(runs, list) and len(runs) == len(cases), "train_perceptron gave no result for some inputs")
    for case, run in zip(cases, runs):
        name, X = case["name"], case["X"]
        w, b, errors = _run(run, name)
        require(w.shape == (X.shape[1],), f"{name}: weights must have shape ({X.shape[1]},), got {w.shape}")
        # The procedure is fully specified, so the grader runs it too and compares every number.
        want_w, want_b, want_errors = perceptron_rule_replay(X, case["y"], case["learning_rate"], case["max_epochs"])
        if len(errors) != len(want_errors):
            require(name != "XOR", "on XOR the rule never converges, so it must run all max_epochs epochs")
            require(False, f"{name}: the rule stops after {len(want_errors)} epoch(s) here, yours ran {len(errors)}: "
                           "stop after the first epoch without a mistake")
        require(errors == want_errors, f"{name}: mistakes per epoch should be {want_errors[:6]}, got {errors[:6]}: "
                                       "count the updates made during each epoch, visiting examples in the order given")
        require(np.allclose(w, want_w, rtol=1e-9, atol=1e-9) and np.isclose(b, want_b, rtol=1e-9, atol=1e-9),
                f"{name}: the final weights and bias differ from the rule's (start at zero, update after each "
                "mistake by learning_rate * (y - y_hat))")
        if name in ("AND", "OR"):
            require(len(errors) <= MAX_EPOCHS_AND_OR,
                    f"{name} should converge within {MAX_EPOCHS_AND_OR} epochs, took {len(errors)}")


# --- exercise 3b: the learning rate, from a zero start -----------------------------------------------------

@CHECKS.test("test-rate-invariance")
def rate_invariance(ev: Evidence, challenge: dict) -> None:
    # Judged against what the student's own train_perceptron did on AND (the hidden test runs it at both rates):
    # the exercise asks for a measurement, and a wrong rule is exercise 3's loss, not this one's.
    own_epochs = (ev.number("own_epochs_at_1", "your train_perceptron's epochs at rate 1"),
                  ev.number("own_epochs_at_025", "your train_perceptron's epochs at rate 0.25"))
    own_ratio = ev.number("own_ratio", "w[0] at rate 0.25 / w[0] at rate 1 of your train_perceptron")
    epochs = (ev.number("epochs_at_1", "AND_EPOCHS[1.0]"), ev.number("epochs_at_025", "AND_EPOCHS[0.25]"))
    require(epochs == own_epochs,
            f"AND_EPOCHS should hold the epochs each run of your train_perceptron took on AND, {own_epochs}, got "
            f"{epochs}: train at both rates and count the epochs (the length of each errors list)")
    require(np.isclose(ev.number("weight_ratio", "WEIGHT_RATIO"), own_ratio, rtol=1e-9, atol=0),
            "WEIGHT_RATIO should be w[0] learnt at rate 0.25 divided by w[0] learnt at rate 1, from the same two runs")


# --- exercise 4: XOR with two layers ------------------------------------------------------------------

@CHECKS.test("test-xor-network")
def xor_network(ev: Evidence, challenge: dict) -> None:
    W1 = ev.array("hidden_w", what="XOR_HIDDEN_W")
    b1 = ev.array("hidden_b", what="XOR_HIDDEN_B")
    w2 = ev.array("output_w", what="XOR_OUTPUT_W")
    b2 = ev.array("output_b", what="XOR_OUTPUT_B")
    require(W1.shape == (2, 2), f"hidden weights must have shape (2, 2) (inputs x units), got {W1.shape}")
    require(b1.shape == (2,), f"hidden biases must have shape (2,), got {b1.shape}")
    require(w2.shape == (2,), f"output weights must have shape (2,), got {w2.shape}")
    require(b2.ndim == 0, "the output bias must be a single number")
    X, y = truth_table("XOR")
    got = step(step(X @ W1 + b1) @ w2 + float(b2))
    wrong = [tuple(x) for x, g, e in zip(X.tolist(), got, y) if g != e]
    require(not wrong, f"the two-layer network gives the wrong XOR output for input(s) {wrong}")


# --- exercise 5: scikit-learn's Perceptron ------------------------------------------------------------

def iris_petals_setosa():
    """Petal length and width of all 150 iris flowers, label 1 for setosa: loaded here, not from the notebook."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    return iris.data[:, 2:4], (iris.target == 0).astype(int)


def _linear_model(ev: Evidence, prefix: str, kind: str, name: str) -> tuple[dict, np.ndarray, float]:
    found = ev.text(f"{prefix}_kind")
    require(found == kind, f"{name} must be a scikit-learn {kind}, got {found}")
    coef = ev.array(f"{prefix}_coef", what=f"{name}.coef_")
    require(coef.shape == (1, 2), f"{name} must be fitted on two features (petal length, width), coef_ has shape {coef.shape}")
    intercept = ev.array(f"{prefix}_intercept", what=f"{name}.intercept_")
    require(intercept.shape == (1,), f"{name}.intercept_ should hold one number")
    return ev.mapping(f"{prefix}_params", what=f"{name}.get_params()"), coef, float(intercept[0])


@CHECKS.test("test-iris-perceptron")
def iris_perceptron(ev: Evidence, challenge: dict) -> None:
    _, coef, intercept = _linear_model(ev, "per", "Perceptron", "per_clf")
    X, y = iris_petals_setosa()
    accuracy = float(np.mean((X @ coef[0] + intercept > 0).astype(int) == y))
    require(accuracy >= IRIS_MIN_ACCURACY,
            f"accuracy on iris setosa-vs-rest is {accuracy:.3f}, needs at least {IRIS_MIN_ACCURACY}")


def _refit(estimator_class, params: dict, name: str):
    """A fresh estimator of *estimator_class* with the recorded settings, fitted here on iris."""
    allowed = estimator_class().get_params()
    unknown = sorted(set(params) - set(allowed))
    require(not unknown, f"{name} has settings scikit-learn does not know: {unknown}")
    for key, value in params.items():
        require(value is None or isinstance(value, (bool, int, float, str)),
                f"{name}: the setting {key}={value!r} cannot be reproduced; use plain values (random_state=42)")
    require(params.get("max_iter") is None or params["max_iter"] <= MAX_REFIT_ITERATIONS,
            f"{name}: max_iter above {MAX_REFIT_ITERATIONS} is never needed here")
    X, y = iris_petals_setosa()
    try:
        return estimator_class(**params).fit(X, y)
    except Exception as exc:  # noqa: BLE001 - scikit-learn rejects a setting: the student's answer, not ours
        raise Failed(f"{name} cannot be refitted with its settings: {type(exc).__name__}: {exc}") from None


@CHECKS.test("test-sgd-equivalence")
def sgd_equivalence(ev: Evidence, challenge: dict) -> None:
    from sklearn.linear_model import Perceptron, SGDClassifier

    per_params, per_coef, per_intercept = _linear_model(ev, "per", "Perceptron", "per_clf")
    sgd_params, sgd_coef, sgd_intercept = _linear_model(ev, "sgd", "SGDClassifier", "sgd_clf")
    require(sgd_params.get("loss") == "perceptron", "the perceptron is SGD with loss='perceptron'")
    # Refitted on the same data here: equal coefficients prove the settings are equivalent.
    a, b = _refit(Perceptron, per_params, "per_clf"), _refit(SGDClassifier, sgd_params, "sgd_clf")
    require(np.allclose(a.coef_, b.coef_) and np.allclose(a.intercept_, b.intercept_),
            "refitted on the same data, SGDClassifier's weights differ from Perceptron's: check penalty, "
            "learning_rate, eta0 and random_state")
    require(np.allclose(per_coef, sgd_coef) and np.isclose(per_intercept, sgd_intercept),
            "per_clf and sgd_clf should be fitted on the same data")


# --- exercise 6: activation functions -----------------------------------------------------------------

def _activation_inputs(rng: np.random.Generator) -> dict:
    return {"z": np.sort(rng.normal(0, 3, size=25)), "alpha": float(rng.uniform(0.05, 0.4))}


def _same(ev: Evidence, key: str, expected: np.ndarray, message: str) -> None:
    got = ev.array(key)
    require(got.shape == expected.shape and np.allclose(got, expected), message)


@CHECKS.test("test-activations", challenge=_activation_inputs)
def activations(ev: Evidence, challenge: dict) -> None:
    z, alpha = challenge["z"], challenge["alpha"]
    _same(ev, "sigmoid", 1 / (1 + np.exp(-z)), "sigmoid(z) must be 1 / (1 + exp(-z)), element-wise")
    extreme = ev.value("extreme")
    require(not isinstance(extreme, str),
            f"sigmoid overflows for z = -800 ({extreme}): np.exp(800) is infinite. Compute exp(-|z|) "
            "instead (it never overflows), or use scipy.special.expit; note that np.where evaluates both branches")
    extreme = as_array(extreme, "sigmoid([-800, 800])", shape=(2,))
    require(np.allclose(extreme, [0, 1]), "sigmoid(-800) should be 0 and sigmoid(800) 1")
    _same(ev, "relu", np.maximum(0, z), "relu(z) must be max(0, z) element-wise")
    _same(ev, "leaky", np.where(z > 0, z, 0.01 * z), "leaky_relu(z) must use slope 0.01 for z < 0 by default")
    _same(ev, "leaky_alpha", np.where(z > 0, z, alpha * z), "leaky_relu(z, alpha) must use the slope alpha for z < 0")


@CHECKS.test("test-activation-derivatives", challenge=_activation_inputs)
def activation_derivatives(ev: Evidence, challenge: dict) -> None:
    z, alpha = challenge["z"], challenge["alpha"]
    s = 1 / (1 + np.exp(-z))
    _same(ev, "sigmoid", s * (1 - s), "sigmoid'(z) = sigmoid(z) * (1 - sigmoid(z))")
    _same(ev, "tanh", 1 - np.tanh(z) ** 2, "tanh'(z) = 1 - tanh(z)**2")
    _same(ev, "relu", (z > 0).astype(float), "relu'(z) is 1 for z > 0 and 0 for z < 0")
    _same(ev, "leaky", np.where(z > 0, 1.0, 0.01), "leaky_relu'(z) is 1 for z > 0 and 0.01 (the default alpha) below")
    _same(ev, "leaky_alpha", np.where(z > 0, 1.0, alpha), "leaky_relu_derivative must honour alpha")
