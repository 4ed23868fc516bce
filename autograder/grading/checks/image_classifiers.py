"""Trusted checks for assignments 04 (MNIST) and 05 (Fashion-MNIST): 784-300-100-10 MLPs.

Accuracy is never taken from the notebook: the model the hidden test saved is run by the model
sandbox on the official test images, and the grader compares its predictions with the labels it
loaded itself. Arrays are compared through random projections of their rows, drawn anew for
every grading run. Thresholds: docs/calibration.md.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from course_kernel import data

from autograder.grading.checks import learning_rates, questions
from autograder.grading.checks.base import Checks, Evidence, as_array, as_number, require
from autograder.grading.checks.keras_models import activation, has_layer, input_shapes, output_shapes, require_loss

PARAMETERS = 266_610  # 784*300+300 + 300*100+100 + 100*10+10
VALIDATION_SIZE = 5000
SMALL_TRAIN = 10_000  # 05 section 8 trains on the first 10 000 training images
TRAIN_SIZE = 60_000 - VALIDATION_SIZE
REPORT_TOLERANCE = 0.002
FINGERPRINT_TOLERANCE = 1e-3
NUMERIC_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"}


class ImageClassifierChecks(Checks):
    def __init__(self, assignment: str, dataset: str, prefix: str, min_accuracy: float):
        super().__init__(assignment, datasets=(dataset,))
        self.dataset, self.prefix, self.min_accuracy = dataset, prefix, min_accuracy
        self.inputs("test")(lambda: self.official()[1][0].astype("float32") / np.float32(255))

    def official(self):
        return _official(self.dataset)


@functools.lru_cache(maxsize=2)
def _official(dataset: str):
    """The verified data set, loaded once per grading process (the judges of one student use it often)."""
    return (data.load_mnist if dataset == "mnist" else data.load_fashion_mnist)()


MNIST = ImageClassifierChecks("04-mnist", "mnist", "mnist", min_accuracy=0.98)
MAX_OWN_PARAMETERS = 1_000_000  # exercise 6's model is the student's design, within this size
FASHION = ImageClassifierChecks("05-fashion-mnist", "fashion-mnist", "fashion", min_accuracy=0.885)


def _projection(rng: np.random.Generator) -> dict:
    return {"r": rng.normal(size=28 * 28), "r10": rng.normal(size=10)}


def _expected_rows(images: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Each image scaled to [0, 1], projected on r (in chunks: the training set is large)."""
    flat = images.reshape(len(images), -1)
    return np.concatenate([(flat[i:i + 5000] / 255.0) @ r for i in range(0, len(flat), 5000)])


def _same_images(summary: dict, images: np.ndarray, r: np.ndarray, name: str, advice: str) -> None:
    shape = _summary_shape(summary, name)
    require(shape == images.shape, f"{name} should have shape {images.shape}, got {shape}")
    require(summary.get("dtype") == "float32", f"{name} should be float32 (divide by 255.0 and astype('float32'))")
    low, high = as_number(summary.get("min"), f"{name}'s smallest value"), as_number(summary.get("max"), f"{name}'s largest value")
    require(0 <= low <= high <= 1, f"{name} should be scaled to [0, 1]")
    # Exactly one number per image: an (n, 1) column would broadcast against (n,) into n x n.
    rows = as_array(summary.get("rows"), f"{name} rows", shape=(len(images),))
    require(np.allclose(rows, _expected_rows(images, r), atol=FINGERPRINT_TOLERANCE), f"{name}: {advice}")


def _summary_shape(summary: Any, name: str) -> tuple[int, ...]:
    """The shape an array summary (course_kernel's record of a large array) reports, as whole numbers."""
    require(isinstance(summary, dict) and "shape" in summary, f"{name}: nothing was recorded")
    shape = as_array(summary["shape"], f"{name}'s shape", ndim=1)
    require(np.all(shape == np.round(shape)) and np.all(shape >= 0) and np.asarray(summary["shape"]).dtype.kind in "iu",
            f"{name}'s shape should be whole numbers")
    return tuple(int(n) for n in shape)


