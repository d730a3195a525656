# pace-analysis — run `make help` for the list of targets.
# Every target creates .venv and installs the package on first use, so a fresh
# machine needs nothing but Python 3.11+ and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   := data/synthetic
RUN    ?= latest
JOBS   ?= 2

.DEFAULT_GOAL := help
AXE    := node_modules/axe-core/axe.min.js

.PHONY: help install report test lint data bench lab clean browser

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pace-analysis needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the package with its test tools

report: $(STAMP) ## Validate the bundled synthetic data and build every authority report
	$(BIN)/pace validate $(DATA)
	$(BIN)/pace report --all --data $(DATA) --run $(RUN) --jobs $(JOBS)

# The accessibility test (tests/test_accessibility.py) runs axe-core from npm in Debian's
# headless chromium through selenium (the dev extra). As root (CI) missing packages are
# installed with apt; otherwise the command to run is printed.
browser: ## Install chromium, chromium-driver and npm with apt if missing (root only)
	@missing=""; \
	for p in chromium:chromium chromedriver:chromium-driver npm:npm; do \
	  command -v $${p%%:*} >/dev/null 2>&1 || missing="$$missing $${p##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else echo "make test needs:$$missing (sudo apt-get install$$missing)"; exit 1; fi; \
	fi

$(AXE): package.json package-lock.json | browser
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE)

test: $(STAMP) browser $(AXE) ## Run the linter and the full test suite
	$(BIN)/ruff check pace_analysis tests benchmarks notebooks
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## Lint only
	$(BIN)/ruff check pace_analysis tests benchmarks notebooks

data: $(STAMP) ## Regenerate the committed synthetic data (bit-identical for the same seed)
	$(BIN)/pace synth --out $(DATA) --seed 2014 --scale 1

bench: $(STAMP) ## Run every benchmark (prints ratios against a baseline measured in the same run)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lab: $(STAMP) ## Start JupyterLab on a registered kernel of this environment
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/python -m ipykernel install --user --name pace-analysis --display-name "pace-analysis"
	$(BIN)/jupyter lab notebooks/

clean: ## Remove the virtual environment and generated reports
	rm -rf $(VENV) node_modules reports/*/ .pytest_cache .ruff_cache
