"""Authoring: what an instructor writes once and releases — the schedule, the sample submissions
with their pinned scores, the kind of work each graded cell rewards, and publishing the student
repository. Imports only the foundation modules (``autograder.config``, ``layout``, ``notebooks``...)."""