def _check_split(checks: ImageClassifierChecks, ev: Evidence, challenge: dict) -> None:
    (x_full, y_full), (x_test, _) = checks.official()
    r = challenge["r"]
    _same_images(ev.value("X_train"), x_full[:-VALIDATION_SIZE], r, "X_train",
                 f"X_train should be the first {TRAIN_SIZE} training images, scaled")
    _same_images(ev.value("X_valid"), x_full[-VALIDATION_SIZE:], r, "X_valid",
                 f"X_valid should be the last {VALIDATION_SIZE} training images, scaled (never test images: "
                 "the validation set decides when to stop)")
    _same_images(ev.value("X_test"), x_test, r, "X_test", "X_test must be the official test set, scaled")
    require(np.array_equal(ev.array("y_valid"), y_full[-VALIDATION_SIZE:]), "y_valid: the labels of the last 5000 training images")
    require(np.array_equal(ev.array("y_train"), y_full[:-VALIDATION_SIZE]), "y_train: the labels of the other training images")


def _check_architecture(model) -> None:
    require(input_shapes(model) == [(None, 28, 28)], f"input shape should be (None, 28, 28), got {input_shapes(model)}")
    require(output_shapes(model) == [(None, 10)], f"output shape should be (None, 10), got {output_shapes(model)}")
    require(has_layer(model, "Flatten"), "flatten the 28x28 images first")
    dense = model.dense()
    require([d.get("units") for d in dense] == [300, 100, 10],
            f"Dense layers of 300, 100 and 10 units, got {[d.get('units') for d in dense]}")
    require([activation(d) for d in dense] == ["relu", "relu", "softmax"], "relu, relu, softmax")
    require(model.facts.get("params") == PARAMETERS, f"{PARAMETERS:,} parameters expected, found {model.facts.get('params')}")


def _check_builder(ev: Evidence, name: str) -> None:
    _check_architecture(ev.model("model", f"{name}()"))
    require(ev.flag("distinct"), f"{name}() must return a new model on every call")


def _accuracy(checks: ImageClassifierChecks, model) -> float:
    (_, _), (_, y_test) = checks.official()
    proba = model.predicted("test")
    require(proba.shape == (len(y_test), 10), f"one probability per class and test image expected, got {proba.shape}")
    require(np.max(np.abs(proba.sum(axis=1) - 1)) < 1e-4, "softmax outputs must sum to 1")
    return float(np.mean(proba.argmax(axis=1) == y_test))


def _check_trained(checks: ImageClassifierChecks, ev: Evidence, history_key: str, loss: str) -> None:
    model = ev.model("model", f"{checks.prefix}_model")
    _check_architecture(model)
    require_loss(model, loss)
    ev.history(history_key, "the training history", metrics=("accuracy", "val_accuracy"))
    accuracy = _accuracy(checks, model)
    require(accuracy >= checks.min_accuracy,
            f"test accuracy measured by the grader is {accuracy:.4f}, needs {checks.min_accuracy}")


def _check_reported(checks: ImageClassifierChecks, ev: Evidence) -> None:
    """What the notebook reports must be what the model really does on the real test set."""
    (_, _), (_, y_test) = checks.official()
    measured = _accuracy(checks, ev.model("model", f"{checks.prefix}_model"))
    y_pred = ev.array("y_pred")
    require(y_pred.shape == (len(y_test),), f"y_pred: one class index per test image, shape ({len(y_test)},)")
    reported = float(np.mean(y_pred == y_test))
    require(abs(reported - measured) < REPORT_TOLERANCE,
            f"y_pred gives accuracy {reported:.4f} but the model really scores {measured:.4f}")
    test_accuracy = ev.number("test_accuracy")
    require(abs(test_accuracy - measured) < REPORT_TOLERANCE,
            f"test_accuracy = {test_accuracy:.4f} but the model really scores {measured:.4f}")


# --- 04: MNIST ----------------------------------------------------------------------------------------

MNIST.test("test-mnist-split", challenge=_projection)(lambda ev, ch: _check_split(MNIST, ev, ch))
MNIST.test("test-build-mlp", models={"model": ()})(lambda ev, ch: _check_builder(ev, "build_mlp"))


