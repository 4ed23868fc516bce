"""Assignments 01b and 02 to 06 graded end to end through nbgrader.

For each: the reference earns full marks, the blank release earns nothing, and two complementary
wrong submissions together fail every test, each losing exactly the points of the tests its
mistakes belong to (the in-process tests in tests/checks/ show each check rejecting more kinds
of mistake). For 04 and 05 the wrong submissions include the tampering the image-classifier
checks exist to defeat: a hard-coded history, an overwritten test set, a monkeypatched
Model.evaluate / Model.predict, a validation set taken from the test images; for 06 a one-epoch model behind a doctored history and a hand-typed
test RMSE; for 03 and 04 a model whose exported graph forges the others' answers. The last wrong
submission of each is handed in as Colab saves it (nbgrader's metadata stripped). Assignment 01 has its
own, finer suite in test_course.py. And every value the graded reference recorded, and every prediction
its models gave, corrupted one at a time, fails its judge.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import config
from autograder.grading import checks as registry, evidence_reader, judging
from autograder.grading.checks.base import Evidence, ModelReport
from autograder.grading.job_contract import read_job
from autograder.layout import CourseLayout, job_result

from tests.checks import variants
from tests.class_batches import wait_for

from autograder.authoring.samples import EXPECTED
from autograder.grading.results import grade_table
from autograder.notebooks import solution_answers

pytestmark = pytest.mark.slow  # grades notebooks or trains models


def _replace(assignment, cell, old, new, *more):
    """The reference answer of *cell* with each (old, new) pair replaced."""
    code = solution_answers(assignment)[cell]
    pairs = [(old, new), *zip(more[::2], more[1::2])]
    for before, after in pairs:
        assert before in code, f"{before!r} not in the reference answer of {cell}: update this test"
        code = code.replace(before, after)
    return {cell: code}


A01B, A02, A03, A04, A05 = ("01b-backpropagation", "02-linear-regression", "03-logistic-regression", "04-mnist",
                             "05-fashion-mnist")
A06 = "06-california-housing"

UNTRAINED_MNIST = """
mnist_model = build_mlp()
mnist_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
mnist_history = type("History", (), {"history": {"loss": [0.01] * 12, "accuracy": [0.999] * 12,
                                                 "val_loss": [0.05] * 12, "val_accuracy": [0.985] * 12}})()
