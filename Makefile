# Backend from First Principles — every target sets up its own virtual environment on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
LAB_PORT ?= 8888
ifndef LAB_TOKEN
LAB_TOKEN := $(shell $(PYTHON) -c "import secrets; print(secrets.token_hex(24))")
endif
NBVAL := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600 -p no:cacheprovider
# One execution per notebook: after nbval, each solved notebook runs again in the same kernel (as on Binder) while its
# peak memory is sampled (tools/nbval_passes.py). Workers take whole notebooks (plain -n would split one's cells),
# the longer solved ones first.
NOTEBOOK_PASSES := -p tools.nbval_passes $(NBVAL) --run-twice solutions
NBVAL_WORKERS ?= 2
# The unit tests in parallel too, a test file per worker (module fixtures stay in one process); the slowest printed.
UNIT_WORKERS ?= 2
# COVERAGE=1 (CI's first pass) ends with the line coverage of course_lib they reach, in the test processes (not in the
# servers or kernels they start): a figure to watch, not a gate ([tool.coverage] in pyproject.toml). Off by default:
# tracing made the in-process tests 40-50 % slower here (README § For maintainers).
COVERAGE ?= 0
# CI's real-services pass runs the solved notebooks only: the learner notebooks run the same chapter code.
NBVAL_DIRS ?= solutions notebooks
# Outside the repository, per run: the test runs must not touch a learner's real progress record.
TEST_PROGRESS := $(CURDIR)/build/test-progress.json

.PHONY: help lab test unit nbval check notebooks clean-notebooks lint install install-dev bench contract newman acceptance api worker
# Newman is a Node.js program: pinned in tools/newman, installed locally (never globally) when npm is on PATH.
NEWMAN_BIN := build/newman/node_modules/.bin/newman
NEWMAN_IF_NPM := $(if $(shell command -v npm),$(NEWMAN_BIN),)

help:
	@echo "make lab        set up and open JupyterLab on the course"
	@echo "make test       set up and run every test (unit tests, notebook checks, nbval on all notebooks)"
	@echo "make notebooks  rebuild notebooks/ and solutions/ from chapters/ (NN=06 for one chapter)"
	@echo "make lint       ruff check and ruff format --check over course_lib, tools and tests; mypy over course_lib and tools"
	@echo "make e2e        chapter 00 in JupyterLab in headless chromium (apt-get install chromium); screenshots in build/e2e"
	@echo "make site       the course as a static website (never executed; offline once installed) in build/site/html"
	@echo "make memory     peak memory of every chapter's kernel, against Binder's 2 GB, as a table"
	@echo "make scorecard  WORK=folder: run a learner's notebooks, print their exercise scorecard"
	@echo "make bench      every figure beside its baseline (BENCH_ARGS=--quick); table in docs/benchmarks.md"
	@echo "make contract   schemathesis (all checks, every phase, seed 9457) against the latest API's OpenAPI; report in build/contract"
	@echo "make acceptance the acceptance suite at its full counts, each check's figure printed (APP=module:factory)"
	@echo "make api        the finished API under uvicorn on 127.0.0.1:API_PORT (8000) with its job worker (SECRET_KEY or DEVELOPMENT=1)"
	@echo "make worker     an rq worker on REDIS_URL for an API run with WORKER=external ISOLATE_DATABASE=false"
	@echo "make classroom-test  a JupyterHub on loopback, two learners run chapter 03 at once through it (docs/classroom.md)"
	@echo "make newman     install the pinned Newman (Postman's runner) into build/newman with npm ci (needs node + npm)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# uv installs the same pinned packages (constraints.txt) about 5× faster than pip here (docs/benchmarks.md); it comes
# from PyPI into the venv itself. It compiles the bytecode as pip does: with PYTHONDONTWRITEBYTECODE set (as on this
# machine) nothing would be compiled later, and every process would parse its modules again. USE_UV=0, or any failure
# of uv, installs with pip instead.
USE_UV ?= 1
UV := $(VENV)/bin/uv
define install
	$(if $(filter 1,$(USE_UV)),{ test -x $(UV) || $(PIP) install -c constraints.txt uv; } && \
		$(UV) pip install -q --native-tls --compile-bytecode --python $(PY) -c constraints.txt $(1) || \
		{ echo "uv could not install $(1): installing with pip"; $(PIP) install -c constraints.txt $(1); },\
		$(PIP) install -c constraints.txt $(1))
endef

# jsonschema imports rfc3987-syntax when present (for the "iri" format only); it builds a Lark grammar on import: 2.7 s
# added to every process that imports nbformat (JupyterLab, nbval, jupytext). Without it "iri" goes unchecked.
DROP_SLOW_IMPORT = $(PIP) uninstall -y -q rfc3987-syntax

