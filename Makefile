# `make run` and `make test` work on a fresh machine: both create .venv and install first.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
SEED_MODEL := ../shared/seed/best_model.h5
# The versions CI tested, with their hashes: `make` installs from here, `make lock` refreshes it.
LOCK := requirements/dev.lock
RUN_LOCK := requirements/run.lock
UV := uv==0.13.9
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock"

PHOTO ?= tests/data/astronaut.jpg

.PHONY: run test lint format bench clean help models web score play lock i18n

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(BIN)/selfiebot: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $@

## lock: re-pin every dependency (needs PyPI) into requirements/*.lock; kept as is on failure
lock: | $(BIN)/python
	$(BIN)/pip install -q "$(UV)"
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o $(LOCK).new
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o $(RUN_LOCK).new
	mv $(LOCK).new $(LOCK)
	mv $(RUN_LOCK).new $(RUN_LOCK)

## run: set up, make sure the popularity model is there, start the product
run: models
	$(BIN)/selfiebot run

## models: install the popularity model (import ../shared's copy, else download the pinned one)
models: $(BIN)/selfiebot
	@$(BIN)/selfiebot models status >/dev/null 2>&1 || \
		if [ -f $(SEED_MODEL) ]; then $(BIN)/selfiebot models import $(SEED_MODEL); \
		else $(BIN)/selfiebot models fetch; fi

## web: only the web page and its JSON API (no chat bots)
web: models
	$(BIN)/selfiebot web

## score: score one photo in the terminal (make score PHOTO=me.jpg)
score: models
	$(BIN)/selfiebot score $(PHOTO)

## play: play the game from the terminal: score PHOTO, then /tips (make play PHOTO=me.jpg)
play: models
	$(BIN)/selfiebot play --chat terminal --user me $(PHOTO) /tips /top --out out/

## i18n: copy new or changed English sentences (bot/core/i18n/locales/messages.pot) into every language
i18n: $(BIN)/selfiebot
	$(BIN)/pybabel update -i bot/core/i18n/locales/messages.pot -d bot/core/i18n/locales \
		-D messages -w 100 --ignore-obsolete

## help: list these targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  make /'

## test: set up with the dev extras, lint, type-check (mypy), run the tests
test: $(BIN)/selfiebot
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q -rs

lint: $(BIN)/selfiebot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/selfiebot
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/selfiebot
	$(BIN)/python benchmarks/bench_inference.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
