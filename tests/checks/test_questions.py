"""The value-answer questions' judges (02, 04, 05) accept right answers, written in any valid way, and
reject each kind of wrong one; each hidden test runs on the grader's inputs as in grading."""

import numpy as np
import pytest

from autograder.grading.checks import questions

from . import harness

A02, A04, A05 = "02-linear-regression", "04-mnist", "05-fashion-mnist"


@pytest.fixture
def verdict(tmp_path, monkeypatch):
    return lambda assignment, test_id, **namespace: harness.judge(assignment, test_id, {"np": np, **namespace},
                                                                  tmp_path, monkeypatch)


def _collapse(W1, b1, W2, b2):
    return np.asarray(W1) @ W2, np.asarray(b1) @ W2 + b2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_collapse_linear_right_for_every_shape(verdict, seed, tmp_path, monkeypatch):
    assert harness.judge(A02, "test-collapse-linear", {"np": np, "collapse_linear": _collapse}, tmp_path, monkeypatch,
                         seed=seed).passed
    as_lists = lambda *layers: tuple(x.tolist() for x in _collapse(*layers))  # noqa: E731 - plain lists are fine too
    assert verdict(A02, "test-collapse-linear", collapse_linear=as_lists).passed


@pytest.mark.parametrize("wrong, message", [
    (lambda W1, b1, W2, b2: (W1 @ W2, b2), "b is not right"),                          # forgets b1 @ W2
    (lambda W1, b1, W2, b2: (W1 @ W2, b1.sum() * np.ones_like(b2) + b2), "b is not right"),
    (lambda W1, b1, W2, b2: ((W1 @ W2).T, b1 @ W2 + b2), "should have shape"),
    (lambda W1, b1, W2, b2: (W1 @ W2 + 0.01, b1 @ W2 + b2), "W is not right"),
    (lambda W1, b1, W2, b2: W1 @ W2, "a pair (W, b)"),
])
def test_collapse_linear_wrong_answers_fail(verdict, wrong, message):
    result = verdict(A02, "test-collapse-linear", collapse_linear=wrong)
    assert not result.passed and message in result.message, result


def test_an_answer_hard_coded_for_the_visible_example_fails(verdict):
    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2)
    memorised = _collapse(W1, b1, W2, b2)
    assert not verdict(A02, "test-collapse-linear", collapse_linear=lambda *layers: memorised).passed


def _count(sizes):
    return [a * b + b for a, b in zip(sizes[:-1], sizes[1:])]


def test_dense_parameters(verdict):
    assert verdict(A04, "test-dense-parameters", dense_parameters=_count).passed
    assert verdict(A04, "test-dense-parameters", dense_parameters=lambda s: np.array(_count(s))).passed
    for wrong, message in [(lambda s: [a * b for a, b in zip(s[:-1], s[1:])], "n_out biases"),   # no biases
                           (lambda s: [a * b + a for a, b in zip(s[:-1], s[1:])], "n_out biases"),  # biases per input
                           (lambda s: [sum(_count(s))], "Dense layer(s)"),                          # only the total
                           (lambda s: [235500, 30100, 1010], "")]:                                    # hard-coded
        result = verdict(A04, "test-dense-parameters", dense_parameters=wrong)
        assert not result.passed and message in result.message, result



def _scales(fan_in, fan_out):
    return np.sqrt(6 / (fan_in + fan_out)), np.sqrt(2 / fan_in)


def test_init_scales(verdict):
    assert verdict(A04, "test-init-scales", init_scales=_scales).passed
    assert verdict(A04, "test-init-scales", init_scales=lambda i, o: [float(v) for v in _scales(i, o)]).passed
    for wrong, message in [(lambda i, o: (2 / (i + o), np.sqrt(2 / i)), "Glorot"),              # the variance, not the limit
                           (lambda i, o: (np.sqrt(2 / (i + o)), np.sqrt(2 / i)), "Glorot"),     # Glorot's normal std
                           (lambda i, o: (np.sqrt(6 / (i + o)), np.sqrt(2 / o)), "He"),         # He on fan_out
                           (lambda i, o: (np.sqrt(6 / (i + o)), np.sqrt(1 / i)), "He"),         # LeCun's, not He's
                           (lambda i, o: (np.sqrt(6 / (i + o)), 2 / i), "He"),                  # variance for std
                           (lambda i, o: (0.07440, 0.05051), ""),                              # the visible layer's
                           (lambda i, o: (np.sqrt(6 / (i + o)),) * 3, "should have shape")]:    # three numbers
        result = verdict(A04, "test-init-scales", init_scales=wrong)
        assert not result.passed and message in result.message, result
    with pytest.raises(TypeError):  # one number: the hidden cell itself fails, so nothing is recorded and no point given
        verdict(A04, "test-init-scales", init_scales=lambda i, o: np.sqrt(6 / (i + o)))


RIGHT_HEADS = {
    "spam": (1, "sigmoid", "binary_crossentropy"),
    "clothing": (10, "softmax", "sparse_categorical_crossentropy"),
    "tags": (20, "sigmoid", "binary_crossentropy"),
    "price": (1, "softplus", "mean_squared_error"),
    "fraction": (1, "sigmoid", "mean_squared_error"),
}


def test_output_layers_accept_every_valid_choice(verdict):
    assert verdict(A05, "test-output-layers", OUTPUT_LAYERS=RIGHT_HEADS).passed
    also_right = {**RIGHT_HEADS, "spam": (2, "softmax", "sparse_categorical_crossentropy"), "price": (1, "relu", "mse"),
                  "fraction": (1, "sigmoid", "binary_crossentropy")}
    assert verdict(A05, "test-output-layers", OUTPUT_LAYERS=also_right).passed


@pytest.mark.parametrize("task, choice, hint", [
    ("spam", (1, None, "binary_crossentropy"), "spam:"),
    ("clothing", (10, "softmax", "categorical_crossentropy"), "labels given as integers"),
    ("tags", (20, "softmax", "categorical_crossentropy"), "must not compete"),
    ("tags", (1, "sigmoid", "binary_crossentropy"), "tags:"),
    ("price", (1, None, "mean_squared_error"), "never negative"),
    ("price", (1, "sigmoid", "mean_squared_error"), "never negative"),
    ("fraction", (1, "relu", "mean_squared_error"), "between 0 and 1"),
    ("fraction", (1, "sigmoid", "sparse_categorical_crossentropy"), "between 0 and 1"),
])
def test_output_layers_reject_each_wrong_choice(verdict, task, choice, hint):
    result = verdict(A05, "test-output-layers", OUTPUT_LAYERS={**RIGHT_HEADS, task: choice})
    assert not result.passed and hint in result.message, result


def test_learning_curve_diagnosis(verdict):
    right = dict(questions.CURVES)
    assert verdict(A05, "test-learning-curves", DIAGNOSIS=right).passed
    assert verdict(A05, "test-learning-curves", DIAGNOSIS={k: v.upper() + " " for k, v in right.items()}).passed
    swapped = {**right, "A": "underfitting", "D": "overfitting"}
    result = verdict(A05, "test-learning-curves", DIAGNOSIS=swapped)
    assert not result.passed and "run A" in result.message
    assert not verdict(A05, "test-learning-curves", DIAGNOSIS={"A": "overfitting"}).passed
