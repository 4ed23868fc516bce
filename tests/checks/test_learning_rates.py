"""04 sections 4, 5 and 8 and 05 section 8 judges: the learning-rate sweep and pick, the own network's starting
rate, the hidden layers' gain, the fair optimizer comparison, and dropout on and off. Sweeps and picks are judged on plain numbers; the comparisons on models the
grader measures itself (tiny stand-ins here: the judges' thresholds on training are patched down, the
reference notebooks clear the real ones in tests/test_assignments.py)."""

import keras
import numpy as np
import pytest

from autograder.grading.checks import image_classifiers as check, learning_rates

from . import harness

A04, A05 = "04-mnist", "05-fashion-mnist"


@pytest.fixture
def verdict(tmp_path, monkeypatch):
    def judge(assignment, test_id, seed=1, **namespace):
        return harness.judge(assignment, test_id, {"np": np, "keras": keras, **namespace}, tmp_path, monkeypatch,
                             seed=seed)
    return judge


def _loss_curve(rates, lowest=0.02):
    """A fresh network's sweep: 2.3 at first, lowest at *lowest*, then steeply up."""
    x = np.log10(rates)
    return 0.35 + 1.95 / (1 + np.exp(3 * (x - np.log10(lowest) + 1))) + 40 * np.clip(x - np.log10(lowest), 0, None) ** 2


def sweep(make_optimizer, X, y, start=1e-5, stop=10.0, batches=150, batch_size=128, *, rule=4.0, rates_of=np.geomspace):
    """The sweep's control flow on a made-up loss: what the grader can check without training."""
    rates, losses = rates_of(start, stop, batches), []
    for rate, loss in zip(rates, _loss_curve(rates)):
        shot_up = bool(losses) and loss > rule * min(losses)
        losses.append(float(loss))
        if shot_up or not np.isfinite(loss):
            break
    return rates[:len(losses)], np.array(losses)


def _sweep_verdict(verdict, function=sweep, mlp_sweep=None):
    return verdict(A04, "test-lr-sweep", learning_rate_sweep=function,
                   mlp_sweep=mlp_sweep or function(None, None, None), X_train=None, y_train=None)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sweep_that_follows_the_rule_passes(verdict, seed):
    result = verdict(A04, "test-lr-sweep", seed=seed, learning_rate_sweep=sweep, mlp_sweep=sweep(None, None, None),
                     X_train=None, y_train=None)
    assert result.passed, result


def _never_stops(*args, **kwargs):
    return sweep(*args, **kwargs, rule=np.inf)


@pytest.mark.parametrize("wrong, message", [
    (_never_stops, "should stop right after"),                                   # runs to the end regardless
    (lambda *a, **k: sweep(*a, **k, rule=2.0), "stopped after"),                 # stops too early
    (lambda *a, **k: sweep(*a, **k, rates_of=np.linspace), "np.geomspace"),     # rates grow linearly
    (lambda *a, **k: sweep(*a, **{**k, "start": 1e-4}), "np.geomspace"),         # ignores the start asked for
])
def test_a_sweep_that_breaks_the_rule_fails(verdict, wrong, message):
    result = _sweep_verdict(verdict, wrong)
    assert not result.passed and message in result.message, result


def test_mnist_sweeps_must_start_from_a_fresh_network(verdict):
    rates, losses = sweep(None, None, None)
    result = _sweep_verdict(verdict, mlp_sweep=(rates, losses / 5))  # begins at 0.46: already trained
    assert not result.passed and "fresh build_mlp()" in result.message, result
    assert "equal length" in _sweep_verdict(verdict, mlp_sweep=(rates, losses[:-1])).message


def _pick(rates, losses):
    return float(rates[np.argmin(np.where(np.isfinite(losses), losses, np.inf))] / 10)


def _smoothed_pick(rates, losses):
    finite = np.where(np.isfinite(losses), losses, np.max(losses[np.isfinite(losses)]))
    return float(rates[np.argmin(np.convolve(finite, np.ones(5) / 5, mode="same"))] / 10)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_pick_learning_rate_right_ways(verdict, seed):
    for pick in (_pick, _smoothed_pick):
        result = verdict(A04, "test-pick-learning-rate", seed=seed, pick_learning_rate=pick)
        assert result.passed, result


