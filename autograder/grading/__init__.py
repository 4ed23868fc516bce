"""Grading: a prepared submission in, a result out — the job contract and its runner, the
executor (Dask), the bubblewrap sandbox and its kernels, the model sandbox, the evidence reader,
the judges (``checks``) and the nbgrader settings and preprocessors that apply them. Imports the
foundation, ``authoring`` and ``intake``, never ``reporting``."""