@MNIST.test("test-mnist-onehot", challenge=_projection)
def mnist_onehot(ev: Evidence, challenge: dict) -> None:
    """Each one-hot array codes the label array it was made from (whether those labels are the right
    ones is the split's test)."""
    r10 = challenge["r10"]
    _, (_, y_test) = MNIST.official()
    for name in ("train", "valid", "test"):
        labels = ev.array(f"y_{name}", ndim=1)
        require(np.array_equal(labels, np.round(labels)), f"y_{name} should hold whole digits")
        labels = labels.astype(int)
        if name == "test":  # the split's test checks the other two against the official labels
            require(np.array_equal(labels, y_test), "y_test must be the official test labels, unchanged")
        summary = ev.value(f"y_{name}_onehot")
        require(_summary_shape(summary, f"y_{name}_onehot") == (len(labels), 10),
                f"y_{name}_onehot should have shape ({len(labels)}, 10)")
        require(isinstance(summary.get("dtype"), str) and summary["dtype"] in NUMERIC_DTYPES,
                f"y_{name}_onehot should hold numbers (keras.utils.to_categorical gives floats)")
        require(labels.min() >= 0 and labels.max() <= 9, f"y_{name} should hold the digits 0-9")
        low = as_number(summary.get("min"), f"y_{name}_onehot's smallest value")
        high = as_number(summary.get("max"), f"y_{name}_onehot's largest value")
        require(low == 0 and high == 1, f"y_{name}_onehot must hold only 0s and 1s (one 1 per row)")
        rows = as_array(summary.get("rows"), f"y_{name}_onehot", shape=(len(labels),))
        require(np.allclose(rows, r10[labels], atol=1e-5), f"y_{name}_onehot must be the one-hot coding of y_{name} "
                                                           "(keras.utils.to_categorical(labels, 10))")


@MNIST.test("test-mnist-model", models={"model": ("test",)})
def mnist_own_model(ev: Evidence, challenge: dict) -> None:
    """Any architecture: only the size, the interface and the accuracy the grader measures count."""
    model = ev.model("model", "mnist_model")
    require(input_shapes(model) == [(None, 28, 28)], f"mnist_model should take the 28x28 images as they are (input "
                                                     f"shape (None, 28, 28)), got {input_shapes(model)}")
    require(output_shapes(model) == [(None, 10)], f"mnist_model should output 10 probabilities, got {output_shapes(model)}")
    params = model.facts.get("params")
    require(isinstance(params, int) and params <= MAX_OWN_PARAMETERS,
            f"mnist_model has {params:,} parameters; at most {MAX_OWN_PARAMETERS:,} allowed" if isinstance(params, int)
            else "the grader could not count mnist_model's parameters")
    require_loss(model, "categorical_crossentropy")
    ev.history("history", "the training history", metrics=("accuracy", "val_accuracy"))
    accuracy = _accuracy(MNIST, model)
    require(accuracy >= MNIST.min_accuracy,
            f"test accuracy measured by the grader is {accuracy:.4f}, needs {MNIST.min_accuracy}")
MNIST.test("test-mnist-results", models={"model": ("test",)})(lambda ev, ch: _check_reported(MNIST, ev))


# --- 05: Fashion-MNIST --------------------------------------------------------------------------------

FASHION.test("test-fashion-split", challenge=_projection)(lambda ev, ch: _check_split(FASHION, ev, ch))
FASHION.test("test-build-fashion-mlp", models={"model": ()})(lambda ev, ch: _check_builder(ev, "build_fashion_mlp"))

FIRST_EPOCHS, TOTAL_EPOCHS, STEPS_PER_EPOCH = 15, 20, 430  # batches of 128 of 55 000 images


@FASHION.test("test-fashion-model", models={"model": ("test",)})
def fashion_model(ev: Evidence, challenge: dict) -> None:
    """Two fit calls on one model: the second picks up where the first stopped; then the accuracy."""
    first = len(ev.history("history_1", "history_1.history", metrics=("loss", "accuracy", "val_accuracy"))["loss"])
    second = len(ev.history("history_2", "history_2.history", metrics=("loss", "accuracy", "val_accuracy"))["loss"])
    require(first == FIRST_EPOCHS, f"the first fit should run {FIRST_EPOCHS} epochs, ran {first}")
    require(second == TOTAL_EPOCHS - FIRST_EPOCHS, f"the second fit should run epochs {FIRST_EPOCHS + 1}-{TOTAL_EPOCHS}")
    steps = ev.model("model", "fashion_model").facts.get("optimizer_iterations")
    require(steps == TOTAL_EPOCHS * STEPS_PER_EPOCH,
            f"the optimizer took {steps} steps; {TOTAL_EPOCHS} epochs of {STEPS_PER_EPOCH} batches expected "
            "(was the model rebuilt or recompiled between the two fits?)")
    _check_trained(FASHION, ev, "history_2", "sparse_categorical_crossentropy")


