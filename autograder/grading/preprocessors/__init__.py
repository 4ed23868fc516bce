"""nbgrader preprocessors of this course, one transformation each; ``nbgrader_settings`` puts them
into nbgrader's own pipelines."""

from autograder.grading.preprocessors.colab_badge import ColabBadge
from autograder.grading.preprocessors.job_outputs import RunJobHere, UseJobResult
from autograder.grading.preprocessors.rubrics import HideRubrics, ShowRubrics
from autograder.grading.preprocessors.short_tracebacks import ShortTracebacks
from autograder.grading.preprocessors.verdicts import ApplyVerdicts

__all__ = ["ApplyVerdicts", "ColabBadge", "HideRubrics", "RunJobHere", "ShortTracebacks", "ShowRubrics", "UseJobResult"]
