"""Notes for the instructor about code in a submission that reaches for the grading machinery.

This is **not a defence**: it reads names, and code that avoids the names walks past it. What
protects grades is elsewhere: the student's code runs in a sandbox that sees nothing of the grader,
and every test is decided outside it from recorded evidence (docs/security.md). The scan only
points a human at submissions worth a look: the student's own code (answer cells and any cell they
added; the instructor's cells are restored by nbgrader) is read, not run, and each finding becomes
a "review:" note in the grade table and the report.

* findings about the grader (the grader's packages, IPython's exception hooks, builtins, the import
  system, ``exec``/``eval`` of strings, ``ctypes``);
* assignments to attributes of Keras, TensorFlow, NumPy, scikit-learn and friends.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from autograder.notebooks import nbgrader_meta

GRADER_MODULES = {"autograder", "course_kernel", "builtins", "importlib", "ctypes", "nbgrader", "nbclient", "IPython", "ipykernel"}
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
    reaches_grader: bool  # False: patches a library

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


# Parsing costs memory and time in the coordinator, one student after another: a bigger cell is
# reported as such instead (a 4 MB cell once took 40 s and 1.9 GB).
MAX_SCANNED_CHARS = 100_000


def scan_source(source: str, cell: str = "?") -> list[Finding]:
    if len(source) > MAX_SCANNED_CHARS:
        return [Finding(cell, 1, f"{len(source) // 1000} KB of code, too large to review", False)]
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []  # it will fail when run, and cost only its own exercise
    findings = []
    # IPython syntax becomes get_ipython().run_line_magic(...) etc.; those calls are the student's
    # %pip / %matplotlib / !ls lines, not reaching into the kernel.
    magics = {id(node.value) for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr in IPYTHON_SYNTAX and isinstance(node.value, ast.Call)}

    def reaches(node, what):
        findings.append(Finding(cell, getattr(node, "lineno", 0), what, True))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in GRADER_MODULES:
                    reaches(node, f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            # The offline data loaders (named in the notebooks' locked load cells) only read files.
            if (node.module or "").split(".")[0] in GRADER_MODULES and node.module != "course_kernel.data":
                reaches(node, f"imports from {node.module}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GRADER_CALLS \
                and id(node) not in magics:
            reaches(node, f"calls {node.func.id}()")
        elif isinstance(node, ast.Attribute) and node.attr in GRADER_ATTRIBUTES:
            reaches(node, f"uses .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in {"__builtins__", "AssertionError"} and isinstance(node.ctx, ast.Store):
            reaches(node, f"rebinds {node.id}")
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
