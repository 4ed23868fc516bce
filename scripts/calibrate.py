"""Measure, over several seeds, every quantity a hidden test puts a threshold on.

    .venv/bin/python scripts/calibrate.py [ASSIGNMENT ...] [--seeds N]

For Keras assignments the solution notebook's own code cells run (test cells skipped) once per
seed, so the numbers are those of the exact recipe students are given. The backend is reseeded
before every answer cell, and every cell's own `set_random_seed(42)` (answers and demos alike, such
as 04's learning-rate sweeps) takes this run's seed instead, so each run draws new weights. Results go to docs/calibration.md by hand.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from autograder.notebooks import nbgrader_meta, read_notebook, solution_answers, source_notebook


def predict(model, X) -> np.ndarray:
    """A Keras model of the notebook's own namespace, on inputs X (in this process, not the model sandbox)."""
    return np.asarray(model.predict(X, batch_size=1024, verbose=0))


def run_notebook(assignment: str, seed: int) -> dict:
    """Execute the reference notebook's code cells in one namespace; return the namespace."""
    answers = solution_answers(assignment)
    namespace = {"display": lambda *args: None, "_seed": seed}
    for index, cell in enumerate(c for c in read_notebook(source_notebook(assignment)).cells if c.cell_type == "code"):
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            continue
        source = answers.get(meta.get("grade_id"), cell.source)
        run_seed = 1000 * seed + index
        if meta.get("grade_id") in answers:
            namespace["keras"].utils.set_random_seed(run_seed)
        # Cells that fix their own seed (answers, and demos such as 04's sweeps) get this run's seed instead.
        source = source.replace("keras.utils.set_random_seed(42)", f"keras.utils.set_random_seed({run_seed})")
        exec(source, namespace)
    return namespace


def a01(seeds: int) -> None:
    from sklearn.linear_model import Perceptron

    from autograder.grading.checks import perceptrons as check

    namespace = {"np": np}
    exec(solution_answers("01-perceptrons")["ex3-perceptron-rule"], namespace)
    train = namespace["train_perceptron"]
    for rate in (0.1, 0.5, 1.0, 2.0):
        epochs = {g: len(train(*check.truth_table(g), learning_rate=rate, max_epochs=100)[2]) for g in ("AND", "OR", "NAND")}
        print(f"  epochs to converge, learning_rate={rate}: {epochs} (limit {check.MAX_EPOCHS_AND_OR})")
    xor = train(*check.truth_table("XOR"), learning_rate=1.0, max_epochs=1000)[2]
    print(f"  XOR, fewest mistakes in 1000 epochs: {min(xor)}")
    X, y = check.iris_petals_setosa()
    scores = [Perceptron(random_state=s).fit(X, y).score(X, y) for s in range(seeds)]
    print(f"  iris accuracy, random_state 0..{seeds - 1}: min {min(scores):.3f} max {max(scores):.3f}"
          f" (threshold {check.IRIS_MIN_ACCURACY})")


def a02(ns: dict) -> dict:
    from sklearn.linear_model import LinearRegression

    from autograder.grading.checks import linear_regression as check

    X, y = check.line_data()
    intercept, slope = check.closed_form(X, y)
    w, b = next(layer for layer in ns["line_model"].layers if type(layer).__name__ == "Dense").get_weights()
    X_train, X_test, y_train, y_test = check.diabetes_split()
    mse = np.mean((predict(ns["diabetes_model"], X_test)[:, 0] - y_test) ** 2)
    reference = np.mean((LinearRegression().fit(X_train, y_train).predict(X_test) - y_test) ** 2)
    return {
        f"|slope error| (<= {check.WEIGHT_TOLERANCE})": abs(float(w.ravel()[0]) - slope),
        f"|intercept error| (<= {check.WEIGHT_TOLERANCE})": abs(float(b[0]) - intercept),
        f"line loss / optimum (<= {check.LINE_LOSS_RATIO})": ns["line_history"].history["loss"][-1] / check.least_squares_mse(X, y),
        f"diabetes test MSE / least squares (<= {check.DIABETES_MSE_RATIO})": mse / reference,
    }


