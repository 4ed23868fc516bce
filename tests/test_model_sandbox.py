"""The model sandbox measures one model at a time and runs no graph that can do more than compute.

A SavedModel is a TensorFlow graph, and graphs have file operations: a subclassed model whose
``call`` writes a file is exported with a WriteFile in its ``serve`` function. Such a model once
wrote the true labels into the answer folders of the other models of its job (03: 10/16 instead
of an honest 4/16). Here the real sandboxed evaluator gets honest models beside crafted ones.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from autograder.grading import model_evaluator, model_sandbox, sandbox

pytestmark = pytest.mark.slow  # starts Keras in a sandbox

X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")


def _honest(tmp_path, name, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.save(tmp_path / f"{name}.keras")
    return model


class Forger(keras.Model):
    """A subclassed model whose graph also writes a file, or lists and reads the exchange folder."""

    def __init__(self, target, **kwargs):
        super().__init__(**kwargs)
        self.target = target
        self.dense = keras.layers.Dense(1)

    def call(self, x):
        if tf.executing_eagerly():  # building it here, in the test: the effects belong in the exported graph only
            return self.dense(x)
        if self.target.endswith(".npy"):
            tf.io.write_file(self.target, tf.strings.as_string(tf.reduce_sum(x)))
        else:
            tf.io.read_file(tf.io.matching_files(self.target + "/*")[0])
        return self.dense(x)


def _export(tmp_path, name, target):
    model = Forger(target)
    model(X[:2])
    model.export(str(tmp_path / f"{name}.export"), verbose=False)
    return tmp_path / f"{name}.export"


class Plain(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2, activation="relu")

    def call(self, x):
        return self.dense(x)


def test_ops_of_a_plain_export_are_all_numeric(tmp_path):
    plain = Plain()
    plain(X[:2])
    plain.export(str(tmp_path / "plain.export"), verbose=False)
    reachable, rest = model_evaluator.graph_operations(tmp_path / "plain.export")
    assert {"MatMul", "Relu"} <= reachable <= model_evaluator.NUMERIC_OPS
    assert "SaveV2" in rest, "the checkpoint functions are there, but nothing loading or calling runs them"
    model_evaluator.check_graph(tmp_path / "plain.export")


def test_forged_answers_and_reads_are_refused_and_honest_models_measured(tmp_path):
    first, last = _honest(tmp_path, "first", 1), _honest(tmp_path, "last", 2)
    work = tmp_path / "job"
    evaluator = model_sandbox.Evaluator(work, sandbox.Limits.from_config(), tmp_path / "log", sandboxed=True)
    out = work / "exchange" / "out"
    requests = [
        model_sandbox.Request("first", tmp_path / "first.keras", None, {"test": [X]}),
        # Writes into the first model's answers, and into a later model's file (outside its folder).
        model_sandbox.Request("writer", None, _export(tmp_path, "writer", str(out / "r0" / "test.npy")), {"test": [X]}),
        model_sandbox.Request("overwriter", None, _export(tmp_path, "overwriter", str(work / "requests" / "r3.keras.npy")),
                       {"test": [X]}),
        model_sandbox.Request("last", tmp_path / "last.keras", None, {"test": [X]}),
        model_sandbox.Request("reader", None, _export(tmp_path, "reader", str(work / "requests")), {"test": [X]}),
    ]
    answers = evaluator.evaluate(requests, timeout=300)
    facts = {name: json.loads((answers[name] / "facts.json").read_text()) for name in answers}
    assert set(answers) == {r.id for r in requests}, "every request answered, one after the other"
    for name in ("writer", "overwriter"):
        assert "WriteFile" in facts[name]["error"], facts[name]
    assert "MatchingFiles" in facts["reader"]["error"] and "ReadFile" in facts["reader"]["error"], facts["reader"]
    for name, model in (("first", first), ("last", last)):
        assert facts[name].get("error") is None, facts[name]
        np.testing.assert_allclose(np.load(answers[name] / "test.npy"), model.predict(X, verbose=0), rtol=1e-5)
    assert not (work / "requests" / "r3.keras.npy").exists()


def test_answers_are_kept_out_of_the_sandboxs_reach(tmp_path):
    """Each answer is copied out of the exchange folder before the next model loads, so what any
    later model leaves there is never read as an earlier model's answer."""
    first = _honest(tmp_path, "first", 1)
    work = tmp_path / "job"
    evaluator = model_sandbox.Evaluator(work, sandbox.Limits.from_config(), tmp_path / "log", sandboxed=True)
    requests = [model_sandbox.Request("first", tmp_path / "first.keras", None, {"test": [X]}),
                model_sandbox.Request("second", tmp_path / "first.keras", None, {"small": [X[:3]]})]
    answers = evaluator.evaluate(requests, timeout=300)
    assert all(folder.parent == work / "answers" for folder in answers.values())
    assert not (work / "exchange" / "out" / "r0").exists(), "the folder was emptied before the second model"
    np.testing.assert_allclose(np.load(answers["first"] / "test.npy"), first.predict(X, verbose=0), rtol=1e-5)
    assert np.load(answers["second"] / "small.npy").shape == (3, 1)
