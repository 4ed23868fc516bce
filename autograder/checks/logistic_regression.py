"""Hidden-test checks for assignment 03 (logistic and softmax regression as single Keras layers).

Accuracies are measured on test splits the checks load themselves, with raw features: the
notebook puts a Normalization layer inside each model, so a model is usable on its own.
Thresholds: docs/calibration.md (scripts/calibrate_02_03.py).
"""

from __future__ import annotations

import numpy as np

from .keras_models import activation_name, has_normalization, input_width, loss_name, predict, single_dense, trainable_parameters

CANCER_MIN_ACCURACY = 0.92
TWO_FEATURE_MIN_ACCURACY = 0.82
IRIS_MIN_ACCURACY = 0.85
TWO_FEATURES = ("mean radius", "mean texture")


def cancer_split():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer()
    return train_test_split(data.data, data.target, test_size=0.2, stratify=data.target, random_state=42)


def iris_split():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    data = load_iris()
    return train_test_split(data.data, data.target, test_size=0.3, stratify=data.target, random_state=42)


def _check_logistic(model, n_features: int) -> None:
    dense = single_dense(model, units=1)
    assert activation_name(dense) == "sigmoid", f"logistic regression ends in a sigmoid, found {activation_name(dense)!r}"
    assert input_width(model) == n_features, f"the model should take {n_features} raw features"
    assert trainable_parameters(model) == n_features + 1, (
        f"expected {n_features + 1} trainable parameters, found {trainable_parameters(model)}")
    assert loss_name(model) == "binary_crossentropy", f"use the log-loss (binary_crossentropy), not {loss_name(model)!r}"
    assert has_normalization(model), "put the Normalization layer inside the model"


def _accuracy_binary(model, X, y) -> float:
    proba = predict(model, X)
    assert proba.shape == (len(X), 1), f"output should have shape (n, 1), got {proba.shape}"
    assert np.all((proba >= 0) & (proba <= 1)), "outputs must be probabilities in [0, 1]"
    return float(np.mean((proba[:, 0] >= 0.5).astype(int) == y))


def check_cancer_model(cancer_model) -> None:
    X_train, X_test, y_train, y_test = cancer_split()
    _check_logistic(cancer_model, X_train.shape[1])
    accuracy = _accuracy_binary(cancer_model, X_test, y_test)
    assert accuracy >= CANCER_MIN_ACCURACY, f"held-out accuracy {accuracy:.3f} < {CANCER_MIN_ACCURACY}"


def check_predict_labels(predict_labels) -> None:
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.layers[-1].set_weights([np.array([[1.0], [-1.0]]), np.array([0.0])])
    X = np.array([[2.0, 0.0], [0.0, 2.0], [0.3, 0.0], [0.0, 0.0]])  # p = 0.88, 0.12, 0.574, 0.5
    labels = np.asarray(predict_labels(model, X))
    assert labels.shape == (4,), f"one label per row, shape (4,), got {labels.shape}"
    assert np.issubdtype(labels.dtype, np.integer), "labels should be integers (0 or 1)"
    assert labels.tolist() == [1, 0, 1, 1], "label 1 when the probability is >= 0.5"
    assert np.asarray(predict_labels(model, X, threshold=0.6)).tolist() == [1, 0, 0, 0], "honour the threshold"


def check_two_feature_model(two_feature_model) -> None:
    from sklearn.datasets import load_breast_cancer

    names = list(load_breast_cancer().feature_names)
    columns = [names.index(n) for n in TWO_FEATURES]
    X_train, X_test, y_train, y_test = cancer_split()
    _check_logistic(two_feature_model, 2)
    accuracy = _accuracy_binary(two_feature_model, X_test[:, columns], y_test)
    assert accuracy >= TWO_FEATURE_MIN_ACCURACY, f"held-out accuracy on {TWO_FEATURES} {accuracy:.3f} < {TWO_FEATURE_MIN_ACCURACY}"


def _check_softmax(model, loss: str) -> None:
    X_train, X_test, y_train, y_test = iris_split()
    dense = single_dense(model, units=3)
    assert activation_name(dense) == "softmax", f"a k-class output uses softmax, found {activation_name(dense)!r}"
    assert input_width(model) == 4 and has_normalization(model), "4 raw iris features in, Normalization inside"
    assert loss_name(model) == loss, f"this model should be compiled with {loss}, not {loss_name(model)!r}"
    proba = predict(model, X_test)
    assert proba.shape == (len(X_test), 3), f"one probability per class: shape (n, 3), got {proba.shape}"
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-5), "softmax rows must sum to 1"
    accuracy = float(np.mean(proba.argmax(axis=1) == y_test))
    assert accuracy >= IRIS_MIN_ACCURACY, f"held-out iris accuracy {accuracy:.3f} < {IRIS_MIN_ACCURACY}"


def check_softmax_sparse(model) -> None:
    _check_softmax(model, "sparse_categorical_crossentropy")


def check_softmax_onehot(model, y_train_onehot) -> None:
    _, _, y_train, _ = iris_split()
    onehot = np.asarray(y_train_onehot)
    assert onehot.shape == (len(y_train), 3), f"one-hot labels should have shape ({len(y_train)}, 3), got {onehot.shape}"
    assert np.array_equal(onehot.argmax(axis=1), y_train) and np.allclose(onehot.sum(axis=1), 1), (
        "y_train_onehot must be the one-hot coding of y_train (keras.utils.to_categorical)")
    _check_softmax(model, "categorical_crossentropy")
