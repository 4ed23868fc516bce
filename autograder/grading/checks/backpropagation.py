"""Trusted checks for assignment 01b (backpropagation by hand, NumPy only).

Every hidden test calls the student's functions on networks and data drawn for this grading run, and
the judges recompute the answers with their own forward and backward pass, so neither a hard-coded
answer nor one that works only for the visible shapes passes. Training is judged by what the
recorded parameters do on the grader's data, computed here. Thresholds: docs/calibration.md.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.checks.base import Checks, Evidence, as_array, as_number, require

CHECKS = Checks("01b-backpropagation")

NAMES = ("W1", "b1", "W2", "b2")
FORWARD_TOLERANCE = 1e-7     # the same arithmetic in another order differs by ~1e-15
GRADIENT_TOLERANCE = 1e-7
NUMERICAL_TOLERANCE = 1e-6   # central differences at eps=1e-5 on sin and squares: error ~1e-10
# All three absolute only (rtol=0): allclose's default rtol=1e-5 let a one-sided difference pass on some draws.
# Training is judged against the grader repeating the specified procedure (init_params(seed), then
# full-batch steps) on the same data: the reference lands on the same loss to ~1e-12, while an absolute
# accuracy floor failed the reference on some draws of the data (0.915 once; docs/calibration.md).
TRAIN_LOSS_RTOL = 1e-4
TRAIN_EPOCHS, TRAIN_RATE, TRAIN_HIDDEN = 2000, 1.0, 8


def sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def forward(params: dict, X: np.ndarray) -> dict:
    Z1 = X @ params["W1"] + params["b1"]
    A1 = sigmoid(Z1)
    Z2 = A1 @ params["W2"] + params["b2"]
    return {"A1": A1, "A2": sigmoid(Z2)}


def bce(A2: np.ndarray, Y: np.ndarray) -> float:
    A2 = np.clip(A2, 1e-12, 1 - 1e-12)
    return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))


def gradients(params: dict, X: np.ndarray, Y: np.ndarray) -> dict:
    cache = forward(params, X)
    delta2 = (cache["A2"] - Y) / Y.size
    delta1 = (delta2 @ params["W2"].T) * cache["A1"] * (1 - cache["A1"])
    return {"W1": X.T @ delta1, "b1": delta1.sum(axis=0), "W2": cache["A1"].T @ delta2, "b2": delta2.sum(axis=0)}


def init_params(n_in: int, n_hidden: int, n_out: int, seed: int) -> dict:
    """The notebook's init_params (scale 1), which the student's train must start from."""
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(n_in, n_hidden)), "b1": np.zeros(n_hidden),
            "W2": rng.normal(size=(n_hidden, n_out)), "b2": np.zeros(n_out)}


def _networks(rng: np.random.Generator) -> dict:
    """Networks of several shapes (one unit, several outputs) with a batch and 0/1 labels each; weights
    large enough that some units saturate."""
    cases = []
    shapes = [(1, 1, 1, 1), (2, 3, 2, 4), tuple(int(n) for n in rng.integers(1, 6, size=4))]  # (n_in, n_hidden, n_out, m)
    for n_in, n_hidden, n_out, m in shapes:
        cases.append([rng.normal(0, 2, size=(n_in, n_hidden)), rng.normal(size=n_hidden),
                      rng.normal(0, 2, size=(n_hidden, n_out)), rng.normal(size=n_out),
                      rng.normal(0, 2, size=(m, n_in)), (rng.random((m, n_out)) < 0.5).astype(float)])
    # Confidently wrong: sigmoid(>= 60) is exactly 1.0 in float64, against labels 0 (the loss must be clipped).
    cases.append([rng.normal(0, 3, size=(2, 2)), np.zeros(2), np.full((2, 1), 60.0), np.zeros(1),
                  np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.zeros((4, 1))])
    return {"cases": cases}


def _case(case) -> tuple[dict, np.ndarray, np.ndarray]:
    return dict(zip(NAMES, case[:4])), case[4], case[5]


def _outputs(ev: Evidence, key: str, cases: list, what: str) -> list:
    outputs = ev.value(key)
    require(isinstance(outputs, list) and len(outputs) == len(cases), f"{what} gave no answer for some of the grader's networks")
    return outputs


@CHECKS.test("test-bp-forward", challenge=_networks)
def forward_pass(ev: Evidence, challenge: dict) -> None:
    for case, (A1, A2, loss) in zip(challenge["cases"], _outputs(ev, "outputs", challenge["cases"], "forward")):
        params, X, Y = _case(case)
        expected = forward(params, X)
        shape = f"(n_in, n_hidden, n_out) = ({params['W1'].shape[0]}, {params['W1'].shape[1]}, {params['W2'].shape[1]}), {len(X)} examples"
        for name, got in (("A1", as_array(A1, "A1")), ("A2", as_array(A2, "A2"))):
            require(got.shape == expected[name].shape, f"{name} should have shape {expected[name].shape} for {shape}; got {got.shape}")
            require(np.allclose(got, expected[name], atol=FORWARD_TOLERANCE, rtol=0),
                    f"{name} is wrong for a network with {shape}: Z1 = X @ W1 + b1, A1 = sigmoid(Z1), then the same with W2, b2")
        require(np.isclose(as_number(loss, "bce_loss"), bce(expected["A2"], Y), atol=FORWARD_TOLERANCE, rtol=0),
                "bce_loss is wrong: the mean over every entry of -(y log(a) + (1 - y) log(1 - a)), with a clipped to [1e-12, 1 - 1e-12]")


@CHECKS.test("test-bp-backward", challenge=_networks)
def backward_pass(ev: Evidence, challenge: dict) -> None:
    for case, grads in zip(challenge["cases"], _outputs(ev, "grads", challenge["cases"], "backward")):
        params, X, Y = _case(case)
        expected = gradients(params, X, Y)
        require(isinstance(grads, list) and len(grads) == 4, "backward should return dW1, db1, dW2 and db2")
        for name, got in zip(NAMES, grads):
            got = as_array(got, f"d{name}")
            require(got.shape == expected[name].shape, f"d{name} should have the shape of {name}, {expected[name].shape}; got {got.shape}")
            require(np.allclose(got, expected[name], atol=GRADIENT_TOLERANCE, rtol=0),
                    f"d{name} is wrong for a network with {params['W1'].shape[0]} inputs, {params['W1'].shape[1]} hidden "
                    f"units and {params['W2'].shape[1]} outputs: compare it with numerical_gradient on this shape")


def _functions(rng: np.random.Generator) -> dict:
    return {"cases": [[rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)]
                      for shape in [(3,), (2, 3), (int(rng.integers(1, 4)), int(rng.integers(1, 4)), 2)]]}


@CHECKS.test("test-bp-numerical-gradient", challenge=_functions)
def numerical_gradient(ev: Evidence, challenge: dict) -> None:
    for (x, c, d), result in zip(challenge["cases"], _outputs(ev, "results", challenge["cases"], "numerical_gradient")):
        require(isinstance(result, list) and len(result) == 2, "numerical_gradient gave no gradient")
        grad = as_array(result[0], "the numerical gradient")
        require(grad.shape == x.shape, f"the gradient should have the shape of x, {x.shape}; got {grad.shape}")
        require(np.allclose(grad, c * np.cos(x) + 2 * d * x, atol=NUMERICAL_TOLERANCE, rtol=0),
                f"wrong gradient for an x of shape {x.shape}: perturb each entry by +eps and -eps in turn, "
                "all others unchanged, and divide the difference of f by 2 eps")
        require(result[1] is True, "numerical_gradient changed the x it was given: work on a copy or restore each entry")


def moons(rng: np.random.Generator, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy half-moons, rotated, shifted and scaled at random."""
    t = rng.uniform(0, np.pi, size=n)
    upper = rng.random(n) < 0.5
    points = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    points += rng.normal(0, 0.15, size=points.shape)
    angle = rng.uniform(0, 2 * np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (points - [0.5, 0.25]) @ rotation * rng.uniform(0.7, 1.4) + rng.normal(0, 0.3, size=2), upper.astype(float)[:, None]


def _training_task(rng: np.random.Generator) -> dict:
    X, Y = moons(rng)
    return {"X": X, "Y": Y, "n_hidden": TRAIN_HIDDEN, "learning_rate": TRAIN_RATE, "epochs": TRAIN_EPOCHS,
            "seed": int(rng.integers(0, 10_000))}


@CHECKS.test("test-bp-train", challenge=_training_task)
def training(ev: Evidence, challenge: dict) -> None:
    X, Y = challenge["X"], challenge["Y"]
    recorded = ev.value("params")
    require(isinstance(recorded, list) and len(recorded) == 4, "train should return (params, losses)")
    start = init_params(X.shape[1], challenge["n_hidden"], Y.shape[1], challenge["seed"])
    params = {name: as_array(value, name) for name, value in zip(NAMES, recorded)}
    for name in NAMES:
        require(params[name].shape == start[name].shape,
                f"{name} should have shape {start[name].shape} after training; got {params[name].shape}")
    losses = ev.array("losses", ndim=1, what="losses")
    require(len(losses) == challenge["epochs"], f"losses should hold one value per epoch ({challenge['epochs']}); got {len(losses)}")
    require(np.all(np.isfinite(losses)), "the losses should all be finite numbers")
    require(np.isclose(losses[0], bce(forward(start, X)["A2"], Y), atol=1e-7),
            "the first loss should be that of init_params(n_in, n_hidden, n_out, seed, scale) before any step")
    final = bce(forward(params, X)["A2"], Y)
    require(final < losses[0], "the returned parameters are no better than the starting ones: step against the gradient")
    expected = gradient_descent(start, X, Y, challenge["learning_rate"], challenge["epochs"])
    target = bce(forward(expected, X)["A2"], Y)
    require(np.isclose(final, target, rtol=TRAIN_LOSS_RTOL, atol=1e-9),
            f"after {challenge['epochs']} steps at learning rate {challenge['learning_rate']} on the grader's half-moons your "
            f"parameters reach a loss of {final:.5f}, full-batch gradient descent from the same start {target:.5f}: "
            "check the update params -= learning_rate * grads, once per epoch, on the whole data set")


def gradient_descent(params: dict, X: np.ndarray, Y: np.ndarray, rate: float, epochs: int) -> dict:
    """The procedure exercise 4 specifies, done by the grader."""
    for _ in range(epochs):
        grads = gradients(params, X, Y)
        params = {name: value - rate * grads[name] for name, value in params.items()}
    return params


@CHECKS.test("test-bp-symmetry")
def symmetry(ev: Evidence, challenge: dict) -> None:
    require(ev.number("distinct", "DISTINCT_HIDDEN_UNITS") == 1,
            "DISTINCT_HIDDEN_UNITS: compare the columns of W1 after training from zero; how many differ?")
    require(ev.flag("solves") is False, "ZERO_START_SOLVES_XOR: do the rounded predictions equal y_xor?")


# Exercise 2a: one sigmoid neuron, w = (0.5, -1), b = 0.25, x = (2, 1), y = 1. Answers worked by hand
# to three or four decimals are right, so the tolerance is 1e-3 (the nearest wrong answers stay far outside:
# dl/da without sigma' is 1.34 away, a sign slip on delta 0.88, delta * x2 for dl/dw1 0.44).
HAND_W, HAND_B, HAND_X, HAND_Y = np.array([0.5, -1.0]), 0.25, np.array([2.0, 1.0]), 1.0
HAND_TOLERANCE = 1e-3


@CHECKS.test("test-bp-hand-neuron")
def hand_neuron(ev: Evidence, challenge: dict) -> None:
    z = float(HAND_W @ HAND_X + HAND_B)
    a = float(sigmoid(z))
    delta = a - HAND_Y
    expected = {"z": (z, "HAND_Z: the weighted sum of the inputs plus the bias"),
                "a": (a, "HAND_A: the sigmoid of HAND_Z"),
                "delta": (delta, "HAND_DELTA: differentiate the loss with respect to a, then multiply by sigma'(z)"),
                "dw1": (delta * HAND_X[0], "HAND_DW1: one more step of the chain rule, from z to w1")}
    for key, (value, hint) in expected.items():
        require(abs(ev.number(key, hint.split(":")[0]) - value) <= HAND_TOLERANCE, f"{hint} (not right yet)")


# Exercise 6: 10 inputs, 50 hidden units, 3 outputs, a batch of 32.
SHAPES = {"SHAPE_X": [32, 10], "SHAPE_W_HIDDEN": [10, 50], "SHAPE_B_HIDDEN": [50], "SHAPE_W_OUTPUT": [50, 3],
          "SHAPE_B_OUTPUT": [3], "SHAPE_OUTPUT": [32, 3]}
N_PARAMETERS = 10 * 50 + 50 + 50 * 3 + 3


def _whole_numbers(value, what: str) -> list[int]:
    require(isinstance(value, list) and all(type(n) is int for n in value),
            f"{what} should be whole numbers, not {type(value).__name__}")
    return value


@CHECKS.test("test-bp-shapes")
def shapes(ev: Evidence, challenge: dict) -> None:
    recorded = ev.mapping("shapes", "the shapes")
    for name, shape in SHAPES.items():
        require(_whole_numbers(recorded.get(name), name) == shape,
                f"{name} is not right: rows are examples, and a layer's weights go from its inputs to its units")


@CHECKS.test("test-bp-parameter-count")
def parameter_count(ev: Evidence, challenge: dict) -> None:
    [count] = _whole_numbers([ev.value("count")], "N_PARAMETERS")
    require(count == N_PARAMETERS, "N_PARAMETERS: count every layer's weights and its biases")


@CHECKS.test("test-bp-autodiff-passes")
def autodiff_passes(ev: Evidence, challenge: dict) -> None:
    # Judged against the student's own N_PARAMETERS: a wrong count costs exercise 6's point, not this one.
    count, forward_passes, reverse, central = _whole_numbers(
        [ev.value(k) for k in ("n_parameters", "forward", "reverse", "central")], "the counts")
    require(forward_passes == count, "FORWARD_MODE_PASSES: how many input directions are there?")
    require(reverse == 1, "REVERSE_MODE_BACKWARD_PASSES: how many losses are sent back?")
    require(central == 2 * count, "CENTRAL_DIFFERENCE_EVALUATIONS: count the loss evaluations per parameter")