def a02_learning_rates() -> None:
    from autograder.grading.checks import linear_regression as check

    X, y = check.line_data()
    optimum = check.least_squares_mse(X, y)
    for rate in (0.005, 0.02, 0.1, 0.2, 0.3, 0.45, 0.5, 0.6):  # the judge's own full-batch run: no seed in it
        print(f"  full-batch lr {rate}: final loss / optimum {check.full_batch_losses(rate)[-1] / optimum:.3g}")


def a03(ns: dict) -> dict:
    from autograder.grading.checks import logistic_regression as check

    _, X_test, _, y_test = check.cancer_split()
    _, X_valid, _, y_valid = check.cancer_validation_split()
    _, Xi_test, _, yi_test = check.iris_split()
    accuracy = lambda model, X, y: float(np.mean((predict(model, X)[:, 0] >= 0.5) == y))  # noqa: E731
    return {
        f"cancer accuracy (>= {check.CANCER_MIN_ACCURACY})": accuracy(ns["cancer_model"], X_test, y_test),
        # Exercise 3: the pair chosen on validation, its test accuracy, and every pair's validation loss.
        "two features chosen": " + ".join(ns["TWO_FEATURES"]),
        f"chosen pair's test accuracy (>= {check.CHOSEN_PAIR_MIN_ACCURACY})": accuracy(
            ns["two_feature_model"], X_test[:, check.pair_columns(tuple(ns["TWO_FEATURES"]))], y_test),
        **{f"validation loss, {' + '.join(pair)}": check.log_loss(
            predict(ns["pair_models"][pair], X_valid[:, check.pair_columns(pair)]), y_valid)
           for pair in check.TWO_FEATURE_CANDIDATES},
        f"iris sparse accuracy (>= {check.IRIS_MIN_ACCURACY})": float(np.mean(predict(ns["softmax_sparse"], Xi_test).argmax(1) == yi_test)),
        f"iris one-hot accuracy (>= {check.IRIS_MIN_ACCURACY})": float(np.mean(predict(ns["softmax_onehot"], Xi_test).argmax(1) == yi_test)),
        # Exercise 2b: what the rule picks on validation (several candidates may tie), and what it does on test.
        "screening threshold (the notebook's pick)": ns["SCREEN_THRESHOLD"],
        "screening choices the rule allows": len(check.screening_choices(predict(ns["cancer_model"], X_valid), y_valid)),
        "test: malignant called benign": ns["SCREEN_MISSED"],
        "test: false alarms": ns["SCREEN_FALSE_ALARMS"],
        "validation: malignant called benign at 0.05": check.screening_mistakes(predict(ns["cancer_model"], X_valid)[:, 0] >= 0.05, y_valid)[0],
        **_a03_class_weights(ns, check, X_valid, y_valid, X_test, y_test),
    }


def _a03_class_weights(ns: dict, check, X_valid, y_valid, X_test, y_test) -> dict:
    """Exercise 2c: the weight chosen, each weight's mean validation P(benign) and (missed, false alarms) at 0.5."""
    models = ns["weighted_models"]
    chosen = models[ns["MALIGNANT_WEIGHT"]]
    row = {"class weight chosen": f"{ns['MALIGNANT_WEIGHT']:g}",
           f"chosen weight's test accuracy (>= {check.SCREEN_MIN_ACCURACY})":
               float(np.mean((predict(chosen, X_test)[:, 0] >= 0.5) == y_test))}
    lightest, heaviest = check.CLASS_WEIGHT_CANDIDATES[0], check.CLASS_WEIGHT_CANDIDATES[-1]
    mean = {w: float(np.mean(predict(models[w], X_valid))) for w in (lightest, heaviest)}
    row[f"mean P(benign), weight {lightest:g} minus weight {heaviest:g} (>= {check.CLASS_WEIGHT_MIN_SHIFT})"] = \
        mean[lightest] - mean[heaviest]
    for weight in check.CLASS_WEIGHT_CANDIDATES:
        missed, alarms = check.screening_mistakes(predict(models[weight], X_valid)[:, 0] >= 0.5, y_valid)
        row[f"weight {weight:g}, validation at 0.5"] = f"{missed} missed, {alarms} false alarms"
    return row


