"""Assignment 03 judges accept right models and reject each kind of wrong one."""

import keras
import numpy as np
import pytest

from autograder.grading.checks import logistic_regression as check

from . import harness

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A03 = "03-logistic-regression"


@pytest.fixture
def verdict(tmp_path, monkeypatch):
    return lambda test_id, **namespace: harness.judge(A03, test_id, {"np": np, "keras": keras, **namespace}, tmp_path,
                                                      monkeypatch)


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
    harness.quick_fit(model, X, y_train, epochs=30, batch_size=32, verbose=0)
    return model


def test_cancer_right_and_wrong(verdict):
    assert verdict("test-cancer-model", cancer_model=_cancer()).passed
    assert "log-loss" in verdict("test-cancer-model", cancer_model=_cancer(loss="mse")).message
    assert "sigmoid" in verdict("test-cancer-model", cancer_model=_cancer(activation=None)).message
    assert "Normalization" in verdict("test-cancer-model",
                                      cancer_model=_model(check.cancer_split()[0], normalize=False)).message
    assert "accuracy" in verdict("test-cancer-model", cancer_model=_model(check.cancer_split()[0])).message  # untrained


def _screening(model, split=check.cancer_split):
    """What exercise 2b's rule gives for *model*, counted on *split*'s held-out part."""
    _, X_valid, _, y_valid = check.cancer_validation_split()
    _, X_held, _, y_held = split()
    choices = check.screening_choices(model.predict(X_valid, verbose=0), y_valid)
    threshold = min(choices)
    missed, alarms = check.screening_mistakes(model.predict(X_held, verbose=0)[:, 0] >= threshold, y_held)
    return {"cancer_model": model, "SCREEN_THRESHOLD": threshold, "SCREEN_MISSED": missed, "SCREEN_FALSE_ALARMS": alarms}


def test_screening_right_and_wrong(verdict):
    model = _cancer()
    right = _screening(model)
    assert verdict("test-screen-threshold", **right).passed
    lowest = {**right, "SCREEN_THRESHOLD": 0.05}  # the limit ignored: 0.05 misses several malignant tumours
    assert "rule picks" in verdict("test-screen-threshold", **lowest).message
    assert "one of CANDIDATE" in verdict("test-screen-threshold", **{**right, "SCREEN_THRESHOLD": 0.42}).message
    assert "test split" in verdict("test-screen-threshold", **{**right, "SCREEN_MISSED": right["SCREEN_MISSED"] + 1}).message
    assert "test split" in verdict("test-screen-threshold",
                                   **{**right, "SCREEN_FALSE_ALARMS": right["SCREEN_FALSE_ALARMS"] + 1}).message
    # A constant model: every high threshold misses nothing, so the rule alone would accept it.
    constant = keras.Sequential([keras.Input((30,)), keras.layers.Dense(1, activation="sigmoid")])
    constant.layers[-1].set_weights([np.zeros((30, 1)), np.array([2.0])])
    assert "trained cancer_model" in verdict("test-screen-threshold", **_screening(constant)).message


def _labels(strict=False, ignore_threshold=False, keep_column=False):
    def predict_labels(model, X, threshold=0.5):
        p = model.predict(X, verbose=0)
        p = p if keep_column else p[:, 0]
        t = 0.5 if ignore_threshold else threshold
        return (p > t if strict else p >= t).astype(int)
    return predict_labels


def test_predict_labels_right_and_wrong(verdict):
    assert verdict("test-predict-labels", predict_labels=_labels()).passed
    as_list = lambda model, X, threshold=0.5: [int(p >= threshold) for p in model(np.asarray(X))[:, 0]]  # noqa: E731
    assert verdict("test-predict-labels", predict_labels=as_list).passed, "a list of ints is fine"
    assert "wrong label" in verdict("test-predict-labels", predict_labels=_labels(strict=True)).message  # p = 0.5
    assert "threshold" in verdict("test-predict-labels", predict_labels=_labels(ignore_threshold=True)).message
    assert "shape" in verdict("test-predict-labels", predict_labels=_labels(keep_column=True)).message


def _weighted(heavier_class=0):
    """One exercise 2c model per class weight, trained as the notebook trains them (the weight on *heavier_class*)."""
    X_train, _, y_train, _ = check.cancer_split()
    models = {}
    for weight in check.CLASS_WEIGHT_CANDIDATES:
        keras.utils.set_random_seed(0)
        models[weight] = model = _model(X_train)
        harness.quick_fit(model, X_train, y_train, epochs=30, batch_size=32, verbose=0,
                  class_weight={heavier_class: weight, 1 - heavier_class: 1.0})
    return models