$(RUNTIME_STAMP): $(VENV)/bin/python requirements.in constraints.txt pyproject.toml tools/jupyter_settings.py
	$(call install,-r requirements.in)
	$(call install,--no-deps -e .)
	$(DROP_SLOW_IMPORT)
	$(PY) tools/jupyter_settings.py $(VENV) >/dev/null  # JupyterLab defaults and the kernel `backend-course`
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.in
	$(call install,-r requirements-dev.in)
	$(DROP_SLOW_IMPORT)
	touch $@

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

lab: $(RUNTIME_STAMP)
	@echo "Open the course at: http://127.0.0.1:$(LAB_PORT)/lab/tree/notebooks/00_what_a_backend_is.ipynb?token=$(LAB_TOKEN)"
	@$(VENV)/bin/jupyter lab --ip=127.0.0.1 --port=$(LAB_PORT) $(if $(filter 0,$(shell id -u)),--allow-root,) \
		--IdentityProvider.token=$(LAB_TOKEN) --ServerApp.root_dir=$(CURDIR) \
		$(if $(LAB_NO_BROWSER),--ServerApp.open_browser=False,) notebooks/00_what_a_backend_is.ipynb

test: $(DEV_STAMP) lint check unit nbval

check: $(DEV_STAMP)
	$(PY) -m tools.nbtool check

unit: $(DEV_STAMP) $(NEWMAN_IF_NPM)
	mkdir -p build && rm -f $(TEST_PROGRESS)
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(PY) -m pytest tests -q -p no:cacheprovider -n $(UNIT_WORKERS) \
		--dist loadfile --durations=10 $(if $(filter 1,$(COVERAGE)),--cov --cov-report=,)
	$(if $(filter 1,$(COVERAGE)),@echo "course_lib line coverage (make unit): $$($(PY) -m coverage report --format=total)%",)

nbval: $(DEV_STAMP) $(NEWMAN_IF_NPM)
	mkdir -p build && rm -f $(TEST_PROGRESS)
	rm -f $(basename $(TEST_PROGRESS))-gw*.json
	COURSE_PROGRESS_FILE=$(TEST_PROGRESS) $(PY) -m pytest $(NOTEBOOK_PASSES) -n $(NBVAL_WORKERS) --dist loadfile --durations=5 \
		$(NBVAL_DIRS) -q

notebooks: $(DEV_STAMP)
	$(PY) -m tools.nbtool build $(NN)

clean-notebooks: $(DEV_STAMP)
	$(PY) -m tools.nbtool clean

