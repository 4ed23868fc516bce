"""Assignment 03 checks accept right models and reject each kind of wrong one."""

import keras
import numpy as np
import pytest

from autograder.checks import logistic_regression as check


def _model(X, units=1, activation="sigmoid", loss="binary_crossentropy", normalize=True):
    layers = [keras.Input((X.shape[1],))]
    if normalize:
        norm = keras.layers.Normalization()
        norm.adapt(X)
        layers.append(norm)
    model = keras.Sequential(layers + [keras.layers.Dense(units, activation=activation)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1 if units == 1 else 0.3), loss=loss)
    return model


def _cancer(columns=None, **kwargs):
    X_train, _, y_train, _ = check.cancer_split()
    X = X_train if columns is None else X_train[:, columns]
    keras.utils.set_random_seed(0)
    model = _model(X, **kwargs)
    model.fit(X, y_train, epochs=30, batch_size=32, verbose=0)
    return model


TWO = [0, 1]  # mean radius, mean texture


def test_cancer_right_and_wrong():
    check.check_cancer_model(_cancer())
    with pytest.raises(AssertionError, match="log-loss"):
        check.check_cancer_model(_cancer(loss="mse"))
    with pytest.raises(AssertionError, match="sigmoid"):
        check.check_cancer_model(_cancer(activation=None))
    with pytest.raises(AssertionError, match="Normalization"):
        check.check_cancer_model(_model(check.cancer_split()[0], normalize=False))
    with pytest.raises(AssertionError, match="accuracy"):
        check.check_cancer_model(_model(check.cancer_split()[0]))  # never trained


def test_predict_labels_right_and_wrong():
    check.check_predict_labels(lambda m, X, threshold=0.5: (m.predict(X, verbose=0)[:, 0] >= threshold).astype(int))
    with pytest.raises(AssertionError, match=">= 0.5"):
        check.check_predict_labels(lambda m, X, threshold=0.5: (m.predict(X, verbose=0)[:, 0] > threshold).astype(int))
    with pytest.raises(AssertionError, match="threshold"):
        check.check_predict_labels(lambda m, X, threshold=0.5: (m.predict(X, verbose=0)[:, 0] >= 0.5).astype(int))
    with pytest.raises(AssertionError, match="shape"):
        check.check_predict_labels(lambda m, X, threshold=0.5: (m.predict(X, verbose=0) >= threshold).astype(int))


def test_two_feature_right_and_wrong():
    check.check_two_feature_model(_cancer(columns=TWO))
    with pytest.raises(AssertionError, match="2 raw features"):
        check.check_two_feature_model(_cancer())


def _iris(loss="sparse_categorical_crossentropy", activation="softmax", epochs=100):
    X_train, _, y_train, _ = check.iris_split()
    keras.utils.set_random_seed(0)
    model = _model(X_train, units=3, activation=activation, loss=loss)
    labels = keras.utils.to_categorical(y_train, 3) if loss == "categorical_crossentropy" else y_train
    model.fit(X_train, labels, epochs=epochs, batch_size=16, verbose=0)
    return model


def test_softmax_right_and_wrong():
    check.check_softmax_sparse(_iris())
    _, _, y_train, _ = check.iris_split()
    onehot = keras.utils.to_categorical(y_train, 3)
    check.check_softmax_onehot(_iris("categorical_crossentropy"), onehot)
    with pytest.raises(AssertionError, match="categorical_crossentropy"):
        check.check_softmax_onehot(_iris(), onehot)  # trained on integers with the sparse loss
    with pytest.raises(AssertionError, match="one-hot"):
        check.check_softmax_onehot(_iris("categorical_crossentropy"), y_train)
    with pytest.raises(AssertionError, match="softmax"):
        check.check_softmax_sparse(_iris(activation="sigmoid"))
    with pytest.raises(AssertionError, match="accuracy"):
        check.check_softmax_sparse(_iris(epochs=0))