def test_class_weight_choice_follows_the_rule_on_the_grader_s_own_measurement(verdict):
    models = _weighted()
    _, X_valid, _, y_valid = check.cancer_validation_split()
    counts = {w: check.screening_mistakes(m.predict(X_valid, verbose=0)[:, 0] >= 0.5, y_valid) for w, m in models.items()}
    allowed = check.screening_rule(counts)
    refused = [w for w in check.CLASS_WEIGHT_CANDIDATES if w not in allowed]
    assert allowed and refused, f"the test needs both a right and a wrong weight: {counts}"
    chosen = lambda weight, weighted_models=models: {  # noqa: E731
        "weighted_models": weighted_models, "CLASS_WEIGHT_CANDIDATES": check.CLASS_WEIGHT_CANDIDATES,
        "MALIGNANT_WEIGHT": weight}
    assert verdict("test-class-weight", **chosen(min(allowed))).passed
    assert verdict("test-class-weight", **chosen(int(min(allowed)))).passed, "an int weight is the same weight"
    for weight in refused:
        assert "rule picks" in verdict("test-class-weight", **chosen(weight)).message, (weight, counts)
    assert "one of CLASS_WEIGHT" in verdict("test-class-weight", **chosen(3.0)).message
    # The weight put on the benign class: the heavier weights call more tumours benign, not fewer.
    backwards = _weighted(heavier_class=1)
    assert "fewer tumours benign" in verdict("test-class-weight", **chosen(1.0, backwards)).message
    # The same unweighted model under every key: nothing moved.
    same = {w: models[1.0] for w in check.CLASS_WEIGHT_CANDIDATES}
    assert "fewer tumours benign" in verdict("test-class-weight", **chosen(1.0, same)).message
    assert "30 raw features" in verdict("test-class-weight", **chosen(min(allowed), {**models, 8.0: _cancer([0, 1])})).message


def _flipped(model):
    """The same neuron with its Dense weights negated: sigmoid(-z) = 1 - p, so every prediction turned round."""
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights()[:-2] + [-w for w in model.get_weights()[-2:]])
    twin.compile(optimizer="sgd", loss="binary_crossentropy")
    return twin


def _pairs(**kwargs):
    """One exercise 3 model per candidate pair, trained as the notebook trains it, and their validation losses."""
    _, X_valid, _, y_valid = check.cancer_validation_split()
    models = {pair: _cancer(columns=check.pair_columns(pair), **kwargs) for pair in check.TWO_FEATURE_CANDIDATES}
    losses = {pair: check.log_loss(model.predict(X_valid[:, check.pair_columns(pair)], verbose=0), y_valid)
              for pair, model in models.items()}
    return models, losses


def test_two_feature_choice_needs_every_pair_trained_and_the_lowest_validation_loss(verdict):
    models, losses = _pairs()
    ranked = sorted(losses, key=losses.get)
    assert losses[ranked[1]] - losses[ranked[0]] > check.PAIR_CHOICE_TIE, "the test needs a clear runner-up"
    chosen = lambda pair, pair_models=models: {  # noqa: E731
        "pair_models": pair_models, "TWO_FEATURE_CANDIDATES": list(check.TWO_FEATURE_CANDIDATES), "TWO_FEATURES": pair}
    assert verdict("test-two-feature-model", **chosen(ranked[0])).passed
    assert verdict("test-two-feature-model", **chosen(list(ranked[0]))).passed, "a list of two names is the same pair"
    assert "lowest validation loss" in verdict("test-two-feature-model", **chosen(ranked[1])).message
    assert "lowest validation loss" in verdict("test-two-feature-model", **chosen(ranked[-1])).message
    assert "one of the pairs" in verdict("test-two-feature-model", **chosen(("mean radius", "worst texture"))).message
    # One pair's model given the 30 features: caught by name, whichever pair was chosen.
    wrong_width = {**models, ranked[-1]: _cancer()}
    assert "2 raw features" in verdict("test-two-feature-model", **chosen(ranked[0], wrong_width)).message
    # Every model trained on flipped labels: the "best" of them is recomputed right, but it classifies nothing.
    flipped = {pair: _flipped(model) for pair, model in models.items()}
    _, X_valid, _, y_valid = check.cancer_validation_split()
    best_flipped = min(flipped, key=lambda pair: check.log_loss(
        flipped[pair].predict(X_valid[:, check.pair_columns(pair)], verbose=0), y_valid))
    assert "test tumours right" in verdict("test-two-feature-model", **chosen(best_flipped, flipped)).message


