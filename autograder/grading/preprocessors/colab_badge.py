"""Put an "Open in Colab" badge, linking to this very notebook in the student repository, on top."""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder import config

BADGE_MARKER = "colab-badge.svg"


class ColabBadge(NbGraderPreprocessor):
    repository = Unicode(config.STUDENT_REPOSITORY, help="owner/name of the student repository on GitHub").tag(config=True)
    branch = Unicode(config.GITHUB_BRANCH, help="branch Colab opens").tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        notebook = resources["nbgrader"]["notebook"]
        url = config.colab_url(assignment, f"{notebook}.ipynb", self.repository, self.branch)
        nb.cells = [c for c in nb.cells if BADGE_MARKER not in c.source]
        nb.cells.insert(0, new_markdown_cell(
            f"[![Open In Colab](https://colab.research.google.com/assets/{BADGE_MARKER})]({url})",
            id="open-in-colab"))
        return nb, resources