@pytest.mark.parametrize("wrong", [
    lambda rates, losses: float(rates[np.argmin(np.where(np.isfinite(losses), losses, np.inf))]),   # no /10
    lambda rates, losses: float(rates[-1] / 2),                       # half the last rate
    lambda rates, losses: 1e-3,                                       # the visible example's answer
])
# (np.argmin without skipping nan gives the last rate / 10 when a sweep ends on nan: the visible test
# rejects it, and on sweeps that stop soon after their lowest point it is an acceptable pick anyway.)
def test_pick_learning_rate_wrong_ways(verdict, wrong):
    results = [verdict(A04, "test-pick-learning-rate", seed=seed, pick_learning_rate=wrong) for seed in (1, 2, 3)]
    assert not all(r.passed for r in results)
    assert all("pick about ten times lower" in r.message for r in results if not r.passed)


def _scheduled(rate):
    """The own network, compiled to start at *rate* under a cosine decay (only its saved configuration matters here)."""
    model = _compiled(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(rate, 1000)))
    return model


def test_own_rate_read_from_the_sweep_and_the_saved_model(verdict):
    rates, losses = sweep(None, None, None)
    lowest = float(rates[np.argmin(losses)])
    for chosen in (lowest / 4, lowest / 10, lowest / 25):
        namespace = {"own_sweep": (rates, losses), "OWN_RATE": chosen}
        assert verdict(A04, "test-own-rate", mnist_model=_scheduled(chosen), **namespace).passed
        assert verdict(A04, "test-own-rate", mnist_model=_compiled(keras.optimizers.Adam(chosen)), **namespace).passed
    steps = keras.optimizers.schedules.PiecewiseConstantDecay([500], [lowest / 4, lowest / 40])  # starts at values[0]
    assert verdict(A04, "test-own-rate", mnist_model=_compiled(keras.optimizers.Adam(steps)),
                   own_sweep=(rates, losses), OWN_RATE=lowest / 4).passed
    right = {"own_sweep": (rates, losses), "OWN_RATE": lowest / 4}
    for changes, message in [
        ({"mnist_model": _compiled("adam")}, "not at OWN_RATE"),                           # Keras' default rate
        ({"mnist_model": _scheduled(lowest / 2)}, "not at OWN_RATE"),                      # another rate compiled
        ({"OWN_RATE": lowest, "mnist_model": _scheduled(lowest)}, "lies between"),         # the lowest point itself
        ({"OWN_RATE": lowest / 100, "mnist_model": _scheduled(lowest / 100)}, "lies between"),  # far too cautious
        ({"own_sweep": (rates, losses / 5)}, "fresh ten-class network"),                   # a trained network swept
        ({"own_sweep": sweep(None, None, None, rule=np.inf)}, "should stop right after"),  # not exercise 4's sweep
    ]:
        namespace = {"mnist_model": _scheduled(lowest / 4), **right, **changes}
        result = verdict(A04, "test-own-rate", **namespace)
        assert not result.passed and message in result.message, (changes, result)


def test_hidden_layers_gain_checked_against_the_graders_measurement(verdict, data_root):
    (x_full, y_full), _ = check.MNIST.official()
    X, y = x_full[:3200] / np.float32(255), keras.utils.to_categorical(y_full[:3200], 10)
    keras.utils.set_random_seed(0)
    mlp, baseline = _mlp(), keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                              keras.layers.Dense(10, activation="softmax")])
    for model in (mlp, baseline):
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        model.fit(X, y, epochs=2, batch_size=128, verbose=0)
    x_valid = x_full[-check.VALIDATION_SIZE:] / np.float32(255)
    y_valid = keras.utils.to_categorical(y_full[-check.VALIDATION_SIZE:], 10)
    gain = mlp.evaluate(x_valid, y_valid, verbose=0)[1] - baseline.evaluate(x_valid, y_valid, verbose=0)[1]
    assert verdict(A04, "test-hidden-layers-gain", mnist_model=mlp, softmax_regression=baseline,
                   HIDDEN_LAYERS_GAIN=gain).passed
    for changes, message in [({"HIDDEN_LAYERS_GAIN": gain + 0.01}, "the grader measures"),
                             ({"HIDDEN_LAYERS_GAIN": 100 * gain}, "the grader measures"),         # in percent
                             ({"HIDDEN_LAYERS_GAIN": 0.0}, "the grader measures"),                # a patched evaluate
                             ({"softmax_regression": _mlp()}, "single Dense(10)")]:               # another baseline
        namespace = {"mnist_model": mlp, "softmax_regression": baseline, "HIDDEN_LAYERS_GAIN": gain, **changes}
        result = verdict(A04, "test-hidden-layers-gain", **namespace)
        assert not result.passed and message in result.message, (changes, result)


