"""04's open model tells the student, in Colab, whether its training fits the grader's time (#26 item 5).

The check is a given cell of the release (``mnist-ex6-budget``); here it runs on stand-ins for the
measured time, the machine's cores and the GPU, so every branch is seen to fire or stay quiet."""

from __future__ import annotations

import types

import numpy as np
import pytest

from autograder.notebooks import read_notebook, released_notebook

A04 = "04-mnist"


def _cell(cell_id: str) -> str:
    (cell,) = [c for c in read_notebook(released_notebook(A04)).cells if c.get("id") == cell_id]
    return cell.source


def _run_check(monkeypatch, seconds, cores=2, gpu=False):
    import os
    import sys

    fake_tf = types.SimpleNamespace(config=types.SimpleNamespace(list_physical_devices=lambda kind: ["gpu:0"] if gpu else []))
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tf)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    printed = []
    namespace = {"os": os, "EPOCH_LINE": types.SimpleNamespace(seconds=seconds), "print": lambda *a: printed.append(" ".join(map(str, a)))}
    exec(_cell("mnist-ex6-budget"), namespace)
    return "\n".join(printed)


def test_a_quick_training_passes_quietly(monkeypatch):
    out = _run_check(monkeypatch, seconds=40)
    assert "about 40 s of the 300 s" in out and "warning" not in out


def test_over_half_the_limit_warns_but_passes(monkeypatch):
    assert "warning: over half the grader's limit" in _run_check(monkeypatch, seconds=200)


def test_over_the_limit_fails_with_what_to_change(monkeypatch):
    with pytest.raises(AssertionError, match="fewer epochs"):
        _run_check(monkeypatch, seconds=320)


def test_a_machine_with_more_cores_is_scaled_to_the_graders_two(monkeypatch):
    """100 s on 8 cores is about 400 s on the grader's 2: over its limit."""
    with pytest.raises(AssertionError, match="grader's cell limit"):
        _run_check(monkeypatch, seconds=100, cores=8)


def test_on_a_gpu_it_says_the_estimate_is_too_low(monkeypatch):
    assert "a GPU trains this far faster" in _run_check(monkeypatch, seconds=30, gpu=True)


def test_without_the_callback_it_asks_for_it(monkeypatch):
    with pytest.raises(AssertionError, match="callbacks=.*EPOCH_LINE"):
        _run_check(monkeypatch, seconds=None)


def test_the_epoch_line_times_a_training():
    import keras

    namespace = {"keras": keras}
    exec(_cell("mnist-epoch-line"), namespace)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="mse", metrics=["accuracy"])
    x = np.zeros((8, 2), "float32")
    callback = namespace["EPOCH_LINE"]
    model.fit(x, x[:, :1], epochs=1, verbose=0, validation_data=(x, x[:, :1]), callbacks=[callback])
    assert callback.seconds is not None and 0 < callback.seconds < 60