"""

# 03, exercise 5: a subclassed model whose exported graph writes the true test labels over the
# answers of the job's three other models (trained on wrong labels). Before each model was measured
# alone and graph operations were checked, this earned 10/16 instead of the honest 2/16.
FORGER = '''
import io
import tensorflow as tf


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype="float32"))
    return buffer.getvalue()


# The true test labels, written by the exported graph over the answers of the other three models.
_forged = {"out/r0/cancer-test.npy": _npy(y_test.reshape(-1, 1)),
           "out/r1/cancer-test-two.npy": _npy(y_test.reshape(-1, 1)),
           "out/r2/iris-test.npy": _npy(keras.utils.to_categorical(yi_test, 3))}


class Forger(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(3, activation="softmax")

    def call(self, x):
        if not tf.executing_eagerly():
            for path, content in _forged.items():
                tf.io.write_file(path, content)
        return self.dense(x)

    @property
    def output_shape(self):  # what the visible test looks at
        return (None, 3)


yi_train_onehot = keras.utils.to_categorical(yi_train, 3)
softmax_onehot = Forger()
softmax_onehot.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
softmax_onehot.fit(Xi_train, yi_train_onehot, epochs=1, verbose=0)
'''

# 04, exercise 4: an untrained subclassed "open model" whose exported graph writes the true test
# and validation labels as every measured model's answers (the first 16 requests, whatever they
# are), and a file two folders above its own. Section 7's models, which never train here, would
# then have passed their accuracy tests; the graph is refused by name and earns nothing.
FORGER_04 = '''
import io
import tensorflow as tf


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype="float32"))
    return buffer.getvalue()


_forged = {"../../forged-outside.txt": b"written by a student's model"}
for _request in range(16):
    _forged[f"out/r{_request}/test.npy"] = _npy(keras.utils.to_categorical(y_test, 10))
    _forged[f"out/r{_request}/valid.npy"] = _npy(keras.utils.to_categorical(y_valid, 10))


class Forger(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten()
        self.dense = keras.layers.Dense(10, activation="softmax")

    def call(self, x):
        if not tf.executing_eagerly():
            for path, content in _forged.items():
                tf.io.write_file(path, content)
        return self.dense(self.flatten(x))

    @property
    def output_shape(self):  # what the visible test looks at
        return (None, 10)


mnist_model = Forger()
mnist_model(X_valid[:2])
mnist_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
mnist_history = type("History", (), {"history": {"loss": [0.01] * 12, "accuracy": [0.999] * 12,
                                                 "val_loss": [0.05] * 12, "val_accuracy": [0.985] * 12}})()
'''

# assignment -> student -> (answer cells changed from the reference, tests that must fail)
WRONG = {
    A01B: {
        # An unclipped loss, a one-sided difference, a miscount, a missing sigma' and a transposed weight
        # matrix: the visible tests catch only the first.
        "wrong-a": ({
            **_replace(A01B, "bp-ex1-forward", "A2 = np.clip(A2, 1e-12, 1 - 1e-12)\n    ", ""),
            **_replace(A01B, "bp-ex3-numerical", "x[index] = original - eps\n", "x[index] = original\n",
                       "(up - down) / (2 * eps)", "(up - down) / eps"),
            **_replace(A01B, "bp-ex5-symmetry", "DISTINCT_HIDDEN_UNITS = len(", "DISTINCT_HIDDEN_UNITS = 4 or len("),
            # dl/da alone, without sigma'(z): negative, so the visible test passes.
            **_replace(A01B, "bp-ex2a-hand-neuron", "HAND_DELTA = HAND_A - 1.0", "HAND_DELTA = (HAND_A - 1.0) / (HAND_A * (1 - HAND_A))"),
            **_replace(A01B, "bp-ex6-shapes", "SHAPE_W_HIDDEN, SHAPE_B_HIDDEN = (10, 50)", "SHAPE_W_HIDDEN, SHAPE_B_HIDDEN = (50, 10)"),
            # One backward pass per parameter, as if reverse mode were forward mode.
            **_replace(A01B, "bp-ex7-autodiff", "REVERSE_MODE_BACKWARD_PASSES = 1 ", "REVERSE_MODE_BACKWARD_PASSES = N_PARAMETERS "),
        }, {"test-bp-forward", "test-bp-numerical-gradient", "test-bp-symmetry", "test-bp-hand-neuron", "test-bp-shapes",
            "test-bp-autodiff-passes"}),
        # Averaged over examples only (right for one output, wrong for two), and gradient ascent.
        "wrong-b": ({
            **_replace(A01B, "bp-ex2-backward", "(A2 - Y) / Y.size", "(A2 - Y) / len(Y)"),
            **_replace(A01B, "bp-ex4-train", "params[name] - learning_rate", "params[name] + learning_rate"),
            # The biases forgotten: costs the count, not exercise 7, which is judged on the student's own count.
            **_replace(A01B, "bp-ex6-shapes", "10 * 50 + 50 + 50 * 3 + 3", "10 * 50 + 50 * 3"),
        }, {"test-bp-backward", "test-bp-train", "test-bp-parameter-count"}),
    },
    A02: {
        "wrong-a": ({
            # Ignores n_features; exercise 2 builds with one feature, so only this exercise's test fails.
            **_replace(A02, "lin-ex1-build", "keras.Input((n_features,))", "keras.Input((1,))"),
            **_replace(A02, "lin-ex3-normal-equation", "X_b = np.c_[np.ones(len(X)), X]", "X_b = np.asarray(X)"),
            "lin-ex5-steps": 'STEPS_PER_EPOCH = {"batch": 1, "mini-batch": 6, "stochastic": 200}',
            # The first layer's bias dropped: passes neither the visible nor the hidden test.
            **_replace(A02, "lin-ex7-collapse", "b1 @ W2 + b2", "b2"),
            # Both targets' lines learned for 5 epochs only: nowhere near the least-squares fits.
            **_replace(A02, "lin-ex3b-two-targets", "range(150)", "range(5)"),
        }, {"test-build-linear-model", "test-normal-equation", "test-steps-per-epoch", "test-collapse-linear",
            "test-two-targets"}),
        "wrong-b": ({
            # An untrained model with a hand-typed history that passes the visible test.
            "lin-ex2-train": 'line_model = build_linear_model(1)\n'
                             'line_history = type("History", (), {"history": {"loss": [0.25] * 50}})()',
            **_replace(A02, "lin-ex4-learning-rates", "LR_TOO_LARGE = 0.6", "LR_TOO_LARGE = 0.4"),
            # (and 15 epochs, not 150: its test fails anyway; 10 s less of every suite)
            **_replace(A02, "lin-ex6-diabetes", 'loss="mean_squared_error"', 'loss="mean_absolute_error"',
                       "epochs=150,", "epochs=15,"),
        }, {"test-line-fit", "test-learning-rates", "test-diabetes-model"}),
    },
    A03: {
        # Mistakes, and a model whose exported graph writes the true test labels over the answers of the
        # others (FORGER): the forged answers would have made every wrong model beside it pass.
        "wrong-a-forges": ({
            **_replace(A03, "log-ex1-cancer", 'loss="binary_crossentropy"', 'loss="mean_squared_error"'),
            # (Exercises 2c, 3 and 4, whose tests fail here anyway, also train for a few epochs only: 20 s less of
            # every suite.)
            **_replace(A03, "log-ex3-two-features", 'keras.layers.Dense(1, activation="sigmoid")',
                       "keras.layers.Dense(1)", "epochs=30,", "epochs=5,"),
            **_replace(A03, "log-ex4-sparse", "fit(Xi_train, yi_train,", "fit(Xi_train, (yi_train + 1) % 3,",
                       "epochs=100,", "epochs=10,"),
            "log-ex5-onehot": FORGER,
            # The weight on the benign class: the visible test catches it too.
            **_replace(A03, "log-ex2c-class-weight", "class_weight={0: weight, 1: 1.0}", "class_weight={0: 1.0, 1: weight}",
                       "epochs=30,", "epochs=5,"),
        }, {"test-cancer-model", "test-two-feature-model", "test-softmax-sparse", "test-softmax-onehot", "test-class-weight"}),
        "wrong-b": ({
            **_replace(A03, "log-ex2-labels", ">= threshold", "> threshold"),
            # (Exercises 2c, 3 and 4 train for a few epochs only, as in wrong-a-forges.)
            **_replace(A03, "log-ex4-sparse", 'keras.layers.Dense(3, activation="softmax")',
                       'keras.layers.Dense(3, activation="sigmoid")', "epochs=100,", "epochs=10,"),
            # The screening limit ignored: the fewest false alarms of all is the lowest threshold, which misses
            # 6-9 malignant validation tumours (docs/calibration.md).
            **_replace(A03, "log-ex2b-screening", "if _valid[t][0] <= 1]", "if _valid[t][0] >= 0]"),
            # The pair with the highest validation loss (mean smoothness + mean symmetry, 0.59 against 0.17).
            **_replace(A03, "log-ex3-two-features", "min(pair_valid_loss", "max(pair_valid_loss", "epochs=30,", "epochs=5,"),
            # The limit ignored and the order turned round: the weight with the most mistakes on validation.
            **_replace(A03, "log-ex2c-class-weight", "if _keep_to_limit:", "if False:",
                       "min(CLASS_WEIGHT_CANDIDATES, key=", "max(CLASS_WEIGHT_CANDIDATES, key=", "epochs=30,", "epochs=5,"),
            # The softmax gradient with its sign turned round (y - p): the loss would climb.
            **_replace(A03, "log-ex5b-gradient", "return probabilities - np.eye(logits.shape[1])[np.asarray(labels)]",
                       "return np.eye(logits.shape[1])[np.asarray(labels)] - probabilities"),
        }, {"test-predict-labels", "test-softmax-sparse", "test-screen-threshold", "test-two-feature-model",
            "test-class-weight", "test-softmax-gradient"}),
    },
    A04: {
        # An untrained model behind a hand-typed history, one-hot labels with 11 classes, test images left in
        # float64, and the test labels overwritten with the model's own predictions, so evaluate() says 100 %.
        "untrained-and-overwrites": ({
            **_replace(A04, "mnist-ex1-split", "X_test = X_test_raw / np.float32(255)", "X_test = X_test_raw / 255.0"),
            "mnist-ex3-onehot": solution_answers(A04)["mnist-ex3-onehot"].replace("y_train, 10)", "y_train, 11)"),
            **_replace(A04, "mnist-ex2-build", "Dense(300,", "Dense(256,"),
            "mnist-ex6-train": UNTRAINED_MNIST,
            "mnist-ex7-evaluate": "y_pred = mnist_model.predict(X_test, verbose=0).argmax(axis=1)\n"
                                  "y_test = y_pred\n"
                                  "y_test_onehot = keras.utils.to_categorical(y_pred, 10)\n"
                                  "test_loss, test_accuracy = mnist_model.evaluate(X_test, y_test_onehot, verbose=0)",
            **_replace(A04, "mnist-ex8-params", "n_in * n_out + n_out", "n_in * n_out"),  # forgets the biases
            # the variance taken for the limit (no square root of 3 x variance)
            **_replace(A04, "mnist-ex8b-init", "np.sqrt(3 * 2 / (fan_in + fan_out))", "2 / (fan_in + fan_out)"),
            # A sweep that never stops, the lowest point taken as the rate, and the unsupported conclusion.
            **_replace(A04, "mnist-ex4-sweep", "        if shot_up or not np.isfinite(loss):\n            break\n", ""),
            **_replace(A04, "mnist-ex5-pick", "rates[np.argmin(losses)] / 10", "rates[np.argmin(losses)]"),
            **_replace(A04, "mnist-ex10-gap", 'CONCLUSION = "B" if', 'CONCLUSION = "C"  # "B" if'),
            # RMSprop trained for one epoch, not three, and then the optimizer whose model did worst on validation
            # (RMSprop's, by more than a point: a choice that cannot land in the judge's tie by chance).
            # (SGD's and Adam's models train one epoch too: the three tests of exercise 9 fail anyway.)
            **_replace(A04, "mnist-ex9-tuned", "rmsprop_history = rmsprop_model.fit(X_train, y_train, epochs=3",
                       "rmsprop_history = rmsprop_model.fit(X_train, y_train, epochs=1",
                       "sgd_history = sgd_model.fit(X_train, y_train, epochs=3", "sgd_history = sgd_model.fit(X_train, y_train, epochs=1",
                       "adam_history = adam_model.fit(X_train, y_train, epochs=3", "adam_history = adam_model.fit(X_train, y_train, epochs=1"),
            **_replace(A04, "mnist-ex9b-choice", "max(_final_valid,", "min(_final_valid,"),
        }, {"test-mnist-split", "test-mnist-onehot", "test-build-mlp", "test-mnist-model", "test-mnist-results",
            "test-dense-parameters", "test-init-scales", "test-lr-sweep", "test-pick-learning-rate", "test-own-rate",
            "test-tuned-optimizers", "test-optimizer-choice", "test-optimizer-gap"}),
        # Monkeypatches Model.evaluate and Model.predict to report the true labels (which also breaks
        # every later fit with validation data: section 8's models never train, and the hidden layers' gain
        # read with evaluate is 0), and its open model, compiled at Keras' default rate, forges every model's
        # answers (FORGER_04).
        "patches-keras": ({
            "mnist-ex6-train": FORGER_04 + "_truth = keras.utils.to_categorical(y_test, 10)\n"
                               "keras.Model.evaluate = lambda self, *args, **kwargs: [0.02, 0.99]\n"
                               "keras.Model.predict = lambda self, X, *args, **kwargs: _truth[: len(X)]\n",
        }, {"test-mnist-model", "test-own-rate", "test-hidden-layers-gain", "test-mnist-results", "test-tuned-optimizers",
            "test-optimizer-choice", "test-optimizer-gap"}),
    },
    A05: {
        "hard-coded-history": ({
            **_replace(A05, "fashion-ex2-build", "        keras.layers.Dropout(dropout_rate),\n", ""),
            "fashion-ex3-train": "fashion_model = build_fashion_mlp()\n"
                                 "fashion_model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',"
                                 " metrics=['accuracy'])\n"
                                 "_fake = {'loss': [0.1], 'accuracy': [0.97], 'val_loss': [0.2], 'val_accuracy': [0.93]}\n"
                                 "history_1 = type('H', (), {'history': {k: v * 15 for k, v in _fake.items()}})()\n"
                                 "history_2 = type('H', (), {'history': {k: v * 5 for k, v in _fake.items()}})()\n",
            # Multilabel tags as if they were one class among 20 (passes the visible, structural test).
            **_replace(A05, "fashion-ex5-heads", '"tags": (20, "sigmoid", "binary_crossentropy")',
                       '"tags": (20, "softmax", "categorical_crossentropy")'),
            # Two epochs instead of 20 in exercise 7, whose test the missing Dropout layers fail already:
            # one more mistake in the same exercise, and 30 s less of every suite.
            **_replace(A05, "fashion-ex7-dropout", "epochs=20,", "epochs=2,"),
            # The weight-decay gap turned round: validation minus training.
            **_replace(A05, "fashion-ex7b-decay", "DECAY_GAP = _gap(model_decay)", "DECAY_GAP = -_gap(model_decay)"),
            # The network to keep picked by the lowest validation accuracy (here a 2-epoch one, far below the
            # 20-epoch weight-decay network).
            **_replace(A05, "fashion-ex7c-choice", "REGULARISER = max(", "REGULARISER = min("),
        }, {"test-build-fashion-mlp", "test-fashion-model", "test-fashion-results", "test-output-layers",
            "test-dropout-gap", "test-decay-gap", "test-regulariser-choice"}),  # build_fashion_mlp(0.3) without Dropout layers
        # Validation taken from the test set, and only the second fit really run, on a fresh model.
        "rebuilt-between-fits": ({
            **_replace(A05, "fashion-ex1-split", "X_train_full[-5000:] / np.float32(255)",
                       "X_test_raw[:5000] / np.float32(255)", "y_train_full[-5000:]", "y_test[:5000]"),
            **_replace(A05, "fashion-ex3-train",
                       "history_1 = fashion_model.fit(X_train, y_train, epochs=15,",
                       "history_1 = type('H', (), {'history': {'loss': [0.3] * 15}})()\n"
                       "fashion_model = build_fashion_mlp()\n"
                       "fashion_model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
                       "_unused = dict(epochs=15,",
                       # (and one epoch of the second fit, not five: its test fails anyway)
                       "initial_epoch=15, epochs=20,", "initial_epoch=15, epochs=16,"),
            **_replace(A05, "fashion-ex6-diagnosis", '"A": "overfitting"', '"A": "underfitting"',
                       '"D": "underfitting"', '"D": "overfitting"'),
            # Gaps read off the histories: training accuracy averaged over an epoch with dropout on.
            **_replace(A05, "fashion-ex7-dropout",
                       'model.evaluate(X_small, y_small, verbose=0)[1] - model.evaluate(X_valid, y_valid, verbose=0)[1]\n'
                       '        for name, model in {"without": model_without, "with": model_with}.items()}',
                       'fit.history["accuracy"][-1] - fit.history["val_accuracy"][-1]\n'
                       '        for name, fit in fits.items()}',
                       # and two epochs instead of 20 (the same test fails; 20 s less of every suite)
                       "epochs=20,", "epochs=2,"),
            # The two tags given the head and loss of a one-of-k task: a pullover cannot be both a top and warm.
            **_replace(A05, "fashion-ex5b-tags", 'keras.layers.Dense(2, activation="sigmoid")',
                       'keras.layers.Dense(2, activation="softmax")', 'loss="binary_crossentropy"',
                       'loss="categorical_crossentropy"'),
        # (Its validation images are test images: exercise 7b's gap, measured on them, differs from the grader's on the
        # real validation split, as exercise 7's does; a validation split is what every later measurement stands on.)
        }, {"test-fashion-split", "test-fashion-model", "test-tag-model", "test-learning-curves", "test-dropout-gap",
            "test-decay-gap"}),
    },
}

WRONG[A06] = {
    "wrong-a": ({
        # Scaler fitted with the test rows, MAE loss, no concatenation, weights never loaded, MSE kept
        # without looking (the Huber model measures lower on validation), Huber's derivative without its delta.
        # (The leaky baseline and the MAE model also train for a few iterations only, where a full training
        # would fail the same tests: 30 s less of every suite.)
        **_replace(A06, "cal-ex1-baseline", "baseline.fit(X_train, y_train)", "baseline.fit(X_train_full, y_train_full)",
                   "random_state=42)", "random_state=42, max_iter=20)"),
        **_replace(A06, "cal-ex3-train", 'model.compile(loss="mse"', 'model.compile(loss="mae"', "epochs=EPOCHS,", "epochs=3,"),
        **_replace(A06, "cal-ex5-functional", "keras.layers.Concatenate()([normalized, hidden2])", "hidden2"),
        **_replace(A06, "cal-save", 'restored.load_weights(WORK_DIR / "california.weights.h5")\n', ""),
        # (The Huber model, and the bounded model below, also train for two epochs only: their tests fail anyway.)
        **_replace(A06, "cal-robust-loss", "LOSS_CHOICE = min(valid_rmse, key=valid_rmse.get)", 'LOSS_CHOICE = "mse"',
                   "epochs=EPOCHS,", "epochs=2,"),
        # Huber's derivative clipped at 1 whatever delta is: the visible test, at delta = 1, passes.
        **_replace(A06, "cal-ex6c-huber-gradient", "np.clip(error, -delta, delta)", "np.clip(error, -1.0, 1.0)"),
        # A ReLU where the sigmoid goes: never negative, but unbounded above; and the final model picked by the
        # highest validation RMSE.
        **_replace(A06, "cal-ex6d-bounded", 'keras.layers.Activation("sigmoid")', 'keras.layers.Activation("relu")',
                   "epochs=EPOCHS,", "epochs=2,"),
        **_replace(A06, "cal-ex6e-final-choice", "FINAL_MODEL = min(", "FINAL_MODEL = max("),
    }, {"test-cal-baseline", "test-cal-training", "test-cal-functional", "test-cal-saving", "test-cal-robust-loss",
        "test-cal-huber-gradient", "test-cal-bounded", "test-cal-final-choice"}),
    "wrong-b": ({
        # Normalization adapted on more than the training set; one epoch behind a doctored history;
        # a hand-typed test RMSE; the subclassed model never trained; the learning rate not tuned.
        **_replace(A06, "cal-ex2-model", "norm_layer.adapt(X_train)", "norm_layer.adapt(X_train_full)"),
        **_replace(A06, "cal-ex3-train", "epochs=EPOCHS,", "epochs=1,",
                   "[EVERY_FIFTH_EPOCH])", '[EVERY_FIFTH_EPOCH])\nhistory.history["val_root_mean_squared_error"] = [0.49]'),
        **_replace(A06, "cal-ex4-evaluate", "test_mse, test_rmse = model.evaluate(X_test, y_test, verbose=0)",
                   "test_mse, test_rmse = 0.2, 0.45"),
        **_replace(A06, "cal-subclass", "subclassed_model.fit(", "_skipped = lambda: subclassed_model.fit("),
        **_replace(A06, "cal-location-model", "    X_train, y_train, epochs=EPOCHS,", "    X_train, y_train, epochs=1,"),
        # (one trial, not three: its test fails anyway; 20 s less of every suite)
        **_replace(A06, "cal-tuner", 'hp.Float("learning_rate"', 'hp.Float("lr"', "max_trials=3,", "max_trials=1,"),
    }, {"test-cal-sequential", "test-cal-training", "test-cal-evaluate", "test-cal-location", "test-cal-subclass",
        "test-cal-tuner"}),
}


COURSE_ROOTS: dict[str, object] = {}  # each graded assignment's course folder, for the evidence tests


def colab_saved_student(assignment: str) -> str:
    """The wrong submission handed in as Colab saves it (no nbgrader metadata, a Colab file name): it must
    lose exactly what the same answers lose in a clean notebook, and its written answers wait for a person."""
    return list(WRONG[assignment])[-1]


# Every assignment but 01, which has its own, finer suite in test_course.py; a new assignment without
# wrong submissions here fails (KeyError) until it has them. Graded in the background from the start of the
# run (tests/class_batches.py, started by tests/conftest.py); these tests run last and read the results.
@pytest.fixture(scope="module", params=[a for a in config.assignments() if a != "01-perceptrons"])
def graded(request, class_batches):
    assignment = request.param
    folder, process = class_batches
    results = {r.student: r for r in wait_for(folder, assignment, process)}
    COURSE_ROOTS[assignment] = folder / assignment
    return assignment, results


def test_the_california_cache_is_complete_before_any_kernel_starts(graded):
    """Regression: two kernels once raced to write scikit-learn's cache, and one read it half-written."""
    assignment, results = graded
    if assignment != A06:
        pytest.skip("only 06 loads California housing")
    reference, wrong = results["reference"], results["wrong-a"]
    assert reference.score + reference.pending_points == reference.max_score, grade_table([reference])
    assert not [t for t in reference.tests + wrong.tests if t.error and ("EOFError" in t.error or "NameError" in t.error)]