def test_made_up_sweeps_end_as_real_ones_do():
    rng = np.random.default_rng(0)
    sweeps = learning_rates.made_up_sweeps(rng)["sweeps"]
    endings = {("nan" if np.isnan(s["losses"][-1]) else "inf" if np.isinf(s["losses"][-1]) else "number")
               for s in sweeps}
    assert endings == {"nan", "inf", "number"}
    for s in sweeps:
        assert len(s["rates"]) == len(s["losses"]) < learning_rates.SWEEP["batches"]
        assert s["rates"][0] < learning_rates._lowest_rate(s) < s["rates"][-1]
        assert set(s) == {"rates", "losses"}, "the kernel sees the challenge: it carries no answer"


def _mlp(dropout=None):
    layers = [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(300, activation="relu")]
    layers += [keras.layers.Dropout(dropout)] if dropout is not None else []
    layers.append(keras.layers.Dense(100, activation="relu"))
    layers += [keras.layers.Dropout(dropout)] if dropout is not None else []
    return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])


def _compiled(optimizer, dropout=None, steps=0):
    model = _mlp(dropout)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if steps:
        X, y = np.zeros((32 * steps, 28, 28), np.float32), np.zeros(32 * steps, int)
        model.fit(X, y, epochs=1, batch_size=32, verbose=0)
    return model


def test_tuned_optimizers_judged_on_what_the_models_are(verdict, data_root, monkeypatch):
    monkeypatch.setattr(learning_rates, "TUNED_EPOCHS", 1)
    monkeypatch.setattr(learning_rates, "STEPS_PER_EPOCH", 2)
    monkeypatch.setattr(learning_rates, "MIN_TUNED_ACCURACY", dict.fromkeys(learning_rates.TUNED, 0.0))
    rates = {"SGD": 0.02, "RMSprop": 0.0002, "Adam": 0.002}
    models = dict(sgd_model=_compiled(keras.optimizers.SGD(rates["SGD"], momentum=0.9), steps=2),
                  rmsprop_model=_compiled(keras.optimizers.RMSprop(rates["RMSprop"]), steps=2),
                  adam_model=_compiled(keras.optimizers.Adam(rates["Adam"]), steps=2))
    history = type("History", (), {"history": {"loss": [2.3], "val_accuracy": [0.1]}})()
    two_epochs = type("History", (), {"history": {"loss": [2.3, 2.2], "val_accuracy": [0.1, 0.1]}})()
    diverged = type("History", (), {"history": {"loss": [float("nan")], "val_accuracy": [0.1]}})()
    kwargs = dict(sgd_history=history, rmsprop_history=history, adam_history=history)
    assert verdict(A04, "test-tuned-optimizers", **models, tuned_rates=rates, **kwargs).passed
    for changes, message in [
        ({"tuned_rates": {**rates, "SGD": 0.9}}, "rule of thumb gives"),                        # not from a sweep
        ({"tuned_rates": {**rates, "RMSprop": 0.01}}, "rule of thumb gives"),                   # RMSprop's default x 10
        ({"tuned_rates": {**rates, "SGD": 0.03}}, "should train at tuned_rates"),                # model at another rate
        ({"sgd_model": _compiled(keras.optimizers.Adam(0.02), steps=2)}, "keras.optimizers.SGD"),
        ({"rmsprop_model": _compiled(keras.optimizers.Adam(0.0002), steps=2)}, "keras.optimizers.RMSprop"),
        ({"adam_model": _compiled(keras.optimizers.Adam(0.002), steps=3)}, "optimizer steps"),
        ({"sgd_history": two_epochs}, "should hold 1 epochs"),
        ({"adam_history": diverged}, "nan or inf"),
        ({"rmsprop_history": diverged}, "nan or inf"),
    ]:
        namespace = {**models, "tuned_rates": rates, **kwargs, **changes}
        result = verdict(A04, "test-tuned-optimizers", **namespace)
        assert not result.passed and message in result.message, (changes, result)


