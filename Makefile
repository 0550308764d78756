# Two commands for a newcomer: `make run` (set up, then start the bot) and `make test`.
# Everything lands in .venv/, data/ and models/ inside the checkout.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DATA_DIR ?= data
MODEL  ?= models/model.safetensors

.PHONY: run test lint format data model bench clean spark java

# pip's own progress (one line per package, with download bars) instead of minutes of
# silence: torch alone is hundreds of MB.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "Installing moviebot and its dependencies into $(VENV) (torch is large: a few minutes)..."
	$(PY) -m pip install --disable-pip-version-check --progress-bar on -e '.[dev]'
	touch $@

$(DATA_DIR)/ml-100k/.complete: $(VENV)/.installed
	$(PY) -m recsys fetch ml-100k --data-dir $(DATA_DIR)
	touch $@

data: $(DATA_DIR)/ml-100k/.complete

# The optional Spark engine, for the tests: the spark extra (pyspark) and a Java 17+ runtime,
# Debian's openjdk-17-jre-headless when none is found. `make run` needs neither.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VENV)/.spark: $(VENV)/.installed
	$(PY) -m pip install --disable-pip-version-check --progress-bar on -e '.[dev,spark]'
	$(PY) -c 'from recsys.spark.availability import java_ok; raise SystemExit(not java_ok())' \
		|| $(MAKE) java
	touch $@

spark: $(VENV)/.spark

java:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
		openjdk-17-jre-headless

$(MODEL): $(DATA_DIR)/ml-100k/.complete
	$(PY) -m recsys train --data ml-100k --data-dir $(DATA_DIR) --out $(MODEL)

model: $(MODEL)

# The bot fetches CATALOGUE (a release name or path; .env's, else ml-100k) and trains its
# first model itself in a worker process (leaving out the fixed holdout that retraining
# compares models on) when MODEL_PATH does not exist yet. `make run CATALOGUE=ml-32m` also
# gives that catalogue its own model file, models/ml-32m.safetensors.
run: $(VENV)/.installed
	$(if $(CATALOGUE),CATALOGUE='$(CATALOGUE)' MODEL_PATH='models/$(basename $(notdir $(CATALOGUE))).safetensors') $(PY) -m bot

test: data spark
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	MOVIEBOT_REQUIRE_SPARK=1 $(VENV)/bin/pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: data
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(PY) bench/accuracy.py
	$(PY) bench/speed.py

clean:
	rm -rf $(VENV) models .pytest_cache .ruff_cache
