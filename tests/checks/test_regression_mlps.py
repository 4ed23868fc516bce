"""Assignment 06 checks, each shown accepting the right thing and rejecting wrong ones, in-process.

Models here are trained for a few seconds at most; the full reference recipe is graded end to end
in tests/test_assignments.py.
"""

import keras
import numpy as np
import pytest
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from autograder.checks import regression_mlps as check
from autograder.checks.keras_models import predict


@pytest.fixture(scope="module")
def split(data_root):
    return check.california_split()


def adapted(X):
    layer = keras.layers.Normalization()
    layer.adapt(X)
    return layer


def sequential(norm, hidden=(50, 50, 50), output_activation=None):
    return keras.Sequential([keras.Input((8,)), norm, *[keras.layers.Dense(u, activation="relu") for u in hidden],
                             keras.layers.Dense(1, activation=output_activation)])


def quick_fit(model, split, epochs=1, rows=2000, **fit):
    (X_train, y_train), (X_valid, y_valid), _ = split
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(3e-3), metrics=[keras.metrics.RootMeanSquaredError()])
    return model.fit(X_train[:rows], y_train[:rows], epochs=epochs, validation_data=(X_valid, y_valid), verbose=0, **fit)


def test_split_is_the_seeds_split(split):
    (X_train, _), (X_valid, _), (X_test, _) = split
    assert (len(X_train), len(X_valid), len(X_test)) == (11_610, 3_870, 5_160)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the 5-iteration leaky fit
def test_baseline_right_and_wrong(split):
    from sklearn.metrics import root_mean_squared_error

    (X_train, y_train), (X_valid, y_valid), _ = split
    baseline = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=[50, 50, 50], random_state=42))
    baseline.fit(X_train, y_train)
    honest = root_mean_squared_error(y_valid, baseline.predict(X_valid))
    check.check_baseline(baseline, honest)
    with pytest.raises(AssertionError, match="baseline_valid_rmse"):
        check.check_baseline(baseline, 0.45)
    with pytest.raises(AssertionError, match="fit the pipeline"):
        check.check_baseline(make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=[50, 50, 50], random_state=42)), honest)
    with pytest.raises(AssertionError, match="random_state=42"):
        check.check_baseline(make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=[50, 50, 50])), honest)
    with pytest.raises(AssertionError, match="three hidden layers"):
        check.check_baseline(make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=[100])), honest)
    with pytest.raises(AssertionError, match="StandardScaler"):
        check.check_baseline(make_pipeline(MLPRegressor(hidden_layer_sizes=[50, 50, 50])), honest)
    leaky = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=[50, 50, 50], random_state=42, max_iter=5)).fit(
        np.r_[X_train, X_valid], np.r_[y_train, y_valid])  # also fitted on the validation rows
    with pytest.raises(AssertionError, match="X_train"):
        check.check_baseline(leaky, root_mean_squared_error(y_valid, leaky.predict(X_valid)))


def test_normalization_must_be_adapted_on_the_training_set(split):
    (X_train, _), (X_valid, _), (X_test, _) = split
    check.check_normalization(adapted(X_train))
    for wrong in [adapted(np.r_[X_train, X_valid, X_test]), adapted(X_test), keras.layers.Normalization()]:
        with pytest.raises(AssertionError):
            check.check_normalization(wrong)
    with pytest.raises(AssertionError, match="Normalization"):
        check.check_normalization(keras.layers.BatchNormalization())


def test_sequential_architecture_right_and_wrong(split):
    (X_train, _), _, _ = split
    norm = adapted(X_train)
    check.check_sequential_model(sequential(norm), norm)
    with pytest.raises(AssertionError, match="no activation"):
        check.check_sequential_model(sequential(norm, output_activation="relu"), norm)
    with pytest.raises(AssertionError, match="three hidden"):
        check.check_sequential_model(sequential(norm, hidden=(50, 50)), norm)
    with pytest.raises(AssertionError, match="first layer"):
        check.check_sequential_model(sequential(adapted(X_train)), norm)
    unadapted = keras.layers.Normalization()
    with pytest.raises(AssertionError):
        check.check_sequential_model(sequential(unadapted), unadapted)


