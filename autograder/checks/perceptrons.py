"""Hidden-test checks for assignment 01 (perceptrons and logic gates).

Each check uses its own trusted arithmetic, never the student's other functions, so one
wrong exercise costs exactly the points of its own test. Each raises AssertionError with a
message a student can act on.
"""

from __future__ import annotations

import itertools

import numpy as np

# Calibrated in docs/calibration.md: zero start, learning rate 1, samples in truth-table order.
MAX_EPOCHS_AND_OR = 10
IRIS_MIN_ACCURACY = 0.95

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


def check_heaviside(heaviside) -> None:
    z = np.array([-5.0, -1e-9, 0.0, 1e-9, 3.0])
    out = np.asarray(heaviside(z))
    assert out.shape == z.shape, f"heaviside must keep the input shape {z.shape}, got {out.shape}"
    assert np.array_equal(out, [0, 0, 1, 1, 1]), f"heaviside({z.tolist()}) should be [0, 0, 1, 1, 1], got {out.tolist()}"
    grid = np.linspace(-3, 3, 12).reshape(3, 4)
    assert np.array_equal(np.asarray(heaviside(grid)), step(grid)), "heaviside must work element-wise on 2-D arrays"


def check_threshold_unit(threshold_unit) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    w, b = rng.normal(size=3), 0.25
    out = np.asarray(threshold_unit(X, w, b))
    assert out.shape == (20,), f"a batch of 20 inputs should give 20 outputs, got shape {out.shape}"
    assert np.array_equal(out, step(X @ w + b)), "threshold_unit(X, w, b) must equal H(X @ w + b) for every row"
    single = np.asarray(threshold_unit(X[0], w, b))
    assert single.shape == () and int(single) == step(X[0] @ w + b), "a single input vector should give one 0/1 output"


def check_gate(gate: str, weights, bias) -> None:
    n_inputs = 1 if gate == "NOT" else 2
    w = np.asarray(weights, dtype=float)
    assert w.shape == (n_inputs,), f"{gate} weights must have shape ({n_inputs},), got {w.shape}"
    assert np.ndim(bias) == 0, f"{gate} bias must be a single number"
    X, expected = truth_table(gate, n_inputs)
    got = step(X @ w + float(bias))
    wrong = [tuple(x) for x, g, e in zip(X.tolist(), got, expected) if g != e]
    assert not wrong, f"{gate} gives the wrong output for input(s) {wrong}"


def check_perceptron_rule(train_perceptron) -> None:
    for gate in ("AND", "OR"):
        X, y = truth_table(gate)
        w, b, errors = train_perceptron(X, y, learning_rate=1.0, max_epochs=50)
        w = np.asarray(w)
        assert w.shape == (2,), f"{gate}: weights must have shape (2,), got {w.shape}"
        assert np.ndim(b) == 0, f"{gate}: the bias must be a single number"
        assert len(errors) <= MAX_EPOCHS_AND_OR, (
            f"{gate} should converge within {MAX_EPOCHS_AND_OR} epochs, took {len(errors)}")
        assert errors[-1] == 0, f"{gate}: training stopped without an error-free epoch"
        assert all(e > 0 for e in errors[:-1]), f"{gate}: training must stop at the first error-free epoch"
        assert np.array_equal(step(X @ w + b), y), f"{gate}: the learned weights do not reproduce the truth table"

    X, y = truth_table("XOR")
    w, b, errors = train_perceptron(X, y, learning_rate=1.0, max_epochs=25)
    assert len(errors) == 25, "on XOR the rule never converges, so it must run all max_epochs epochs"
    assert min(errors) > 0, "on XOR every epoch has at least one mistake (it is not linearly separable)"

    # Three inputs, and a learning rate other than 1: the rule must not be hard-coded to the 2-D gates.
    X3 = np.array(list(itertools.product([0, 1], repeat=3)))
    y3 = X3.min(axis=1)  # 3-input AND
    w, b, errors = train_perceptron(X3, y3, learning_rate=0.5, max_epochs=100)
    assert np.asarray(w).shape == (3,), "with three inputs the weights must have shape (3,)"
    assert errors[-1] == 0 and np.array_equal(step(X3 @ np.asarray(w) + b), y3), "3-input AND must be learned"

    # A linearly separable cloud with a clear margin.
    rng = np.random.default_rng(7)
    X = rng.uniform(-1, 1, size=(60, 2))
    margin = X @ np.array([1.0, -2.0]) + 0.3
    X, margin = X[np.abs(margin) > 0.2], margin[np.abs(margin) > 0.2]
    y = (margin > 0).astype(int)
    w, b, errors = train_perceptron(X, y, learning_rate=0.1, max_epochs=500)
    assert errors[-1] == 0, "the rule must separate linearly separable data"
    assert np.array_equal(step(X @ np.asarray(w) + b), y), "the returned weights must classify every training point"


