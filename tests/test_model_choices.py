"""No model, epoch, threshold or setting is chosen by its score on the test split (#26 item 4).

The test split is for the one final report; every choice between candidates is made on the validation
split. This reads every code cell of each solution notebook (the checks excepted: they judge, they do not
choose), finds each choice between candidates (``min``/``max``/``sorted`` with a ``key``, ``idxmin``/``idxmax``,
``argmin``/``argmax`` of anything but a model's predictions) and follows the names it uses back through the
notebook's assignments and functions; a choice that reaches a ``*_test*`` name fails.
Names are followed without regard to scope or order (a function's local ``rates`` is the same name as a global
one), which errs towards reporting too much: a false report is read and renamed, a missed peek would teach the wrong habit.
It sees only the choice forms listed: a choice made by a comparison (``a if test_rmse < x else b``), by
``sort_values``/``argsort``/``nsmallest``, or by a person reading a printed test score is not caught.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from autograder import config
from autograder.notebooks import nbgrader_meta, read_notebook, source_notebook

CHOOSERS = {"min", "max", "sorted", "argmin", "argmax", "nanargmin", "nanargmax", "idxmin", "idxmax"}
TEST_NAME = re.compile(r"(^|_)test(_|$)", re.I)
NOT_DATA = {"train_test_split"}  # the function that makes the split is not the split


def _names(node) -> set[str]:
    return ({n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            | {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}) - NOT_DATA


def _targets(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _within(names: set[str], made_from: dict[str, set[str]], levels: int) -> set[str]:
    for _ in range(levels):
        names = names | {m for n in names for m in made_from.get(n, ())}
    return names


def _is_choice(call: ast.Call, made_from: dict[str, set[str]]) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    keywords = {k.arg for k in call.keywords}
    if name in ("min", "max", "sorted"):
        return "key" in keywords
    if name in ("idxmin", "idxmax"):
        return True
    if name not in CHOOSERS or "axis" in keywords:
        return False
    # argmax of what a model predicted reads a class, it does not choose between candidates
    return not {"predict", "predict_proba"} & _within(_names(call), made_from, 2)


def choices_made_on_the_test_split(nb) -> list[str]:
    trees = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
            continue  # the checks may use the test split: they judge, they do not choose
        source = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        trees.append((cell.get("id"), ast.parse(source)))
    made_from: dict[str, set[str]] = {}
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in _targets(target):
                        made_from.setdefault(name, set()).update(_names(node.value) if node.value else set())
            elif isinstance(node, (ast.For, ast.comprehension)):
                for name in _targets(node.target):
                    made_from.setdefault(name, set()).update(_names(node.iter))
            elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
                if isinstance(node, ast.FunctionDef):
                    made_from.setdefault(node.name, set()).update(*(_names(s) for s in node.body))
    found = []
    for cell_id, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_choice(node, made_from):
                seen, todo = set(), list(_names(node))
                while todo:
                    name = todo.pop()
                    if name not in seen:
                        seen.add(name)
                        todo.extend(made_from.get(name, ()))
                if any(TEST_NAME.search(n) for n in seen):
                    found.append(f"{cell_id}: {ast.unparse(node)} (from {sorted(n for n in seen if TEST_NAME.search(n))})")
    return found


@pytest.mark.parametrize("assignment", config.assignments())
def test_no_choice_between_candidates_looks_at_the_test_split(assignment):
    assert choices_made_on_the_test_split(read_notebook(source_notebook(assignment))) == []


def _with_cell(assignment: str, code: str):
    nb = read_notebook(source_notebook(assignment))
    nb.cells.append(nbformat.v4.new_code_cell(code))
    return nb


# Each is a choice a careless notebook (or a careless edit of ours) could make; each must be caught.
PEEKS = {
    "06-california-housing": [
        'scores = {"plain": model.evaluate(X_test, y_test, verbose=0)[1],\n'
        '          "location": location_model.evaluate(X_test, y_test, verbose=0)[1]}\n'
        "best = min(scores, key=scores.get)",
        "import pandas as pd\nbest = pd.Series({'plain': test_rmse, 'location': 0.49}).idxmin()",
        "def score(m):\n    return m.evaluate(X_test, y_test, verbose=0)[1]\n\nbest = min([model, location_model], key=score)",
        "losses = [m.evaluate(X_test, y_test, verbose=0)[0] for m in (model, location_model)]\nbest = np.argmin(losses)",
    ],
    "03-logistic-regression": [
        "_on_test = {t: _mistakes(X_test, y_test, t) for t in CANDIDATE_THRESHOLDS}\n"
        "SCREEN_THRESHOLD = min(CANDIDATE_THRESHOLDS, key=lambda t: _on_test[t])",
    ],
    "04-mnist": [
        "ranked = sorted(tuned_rates, key=lambda name: runs[name].model.evaluate(X_test, y_test)[1])",
    ],
}


@pytest.mark.parametrize("assignment, code", [(a, code) for a, codes in PEEKS.items() for code in codes])
def test_a_choice_made_on_the_test_split_is_caught(assignment, code):
    assert len(choices_made_on_the_test_split(_with_cell(assignment, code))) == 1


@pytest.mark.parametrize("code", [
    "best = min({'plain': 0.50, 'location': 0.48}.items(), key=lambda item: item[1])",
    "guess = model.predict(X_test[:1], verbose=0)[0].argmax()",  # reading a predicted class chooses nothing
    "best_epoch = int(np.argmin(history.history['val_loss']))",
])
def test_a_choice_on_validation_or_a_read_prediction_is_not(code):
    assert choices_made_on_the_test_split(_with_cell("06-california-housing", code)) == []