def test_untrained_model_fails_whatever_its_history_says(split):
    (X_train, _), _, _ = split
    model = sequential(adapted(X_train))
    model.compile(loss="mse", optimizer="adam", metrics=[keras.metrics.RootMeanSquaredError()])
    fake = type("History", (), {"history": {"val_root_mean_squared_error": [0.45]}})()
    with pytest.raises(AssertionError, match="measured by the grader"):
        check.check_trained_model(model, fake)
    model.compile(loss="mae", optimizer="adam", metrics=[keras.metrics.RootMeanSquaredError()])
    with pytest.raises(AssertionError, match="loss='mse'"):
        check.check_trained_model(model, fake)


def test_callbacks_right_and_wrong(split, tmp_path):
    (X_train, _), _, _ = split
    model = sequential(adapted(X_train))
    checkpoint = keras.callbacks.ModelCheckpoint(tmp_path / "best.keras", save_best_only=True)
    early = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    schedule = keras.callbacks.ReduceLROnPlateau(patience=1)
    board = keras.callbacks.TensorBoard(tmp_path / "logs")
    callbacks = [checkpoint, early, schedule, board]
    quick_fit(model, split, epochs=2, callbacks=callbacks)
    check.check_callbacks(callbacks, model)
    with pytest.raises(AssertionError, match="restore_best_weights"):
        check.check_callbacks([checkpoint, keras.callbacks.EarlyStopping(), schedule, board], model)
    with pytest.raises(AssertionError, match="LearningRateScheduler"):
        check.check_callbacks([checkpoint, early, board], model)
    with pytest.raises(AssertionError, match="TensorBoard"):
        check.check_callbacks([checkpoint, early, schedule], model)
    with pytest.raises(AssertionError, match="no TensorBoard event files"):
        check.check_callbacks([checkpoint, early, schedule, keras.callbacks.TensorBoard(tmp_path / "unused")], model)
    with pytest.raises(AssertionError, match="save_best_only"):
        check.check_callbacks([keras.callbacks.ModelCheckpoint(tmp_path / "x.keras"), early, schedule, board], model)
    retrained = keras.models.clone_model(model)  # same architecture, other weights than the checkpoint
    with pytest.raises(AssertionError, match="predict the same"):
        check.check_callbacks(callbacks, retrained)


def test_reported_results_must_be_the_models(split):
    (X_train, _), _, (X_test, y_test) = split
    model = sequential(adapted(X_train))
    quick_fit(model, split)
    honest = check.rmse(y_test, predict(model, X_test))
    y_new = model.predict(X_test[:3], verbose=0)
    check.check_reported_results(model, honest, y_new)
    with pytest.raises(AssertionError, match="really scores"):
        check.check_reported_results(model, 0.45, y_new)
    with pytest.raises(AssertionError, match="X_test\\[:3\\]"):
        check.check_reported_results(model, honest, y_test[:3])


def wide_and_deep(X_train, concatenate=True, units=30):
    inputs = keras.Input((8,))
    normalized = adapted(X_train)(inputs)
    hidden = keras.layers.Dense(units, activation="relu")(keras.layers.Dense(units, activation="relu")(normalized))
    joined = keras.layers.Concatenate()([normalized, hidden]) if concatenate else hidden
    return keras.Model(inputs, keras.layers.Dense(1)(joined))


def two_inputs(X_train, wide=5, deep=6):
    input_wide, input_deep = keras.Input((wide,)), keras.Input((deep,))
    hidden = keras.layers.Dense(30, activation="relu")(keras.layers.Dense(30, activation="relu")(adapted(X_train[:, 8 - deep:])(input_deep)))
    joined = keras.layers.Concatenate()([adapted(X_train[:, :wide])(input_wide), hidden])
    return keras.Model([input_wide, input_deep], keras.layers.Dense(1)(joined))


def test_functional_models_right_and_wrong(split):
    (X_train, _), _, _ = split
    check.check_wide_and_deep(wide_and_deep(X_train))
    with pytest.raises(AssertionError, match="Concatenate"):
        check.check_wide_and_deep(wide_and_deep(X_train, concatenate=False))
    with pytest.raises(AssertionError, match="30 units"):
        check.check_wide_and_deep(wide_and_deep(X_train, units=50))
    check.check_two_input_model(two_inputs(X_train))
    with pytest.raises(AssertionError, match="inputs should be"):
        check.check_two_input_model(two_inputs(X_train, wide=6, deep=5))
    with pytest.raises(AssertionError, match="2 input"):
        check.check_two_input_model(wide_and_deep(X_train))