def test_optimizer_gap_checked_against_the_graders_measurement(verdict, data_root):
    models = {name: _compiled("adam") for name in ("adam_model", "sgd_model", "default_sgd_model")}
    (x_full, y_full), _ = check.MNIST.official()
    x_valid, y_valid = x_full[-check.VALIDATION_SIZE:] / np.float32(255), y_full[-check.VALIDATION_SIZE:]
    accuracy = {name: float(np.mean(m.predict(x_valid, verbose=0).argmax(axis=1) == y_valid)) for name, m in models.items()}
    untuned = accuracy["adam_model"] - accuracy["default_sgd_model"]
    tuned = accuracy["adam_model"] - accuracy["sgd_model"]
    right = "B" if abs(tuned) < untuned / 2 else "A"
    wrong = "A" if right == "B" else "B"
    answers = dict(GAP_UNTUNED=untuned, GAP_TUNED=tuned, CONCLUSION=right)
    assert verdict(A04, "test-optimizer-gap", **models, **answers).passed
    for changes, message in [({"GAP_UNTUNED": untuned + 0.01}, "GAP_UNTUNED"), ({"GAP_TUNED": 100 * tuned + 1}, "GAP_TUNED"),
                             ({"CONCLUSION": wrong}, "the statement that holds"), ({"CONCLUSION": "C"}, "the statement")]:
        result = verdict(A04, "test-optimizer-gap", **models, **{**answers, **changes})
        assert not result.passed and message in result.message, (changes, result)


def test_optimizer_choice_checked_against_the_graders_measurement(verdict, data_root):
    """Three models of clearly different validation accuracy (trained 0, 3 and 30 steps): the choice is the grader's
    measurement of them, whatever the student's histories say."""
    (x_full, y_full), _ = check.MNIST.official()
    X, y = x_full[:32 * 30] / np.float32(255), y_full[:32 * 30]
    models = {}
    for name, steps in (("sgd_model", 0), ("rmsprop_model", 3), ("adam_model", 30)):
        keras.utils.set_random_seed(0)
        models[name] = _compiled(keras.optimizers.Adam(0.002))
        if steps:
            models[name].fit(X[:32 * steps], y[:32 * steps], epochs=1, batch_size=32, verbose=0)
    assert verdict(A04, "test-optimizer-choice", **models, CHOSEN_OPTIMIZER="Adam").passed
    for chosen, message in [("SGD", "choose the highest"), ("RMSprop", "choose the highest"),
                            ("adam", "should be one of"), ("Nadam", "should be one of")]:
        result = verdict(A04, "test-optimizer-choice", **models, CHOSEN_OPTIMIZER=chosen)
        assert not result.passed and message in result.message, (chosen, result)
    # A tie (the same model measured twice) accepts either name.
    tie = {**models, "rmsprop_model": models["adam_model"]}
    assert verdict(A04, "test-optimizer-choice", **tie, CHOSEN_OPTIMIZER="RMSprop").passed


def test_dropout_gap_checked_against_the_graders_measurement(verdict, data_root, monkeypatch):
    monkeypatch.setattr(check, "DROPOUT_EPOCHS", 1)
    monkeypatch.setattr(check, "SMALL_STEPS_PER_EPOCH", 2)
    monkeypatch.setattr(check, "MIN_SMALL_VALID_ACCURACY", 0.0)
    without, with_ = _compiled("adam", 0.0, steps=2), _compiled("adam", 0.3, steps=2)
    (x_full, y_full), _ = check.FASHION.official()

    def gap(model):
        small = np.mean(model.predict(x_full[:check.SMALL_TRAIN] / np.float32(255), verbose=0).argmax(1) == y_full[:check.SMALL_TRAIN])
        valid = np.mean(model.predict(x_full[-check.VALIDATION_SIZE:] / np.float32(255), verbose=0).argmax(1)
                        == y_full[-check.VALIDATION_SIZE:])
        return float(small - valid)

    gaps = {"without": gap(without), "with": gap(with_)}
    right = max(gaps, key=gaps.get)
    answers = dict(model_without=without, model_with=with_, GAPS=gaps, OVERFITS_MORE=right)
    assert verdict(A05, "test-dropout-gap", **answers).passed
    for changes, message in [
        ({"GAPS": {**gaps, "with": gaps["with"] + 0.05}}, "GAPS['with']"),
        ({"OVERFITS_MORE": "with" if right == "without" else "without"}, "OVERFITS_MORE"),
        ({"model_with": _compiled("adam", 0.5, steps=2)}, "Dropout rates"),
        ({"model_with": _compiled("adam", None, steps=2)}, "Dropout rates"),     # no Dropout layers at all
        ({"model_without": _compiled("adam", 0.0, steps=3)}, "optimizer steps"),
    ]:
        result = verdict(A05, "test-dropout-gap", **{**answers, **changes})
        assert not result.passed and message in result.message, (changes, result)


