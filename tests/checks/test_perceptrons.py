"""The hidden-test checks of assignment 01 accept the reference and reject each kind of mistake.

These run in-process (no kernel); tests/test_course.py proves the same through nbgrader.
"""

import numpy as np
import pytest

from autograder.checks import perceptrons as check
from autograder.notebooks import solution_answers


@pytest.fixture(scope="module")
def reference():
    namespace = {"np": np}
    for code in solution_answers("01-perceptrons").values():
        exec(code, namespace)
    return namespace


def test_truth_tables():
    X, y = check.truth_table("XOR")
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    assert check.truth_table("NOT", 1)[1].tolist() == [1, 0]


def test_reference_passes_every_check(reference):
    r = reference
    check.check_heaviside(r["heaviside"])
    check.check_threshold_unit(r["threshold_unit"])
    for gate in ("NOT", "AND", "OR"):
        check.check_gate(gate, r[f"{gate}_W"], r[f"{gate}_B"])
    check.check_perceptron_rule(r["train_perceptron"])
    check.check_xor_network(r["XOR_HIDDEN_W"], r["XOR_HIDDEN_B"], r["XOR_OUTPUT_W"], r["XOR_OUTPUT_B"])
    check.check_iris_perceptron(r["per_clf"])
    check.check_sgd_equivalence(r["per_clf"], r["sgd_clf"])
    check.check_activations(r["sigmoid"], r["relu"], r["leaky_relu"])
    check.check_activation_derivatives(r["sigmoid_derivative"], r["tanh_derivative"], r["relu_derivative"],
                                       r["leaky_relu_derivative"])


def test_heaviside_convention_at_zero_is_checked():
    with pytest.raises(AssertionError, match="heaviside"):
        check.check_heaviside(lambda z: (np.asarray(z) > 0).astype(int))


def test_threshold_unit_without_step_fails():
    with pytest.raises(AssertionError):
        check.check_threshold_unit(lambda x, w, b: np.asarray(x) @ w + b)


@pytest.mark.parametrize("gate, w, b", [
    ("NOT", [1.0], -0.5),          # identity, not NOT
    ("AND", [1.0, 1.0], -0.5),     # OR
    ("OR", [1.0, 1.0], -1.5),      # AND
    ("AND", [1.0, 1.0, 1.0], -2.5),  # wrong shape
])
def test_wrong_gate_weights_fail(gate, w, b):
    with pytest.raises(AssertionError, match=gate):
        check.check_gate(gate, np.array(w), b)


def _rule(stop_early=True, fixed_width=None, ignore_rate=False):
    def train(X, y, learning_rate=1.0, max_epochs=50):
        X = np.asarray(X, dtype=float)
        w, b, errors = np.zeros(fixed_width or X.shape[1]), 0.0, []
        for _ in range(max_epochs):
            mistakes = 0
            for x_i, y_i in zip(X, y):
                update = (1.0 if ignore_rate else learning_rate) * (y_i - int(x_i[: len(w)] @ w + b >= 0))
                if update:
                    w, b, mistakes = w + update * x_i[: len(w)], b + update, mistakes + 1
            errors.append(mistakes)
            if stop_early and mistakes == 0:
                break
        return w, b, errors
    return train


def test_perceptron_rule_reference_shape_passes():
    check.check_perceptron_rule(_rule())


@pytest.mark.parametrize("wrong", [_rule(stop_early=False), _rule(fixed_width=2)])
def test_wrong_perceptron_rules_fail(wrong):
    with pytest.raises(AssertionError):
        check.check_perceptron_rule(wrong)


def test_xor_network_made_of_and_or_fails():
    with pytest.raises(AssertionError, match="XOR"):
        check.check_xor_network(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-1.5, -0.5]), np.array([1.0, 1.0]), -1.5)


def test_iris_perceptron_on_wrong_labels_fails():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import Perceptron

    iris = load_iris()
    clf = Perceptron(random_state=42).fit(iris.data[:, 2:4], (iris.target == 2).astype(int))
    with pytest.raises(AssertionError, match="accuracy"):
        check.check_iris_perceptron(clf)


def test_regularised_sgd_is_not_the_perceptron(reference):
    from sklearn.linear_model import SGDClassifier

    X, y = check.iris_petals_setosa()
    sgd = SGDClassifier(loss="perceptron", random_state=42).fit(X, y)  # default penalty="l2"
    with pytest.raises(AssertionError, match="differ"):
        check.check_sgd_equivalence(reference["per_clf"], sgd)


def test_wrong_activations_fail(reference):
    r = reference
    with pytest.raises(AssertionError, match="relu"):
        check.check_activations(r["sigmoid"], np.abs, r["leaky_relu"])
    with pytest.raises(AssertionError, match="tanh"):
        check.check_activation_derivatives(r["sigmoid_derivative"], lambda z: 1 - np.tanh(z), r["relu_derivative"],
                                           r["leaky_relu_derivative"])