def check_xor_network(hidden_w, hidden_b, output_w, output_b) -> None:
    W1, b1 = np.asarray(hidden_w, dtype=float), np.asarray(hidden_b, dtype=float)
    w2 = np.asarray(output_w, dtype=float)
    assert W1.shape == (2, 2), f"hidden weights must have shape (2, 2) (inputs x units), got {W1.shape}"
    assert b1.shape == (2,), f"hidden biases must have shape (2,), got {b1.shape}"
    assert w2.shape == (2,), f"output weights must have shape (2,), got {w2.shape}"
    assert np.ndim(output_b) == 0, "the output bias must be a single number"
    X, y = truth_table("XOR")
    got = step(step(X @ W1 + b1) @ w2 + float(output_b))
    wrong = [tuple(x) for x, g, e in zip(X.tolist(), got, y) if g != e]
    assert not wrong, f"the two-layer network gives the wrong XOR output for input(s) {wrong}"


def iris_petals_setosa():
    """Petal length and width of all 150 iris flowers, label 1 for setosa: loaded here, not from the notebook."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    return iris.data[:, 2:4], (iris.target == 0).astype(int)


def check_iris_perceptron(per_clf) -> None:
    from sklearn.linear_model import Perceptron

    assert isinstance(per_clf, Perceptron), f"per_clf must be a scikit-learn Perceptron, got {type(per_clf).__name__}"
    assert getattr(per_clf, "n_features_in_", None) == 2, "per_clf must be fitted on two features (petal length, width)"
    X, y = iris_petals_setosa()
    accuracy = float(np.mean(per_clf.predict(X) == y))
    assert accuracy >= IRIS_MIN_ACCURACY, (
        f"accuracy on iris setosa-vs-rest is {accuracy:.3f}, needs at least {IRIS_MIN_ACCURACY}")


def check_sgd_equivalence(per_clf, sgd_clf) -> None:
    from sklearn.base import clone
    from sklearn.linear_model import SGDClassifier

    assert isinstance(sgd_clf, SGDClassifier), f"sgd_clf must be an SGDClassifier, got {type(sgd_clf).__name__}"
    params = sgd_clf.get_params()
    assert params["loss"] == "perceptron", "the perceptron is SGD with loss='perceptron'"
    # Refit fresh copies on data loaded here: equal coefficients prove the settings are equivalent.
    X, y = iris_petals_setosa()
    a, b = clone(per_clf).fit(X, y), clone(sgd_clf).fit(X, y)
    assert np.allclose(a.coef_, b.coef_) and np.allclose(a.intercept_, b.intercept_), (
        "refitted on the same data, SGDClassifier's weights differ from Perceptron's: check penalty, "
        "learning_rate, eta0 and random_state")
    assert np.allclose(per_clf.coef_, sgd_clf.coef_), "per_clf and sgd_clf should be fitted on the same data"


def check_activations(sigmoid, relu, leaky_relu) -> None:
    z = np.linspace(-6, 6, 25)
    assert np.allclose(sigmoid(z), 1 / (1 + np.exp(-z))), "sigmoid(z) must be 1 / (1 + exp(-z))"
    assert np.allclose(sigmoid(np.array([-800.0, 800.0])), [0, 1]), "sigmoid must not overflow for large |z|"
    assert np.allclose(relu(z), np.maximum(0, z)), "relu(z) must be max(0, z) element-wise"
    assert np.allclose(leaky_relu(z), np.where(z > 0, z, 0.01 * z)), "leaky_relu(z) must use slope 0.01 for z < 0 by default"
    assert np.allclose(leaky_relu(z, alpha=0.2), np.where(z > 0, z, 0.2 * z)), "leaky_relu must honour alpha"


def check_activation_derivatives(sigmoid_derivative, tanh_derivative, relu_derivative, leaky_relu_derivative) -> None:
    z = np.linspace(-4, 4, 40)  # avoids 0, where ReLU has no derivative
    s = 1 / (1 + np.exp(-z))
    assert np.allclose(sigmoid_derivative(z), s * (1 - s)), "sigmoid'(z) = sigmoid(z) * (1 - sigmoid(z))"
    assert np.allclose(tanh_derivative(z), 1 - np.tanh(z) ** 2), "tanh'(z) = 1 - tanh(z)**2"
    assert np.allclose(relu_derivative(z), (z > 0).astype(float)), "relu'(z) is 1 for z > 0 and 0 for z < 0"
    assert np.allclose(leaky_relu_derivative(z), np.where(z > 0, 1.0, 0.01)), "leaky_relu'(z) is 1 or alpha"
    assert np.allclose(leaky_relu_derivative(z, alpha=0.3), np.where(z > 0, 1.0, 0.3)), "leaky_relu_derivative must honour alpha"
