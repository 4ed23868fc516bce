"""Find code in a submission that reaches for the grader instead of answering the exercise.

Hidden tests run in the student's kernel, so a cell can in principle swap a check function, hook
IPython's exception handling so failing tests print nothing, or edit ``sys.modules``. Whatever
runtime defence a test adds, code running before it can undo. So the student's own code (answer
cells and any cell they added; locked cells are replaced by nbgrader anyway) is read, not run,
before grading:

* ``GRADER`` findings (the grader package, IPython's exception hooks, builtins, the import
  system, ``exec``/``eval`` of strings) hold the submission for review: it is not autograded and
  the reason is recorded as its error.
* ``LIBRARY`` findings (assigning to attributes of Keras, TensorFlow, NumPy, scikit-learn, ...)
  are reported as notes only: the checks that matter measure models in a clean process, so such
  patches cannot earn points (tests/test_assignments.py shows it), but the instructor should know.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .notebooks import nbgrader_meta

GRADER_MODULES = {"autograder", "builtins", "importlib", "ctypes", "nbgrader", "nbclient", "IPython", "ipykernel"}
GRADER_CALLS = {"exec", "eval", "compile", "__import__", "get_ipython", "globals", "setattr", "delattr"}
GRADER_ATTRIBUTES = {"set_custom_exc", "excepthook", "showtraceback", "showsyntaxerror", "run_cell", "modules",
                     "__builtins__", "__code__", "__globals__", "meta_path", "path_hooks"}
IPYTHON_SYNTAX = {"run_line_magic", "run_cell_magic", "system", "getoutput"}
LIBRARY_ROOTS = {"keras", "tf", "tensorflow", "np", "numpy", "sklearn", "pd", "pandas", "plt", "matplotlib"}


@dataclass(frozen=True)
class Finding:
    cell: str
    line: int
    what: str
    holds: bool  # True: hold for review; False: a note

    def __str__(self) -> str:
        return f"cell {self.cell!r} line {self.line}: {self.what}"


def _python(source: str) -> str:
    """The cell as Python, with IPython syntax (%magics, !shell) translated."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str, cell: str = "?") -> list[Finding]:
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []  # it will fail when run, and cost only its own exercise
    findings = []
    # IPython syntax becomes get_ipython().run_line_magic(...) etc.; those calls are the student's
    # %pip / %matplotlib / !ls lines, not reaching into the kernel.
    magics = {id(node.value) for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr in IPYTHON_SYNTAX and isinstance(node.value, ast.Call)}

    def hold(node, what):
        findings.append(Finding(cell, getattr(node, "lineno", 0), what, True))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in GRADER_MODULES:
                    hold(node, f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            # The offline data loaders (named in the notebooks' locked load cells) only read files.
            if (node.module or "").split(".")[0] in GRADER_MODULES and node.module != "autograder.data":
                hold(node, f"imports from {node.module}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GRADER_CALLS \
                and id(node) not in magics:
            hold(node, f"calls {node.func.id}()")
        elif isinstance(node, ast.Attribute) and node.attr in GRADER_ATTRIBUTES:
            hold(node, f"uses .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in {"__builtins__", "AssertionError"} and isinstance(node.ctx, ast.Store):
            hold(node, f"rebinds {node.id}")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root_name(target) in LIBRARY_ROOTS:
                    findings.append(Finding(cell, node.lineno, f"assigns {ast.unparse(target)}", False))
    return findings


def instructor_cells(source_nb) -> set[str]:
    """Grade ids of the cells nbgrader restores from the source before grading (locked and test cells)."""
    return {nbgrader_meta(c)["grade_id"] for c in source_nb.cells
            if nbgrader_meta(c).get("locked") or nbgrader_meta(c).get("grade")}


def scan_notebook(nb, instructor_ids: set[str]) -> list[Finding]:
    """Findings in the student's own code: every code cell except the first copy of each instructor
    cell (nbgrader overwrites that one; later copies of an id lose their metadata and run as written)."""
    findings, seen = [], set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in instructor_ids and grade_id not in seen:
            seen.add(grade_id)
            continue
        findings += scan_source(cell.source, grade_id or f"added cell {index + 1}")
    return findings