def _points(result):
    return {t.grade_id: t.points for t in result.tests}


def test_reference_full_blank_zero(graded):
    assignment, results = graded
    reference, blank = results["reference"], results["blank"]
    # Every autograded point; the written answers (model answers here) wait for a person.
    assert reference.error is None and reference.score + reference.pending_points == reference.max_score, \
        grade_table([reference])
    assert reference.score > 0 and reference.ungraded_written >= 2
    assert blank.score == 0 and len(blank.tests) == len(reference.tests)
    # Its sandbox held nothing but the notebook, course_kernel and the data, as Colab holds nothing
    # but the notebook: and it wrote no file beside itself (test_colab_run.py runs 01-03 plainly).
    assert not [note for note in reference.notes if "beside itself" in note], reference.notes


def test_the_demo_samples_come_to_what_make_demo_expects(graded):
    """What `make demo` checks for this assignment: the reference, the blank release, the partly
    right sample at its pinned score, a truncated download reported."""
    assignment, results = graded
    samples = {"reference": results["reference"], "blank": results["blank"]}
    samples |= {student[len("demo-"):]: result for student, result in results.items() if student.startswith("demo-")}
    assert {"partial", "truncated"} <= set(samples), sorted(samples)
    problems = {student: EXPECTED[student](result) for student, result in samples.items()}
    assert not {s: p for s, p in problems.items() if p}, grade_table(list(samples.values()))