FASHION.test("test-fashion-results", models={"model": ("test",)})(lambda ev, ch: _check_reported(FASHION, ev))


MNIST.test("test-dense-parameters", challenge=questions.layer_sizes)(questions.dense_parameters)
MNIST.test("test-init-scales", challenge=questions.fan_sizes)(questions.init_scales)


# --- 04, sections 4, 5 and 8: learning-rate sweeps, the own network's rate, a fair optimizer comparison -------

MNIST.inputs("valid")(lambda: MNIST.official()[0][0][-VALIDATION_SIZE:].astype("float32") / np.float32(255))


def _accuracy_on(checks: ImageClassifierChecks, model, part: str) -> float:
    """Accuracy on a slice of the official training images: "valid" (the last 5 000) or "small" (the first 10 000)."""
    _, y_full = checks.official()[0]
    labels = y_full[-VALIDATION_SIZE:] if part == "valid" else y_full[:SMALL_TRAIN]
    proba = model.predicted(part)
    require(proba.shape == (len(labels), 10), f"one probability per class and image expected, got {proba.shape}")
    return float(np.mean(proba.argmax(axis=1) == labels))


MNIST.test("test-lr-sweep", challenge=learning_rates.sweep_parameters)(learning_rates.lr_sweep)
MNIST.test("test-pick-learning-rate", challenge=learning_rates.made_up_sweeps)(learning_rates.pick_learning_rate)
MNIST.test("test-own-rate", models={"model": ()})(learning_rates.own_rate)


# 04 exercise 6c: what the hidden layers buy, measured against a softmax regression on the same images.
BASELINE_PARAMETERS = 28 * 28 * 10 + 10


@MNIST.test("test-hidden-layers-gain", models={"model": ("valid",), "baseline": ("valid",)})
def hidden_layers_gain(ev: Evidence, challenge: dict) -> None:
    baseline = ev.model("baseline", "softmax_regression")
    require(baseline.facts.get("params") == BASELINE_PARAMETERS,
            f"softmax_regression should be the given single Dense(10) layer ({BASELINE_PARAMETERS} parameters), has "
            f"{baseline.facts.get('params')!r}")
    truth = _accuracy_on(MNIST, ev.model("model", "mnist_model"), "valid") - _accuracy_on(MNIST, baseline, "valid")
    stated = ev.number("gain", "HIDDEN_LAYERS_GAIN")
    require(abs(stated - truth) <= REPORT_TOLERANCE,
            f"HIDDEN_LAYERS_GAIN = {stated:+.4f}, but the grader measures {truth:+.4f} on the validation set (mnist_model's "
            "accuracy minus softmax_regression's, as fractions)")
MNIST.test("test-tuned-optimizers", models={f"{name.lower()}_model": ("test",) for name in learning_rates.TUNED})(
    lambda ev, ch: learning_rates.tuned_optimizers(ev, ch, _check_architecture, lambda model: _accuracy(MNIST, model)))
MNIST.test("test-optimizer-choice", models={f"{name.lower()}_model": ("valid",) for name in learning_rates.TUNED})(
    lambda ev, ch: learning_rates.optimizer_choice(ev, ch, lambda model: _accuracy_on(MNIST, model, "valid")))
MNIST.test("test-optimizer-gap", models={key: ("valid",) for key in ("adam_model", "sgd_model", "default_sgd_model")})(
    lambda ev, ch: learning_rates.optimizer_gap(ev, ch, lambda model: _accuracy_on(MNIST, model, "valid")))
FASHION.test("test-output-layers")(questions.output_layers)
FASHION.test("test-learning-curves")(questions.learning_curves)


# --- 05, exercise 5b: a trained two-tag (multilabel) head ----------------------------------------------

