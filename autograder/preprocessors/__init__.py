"""nbgrader preprocessors of this course, one transformation each; ``nbgrader_settings`` puts them
into nbgrader's own pipelines."""

from .colab_badge import ColabBadge
from .job_outputs import RunJobHere, UseJobResult
from .rubrics import HideRubrics, ShowRubrics
from .short_tracebacks import ShortTracebacks
from .verdicts import ApplyVerdicts

__all__ = ["ApplyVerdicts", "ColabBadge", "HideRubrics", "RunJobHere", "ShortTracebacks", "ShowRubrics", "UseJobResult"]
