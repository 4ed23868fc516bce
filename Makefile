# The one interface for students, instructors and CI. Run `make help` for the list.
# Each of these does everything it needs on a fresh clone (environment, data, then its job):
#   make demo MIRROR=../shared/data      grade the sample class, print the table, check the outcome
#   make test MIRROR=../shared/data      the whole test suite (.ci/run calls exactly this)
# MIRROR (or COURSE_DATA_MIRROR) is a folder holding the data sets, for machines without internet.

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
# nbgrader shells out to tools in the venv (alembic); make them findable without activation.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Optional: folder with a copy of the data sets, for machines without internet access.
MIRROR ?= $(COURSE_DATA_MIRROR)
ASSIGNMENT ?=
ZIP ?=
# make publish: which assignments (ids or numbers; default: the schedule's) and where the student clone is.
ASSIGNMENTS ?=
PUBLISH_DIR ?= $(COURSE_PUBLISH_DIR)
JOBS ?=
# make autograde REGRADE=1: grade again what was already graded from the same files
REGRADE ?=
PYTEST_ARGS ?=
# make formgrader PORT=8890: where JupyterLab listens (127.0.0.1 only)
PORT ?= 8888
# Debian's Chromium, which the formgrader browser tests drive (Playwright cannot download its own here)
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install venv data browser test test-fast release demo collect autograde feedback grades similarity table report formgrader publish benchmark clean

help:
	@sed -n 's/^\([a-z-]*\):.*## \(.*\)/  make \1\t\2/p' $(MAKEFILE_LIST) | expand -t 24

install: venv data ## set-up alone: .venv with pinned packages (bubblewrap included), the package, a kernel, the data
	@echo "installed: activate with 'source $(VENV)/bin/activate' or use 'make <target>'"

venv: $(VENV)/.installed

# pip would compile every module one file after another; compileall does the same on every core (a third of the
# install's time). The bytecode must be there: sandboxed kernels cannot write it (tests/test_environment.py).
# Packages' own test suites (`tests/` folders: a fifth of the files, pandas' mostly) are never imported by a
# kernel, so they are left out; `test/` folders are not (TensorFlow imports its tf.test API at start-up).
NOT_COMPILED := /tests/
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -r requirements.txt
	$(PY) -m compileall -q -j 0 -x '$(NOT_COMPILED)' "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" >/dev/null || true
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ANN with Keras)"
	touch $@

data: venv ## fetch and checksum-verify the data sets into data/files and build their caches (MIRROR=folder)
	$(PY) -m autograder data fetch $(if $(MIRROR),--mirror $(MIRROR))

browser: ## Debian's Chromium for the browser tests (apt-get, as root; nothing if it is there)
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
	  || { echo "make browser: install Debian's chromium (sudo apt-get install chromium), then run again" >&2; exit 1; }

# Two runs: everything but the tests that measure the whole machine, on two pytest-xdist workers taking one test
# file at a time in tests/conftest.py's order (a third process grades the class batches beside them); then those
# tests alone. Both always run; either failing fails the target. (docs/benchmarks.md: why two workers.)
TEST_WORKERS ?= 2
test: data browser ## the whole test suite (sets up what is missing first)
	status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --alone=without $(PYTEST_ARGS) || status=1; \
	$(PY) -m pytest --alone=only $(PYTEST_ARGS) || status=1; \
	exit $$status

test-fast: data ## the suite without the tests marked slow (those that grade notebooks)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

release: venv ## regenerate the student notebooks in notebooks/ from solutions/ with nbgrader
	$(PY) -m autograder release $(ASSIGNMENT)

demo: data ## grade the sample class in a throwaway course, print the table, fail unless references get full marks
	$(PY) -m autograder demo $(ASSIGNMENT)

collect: venv ## file an LMS bulk download: make collect ASSIGNMENT=id ZIP=download.zip (Canvas or Moodle)
	@test -n "$(ASSIGNMENT)" -a -n "$(ZIP)" || { echo "usage: make collect ASSIGNMENT=<id> ZIP=<file.zip>"; exit 2; }
	$(PY) -m autograder collect $(ASSIGNMENT) $(ZIP)

autograde: venv ## autograde every submission in course/submitted on Dask (ASSIGNMENT=id, JOBS=N, REGRADE=1; COURSE_SCHEDULER=tcp://host:8786 for a cluster)
	$(PY) -m autograder autograde $(if $(JOBS),--jobs $(JOBS)) $(if $(REGRADE),--regrade) $(ASSIGNMENT)

feedback: venv ## HTML feedback for autograded submissions into course/feedback (LMS=moodle: also Moodle's feedback zip in course/lms)
	$(PY) -m autograder feedback $(ASSIGNMENT) $(if $(LMS),--lms $(LMS))

grades: venv ## export the gradebook to course/grades.csv; LMS=canvas GRADEBOOK=csv, or LMS=moodle WORKSHEET=csv ASSIGNMENT=id, also fills the LMS's own file in course/lms (PENDING=refuse)
	$(PY) -m autograder grades $(if $(LMS),--lms $(LMS)) $(if $(GRADEBOOK),--gradebook "$(GRADEBOOK)") \
		$(if $(WORKSHEET),--worksheet "$(WORKSHEET)") $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(PENDING),--pending $(PENDING))

similarity: venv ## flag pairs of submissions with similar code (never a grade): make similarity [ASSIGNMENT=id], into course/similarity
	$(PY) -m autograder similarity $(ASSIGNMENT)

table: venv ## print the grade table of the course
	$(PY) -m autograder table $(ASSIGNMENT)

formgrader: venv ## grade the written answers: JupyterLab with nbgrader's formgrader on this course; prints its address (PORT=8888)
	$(PY) -m autograder formgrader --port $(PORT)

report: venv ## instructor HTML report (scores, pass rate per test, times, errors) in course/report.html
	$(PY) -m autograder report $(ASSIGNMENT)

publish: venv ## commit the student repository into its clone: make publish PUBLISH_DIR=clone [ASSIGNMENTS="01 02"]; never pushes
	$(PY) -m autograder publish $(ASSIGNMENTS) $(if $(PUBLISH_DIR),--to $(PUBLISH_DIR))

benchmark: venv ## run every solution notebook, report seconds and scores (docs/benchmarks.md)
	$(PY) scripts/benchmark.py

clean: ## remove course state and caches (keeps .venv and data)
	rm -rf course .pytest_cache
