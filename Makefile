# memalign-nb: the two-command quick start (`make demo`, `make test`) and friends.
# Everything installs into .venv; only Python 3.11+ is needed beforehand.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The benchmarks run in their own environment: MLflow's MemAlignOptimizer needs DSPy and
# LiteLLM, which hold openai below 3 (fine for langchain-openai; .venv keeps the newest).
BENCH_VENV ?= .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
OUT ?= demo-output

.PHONY: demo test test-quick bench lint system-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps re-install only when the package metadata changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# System packages the tests drive: Debian's Chromium (browser tests) and a JDK (pyspark).
# Installed only when missing and only where we are root with apt-get; elsewhere the
# tests that need them skip and say why.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: not installing$$missing (needs root and apt-get); tests that need them will skip"; \
	  fi; \
	fi

demo: $(VENV)/.installed
	$(VENV)/bin/memalign-nb demo --out $(OUT)

test: $(VENV)/.installed-dev system-deps
	$(PY) -m pytest

test-quick: $(VENV)/.installed-dev
	$(PY) -m pytest -m "not slow and not browser and not spark"

$(BENCH_PY):
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip

$(BENCH_VENV)/.installed: pyproject.toml | $(BENCH_PY)
	$(BENCH_PY) -m pip install --quiet -e '.[dev,mlflow-memalign]'
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_PY) bench/run_all.py

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check memalign_nb widgets tests bench

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(OUT) .pytest_cache build *.egg-info