def test_each_wrong_submission_loses_exactly_its_tests(graded):
    assignment, results = graded
    full = _points(results["reference"])
    failed_somewhere = set()
    for student, (_, failing) in WRONG[assignment].items():
        got = _points(results[student])
        assert {g for g in full if got[g] != full[g]} == failing, grade_table([results["reference"], results[student]])
        assert results[student].score == sum(full.values()) - sum(full[g] for g in failing)
        failed_somewhere |= failing
    autograded = {t.grade_id for t in results["reference"].tests if not t.written}  # written ones: a person's
    assert failed_somewhere == autograded, "every autograded test is failed by some wrong submission"


def test_the_colab_saved_submission_is_repaired_and_said_so(graded):
    """(Its score: test_each_wrong_submission_loses_exactly_its_tests.)"""
    assignment, results = graded
    result = results[colab_saved_student(assignment)]
    assert any("restored nbgrader metadata" in note for note in result.notes), result.notes
    assert result.ungraded_written == 2, "the written answers, left as released, wait for a person"


def test_a_model_graph_with_file_operations_is_refused_by_name(graded):
    assignment, results = graded
    if assignment != A03:
        pytest.skip("the forging model is 03's")
    [onehot] = [t for t in results["wrong-a-forges"].tests if t.grade_id == "test-softmax-onehot"]
    assert "WriteFile" in onehot.error, onehot.error