def test_decay_gap_checked_against_the_graders_measurement(verdict, data_root, monkeypatch):
    """05 exercise 7b: the weight-decay model's gap and whether it is narrower than model_without's, both measured
    by the grader; the given recipe (AdamW, weight_decay=1.0, no dropout, the steps) checked from the saved model."""
    monkeypatch.setattr(check, "DROPOUT_EPOCHS", 1)
    monkeypatch.setattr(check, "SMALL_STEPS_PER_EPOCH", 2)
    (x_full, y_full), _ = check.FASHION.official()
    X, y = x_full[:640] / np.float32(255), y_full[:640]
    keras.utils.set_random_seed(0)
    decayed, without = _compiled(keras.optimizers.AdamW(weight_decay=1.0), 0.0), _compiled("adam", 0.0)
    decayed.fit(X[:64], y[:64], epochs=1, batch_size=32, verbose=0)     # 2 steps, as the patched recipe says
    without.fit(X, y, epochs=1, batch_size=32, verbose=0)               # 20 steps: a different gap

    def gap(model):
        small = np.mean(model.predict(x_full[:check.SMALL_TRAIN] / np.float32(255), verbose=0).argmax(1) == y_full[:check.SMALL_TRAIN])
        valid = np.mean(model.predict(x_full[-check.VALIDATION_SIZE:] / np.float32(255), verbose=0).argmax(1)
                        == y_full[-check.VALIDATION_SIZE:])
        return float(small - valid)

    measured, other = gap(decayed), gap(without)
    answers = dict(model_decay=decayed, model_without=without, DECAY_GAP=measured, DECAY_NARROWS=bool(measured < other))
    assert verdict(A05, "test-decay-gap", **answers).passed
    for changes, message in [
        ({"DECAY_GAP": measured + 0.05}, "DECAY_GAP"),
        ({"DECAY_GAP": 100 * measured + 1}, "DECAY_GAP"),                                            # in percent
        ({"DECAY_NARROWS": not answers["DECAY_NARROWS"]} if abs(measured - other) > check.GAP_TOLERANCE
         else {"DECAY_GAP": 2.0}, "DECAY_"),                                                          # the wrong verdict
        ({"model_decay": _compiled("adam", 0.0, steps=2)}, "AdamW(weight_decay=1.0)"),              # no decay at all
        ({"model_decay": _compiled(keras.optimizers.AdamW(weight_decay=0.004), 0.0, steps=2)}, "AdamW(weight_decay=1.0)"),
        ({"model_decay": _compiled(keras.optimizers.AdamW(weight_decay=1.0), 0.3, steps=2)}, "no dropout"),
        ({"model_decay": _compiled(keras.optimizers.AdamW(weight_decay=1.0), 0.0, steps=3)}, "optimizer steps"),
    ]:
        result = verdict(A05, "test-decay-gap", **{**answers, **changes})
        assert not result.passed and message in result.message, (changes, result)


def test_regulariser_choice_checked_against_the_graders_measurement(verdict, data_root):
    """05 exercise 7c: three networks of clearly different validation accuracy (trained 0, 3 and 30 steps); the
    choice is the grader's measurement of them."""
    (x_full, y_full), _ = check.FASHION.official()
    X, y = x_full[:32 * 30] / np.float32(255), y_full[:32 * 30]
    models = {}
    for name, steps in (("model_without", 0), ("model_decay", 3), ("model_with", 30)):
        keras.utils.set_random_seed(0)
        models[name] = _compiled("adam", 0.0)
        if steps:
            models[name].fit(X[:32 * steps], y[:32 * steps], epochs=1, batch_size=32, verbose=0)
    assert verdict(A05, "test-regulariser-choice", **models, REGULARISER="dropout").passed
    for chosen, message in [("none", "not the network with the highest"), ("weight decay", "not the network with the highest"),
                            ("Dropout", "should be"), ("decay", "should be")]:
        result = verdict(A05, "test-regulariser-choice", **models, REGULARISER=chosen)
        assert not result.passed and message in result.message, (chosen, result)
    # A tie (the same network measured twice) accepts either name.
    tie = {**models, "model_decay": models["model_with"]}
    assert verdict(A05, "test-regulariser-choice", **tie, REGULARISER="weight decay").passed