TAG_CLASSES = {"top": (0, 2, 4, 6), "warm": (2, 4, 9)}  # T-shirt/top, pullover, coat, shirt; pullover, coat, ankle boot
# Per tag, on the official test images: the reference (one hidden layer of 100, 10 epochs on 10 000 images) reaches
# top 0.959-0.962, warm 0.922-0.929 over 5 seeds; a softmax head at most 0.82 and 0.61; answering "no" always 0.60, 0.70.
MIN_TAG_ACCURACY = {"top": 0.93, "warm": 0.89}


def fashion_tags(labels: np.ndarray) -> np.ndarray:
    """(n, 2) booleans: whether each image is a top, and whether it is warm, from its class."""
    return np.stack([np.isin(labels, classes) for classes in TAG_CLASSES.values()], axis=1)


@FASHION.test("test-tag-model", models={"model": ("test",)})
def tag_model(ev: Evidence, challenge: dict) -> None:
    (_, y_full), (_, y_test) = FASHION.official()
    tags = ev.array("tags", shape=(SMALL_TRAIN, 2), what="tags_small")
    wrong = int(np.sum(np.any(tags != fashion_tags(y_full[:SMALL_TRAIN]), axis=1)))
    require(wrong == 0, f"tags_small: {wrong} of its {SMALL_TRAIN} rows are not [top, warm] for their image's class "
                        "(1 where the tag applies, 0 where not, the columns in that order)")
    proba = ev.model("model", "tag_model").predicted("test")
    require(proba.shape == (len(y_test), 2), f"tag_model should give 2 numbers per test image, gave shape {proba.shape}")
    require(np.all((proba >= 0) & (proba <= 1)), "tag_model's outputs should be probabilities, between 0 and 1")
    truth = fashion_tags(y_test)
    for column, (tag, floor) in enumerate(MIN_TAG_ACCURACY.items()):
        right = float(np.mean((proba[:, column] >= 0.5) == truth[:, column]))
        require(right >= floor, f"tag_model gets the {tag!r} tag right on {right:.3f} of the test images (measured by the "
                                f"grader), needs {floor}: an output layer and loss for labels of which any number can "
                                "apply, and enough training")


# --- 05, section 8: dropout on and off ----------------------------------------------------------------

DROPOUT_EPOCHS, SMALL_STEPS_PER_EPOCH = 20, 79  # batches of 128 of 10 000 images
DROPOUT_RATES = {"without": 0.0, "with": 0.3}
MIN_SMALL_VALID_ACCURACY = 0.82  # calibrated: docs/calibration.md
GAP_TOLERANCE = 0.002

FASHION.inputs("small")(lambda: FASHION.official()[0][0][:SMALL_TRAIN].astype("float32") / np.float32(255))
FASHION.inputs("valid")(lambda: FASHION.official()[0][0][-VALIDATION_SIZE:].astype("float32") / np.float32(255))


@FASHION.test("test-dropout-gap", models={"model_without": ("small", "valid"), "model_with": ("small", "valid")})
def dropout_gap(ev: Evidence, challenge: dict) -> None:
    """The gaps are the grader's measurement of the two recorded models; the student's must agree with it."""
    gaps = ev.mapping("gaps", "GAPS")
    measured = {}
    for name, rate in DROPOUT_RATES.items():
        model = ev.model(f"model_{name}")
        require(model.facts.get("params") == PARAMETERS, f"model_{name} should be build_fashion_mlp({rate}), "
                                                         f"with {PARAMETERS:,} parameters")
        rates = [layer.get("rate") for layer in model.layers() if layer.get("class") == "Dropout"]
        require(all(isinstance(r, (int, float)) and abs(r - rate) < 1e-9 for r in rates) and (rate == 0 or len(rates) == 2),
                f"model_{name} should be build_fashion_mlp({rate}): its Dropout rates are {rates}")
        steps = model.facts.get("optimizer_iterations")
        require(steps == DROPOUT_EPOCHS * SMALL_STEPS_PER_EPOCH,
                f"model_{name} took {steps} optimizer steps; {DROPOUT_EPOCHS} epochs of batches of 128 on the first "
                f"{SMALL_TRAIN:,} training images are {DROPOUT_EPOCHS * SMALL_STEPS_PER_EPOCH}")
        train, valid = _accuracy_on(FASHION, model, "small"), _accuracy_on(FASHION, model, "valid")
        require(valid >= MIN_SMALL_VALID_ACCURACY,
                f"model_{name} reaches {valid:.4f} on the validation set; trained as asked it gets at least "
                f"{MIN_SMALL_VALID_ACCURACY}")
        measured[name] = train - valid
        stated = gaps.get(name)
        require(isinstance(stated, (int, float)) and abs(stated - measured[name]) <= GAP_TOLERANCE,
                f"GAPS[{name!r}] = {stated!r}, but the grader measures {measured[name]:+.4f} (accuracy on X_small "
                "minus accuracy on X_valid, with evaluate)")
    right = max(measured, key=measured.get)
    require(ev.text("overfits_more") == right, f"OVERFITS_MORE: the measured gaps say {right!r}")


