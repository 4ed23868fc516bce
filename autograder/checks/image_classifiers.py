"""Hidden-test checks for assignments 04 (MNIST) and 05 (Fashion-MNIST): 784-300-100-10 MLPs.

Accuracy is never taken from the notebook: the model is saved and evaluated in a clean process
on the official test set loaded by the grader (``isolated.evaluate_saved_model``). Data are
compared with the grader's own verified copy. Thresholds: docs/calibration.md.
"""

from __future__ import annotations

import numpy as np

from .isolated import evaluate_saved_model
from .keras_models import activation_name, dense_layers, loss_name

PARAMETERS = 266_610  # 784*300+300 + 300*100+100 + 100*10+10
MIN_TEST_ACCURACY = {"mnist": 0.975, "fashion_mnist": 0.885}
VALIDATION_SIZE = 5000


def official(dataset: str):
    from autograder import data

    return {"mnist": data.load_mnist, "fashion_mnist": data.load_fashion_mnist}[dataset]()


def check_split(dataset: str, X_train, X_valid, X_test, y_train, y_valid) -> None:
    (x_full, y_full), (x_test, _) = official(dataset)
    for name, array in [("X_train", X_train), ("X_valid", X_valid), ("X_test", X_test)]:
        array = np.asarray(array)
        assert array.dtype == np.float32, f"{name} should be float32 (divide by 255.0 and astype('float32'))"
        assert array.min() >= 0 and array.max() <= 1, f"{name} should be scaled to [0, 1]"
    assert np.shape(X_valid) == (VALIDATION_SIZE, 28, 28), f"X_valid: the last {VALIDATION_SIZE} training images"
    assert np.shape(X_train) == (len(x_full) - VALIDATION_SIZE, 28, 28), "X_train: the other training images"
    assert np.allclose(X_valid, x_full[-VALIDATION_SIZE:] / 255.0), "X_valid must be the last 5000 training images"
    assert np.array_equal(y_valid, y_full[-VALIDATION_SIZE:]) and np.array_equal(y_train, y_full[:-VALIDATION_SIZE])
    assert np.allclose(X_test, x_test / 255.0), "X_test must be the official test set, scaled"
    # The validation set must share no image with the test set (it is used to choose when to stop).
    test_rows = {row.tobytes() for row in x_test.reshape(len(x_test), -1)}
    valid_bytes = (np.rint(np.asarray(X_valid) * 255)).astype(np.uint8).reshape(VALIDATION_SIZE, -1)
    shared = sum(row.tobytes() in test_rows for row in valid_bytes)
    assert shared == 0, f"{shared} validation images are also test images"


def check_architecture(model) -> None:
    import keras

    assert tuple(model.inputs[0].shape) == (None, 28, 28), f"input shape should be (None, 28, 28), got {model.inputs[0].shape}"
    assert tuple(model.outputs[0].shape) == (None, 10), f"output shape should be (None, 10), got {model.outputs[0].shape}"
    assert any(isinstance(layer, keras.layers.Flatten) for layer in model.layers), "flatten the 28x28 images first"
    dense = dense_layers(model)
    assert [d.units for d in dense] == [300, 100, 10], f"Dense layers of 300, 100 and 10 units, got {[d.units for d in dense]}"
    assert [activation_name(d) for d in dense] == ["relu", "relu", "softmax"], "relu, relu, softmax"
    assert model.count_params() == PARAMETERS, f"{PARAMETERS:,} parameters expected, found {model.count_params():,}"


def check_builder(build) -> None:
    first, second = build(), build()
    check_architecture(first)
    assert first is not second, "build_mlp() must return a new model on every call"


def check_trained_model(dataset: str, model, history, loss: str) -> None:
    check_architecture(model)
    assert loss_name(model) == loss, f"compile with {loss}, not {loss_name(model)!r}"
    logs = getattr(history, "history", {})
    assert "val_accuracy" in logs and "accuracy" in logs, "train with validation data and metrics=['accuracy']"
    facts = evaluate_saved_model(model, dataset)
    assert facts["parameters"] == PARAMETERS and facts["output_shape"] == [10000, 10], facts
    assert facts["max_row_sum_error"] < 1e-4, "softmax outputs must sum to 1"
    threshold = MIN_TEST_ACCURACY[dataset]
    assert facts["accuracy"] >= threshold, (
        f"test accuracy measured by the grader is {facts['accuracy']:.4f}, needs {threshold}")


def check_reported_results(dataset: str, model, test_accuracy, y_pred) -> None:
    """What the notebook reports must be what the model really does on the real test set."""
    (_, _), (_, y_test) = official(dataset)
    facts = evaluate_saved_model(model, dataset)
    assert np.shape(y_pred) == (len(y_test),), f"y_pred: one class index per test image, shape ({len(y_test)},)"
    reported = float(np.mean(np.asarray(y_pred) == y_test))
    assert abs(reported - facts["accuracy"]) < 0.002, (
        f"y_pred gives accuracy {reported:.4f} but the model really scores {facts['accuracy']:.4f}")
    assert abs(float(test_accuracy) - facts["accuracy"]) < 0.002, (
        f"test_accuracy = {float(test_accuracy):.4f} but the model really scores {facts['accuracy']:.4f}")


def check_continued_training(model, first_history, second_history, first_epochs: int, total_epochs: int,
                             steps_per_epoch: int) -> None:
    """Two fit calls on one model: the second picks up where the first stopped."""
    first = len(getattr(first_history, "history", {}).get("loss", []))
    second = len(getattr(second_history, "history", {}).get("loss", []))
    assert first == first_epochs, f"the first fit should run {first_epochs} epochs, ran {first}"
    assert second == total_epochs - first_epochs, f"the second fit should run epochs {first_epochs + 1}-{total_epochs}"
    steps = int(np.asarray(model.optimizer.iterations))
    assert steps == total_epochs * steps_per_epoch, (
        f"the optimizer took {steps} steps; {total_epochs} epochs of {steps_per_epoch} batches expected "
        "(was the model rebuilt or recompiled between the two fits?)")
