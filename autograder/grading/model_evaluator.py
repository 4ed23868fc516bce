"""Load recorded models and run them on the grader's inputs. Runs *inside* a sandbox of its own.

    python model_evaluator.py EXCHANGE REQUESTS

This file is bound alone into the model sandbox (``autograder.grading.model_sandbox``), which holds nothing but
the Python runtime, the writable EXCHANGE folder and the read-only REQUESTS folder:
``requests.json``, the model files and the input arrays (never the labels, which stay with the
grader). It imports Keras first and says ``ready`` (so it can warm up while the student's
notebook still runs). Each ``go <id>`` on its standard input measures that one request: it writes
``EXCHANGE/out/<id>/facts.json`` (the model's layers, shapes, parameter counts, compile settings)
and one ``<input set>.npy`` of predictions per input set, then says ``done <id>``; the grader reads
them back before it sends the next.

Keras models are loaded in safe mode, which refuses to deserialize code (Lambda layers, custom
objects). A subclassed model cannot be rebuilt without the student's class; it is run from the
TensorFlow SavedModel the recorder exported, which is a traced graph, not Python code. A graph can
still hold operations with effects (writing and reading files, printing to a file, loading
resources): a SavedModel is loaded only if every operation that loading and calling it can run is
on ``NUMERIC_OPS``, and anything else in it is that or the checkpoint machinery (``CHECKPOINT_OPS``)
every SavedModel carries in save and restore functions nothing here runs.
"""

from __future__ import annotations

import json
import sys
import warnings
import zipfile
from pathlib import Path

# Operations a Keras model's inference graph uses that compute on tensors and variables only.
NUMERIC_OPS = frozenset("""
Abs Add AddN AddV2 All Any ArgMax ArgMin Assert AssignVariableOp Atan Atan2 AvgPool BatchMatMul BatchMatMulV2
BatchMatMulV3 BiasAdd BroadcastArgs BroadcastGradientArgs BroadcastTo Bucketize Case Cast Ceil CheckNumerics
ClipByValue ConcatV2 Const Conv2D Cos Cosh Cumprod Cumsum DepthwiseConv2dNative DisableCopyOnRead Div DivNoNan
Einsum Elu EnsureShape Equal Erf Erfc Exp ExpandDims Expm1 Fill Floor FloorDiv FloorMod FusedBatchNorm
FusedBatchNormV3 GatherNd GatherV2 Greater GreaterEqual Identity IdentityN If IsFinite IsInf IsNan L2Loss
LeakyRelu Less LessEqual Log Log1p LogSoftmax LogicalAnd LogicalNot LogicalOr MatMul Max MaxPool Maximum Mean
Min Minimum MirrorPad Mod Mul MulNoNan Neg NoOp NotEqual OneHot OnesLike Pack Pad PadV2 PartitionedCall
Placeholder PlaceholderWithDefault Pow PreventGradient Prod Range Rank ReadVariableOp RealDiv Reciprocal Relu
Relu6 Reshape ResourceGather Round Rsqrt Select SelectV2 Selu Shape ShapeN Sigmoid Sign Sin Sinh Size Slice
Softmax Softplus Softsign Split SplitV Sqrt Square SquaredDifference Squeeze StatefulPartitionedCall
StatelessIf StatelessRandomUniformV2 StatelessRandomNormalV2 StatelessWhile StopGradient StridedSlice Sub Sum
Tan Tanh TensorScatterUpdate Tile Transpose Unpack VarHandleOp VarIsInitializedOp Where While ZerosLike
""".split())
# What TensorFlow writes into every SavedModel to save and restore its variables (never run by loading).
CHECKPOINT_OPS = frozenset("MergeV2Checkpoints RestoreV2 SaveV2 ShardedFilename StaticRegexFullMatch StringJoin".split())

PLAIN_CONFIG = ("units", "rate", "num_bins", "output_dim", "input_dim", "axis", "num_tokens")
SMALL_LAYER = 1000  # Dense layers up to this many parameters report their weights