# 05 exercise 7b: weight decay instead of dropout (AdamW, given), its gap stated and compared. Calibration: with
# weight_decay=1.0 the gap was 0.041-0.050 against 0.063-0.078 without either, validation 0.855-0.861 (3 seeds).
# The verdict is judged on the grader's own two measurements, so it is right whichever way a run comes out.
DECAY = 1.0


def _small_gap(model) -> float:
    return _accuracy_on(FASHION, model, "small") - _accuracy_on(FASHION, model, "valid")


@FASHION.test("test-decay-gap", models={"model_decay": ("small", "valid"), "model_without": ("small", "valid")})
def decay_gap(ev: Evidence, challenge: dict) -> None:
    """The gap of the given weight-decay model and its comparison with the student's model_without, both measured here."""
    decayed = ev.model("model_decay")
    require(decayed.facts.get("params") == PARAMETERS and not any(layer.get("class") == "Dropout" and layer.get("rate")
                                                                     for layer in decayed.layers()),
            f"model_decay should be the given build_fashion_mlp(0.0), with {PARAMETERS:,} parameters and no dropout")
    require(decayed.facts.get("optimizer") == "AdamW" and decayed.facts.get("weight_decay") == DECAY,
            f"model_decay should be trained as the given cell does, with AdamW(weight_decay={DECAY})")
    steps = decayed.facts.get("optimizer_iterations")
    require(steps == DROPOUT_EPOCHS * SMALL_STEPS_PER_EPOCH,
            f"model_decay took {steps} optimizer steps; the given cell's {DROPOUT_EPOCHS} epochs take "
            f"{DROPOUT_EPOCHS * SMALL_STEPS_PER_EPOCH}")
    measured = _small_gap(decayed)
    stated = ev.number("gap", "DECAY_GAP")
    require(abs(stated - measured) <= GAP_TOLERANCE,
            f"DECAY_GAP = {stated:+.4f}, but the grader measures {measured:+.4f} (accuracy on X_small minus accuracy on "
            "X_valid, with evaluate)")
    without = _small_gap(ev.model("model_without"))
    narrows = ev.flag("narrows")
    require(abs(measured - without) <= GAP_TOLERANCE or narrows == (measured < without),
            f"DECAY_NARROWS: the grader measures a gap of {measured:+.4f} with weight decay and {without:+.4f} for "
            "model_without")


# 05 exercise 7c: the network to keep, among the section's three, on the grader's validation accuracy.
REGULARISER_TIE = 0.002  # within this of the best (10 of 5 000 validation images), any is an honest choice
# REGULARISER's answers -> (the key the hidden test records the network under, the student's variable)
REGULARISED = {"none": ("none", "model_without"), "dropout": ("dropout", "model_with"),
               "weight decay": ("decay", "model_decay")}


@FASHION.test("test-regulariser-choice", models={key: ("valid",) for key, _ in REGULARISED.values()})
def regulariser_choice(ev: Evidence, challenge: dict) -> None:
    measured = {name: _accuracy_on(FASHION, ev.model(key, variable), "valid") for name, (key, variable) in REGULARISED.items()}
    choice = ev.text("choice")
    require(choice in measured, 'REGULARISER should be "none", "dropout" or "weight decay"')
    require(measured[choice] >= max(measured.values()) - REGULARISER_TIE,
            "REGULARISER is not the network with the highest validation accuracy (the grader measures "
            + ", ".join(f"{name} {value:.4f}" for name, value in measured.items()) + ")")
