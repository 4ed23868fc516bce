"""The only course code a grading kernel can import.

A student's notebook is graded in a sandbox that sees the Python runtime, its own scratch folder,
the data files and this package, and nothing else of the repository. Everything here is safe to
show a student: ``data`` serves the verified offline copies of the data sets through the same
interface as the official loaders, and ``evidence`` lets hidden tests write down what they
observed, as plain data, for the grader to judge after the kernel is gone.
"""