def _image_accuracy(dataset: str, model, part: str = "test") -> float:
    """Accuracy on the official test set (or on the validation split), computed here from the data files."""
    from autograder.grading.checks import image_classifiers as check

    (x_full, y_full), (x_test, y_test) = check._official(dataset)
    if part == "valid":
        x_test, y_test = x_full[-check.VALIDATION_SIZE:], y_full[-check.VALIDATION_SIZE:]
    proba = model.predict(x_test / np.float32(255), batch_size=1024, verbose=0)
    return float(np.mean(proba.argmax(axis=1) == y_test))


def a04(ns: dict) -> dict:
    from autograder.grading.checks import image_classifiers as check, learning_rates as lr

    valid = {key: _image_accuracy("mnist", ns[key], "valid")
             for key in ("adam_model", "sgd_model", "rmsprop_model", "default_sgd_model")}
    tuned_valid = {name: valid[f"{name.lower()}_model"] for name in lr.TUNED}
    valid_own = _image_accuracy("mnist", ns["mnist_model"], "valid")
    best = max(tuned_valid.values())
    gap_untuned, gap_tuned = valid["adam_model"] - valid["default_sgd_model"], valid["adam_model"] - valid["sgd_model"]
    return {f"own model: MNIST test accuracy (>= {check.MNIST.min_accuracy})": _image_accuracy("mnist", ns["mnist_model"]),
            "own model: epochs run (early stopping)": float(len(ns["mnist_history"].history["loss"])),
            "own model: OWN_RATE, from its own sweep": float(ns["OWN_RATE"]),
            "hidden layers' gain over softmax regression (validation)": valid_own - _image_accuracy("mnist", ns["softmax_regression"], "valid"),
            "SGD sweep: batches before it stopped": float(len(ns["sweeps"]["SGD"][0])),
            "RMSprop sweep: batches before it stopped": float(len(ns["sweeps"]["RMSprop"][0])),
            "Adam sweep: batches before it stopped": float(len(ns["sweeps"]["Adam"][0])),
            "SGD sweep: first loss": float(ns["sweeps"]["SGD"][1][0]),
            "SGD sweep: lowest loss": float(np.min(ns["sweeps"]["SGD"][1])),
            "Adam sweep: lowest loss": float(np.min(ns["sweeps"]["Adam"][1])),
            f"tuned SGD rate {lr.TUNED_RANGE['SGD']}": ns["tuned_rates"]["SGD"],
            f"tuned RMSprop rate {lr.TUNED_RANGE['RMSprop']}": ns["tuned_rates"]["RMSprop"],
            f"tuned Adam rate {lr.TUNED_RANGE['Adam']}": ns["tuned_rates"]["Adam"],
            f"tuned SGD, 3 epochs: test accuracy (>= {lr.MIN_TUNED_ACCURACY['SGD']})": _image_accuracy("mnist", ns["sgd_model"]),
            f"tuned RMSprop, 3 epochs: test accuracy (>= {lr.MIN_TUNED_ACCURACY['RMSprop']})": _image_accuracy("mnist", ns["rmsprop_model"]),
            f"tuned Adam, 3 epochs: test accuracy (>= {lr.MIN_TUNED_ACCURACY['Adam']})": _image_accuracy("mnist", ns["adam_model"]),
            **{f"{name} within {lr.GAP_TOLERANCE} of the best validation accuracy (an honest choice)": float(value >= best - lr.GAP_TOLERANCE)
               for name, value in tuned_valid.items()},
            "default SGD, 3 epochs: test accuracy": _image_accuracy("mnist", ns["default_sgd_model"]),
            "gap untuned (validation)": gap_untuned,
            "gap tuned (validation)": gap_tuned,
            "conclusion is B (1) or A (0)": float(abs(gap_tuned) < gap_untuned / 2)}