class Subclassed(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm_wide, self.norm_deep = keras.layers.Normalization(), keras.layers.Normalization()
        self.hidden1, self.hidden2 = keras.layers.Dense(30, activation="relu"), keras.layers.Dense(30, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs):
        wide, deep = inputs
        return self.out(keras.layers.concatenate([self.norm_wide(wide), self.hidden2(self.hidden1(self.norm_deep(deep)))]))


def test_subclassed_model_must_be_a_trained_subclass(split):
    (X_train, y_train), _, _ = split
    model = Subclassed()
    model.norm_wide.adapt(X_train[:, :5])
    model.norm_deep.adapt(X_train[:, 2:])
    untrained_check = pytest.raises(AssertionError, match="barely better")
    with untrained_check:
        check.check_subclassed_model(Subclassed, model)
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(1e-3))
    model.fit((X_train[:, :5], X_train[:, 2:]), y_train, epochs=3, verbose=0)
    check.check_subclassed_model(Subclassed, model)
    with pytest.raises(AssertionError, match="implement call"):
        check.check_subclassed_model(keras.Model, two_inputs(X_train))
    with pytest.raises(AssertionError, match="subclass of keras.Model"):
        check.check_subclassed_model(lambda: model, model)
    with pytest.raises(AssertionError, match="instance of WideAndDeepModel"):
        check.check_subclassed_model(Subclassed, two_inputs(X_train))


def test_saved_copies_must_predict_like_the_original(split, tmp_path):
    (X_train, _), _, _ = split
    model = sequential(adapted(X_train))
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    restored = keras.models.clone_model(model)
    with pytest.raises(AssertionError, match="restored predicts differently"):
        check.check_saved_copies(model, reloaded, restored)  # weights not loaded yet
    restored.load_weights(tmp_path / "m.weights.h5")
    check.check_saved_copies(model, reloaded, restored)
    with pytest.raises(AssertionError, match="new model"):
        check.check_saved_copies(model, model, restored)


def test_tuner_right_and_wrong(split, tmp_path):
    import keras_tuner

    (X_train, y_train), (X_valid, y_valid), _ = split
    norm = adapted(X_train)

    def build(hp, rate_name="learning_rate"):
        model = keras.Sequential([keras.Input((8,)), norm, keras.layers.Dense(hp.Int("n_neurons", 8, 32), activation="relu"),
                                  keras.layers.Dense(1)])
        model.compile(loss="mse", optimizer=keras.optimizers.Adam(hp.Float(rate_name, 1e-3, 1e-2, sampling="log")))
        return model

    tuner = keras_tuner.RandomSearch(build, objective="val_loss", max_trials=2, seed=42, overwrite=True,
                                     directory=tmp_path, project_name="t")
    tuner.search(X_train[:300], y_train[:300], epochs=1, validation_data=(X_valid[:300], y_valid[:300]), verbose=0)
    check.check_tuner(build, tuner)
    with pytest.raises(AssertionError, match="learning_rate"):
        check.check_tuner(lambda hp: build(hp, rate_name="lr"), tuner)
    with pytest.raises(AssertionError, match="keras_tuner"):
        check.check_tuner(build, object())


def location_model(X_train, crossing=True):
    inputs = keras.Input((8,))
    latitude, longitude = keras.layers.Discretization(num_bins=10), keras.layers.Discretization(num_bins=10)
    latitude.adapt(X_train[:, 6:7])
    longitude.adapt(X_train[:, 7:8])
    parts = [adapted(X_train)(inputs)]
    if crossing:
        cell = keras.layers.HashedCrossing(num_bins=100)((latitude(inputs[:, 6:7]), longitude(inputs[:, 7:8])))
        parts.append(keras.layers.Flatten()(keras.layers.Embedding(100, 4)(cell)))
    hidden = keras.layers.Dense(16, activation="relu")(keras.layers.Concatenate()(parts) if crossing else parts[0])
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(loss="mse", optimizer="adam", metrics=[keras.metrics.RootMeanSquaredError()])
    return model


def test_location_model_needs_the_crossing_and_a_low_test_error(split):
    (X_train, _), _, _ = split
    fake = type("History", (), {"history": {"val_root_mean_squared_error": [0.45]}})()
    with pytest.raises(AssertionError, match="Discretization"):  # no binning, no crossing
        check.check_location_model(location_model(X_train, crossing=False), fake)
    # Untrained (and so far off), whatever its history claims; the passing case is the reference notebook.
    with pytest.raises(AssertionError, match="measured by the grader"):
        check.check_location_model(location_model(X_train), fake)
