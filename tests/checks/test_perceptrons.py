"""The judges of assignment 01 accept the reference (and other right answers) and reject each kind of mistake.

Each test runs the hidden test's own code on a namespace of answers and judges what it recorded
(tests/checks/harness.py); tests/test_course.py proves the same through nbgrader and a sandbox.
"""

import numpy as np
import pytest

from autograder.grading.checks import perceptrons as check
from autograder.notebooks import solution_answers

from . import harness

A01 = "01-perceptrons"
TESTS = sorted(check.CHECKS.tests)


def given_cell(cell_id: str) -> str:
    from autograder.notebooks import read_notebook, source_notebook

    return next(c.source for c in read_notebook(source_notebook(A01)).cells if c.get("id") == cell_id)


@pytest.fixture(scope="module")
def reference():
    namespace = {"np": np}
    exec(given_cell("gate-inputs"), namespace)  # X_GATE, which exercise 3b trains on
    for grade_id, code in solution_answers(A01).items():
        if not grade_id.startswith("written-"):  # the written answers are prose
            exec(code, namespace)
    return namespace


@pytest.fixture
def verdict(reference, tmp_path, monkeypatch):
    def judge(test_id, seed=1, **changes):
        return harness.judge(A01, test_id, {**reference, **changes}, tmp_path, monkeypatch, seed=seed)
    return judge


def test_truth_tables():
    X, y = check.truth_table("XOR")
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    assert check.truth_table("NOT", 1)[1].tolist() == [1, 0]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("test_id", TESTS)
def test_reference_passes_every_test_whatever_the_inputs(verdict, test_id, seed):
    result = verdict(test_id, seed=seed)
    assert result.passed, result.message


def test_right_answers_written_differently_pass(verdict):
    # Lists instead of arrays, other valid weights, a bias given as a one-element array.
    assert verdict("test-heaviside", heaviside=lambda z: np.where(np.asarray(z) >= 0, 1, 0).tolist()).passed
    assert verdict("test-and-gate", AND_W=[2, 2], AND_B=np.array(-3.0)).passed
    assert verdict("test-not-gate", NOT_W=[-3], NOT_B=1).passed
    assert verdict("test-xor-network", XOR_HIDDEN_W=[[1, -1], [1, -1]], XOR_HIDDEN_B=[-0.5, 1.5], XOR_OUTPUT_W=[1, 1],
                   XOR_OUTPUT_B=-1.5).passed


def test_heaviside_convention_at_zero_is_checked(verdict):
    result = verdict("test-heaviside", heaviside=lambda z: (np.asarray(z) > 0).astype(int))
    assert not result.passed and "heaviside" in result.message


def test_answer_hard_coded_for_the_visible_test_fails(verdict):
    hard_coded = lambda z: np.zeros(np.shape(z), int) if np.ndim(z) == 2 else np.array([0, 1, 1])  # noqa: E731
    assert not verdict("test-heaviside", heaviside=hard_coded).passed


def test_threshold_unit_without_step_fails(verdict):
    assert not verdict("test-threshold-unit", threshold_unit=lambda x, w, b: np.asarray(x) @ w + b).passed


@pytest.mark.parametrize("gate, w, b", [
    ("NOT", [1.0], -0.5),          # identity, not NOT
    ("AND", [1.0, 1.0], -0.5),     # OR
    ("OR", [1.0, 1.0], -1.5),      # AND
    ("AND", [1.0, 1.0, 1.0], -2.5),  # wrong shape
])
def test_wrong_gate_weights_fail(verdict, gate, w, b):
    result = verdict(f"test-{gate.lower()}-gate", **{f"{gate}_W": np.array(w), f"{gate}_B": b})
    assert not result.passed and gate in result.message


def _rule(stop_early=True, fixed_width=None, ignore_rate=False, reverse=False, count_after=False):
    def train(X, y, learning_rate=1.0, max_epochs=50):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        w, b, errors = np.zeros(fixed_width or X.shape[1]), 0.0, []
        order = slice(None, None, -1) if reverse else slice(None)
        for _ in range(max_epochs):
            mistakes = 0
            for x_i, y_i in zip(X[order], y[order]):
                update = (1.0 if ignore_rate else learning_rate) * (y_i - int(x_i[: len(w)] @ w + b >= 0))
                if update:
                    w, b, mistakes = w + update * x_i[: len(w)], b + update, mistakes + 1
            if count_after:  # the mistakes left after the epoch, not those made during it
                mistakes = int(np.sum((X[:, : len(w)] @ w + b >= 0).astype(int) != y))
            errors.append(mistakes)
            if stop_early and mistakes == 0:
                break
        return w.tolist(), b, errors  # lists are fine
    return train


def test_perceptron_rule_written_differently_passes(verdict):
    assert verdict("test-perceptron-rule", train_perceptron=_rule()).passed


@pytest.mark.parametrize("wrong", [_rule(stop_early=False), _rule(fixed_width=2), _rule(ignore_rate=True),
                                   _rule(reverse=True), _rule(count_after=True), _rule(reverse=True, count_after=True)],
                         ids=["never-stops", "fixed-width", "ignores-rate", "reverse-order", "counts-after-epoch",
                              "reverse-and-counts-after"])