def a05(ns: dict) -> dict:
    from autograder.grading.checks import image_classifiers as check

    row = {f"Fashion-MNIST test accuracy (>= {check.FASHION.min_accuracy})":
           _image_accuracy("fashion-mnist", ns["fashion_model"])}
    (x_full, y_full), _ = check._official("fashion-mnist")
    x_small, y_small = x_full[:check.SMALL_TRAIN] / np.float32(255), y_full[:check.SMALL_TRAIN]
    for name in check.DROPOUT_RATES:
        model = ns[f"model_{name}"]
        valid = _image_accuracy("fashion-mnist", model, "valid")
        train = float(np.mean(model.predict(x_small, batch_size=1024, verbose=0).argmax(axis=1) == y_small))
        row[f"dropout {name}: validation accuracy (>= {check.MIN_SMALL_VALID_ACCURACY})"] = valid
        row[f"dropout {name}: training minus validation accuracy"] = train - valid
    row["gap without minus gap with"] = (row["dropout without: training minus validation accuracy"]
                                         - row["dropout with: training minus validation accuracy"])
    decay_valid = _image_accuracy("fashion-mnist", ns["model_decay"], "valid")
    decay_train = float(np.mean(ns["model_decay"].predict(x_small, batch_size=1024, verbose=0).argmax(axis=1) == y_small))
    row[f"weight decay {check.DECAY}: validation accuracy"] = decay_valid
    row[f"weight decay {check.DECAY}: training minus validation accuracy"] = decay_train - decay_valid
    (_, _), (x_test, y_test) = check._official("fashion-mnist")
    tags = ns["tag_model"].predict(x_test / np.float32(255), batch_size=1024, verbose=0) >= 0.5
    for column, (tag, floor) in enumerate(check.MIN_TAG_ACCURACY.items()):
        row[f"tag {tag!r}: test images right (>= {floor})"] = float(np.mean(tags[:, column] == check.fashion_tags(y_test)[:, column]))
    return row


def a06(ns: dict) -> dict:
    from sklearn.base import clone

    from autograder.grading.checks import regression_mlps as check

    (X_train, y_train), (X_valid, y_valid), (X_test, y_test) = check.california_split()
    # The baseline's only randomness is MLPRegressor's random_state: vary it with the seed.
    baseline = clone(ns["baseline"]).set_params(mlpregressor__random_state=int(ns["_seed"]))
    baseline.fit(X_train, y_train)
    subclassed = np.asarray(
        ns["subclassed_model"]((X_train[:500, :5].astype("float32"), X_train[:500, 2:].astype("float32")), training=False))
    return {
        f"MLPRegressor validation RMSE (<= {check.MAX_BASELINE_VALID_RMSE})": check.rmse(y_valid, baseline.predict(X_valid)),
        f"Sequential test RMSE (<= {check.MAX_TEST_RMSE})": check.rmse(y_test, predict(ns["model"], X_test)),
        "Sequential best validation RMSE": min(ns["history"].history["val_root_mean_squared_error"]),
        f"location model test RMSE (<= {check.MAX_LOCATION_TEST_RMSE})": check.rmse(y_test, predict(ns["location_model"], X_test)),
        f"plain minus location validation RMSE (>= {check.LOCATION_GAIN})":
            check.rmse(y_valid, predict(ns["model"], X_valid)) - check.rmse(y_valid, predict(ns["location_model"], X_valid)),
        f"bounded model validation RMSE (<= {check.MAX_BOUNDED_VALID_RMSE})": check.rmse(y_valid, predict(ns["bounded_model"], X_valid)),
        "bounded model on the far-out districts, lowest": float(predict(ns["bounded_model"], check.far_out_districts()).min()),
        "bounded model on the far-out districts, highest": float(predict(ns["bounded_model"], check.far_out_districts()).max()),
        **{f"final candidate {name}: validation RMSE": check.rmse(y_valid, predict(ns[variable], X_valid))
           for name, variable in [("plain", "model"), ("location", "location_model"), ("huber", "huber_model"),
                                  ("bounded", "bounded_model")]},
        "epochs run (early stopping)": float(len(ns["history"].history["loss"])),
        "subclassed model RMSE on 500 training rows / std(y) (< 0.8)":
            check.rmse(y_train[:500], subclassed) / float(np.std(y_train)),
    }