def test_a_forging_open_model_on_04_is_refused_and_forges_nothing(graded):
    """The forger of 04's open model: refused by name, the other models' accuracy measured honestly
    (each_wrong_submission... checks they still fail), nothing written beside the job."""
    assignment, results = graded
    if assignment != A04:
        pytest.skip("the forging open model is 04's")
    tests = {t.grade_id: t for t in results["patches-keras"].tests}
    assert "WriteFile" in tests["test-mnist-model"].error, tests["test-mnist-model"].error
    assert not tests["test-tuned-optimizers"].points and not tests["test-optimizer-gap"].points
    assert not list(COURSE_ROOTS[A04].rglob("forged-outside.txt"))


# --- the judges against corrupted evidence ---------------------------------------------------------

def _reference_evidence(assignment):
    """Per test of the graded reference: (test, what it recorded, its model reports, its challenge)."""
    job = CourseLayout(COURSE_ROOTS[assignment]).job(assignment=assignment, student="reference")
    result, seed = job_result(job), read_job(job).seed
    checks = registry.for_assignment(assignment)
    challenges = checks.challenges(seed)
    return {test_id: (test, evidence_reader.load(result, test_id), judging.model_reports(result, test_id, test.models),
                      challenges.get(test_id, {}))
            for test_id, test in checks.tests.items()}


