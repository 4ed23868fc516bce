"""Reading evidence out of a hostile scratch folder: only plain data in plain files comes out.

The scratch folder here is written the way a student's code could write it from inside the
sandbox: links, pipes, huge files, pickles, malformed JSON, evidence for tests that do not exist.
"""

import json
import os
import pickle

import numpy as np
import pytest

from course_kernel.evidence import FormatError, ModelReference, decode, encode

from autograder.grading import evidence_reader

TESTS = {"test-a", "test-b"}


@pytest.fixture
def scratch(tmp_path):
    folder = tmp_path / "scratch" / "evidence"
    folder.mkdir(parents=True)
    return folder


def collect(scratch, tmp_path):
    result = tmp_path / "result"
    return evidence_reader.collect(scratch.parent, TESTS, result), result


def test_plain_evidence_round_trips(scratch, tmp_path):
    values = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": 0.5, "errors": [3, 1, 0], "nan": float("nan"),
              "zero_d": np.array(2.0), "steps": {"batch": 1}, "weird keys": {1: "a"}, "obj": object()}
    (scratch / "test-a.json").write_text(json.dumps(encode(values)))
    collected, result = collect(scratch, tmp_path)
    assert collected.test_ids == ["test-a"] and not collected.notes
    back = evidence_reader.load(result, "test-a")
    assert back["w"].dtype == np.float32 and np.array_equal(back["w"], values["w"]) and back["zero_d"].shape == ()
    assert back["b"] == 0.5 and back["errors"] == [3, 1, 0] and np.isnan(back["nan"])
    assert back["steps"] == {"batch": 1} and back["weird keys"] == {1: "a"} and repr(back["obj"]) == "<object>"
    assert evidence_reader.load(result, "test-b") is None, "a test that recorded nothing"


@pytest.mark.parametrize("make, why", [
    (lambda path, outside: path.symlink_to(outside), "not a regular file"),
    (lambda path, outside: os.mkfifo(path), "not a regular file"),
    (lambda path, outside: path.write_bytes(b"{" + b" " * (evidence_reader.MAX_EVIDENCE_BYTES + 10) + b"}"), "allowed"),
    (lambda path, outside: path.write_bytes(pickle.dumps({"w": 1})), "not JSON"),
    (lambda path, outside: path.write_text('{"w": NaN}'), "not JSON"),
    (lambda path, outside: path.write_text('[1, 2]'), "JSON object"),
    (lambda path, outside: path.write_text('{"w": {"__array__": {"dtype": "|O", "shape": [1], "data": ""}}}'), "dtype"),
    (lambda path, outside: path.write_text('{"w": {"__array__": {"dtype": "<f8", "shape": [1000], "data": "AAAA"}}}'),
     "shape"),
    (lambda path, outside: path.write_text('{"w": {"__pickle__": "gASV"}}'), "unknown tag"),
])
def test_odd_files_are_refused_and_noted(scratch, tmp_path, make, why):
    outside = tmp_path / "gradebook.db"
    outside.write_text('{"w": 1}')  # valid evidence, if a link were followed
    make(scratch / "test-a.json", outside)
    collected, result = collect(scratch, tmp_path)
    assert collected.test_ids == [] and why in collected.notes[0], collected.notes
    assert evidence_reader.load(result, "test-a") is None


def test_evidence_for_unknown_tests_is_ignored(scratch, tmp_path):
    (scratch / "test-zzz.json").write_text("{}")
    collected, _ = collect(scratch, tmp_path)
    assert collected.test_ids == [] and "unknown test 'test-zzz'" in collected.notes[0]


def test_a_replaced_evidence_folder_is_not_followed(tmp_path):
    (tmp_path / "scratch").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "test-a.json").write_text("{}")
    (tmp_path / "scratch" / "evidence").symlink_to(elsewhere)
    collected = evidence_reader.collect(tmp_path / "scratch", TESTS, tmp_path / "result")
    assert collected.test_ids == [] and "replaced" in collected.notes[0]


def test_models_are_copied_only_from_where_the_recorder_saves_them(scratch, tmp_path):
    (scratch / "test-a").mkdir()
    (scratch / "test-a" / "model.keras").write_bytes(b"PK fake")
    secret = tmp_path / "solutions.keras"
    secret.write_bytes(b"instructor's model")
    (scratch / "test-a" / "linked.keras").symlink_to(secret)
    for name, fine in [("model.keras", True), ("linked.keras", False), ("../../solutions.keras", False)]:
        (scratch / "test-a.json").write_text(json.dumps({"m": {"__model__": {"file": name, "export": None, "error": None}}}))
        collected, result = collect(scratch, tmp_path)
        assert (collected.test_ids == ["test-a"]) is fine, (name, collected.notes)
        if fine:
            assert (result / "models" / "test-a" / "model.keras").read_bytes() == b"PK fake"
            assert isinstance(evidence_reader.load(result, "test-a")["m"], ModelReference)


def test_decode_is_strict():
    with pytest.raises(FormatError):
        decode({"__array__": {"dtype": "<f8", "shape": [2], "data": "AAAAAAAAAAA="}})  # 8 bytes for 16
    with pytest.raises(FormatError):
        decode({"a": 1, "__float__": "nan"})
    with pytest.raises(FormatError):
        decode({"__float__": "1e999"})
    nested = 1
    for _ in range(100):
        nested = [nested]
    with pytest.raises(FormatError, match="deeply"):
        decode(nested)