def a01b(seeds: int) -> None:
    """The solution's own train() on the grader's half-moons of each grading seed, against a straight line."""
    import zlib

    from scipy.special import expit
    from sklearn.linear_model import LogisticRegression

    from autograder.grading.checks import backpropagation as check

    namespace = {"np": np, "expit": expit}
    exec(next(c.source for c in read_notebook(source_notebook("01b-backpropagation")).cells if c.get("id") == "bp-helpers"),
         namespace)
    for grade_id in ("bp-ex1-forward", "bp-ex2-backward", "bp-ex4-train"):
        exec(solution_answers("01b-backpropagation")[grade_id], namespace)
    network, line, differences = [], [], []
    for seed in range(seeds):
        task = check._training_task(np.random.default_rng([seed, zlib.crc32(b"test-bp-train")]))
        X, Y = task["X"], task["Y"]
        params, _ = namespace["train"](X, Y, task["n_hidden"], task["learning_rate"], task["epochs"], seed=task["seed"])
        start = check.init_params(X.shape[1], task["n_hidden"], Y.shape[1], task["seed"])
        target = check.bce(check.forward(check.gradient_descent(start, X, Y, task["learning_rate"], task["epochs"]), X)["A2"], Y)
        differences.append(abs(check.bce(check.forward(params, X)["A2"], Y) - target) / target)
        network.append(np.mean(check.forward(params, X)["A2"].round() == Y))
        line.append(LogisticRegression().fit(X, Y.ravel()).score(X, Y.ravel()))
    print(f"  final loss, reference vs the grader's own gradient descent: largest relative difference "
          f"{max(differences):.1e} (tolerance {check.TRAIN_LOSS_RTOL})")
    print(f"  half-moons training accuracy, reference: min {min(network):.3f} median {np.median(network):.3f}"
          f" max {max(network):.3f}")
    print(f"  a straight line (logistic regression): min {min(line):.3f} median {np.median(line):.3f} max {max(line):.3f}")


KERAS_METRICS = {"02-linear-regression": a02, "03-logistic-regression": a03, "04-mnist": a04, "05-fashion-mnist": a05,
                 "06-california-housing": a06}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignments", nargs="*", default=["01-perceptrons", "01b-backpropagation", *KERAS_METRICS])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    for assignment in args.assignments:
        print(f"\n{assignment}")
        if assignment == "01-perceptrons":
            a01(args.seeds)
            continue
        if assignment == "01b-backpropagation":
            a01b(args.seeds)
            continue
        if assignment == "02-linear-regression":
            a02_learning_rates()
        rows, seconds = [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            rows.append(KERAS_METRICS[assignment](run_notebook(assignment, seed)))
            seconds.append(time.perf_counter() - start)
        for name in rows[0]:
            values = [row[name] for row in rows]
            if any(isinstance(value, str) for value in values):  # a choice: how often each was made
                counts = {value: values.count(value) for value in dict.fromkeys(values)}
                print(f"  {name}: " + ", ".join(f"{value} ({count}x)" for value, count in counts.items()))
                continue
            print(f"  {name}: min {min(values):.3f}  mean {np.mean(values):.3f}  max {max(values):.3f}")
        print(f"  notebook seconds per seed: min {min(seconds):.1f} max {max(seconds):.1f}")


if __name__ == "__main__":
    main()
