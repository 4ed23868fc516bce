"""Intake: from an LMS download to the notebook nbgrader grades — collecting a Canvas or Moodle zip,
putting back what Colab dropped, the tamper and similarity notes. Reads untrusted files in the
coordinator, so every step here is bounded in size. Imports the foundation and ``authoring``."""