@pytest.mark.parametrize("cell_id, name", [("log-two-features", "TWO_FEATURE_CANDIDATES"),
                                           ("log-ex2c-weights", "CLASS_WEIGHT_CANDIDATES")])
def test_the_notebook_offers_the_candidates_the_judge_measures(cell_id, name):
    """The judge reads the i-th recorded model as its own i-th candidate: the given cell must list the same, in order."""
    import ast

    from autograder.notebooks import read_notebook, source_notebook

    given = next(c.source for c in read_notebook(source_notebook(A03)).cells if c.get("id") == cell_id)
    assignment = next(node for node in ast.parse(given).body if isinstance(node, ast.Assign)
                      and node.targets[0].id == name)
    offered = ast.literal_eval(assignment.value)
    assert tuple(tuple(c) if isinstance(c, (list, tuple)) else c for c in offered) == getattr(check, name)


def _iris(loss="sparse_categorical_crossentropy", activation="softmax", epochs=100):
    X_train, _, y_train, _ = check.iris_split()
    keras.utils.set_random_seed(0)
    model = _model(X_train, units=3, activation=activation, loss=loss)
    labels = keras.utils.to_categorical(y_train, 3) if loss == "categorical_crossentropy" else y_train
    harness.quick_fit(model, X_train, labels, epochs=epochs, batch_size=16, verbose=0)
    return model


def test_softmax_right_and_wrong(verdict):
    assert verdict("test-softmax-sparse", softmax_sparse=_iris()).passed
    _, _, y_train, _ = check.iris_split()
    onehot = keras.utils.to_categorical(y_train, 3)
    assert verdict("test-softmax-onehot", softmax_onehot=_iris("categorical_crossentropy"), yi_train_onehot=onehot).passed
    result = verdict("test-softmax-onehot", softmax_onehot=_iris(), yi_train_onehot=onehot)  # the sparse loss
    assert "categorical_crossentropy" in result.message
    assert "one-hot" in verdict("test-softmax-onehot", softmax_onehot=_iris("categorical_crossentropy"),
                                yi_train_onehot=np.c_[y_train, y_train, y_train]).message
    assert "softmax" in verdict("test-softmax-sparse", softmax_sparse=_iris(activation="sigmoid")).message
    assert "accuracy" in verdict("test-softmax-sparse", softmax_sparse=_iris(epochs=0)).message


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _right_gradient(z, y):
    return _softmax(z) - np.eye(z.shape[1])[y]


def _true_class_only(z, y):
    """Only the true class's derivative, the others' left at zero (the -z_y term differentiated alone, wrongly)."""
    gradient = np.zeros_like(z)
    gradient[np.arange(len(y)), y] = _softmax(z)[np.arange(len(y)), y] - 1
    return gradient


def test_softmax_gradient_right_and_wrong(verdict):
    assert verdict("test-softmax-gradient", softmax_logit_gradient=_right_gradient).passed
    # computed in float32 with Keras' own softmax, and returned as a nested list: still the right answer
    as_keras = lambda z, y: keras.ops.convert_to_numpy(  # noqa: E731
        keras.ops.softmax(keras.ops.convert_to_tensor(z, "float32")) - keras.ops.one_hot(y, z.shape[1]))
    assert verdict("test-softmax-gradient", softmax_logit_gradient=as_keras).passed
    assert verdict("test-softmax-gradient", softmax_logit_gradient=lambda z, y: _right_gradient(z, y).tolist()).passed
    for wrong, message in [(lambda z, y: -_right_gradient(z, y), "sign"),
                           (lambda z, y: _right_gradient(z, y) / len(y), "averaged"),
                           (lambda z, y: _softmax(z), "label is missing"),
                           (lambda z, y: -np.eye(z.shape[1])[y] / _softmax(z), "differentiate"),  # with respect to p
                           (_true_class_only, "differentiate"),
                           (lambda z, y: _right_gradient(z, y).T, "should have shape"),
                           (lambda z, y: _right_gradient(z, y)[:, :-1], "should have shape"),
                           (lambda z, y: _right_gradient(z[:, ::-1], y)[:, ::-1], "differentiate")]:  # classes mixed up
        result = verdict("test-softmax-gradient", softmax_logit_gradient=wrong)
        assert not result.passed and message in result.message, (message, result)
    with pytest.raises(NotImplementedError):  # the release's stub: the hidden cell fails, nothing is recorded
        verdict("test-softmax-gradient", softmax_logit_gradient=lambda z, y: (_ for _ in ()).throw(NotImplementedError()))
