"""Measure a student's model where the student's notebook cannot reach it.

A hidden test saves the model to a ``.keras`` file and a fresh Python process (this module run
as ``python -m autograder.checks.isolated``) reloads it in Keras' safe mode and evaluates it
on test data it loads itself with the verified offline loaders. Whatever the notebook did to
``X_test``, ``y_test``, ``Model.evaluate``, ``Model.predict`` or its history has no effect there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DATASETS = ("mnist", "fashion_mnist", "california")


def evaluate_saved_model(model, dataset: str, timeout: int = 600) -> dict:
    """Save *model*, evaluate it on *dataset*'s official test set in a clean process, return the facts."""
    assert dataset in DATASETS, f"unknown dataset {dataset}"
    with tempfile.TemporaryDirectory(prefix="isolated-") as tmp:
        path = Path(tmp) / "model.keras"
        try:
            model.save(path)
        except Exception as exc:  # noqa: BLE001 - any failure means the model cannot be graded this way
            raise AssertionError(f"the model could not be saved for grading: {type(exc).__name__}: {exc}") from None
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "JPY"))}
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        done = subprocess.run([sys.executable, "-m", "autograder.checks.isolated", str(path), dataset],
                              capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        last = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or ["no output"])[-1]
        raise AssertionError(f"the saved model could not be evaluated in a clean process: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _evaluate(path: str, dataset: str) -> dict:
    import keras
    import numpy as np

    from autograder import data

    if dataset == "california":
        return _evaluate_regression(path)
    loader = {"mnist": data.load_mnist, "fashion_mnist": data.load_fashion_mnist}[dataset]
    _, (x_test, y_test) = loader()
    model = keras.saving.load_model(path, compile=False, safe_mode=True)
    proba = np.asarray(model.predict(x_test.astype("float32") / 255.0, batch_size=1000, verbose=0))
    return {
        "input_shape": list(model.inputs[0].shape)[1:],
        "output_shape": list(proba.shape),
        "parameters": int(model.count_params()),
        "max_row_sum_error": float(np.max(np.abs(proba.sum(axis=1) - 1))) if proba.ndim == 2 else None,
        "accuracy": float(np.mean(proba.argmax(axis=1) == y_test)) if proba.ndim == 2 else 0.0,
    }


def _evaluate_regression(path: str) -> dict:
    """Test RMSE of a one-input regression model on the California-housing test split."""
    import keras
    import numpy as np

    from autograder.checks.regression_mlps import california_split

    _, _, (x_test, y_test) = california_split()
    model = keras.saving.load_model(path, compile=False, safe_mode=True)
    predictions = np.asarray(model.predict(x_test.astype("float32"), batch_size=1000, verbose=0))
    return {
        "input_shape": list(model.inputs[0].shape)[1:],
        "output_shape": list(predictions.shape),
        "rows": len(y_test),
        "parameters": int(model.count_params()),
        "rmse": float(np.sqrt(np.mean((predictions.reshape(len(y_test), -1)[:, 0] - y_test) ** 2))),
    }


if __name__ == "__main__":
    try:
        print(json.dumps(_evaluate(sys.argv[1], sys.argv[2])))
    except Exception as exc:  # noqa: BLE001 - report one clear line to the parent
        print(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        sys.exit(1)