def _plain(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _activation(config: dict):
    activation = config.get("activation")
    if isinstance(activation, dict):
        inner = activation.get("config")
        return (inner if isinstance(inner, str) else (inner or {}).get("name")) or activation.get("class_name")
    return activation


def _layer_facts(layer) -> dict:
    import numpy as np

    facts = {"class": type(layer).__name__, "name": layer.name}
    try:
        config = layer.get_config()
    except Exception:  # noqa: BLE001 - some layers cannot describe themselves; their class still counts
        config = {}
    facts.update({key: _plain(config[key]) for key in PLAIN_CONFIG if key in config})
    if "activation" in config:
        facts["activation"] = _activation(config)
    facts["params"] = int(sum(int(np.prod(w.shape)) for w in layer.weights))
    facts["trainable_params"] = int(sum(int(np.prod(w.shape)) for w in layer.trainable_weights))
    if type(layer).__name__ == "Normalization":
        for name in ("mean", "variance"):
            value = getattr(layer, name, None)
            facts[name] = None if value is None else np.asarray(value, dtype=float).reshape(-1).tolist()
    if type(layer).__name__ == "Dense" and facts["params"] <= SMALL_LAYER:
        facts["weights"] = [np.asarray(w, dtype=float).tolist() for w in layer.get_weights()]
    try:
        facts["output_shape"] = _plain(list(layer.output.shape))
    except Exception:  # noqa: BLE001 - a layer used more than once, or in a Sequential model
        pass
    return facts


def _compile_facts(path: Path) -> dict:
    """Loss and optimizer as the file records them (read from its config, not by running code)."""
    try:
        with zipfile.ZipFile(path) as archive:
            compiled = json.loads(archive.read("config.json")).get("compile_config") or {}
    except Exception:  # noqa: BLE001
        return {}
    optimizer = compiled.get("optimizer")
    facts = {"loss": compiled.get("loss")}
    if isinstance(optimizer, dict):
        rate = (optimizer.get("config") or {}).get("learning_rate")
        facts["optimizer"] = optimizer.get("class_name")
        facts["learning_rate"] = rate if isinstance(rate, (int, float)) else (rate or {}).get("class_name")
        facts["initial_learning_rate"] = _initial_rate(rate)
        decay = (optimizer.get("config") or {}).get("weight_decay")
        facts["weight_decay"] = float(decay) if isinstance(decay, (int, float)) and not isinstance(decay, bool) else None
    elif isinstance(optimizer, str):
        facts["optimizer"] = optimizer
    return facts


def _initial_rate(rate) -> float | None:
    """Where training starts: a constant rate, or a schedule's first rate (Keras' decays name it
    initial_learning_rate; a piecewise-constant one starts at its first value)."""
    if isinstance(rate, (int, float)) and not isinstance(rate, bool):
        return float(rate)
    config = (rate or {}).get("config") if isinstance(rate, dict) else None
    if not isinstance(config, dict):
        return None
    start = config.get("initial_learning_rate")
    if start is None and isinstance(config.get("values"), list) and config["values"]:
        start = config["values"][0]
    return float(start) if isinstance(start, (int, float)) and not isinstance(start, bool) else None


def _keras_model(path: Path):
    import keras

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return keras.saving.load_model(path, safe_mode=True), True
        except Exception:  # noqa: BLE001 - compiled with something safe mode will not rebuild: weights still load
            return keras.saving.load_model(path, safe_mode=True, compile=False), False


def _describe_keras(model, path: Path, compiled: bool) -> dict:
    import numpy as np

    facts = {"kind": "keras", "class": type(model).__name__,
             "layers": [_layer_facts(layer) for layer in model.layers],
             "params": int(model.count_params()),
             "trainable_params": int(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
             **_compile_facts(path)}
    try:
        facts["inputs"] = [_plain(list(t.shape)) for t in model.inputs]
        facts["outputs"] = [_plain(list(t.shape)) for t in model.outputs]
    except Exception:  # noqa: BLE001 - a Sequential model built without an Input
        pass
    optimizer = getattr(model, "optimizer", None) if compiled else None
    facts["optimizer_iterations"] = int(np.asarray(optimizer.iterations)) if optimizer is not None else None
    return facts


def _predict_keras(model, inputs):
    return model.predict(inputs[0] if len(inputs) == 1 else list(inputs), batch_size=1024, verbose=0)


def graph_operations(path: Path) -> tuple[set[str], set[str]]:
    """(operations the SavedModel at *path* can run when loaded and called, every other operation
    in it), read from ``saved_model.pb`` without loading it. What it can run: the functions its
    objects hold (``serve`` and the rest, resource initialisers included), its init op, and every
    function those call, however deeply."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((path / "saved_model.pb").read_bytes())
    reachable, everything = set(), set()
    for graph in saved.meta_graphs:
        functions = {f.signature.name: f for f in graph.graph_def.library.function}
        nodes = {node.name: node for node in graph.graph_def.node}

        def called(node) -> list[str]:
            names = []
            for value in node.attr.values():
                if value.HasField("func"):
                    names.append(value.func.name)
                if value.HasField("list"):
                    names += [f.name for f in value.list.func]
            return names

        roots = []
        for obj in graph.object_graph_def.nodes:
            kind = obj.WhichOneof("kind")
            if kind == "function":
                roots += list(obj.function.concrete_functions)
            elif kind == "bare_concrete_function":
                roots.append(obj.bare_concrete_function.concrete_function_name)
        seen, todo = set(), list(roots)
        init = graph.signature_def.get("__saved_model_init_op")
        for tensor in (init.outputs.values() if init else []):
            node = nodes.get(tensor.name.split(":")[0].lstrip("^"))
            if node is not None:
                reachable.add(node.op)
                todo += called(node)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            function = functions.get(name)
            if function is None:
                reachable.add(f"unknown function {name}")
                continue
            for node in function.node_def:
                reachable.add(node.op)
                todo += called(node)
        everything |= {node.op for node in graph.graph_def.node}
        everything |= {node.op for f in functions.values() for node in f.node_def}
    return reachable, everything - reachable


def check_graph(path: Path) -> None:
    """Refuse a SavedModel that could do anything but compute (the message names the operations)."""
    reachable, rest = graph_operations(path)
    refused = sorted(reachable - NUMERIC_OPS) + sorted(rest - NUMERIC_OPS - CHECKPOINT_OPS)
    if refused:
        raise ValueError(f"the exported model uses operations the grader does not run: {', '.join(refused[:5])}")


def _saved_model(path: Path):
    import tensorflow as tf

    check_graph(path)
    return tf.saved_model.load(str(path))


def _predict_saved(model, inputs):
    import numpy as np

    arguments = inputs[0] if len(inputs) == 1 else tuple(inputs)
    size = len(inputs[0])
    chunks = []
    for start in range(0, size, 1024):
        part = arguments[start:start + 1024] if len(inputs) == 1 else tuple(x[start:start + 1024] for x in arguments)
        chunks.append(np.asarray(model.serve(part)))
    return np.concatenate(chunks) if chunks else np.zeros((0,))


def evaluate(exchange: Path, request: dict) -> None:
    import numpy as np

    out = exchange / "out" / request["id"]
    out.mkdir(parents=True, exist_ok=True)
    facts: dict = {}
    try:
        if request.get("model"):
            try:
                model, compiled = _keras_model(Path(request["model"]))
                facts = _describe_keras(model, Path(request["model"]), compiled)
                predict = _predict_keras
            except Exception as keras_error:  # noqa: BLE001
                if not request.get("export"):
                    raise keras_error
                model, predict = _saved_model(Path(request["export"])), _predict_saved
                facts = {"kind": "saved_model", "keras_error": f"{type(keras_error).__name__}: {keras_error}"[:300]}
        else:
            model, predict = _saved_model(Path(request["export"])), _predict_saved
            facts = {"kind": "saved_model"}
        if facts["kind"] == "saved_model":
            facts["trainable_variables"] = len(getattr(model, "trainable_variables", []))
            facts["trainable_params"] = int(sum(int(np.prod(v.shape)) for v in getattr(model, "trainable_variables", [])))
        errors = {}
        for label, files in request["inputs"].items():
            try:
                inputs = [np.load(Path(name), allow_pickle=False) for name in files]
                prediction = np.asarray(predict(model, inputs), dtype=np.float32)
                np.save(out / f"{label}.npy", prediction, allow_pickle=False)
            except Exception as exc:  # noqa: BLE001 - reported, and the judge fails the test with it
                errors[label] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
        facts["prediction_errors"] = errors
    except Exception as exc:  # noqa: BLE001
        facts = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"}
    (out / "facts.json").write_text(json.dumps(facts))


def main(exchange: Path, requests: Path) -> int:
    import keras  # noqa: F401 - warm up while the notebook still runs
    import numpy  # noqa: F401

    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2 or words[0] != "go":
            break
        wanted = [r for r in json.loads((requests / "requests.json").read_text()) if r["id"] == words[1]]
        for request in wanted:
            evaluate(exchange, request)
        print(f"done {words[1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