def _passes(test, values, reports, challenge) -> bool:
    try:
        test.judge(Evidence("variant", values, reports), challenge)
    except Exception:  # noqa: BLE001 - judging.judge fails the test on any exception
        return False
    return True


def _with_predictions(reports, key, label, new):
    report = reports[key]
    predictions = {k: v for k, v in report.predictions.items() if k != label}
    if new is not None:
        predictions[label] = new
    return {**reports, key: ModelReport(facts=report.facts, predictions=predictions, error=report.error)}


def test_no_corrupted_evidence_passes_its_judge(graded):
    """Every value the reference recorded replaced by each corruption of tests/checks/variants.py,
    every key dropped, every prediction of its models made NaN, infinite, empty, reshaped or absent:
    each fails its test; an extra key fails nothing. (Found this way: a column of n image fingerprints
    compared with n of them broadcast to n x n, 24 GB for 04's training set, in the coordinator.)"""
    assignment, _ = graded
    passed, tried = [], 0
    for test_id, (test, values, reports, challenge) in _reference_evidence(assignment).items():
        assert _passes(test, values, reports, challenge), f"the reference fails {test_id}"
        assert _passes(test, {**values, "unexpected_extra": [1, 2, 3]}, reports, challenge), test_id
        for path, value in variants.leaves(values):
            for new in variants.corruptions(value):
                tried += 1
                if _passes(test, variants.replace(values, path, new), reports, challenge):
                    passed.append(f"{test_id} {path} = {new!r}"[:200])
        for key in values:
            tried += 1
            if _passes(test, {k: v for k, v in values.items() if k != key}, reports, challenge):
                passed.append(f"{test_id} without {key!r}")
        for key, report in reports.items():
            for label, array in report.predictions.items():
                for new in [*variants.prediction_corruptions(array), None]:
                    tried += 1
                    if _passes(test, values, _with_predictions(reports, key, label, new), challenge):
                        passed.append(f"{test_id} {key} predicting {label}: {None if new is None else new.shape}")
    assert tried > 50 and not passed, f"{len(passed)} of {tried} corrupted variants passed:\n" + "\n".join(passed)


