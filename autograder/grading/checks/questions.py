"""Judges of the conceptual questions whose answer is a value: what a stack of linear layers
collapses to (02), how many parameters Dense layers have and how their first weights are scaled (04),
which output layer and loss fit a task, and what a set of learning curves shows (05). The assignments'
check modules register them.

Where an answer can be computed (02, 04) the hidden test applies the student's function to inputs
drawn for each grading run and the judge compares with its own arithmetic, so a hard-coded answer
to the visible example fails. Choices (05) are compared with every answer a course would accept.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.checks.base import Evidence, as_array, canonical_loss, require


def stacked_layers(rng: np.random.Generator) -> dict:
    """Random (W1, b1, W2, b2) of several shapes, 1 included (a single input, unit or output)."""
    cases = []
    for n_in, n_hidden, n_out in [(1, 3, 2), tuple(rng.integers(2, 7, size=3)), tuple(rng.integers(1, 9, size=3))]:
        cases.append([rng.normal(size=(n_in, n_hidden)), rng.normal(size=n_hidden),
                      rng.normal(size=(n_hidden, n_out)), rng.normal(size=n_out)])
    return {"cases": cases}


def collapse_linear(ev: Evidence, challenge: dict) -> None:
    outputs = ev.value("outputs")
    require(isinstance(outputs, list) and len(outputs) == len(challenge["cases"]),
            "collapse_linear gave no answer for some of the grader's layers")
    for (W1, b1, W2, b2), answer in zip(challenge["cases"], outputs):
        require(isinstance(answer, list) and len(answer) == 2, "collapse_linear should return a pair (W, b)")
        W, b = as_array(answer[0], "W"), as_array(answer[1], "b")
        shape = (W1.shape[0], W2.shape[1])
        require(W.shape == shape and b.shape == (shape[1],),
                f"for W1 of shape {W1.shape} and W2 of shape {W2.shape}, W should have shape {shape} and b shape "
                f"({shape[1]},); got {W.shape} and {b.shape}")
        require(np.allclose(W, W1 @ W2), "W is not right: once both layers are applied, which matrix multiplies x?")
        require(np.allclose(b, b1 @ W2 + b2), "b is not right: the first layer's bias also passes through W2")


def layer_sizes(rng: np.random.Generator) -> dict:
    """Networks of 1 to 4 Dense layers with sizes from 1 to 999."""
    return {"sizes": [[int(n) for n in rng.integers(1, 1000, size=int(rng.integers(2, 6)))] for _ in range(4)]}


def dense_parameters(ev: Evidence, challenge: dict) -> None:
    counts = ev.value("counts")
    require(isinstance(counts, list) and len(counts) == len(challenge["sizes"]),
            "dense_parameters gave no answer for some of the grader's networks")
    for sizes, got in zip(challenge["sizes"], counts):
        expected = [n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        require(isinstance(got, list) and len(got) == len(expected),
                f"sizes {sizes} describe {len(expected)} Dense layer(s), so {len(expected)} count(s); got {got}")
        require(got == expected, f"for sizes {sizes} you counted {got}: each Dense layer has n_in × n_out weights "
                                 "and n_out biases")


REGRESSION_LOSSES = {"mean_squared_error", "mean_absolute_error", "huber", "mean_squared_logarithmic_error"}
# task -> the (units, activations, losses) a course accepts, and a hint for a student who chose otherwise
OUTPUT_LAYERS = {
    "spam": ([(1, {"sigmoid"}, {"binary_crossentropy"}), (2, {"softmax"}, {"sparse_categorical_crossentropy"})],
             "spam: one output, the probability of spam; which activation keeps it between 0 and 1, and which "
             "loss goes with a yes/no label?"),
    "clothing": ([(10, {"softmax"}, {"sparse_categorical_crossentropy"})],
                 "clothing: one probability per class, summing to 1, and a loss for labels given as integers"),
    "tags": ([(20, {"sigmoid"}, {"binary_crossentropy"})],
             "tags: several tags can apply at once, so the 20 outputs must not compete for one total (as softmax "
             "makes them); each is its own yes/no"),
    "price": ([(1, {"softplus", "relu", "exponential"}, REGRESSION_LOSSES)],
              "price: one number that is never negative but has no upper bound; choose an activation with that "
              "range and a regression loss"),
    "fraction": ([(1, {"sigmoid"}, REGRESSION_LOSSES | {"binary_crossentropy"})],
                 "fraction: one number between 0 and 1; which activation has exactly that range? and a regression loss"),
}


def _activation(name) -> str:
    return "linear" if name in (None, "", "linear", "None") else str(name).strip().lower()


def output_layers(ev: Evidence, challenge: dict) -> None:
    choices = ev.mapping("choices", "OUTPUT_LAYERS")
    require(set(choices) == set(OUTPUT_LAYERS), f"OUTPUT_LAYERS needs exactly the keys {sorted(OUTPUT_LAYERS)}")
    for task, (accepted, hint) in OUTPUT_LAYERS.items():
        choice = choices[task]
        require(isinstance(choice, list) and len(choice) == 3, f"{task}: give a tuple (units, activation, loss)")
        units, activation, loss = choice
        require(isinstance(units, int) and not isinstance(units, bool) and isinstance(loss, str),
                f"{task}: units should be an integer and the loss a name such as 'binary_crossentropy'")
        activation, loss = _activation(activation), canonical_loss(loss.strip().lower())
        require(any(units == n and activation in acts and loss in losses for n, acts, losses in accepted), hint)


CURVES = {"A": "overfitting", "B": "learning rate too high", "C": "good fit", "D": "underfitting"}
CURVE_HINTS = {
    "A": "run A: after about epoch 12, what does the validation loss do while the training loss keeps falling?",
    "B": "run B: does the loss ever settle, or does it jump and grow?",
    "C": "run C: both losses fall and level off low and close together",
    "D": "run D: both losses level off early, high and close together: the model cannot do better on either set",
}


def learning_curves(ev: Evidence, challenge: dict) -> None:
    diagnosis = ev.mapping("diagnosis", "DIAGNOSIS")
    require(set(diagnosis) == set(CURVES), "DIAGNOSIS needs one entry per panel: 'A', 'B', 'C' and 'D'")
    for panel, expected in CURVES.items():
        given = diagnosis[panel]
        require(isinstance(given, str) and given.strip().lower() == expected, CURVE_HINTS[panel])


def fan_sizes(rng: np.random.Generator) -> dict:
    """(fan_in, fan_out) pairs for 04's initialisation question: the visible test's 784 -> 300, a square
    layer, a single unit and two drawn at random, so a formula with the fans swapped or one fan left out fails."""
    square = int(rng.integers(2, 2049))
    drawn = [tuple(int(n) for n in rng.integers(1, 4097, size=2)) for _ in range(2)]
    return {"pairs": [(784, 300), (square, square), (int(rng.integers(2, 1025)), 1), *drawn]}


INIT_SCALE_RTOL = 1e-6  # the answers are closed forms: only rounding separates a right one from the grader's


def init_scales(ev: Evidence, challenge: dict) -> None:
    scales = ev.value("scales")
    require(isinstance(scales, list) and len(scales) == len(challenge["pairs"]),
            "init_scales gave no answer for some of the grader's layer sizes")
    for (fan_in, fan_out), got in zip(challenge["pairs"], scales):
        pair = as_array(got, f"init_scales({fan_in}, {fan_out})", shape=(2,))
        require(np.isclose(pair[0], np.sqrt(6 / (fan_in + fan_out)), rtol=INIT_SCALE_RTOL, atol=0),
                f"init_scales({fan_in}, {fan_out}): the Glorot uniform limit is not right (the variance is set by both "
                "fans; a uniform distribution on [-limit, limit] has variance limit ** 2 / 3)")
        require(np.isclose(pair[1], np.sqrt(2 / fan_in), rtol=INIT_SCALE_RTOL, atol=0),
                f"init_scales({fan_in}, {fan_out}): the He normal standard deviation is not right (its variance "
                "depends on the inputs only, doubled for ReLU)")
