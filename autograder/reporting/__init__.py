"""Reporting: what the instructor and the students see afterwards — the readable report, progress
bars, formgrader for written answers, and the LMS gradebook and feedback export. Reads results;
never grades."""