def test_wrong_perceptron_rules_fail(verdict, wrong):
    """The judge replays the rule: each of these once passed an end-state check (the last epoch
    error-free, the weights separating), at least the last one with all 3 points."""
    assert not verdict("test-perceptron-rule", train_perceptron=wrong).passed


def test_the_replay_is_the_reference_rule():
    X, y = check.truth_table("AND")
    w, b, errors = check.perceptron_rule_replay(X, y, 1.0, 50)
    assert w.tolist() == [2.0, 1.0] and b == -3.0 and errors == [2, 3, 3, 2, 1, 0]


def test_the_learning_rate_does_not_change_a_zero_start_run_when_it_is_a_power_of_two():
    """What exercise 3b asks the student to find, and why its rate is 0.25: at 0.1 rounding breaks a tie at 0."""
    X, y = check.truth_table("AND")
    (w_1, b_1, errors_1), (w_q, b_q, errors_q) = (check.perceptron_rule_replay(X, y, rate, 50) for rate in (1.0, 0.25))
    assert errors_q == errors_1 and np.array_equal(w_q, w_1 / 4) and b_q == b_1 / 4
    assert check.perceptron_rule_replay(X, y, 0.1, 50)[2] != errors_1


def _rates(AND_EPOCHS, WEIGHT_RATIO, train_perceptron=None):
    return {"AND_EPOCHS": AND_EPOCHS, "WEIGHT_RATIO": WEIGHT_RATIO,
            **({"train_perceptron": train_perceptron} if train_perceptron else {})}


def test_rate_invariance_right_and_wrong(verdict):
    assert verdict("test-rate-invariance", **_rates({1.0: 6, 0.25: 6}, 0.25)).passed
    assert verdict("test-rate-invariance", **_rates({1.0: 6, 0.25: 6}, np.float64(0.25))).passed
    # The prediction "a quarter of the rate, four times the epochs", typed in.
    assert "AND_EPOCHS" in verdict("test-rate-invariance", **_rates({1.0: 6, 0.25: 24}, 0.25)).message
    # The ratio turned round, and one entry missing.
    assert "WEIGHT_RATIO" in verdict("test-rate-invariance", **_rates({1.0: 6, 0.25: 6}, 4.0)).message
    assert not verdict("test-rate-invariance", **_rates({1.0: 6}, 0.25)).passed
    # A wrong rule, reported as it ran, costs exercise 3 only; the right numbers typed in beside it do not pass.
    never_stops = _rule(stop_early=False)
    assert verdict("test-rate-invariance", **_rates({1.0: 50, 0.25: 50}, 0.25, never_stops)).passed
    assert "AND_EPOCHS" in verdict("test-rate-invariance", **_rates({1.0: 6, 0.25: 6}, 0.25, never_stops)).message
    # A rule that raises: nothing measured, nothing to report.
    assert not verdict("test-rate-invariance", **_rates({1.0: 6, 0.25: 6}, 0.25, lambda *a, **k: 1 / 0)).passed


def test_xor_network_made_of_and_or_fails(verdict):
    result = verdict("test-xor-network", XOR_HIDDEN_W=np.array([[1.0, 1.0], [1.0, 1.0]]),
                     XOR_HIDDEN_B=np.array([-1.5, -0.5]), XOR_OUTPUT_W=np.array([1.0, 1.0]), XOR_OUTPUT_B=-1.5)
    assert not result.passed and "XOR" in result.message


def test_iris_perceptron_on_wrong_labels_fails(verdict):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import Perceptron

    iris = load_iris()
    clf = Perceptron(random_state=42).fit(iris.data[:, 2:4], (iris.target == 2).astype(int))
    result = verdict("test-iris-perceptron", per_clf=clf)
    assert not result.passed and "accuracy" in result.message


def test_regularised_sgd_is_not_the_perceptron(verdict):
    from sklearn.linear_model import SGDClassifier

    X, y = check.iris_petals_setosa()
    result = verdict("test-sgd-equivalence", sgd_clf=SGDClassifier(loss="perceptron", random_state=42).fit(X, y))
    assert not result.passed and "differ" in result.message


def test_settings_the_grader_cannot_reproduce_fail_with_a_reason(verdict):
    from sklearn.linear_model import Perceptron

    X, y = check.iris_petals_setosa()
    clf = Perceptron(random_state=np.random.RandomState(42)).fit(X, y)
    result = verdict("test-sgd-equivalence", per_clf=clf)
    assert not result.passed and "random_state" in result.message
    clf = Perceptron(random_state=42, max_iter=10**9).fit(X, y)
    result = verdict("test-sgd-equivalence", per_clf=clf)
    assert not result.passed and "max_iter" in result.message


def test_wrong_activations_fail(verdict):
    assert "relu" in verdict("test-activations", relu=np.abs).message
    assert "tanh" in verdict("test-activation-derivatives", tanh_derivative=lambda z: 1 - np.tanh(z)).message


def test_a_sigmoid_that_overflows_fails_and_says_why(verdict):
    naive = lambda z: 1 / (1 + np.exp(-np.asarray(z, dtype=float)))  # noqa: E731 - right values, with an overflow
    result = verdict("test-activations", sigmoid=naive)
    assert not result.passed and "overflow" in result.message