# Medians over repeats, ratios to baselines measured in the same run; build/bench/latest.{json,png}, docs/benchmarks.md.
bench: $(DEV_STAMP)
	$(PY) -m tools.bench $(BENCH_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check course_lib tools tests
	$(VENV)/bin/ruff format --check course_lib tools tests
	$(VENV)/bin/mypy

# The long conformance run (minutes); the unit tests run a quick one. Fails on any schemathesis failure.
contract: $(DEV_STAMP)
	$(PY) -m tools.contract --report-dir build/contract

# The acceptance suite (tests/acceptance) at its full counts: make unit runs its quick pass. APP=module:factory judges
# another app (a learner's create_app); DATABASE_URL / REDIS_URL run it on real services. Figures: build/acceptance.
acceptance: $(DEV_STAMP)
	mkdir -p build/acceptance
	ACCEPTANCE_FULL=1 $(if $(APP),ACCEPTANCE_APP=$(APP),) $(PY) -m pytest tests/acceptance -q -p no:cacheprovider -rs \
		--durations=10

$(NEWMAN_BIN): tools/newman/package.json tools/newman/package-lock.json
	mkdir -p build/newman && cp tools/newman/package.json tools/newman/package-lock.json build/newman/
	npm ci --prefix build/newman --no-audit --no-fund --loglevel=error
	touch $@

newman: $(NEWMAN_BIN)

API_PORT ?= 8000
# The finished API (latest()) on loopback. Its jobs (chapter 17) run in a worker thread of the server by default; with
# REDIS_URL the server starts an `rq worker` process of its own and stops it on exit; WORKER=external leaves them to
# `make worker` (then set ISOLATE_DATABASE=false and one DATABASE_URL for both, so they share the database and the
# queue "tasks"). Settings come from the environment: SECRET_KEY (32+ random bytes), or DEVELOPMENT=1 on your machine.
api: $(RUNTIME_STAMP)
	$(PY) -m uvicorn --factory course_lib.taskapi:latest --host 127.0.0.1 --port $(API_PORT) --no-access-log

# An rq worker for `make api` with WORKER=external (or a deploy): the shared queue "tasks" on REDIS_URL; the jobs write to
# DATABASE_URL. course_lib.taskapi.worker is `rq worker` with the job functions imported before it forks a work horse
# per job. SIGTERM (Ctrl-C) lets the job it runs finish first.
worker: $(RUNTIME_STAMP)
	@test -n "$(REDIS_URL)" || { echo "make worker needs REDIS_URL (a redis-server) and DATABASE_URL (the API's database)"; exit 2; }
	@test -n "$(DATABASE_URL)" || { echo "make worker needs DATABASE_URL: the database the API (ISOLATE_DATABASE=false) uses"; exit 2; }
	$(PY) -m course_lib.taskapi.worker --url "$(REDIS_URL)" --job-monitoring-interval 1 tasks

.PHONY: e2e memory scorecard

# The browser test never skips here: without chromium (Debian's package; no browser download) it fails.
# Mermaid (npm, pinned in tools/mermaid) renders every diagram of the notebooks there.
MERMAID_JS := build/mermaid/node_modules/mermaid/dist/mermaid.min.js
e2e: $(DEV_STAMP) $(MERMAID_JS)
	mkdir -p build/e2e
	COURSE_E2E=1 $(PY) -m pytest tests/e2e -q

$(MERMAID_JS): tools/mermaid/package.json tools/mermaid/package-lock.json
	mkdir -p build/mermaid && cp tools/mermaid/package.json tools/mermaid/package-lock.json build/mermaid/
	npm ci --prefix build/mermaid --no-audit --no-fund --loglevel=error
	touch $@

memory: $(DEV_STAMP)
	mkdir -p build
	$(PY) -m tools.memory --json build/memory.json $(NN)

# Runs the learner's code: do it in a throwaway account or container. Their results go to a fresh progress file.
SCORECARD := $(CURDIR)/build/scorecard
scorecard: $(RUNTIME_STAMP)
	@test -d "$(WORK)" || { echo "usage: make scorecard WORK=folder-with-a-learner's-notebooks"; exit 2; }
	rm -rf $(SCORECARD) && mkdir -p $(SCORECARD)
	COURSE_PROGRESS_FILE=$(SCORECARD)/progress.json $(VENV)/bin/jupyter nbconvert --to notebook --execute \
		--allow-errors --ExecutePreprocessor.timeout=600 --output-dir $(SCORECARD) "$(WORK)"/[0-9][0-9]_*.ipynb
	@COURSE_PROGRESS_FILE=$(SCORECARD)/progress.json $(PY) -c \
		"from course_lib.checks import show_progress; show_progress()"

# A class on JupyterHub (docs/classroom.md): a hub on loopback with deploy/jupyterhub/jupyterhub_config.py, its proxy
# (configurable-http-proxy, Node.js, pinned in tools/configurable-http-proxy, installed into build/ with npm ci, never
# globally), two learners who follow the README's nbgitpuller link and run chapter 03 at the same time. JupyterHub
# and nbgitpuller come from requirements-classroom.in, installed into .venv here only. About a minute here.
.PHONY: classroom-test
CLASSROOM_STAMP := $(VENV)/.classroom-installed
CHP_BIN := build/configurable-http-proxy/node_modules/.bin/configurable-http-proxy

$(CLASSROOM_STAMP): $(DEV_STAMP) requirements-classroom.in constraints.txt
	$(call install,-r requirements-classroom.in)
	touch $@

$(CHP_BIN): tools/configurable-http-proxy/package.json tools/configurable-http-proxy/package-lock.json
	mkdir -p build/configurable-http-proxy
	cp tools/configurable-http-proxy/package.json tools/configurable-http-proxy/package-lock.json build/configurable-http-proxy/
	npm ci --prefix build/configurable-http-proxy --no-audit --no-fund --loglevel=error
	touch $@

classroom-test: $(CLASSROOM_STAMP) $(CHP_BIN)
	COURSE_CLASSROOM=1 $(PY) -m pytest tests/classroom -q -p no:cacheprovider -s --durations=5

.PHONY: site
# The course's website (Sphinx + MyST-NB + sphinx-book-theme: pip only, no theme or script fetched while building)
# from the committed learner notebooks, never executed; Mermaid's script from npm (tools/mermaid). Into build/site/html.
SITE_STAMP := $(VENV)/.site-installed
$(SITE_STAMP): $(RUNTIME_STAMP) requirements-site.in constraints.txt
	$(call install,-r requirements-site.in)
	touch $@

site: $(SITE_STAMP) $(MERMAID_JS)
	$(PY) -m tools.site

# The browser tests open the built site too (tests/e2e/test_site.py).
e2e: site
