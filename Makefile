# The README's commands. `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run demo test test-postgres lint format clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[test]'
	touch $@

run: install
	$(BIN)/forum demo
	$(BIN)/forum run --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/forum demo

# The whole suite on SQLite, then again on PostgreSQL when FORUM_TEST_POSTGRES_URL is set
# (.ci/run sets it).
test: install lint
	$(BIN)/pytest
	@if [ -n "$$FORUM_TEST_POSTGRES_URL" ]; then \
		echo "== the suite again on PostgreSQL =="; \
		FORUM_TEST_DATABASE_URL="$$FORUM_TEST_POSTGRES_URL" $(BIN)/pytest -m "not browser"; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