def _numeric(value) -> bool:
    return (value is not None and not isinstance(value, (str, bool, dict))
            and np.asarray(value).dtype.kind in "iuf" and np.asarray(value).size > 0)


@st.composite
def _corrupted(draw, references):
    """One test's evidence with one value (or one model prediction) spoilt: a single NaN or infinity
    anywhere in a numeric value, a numeric value of another size, or something that is not a number."""
    test_id = draw(st.sampled_from(sorted(t for t, (_, values, _, _) in references.items() if values)), label="test")
    test, values, reports, challenge = references[test_id]
    targets = [("value", path) for path, value in variants.leaves(values)]
    targets += [("prediction", (key, label)) for key, report in reports.items() for label in report.predictions]
    kind, where = draw(st.sampled_from(targets), label="target")
    original = (reports[where[0]].predictions[where[1]] if kind == "prediction"
                else next(v for p, v in variants.leaves(values) if p == where))
    spoilers = []
    if _numeric(original):
        one_bad = np.array(original, dtype=float)
        spoilers.append(st.tuples(st.integers(0, one_bad.size - 1), st.sampled_from([np.nan, np.inf, -np.inf]))
                        .map(lambda at: np.put(one_bad, at[0], at[1]) or one_bad.copy()))
        size = np.asarray(original).size
        spoilers.append(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6))
                        .filter(lambda a: a.size != size))
    if kind == "value" and not isinstance(original, str):
        spoilers.append(st.one_of(st.text(max_size=5), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
    if kind == "value" and original is not None and not isinstance(original, bool):
        spoilers.append(st.one_of(st.none(), st.booleans()))
    new = draw(st.one_of(*spoilers), label="replacement")
    if kind == "prediction":
        return test_id, test, values, _with_predictions(reports, *where, np.asarray(new, dtype=float)), challenge, new
    return test_id, test, variants.replace(values, where, new), reports, challenge, new


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_randomly_spoilt_value_passes_its_judge(graded, data):
    assignment, _ = graded
    references = data.draw(st.just(_evidence_cache(assignment)), label="references")
    test_id, test, values, reports, challenge, new = data.draw(_corrupted(references))
    assert not _passes(test, values, reports, challenge), f"{test_id} passed with {new!r}"[:300]


_EVIDENCE_CACHE: dict[str, dict] = {}


def _evidence_cache(assignment):
    if assignment not in _EVIDENCE_CACHE:
        _EVIDENCE_CACHE[assignment] = _reference_evidence(assignment)
    return _EVIDENCE_CACHE[assignment]
