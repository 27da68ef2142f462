# The README's commands. `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: help install run demo test check lint format clean translations

help:
	@echo "make run     install into $(VENV), load the demo, serve on http://$(HOST):$(PORT)"
	@echo "             with the worker sending email beside it"
	@echo "make test    install, lint, then the test suite (again on PostgreSQL when"
	@echo "             FORUM_TEST_POSTGRES_URL is set)"
	@echo "make check   the quality gates: every page of the demo through the HTML checker,"
	@echo "             axe-core in Chromium, header and cookie checks, and bandit"
	@echo "make demo    create or upgrade the database and load the demo"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make format  reformat and fix what ruff can"
	@echo "make clean   remove $(VENV) and build and tool caches"
	@echo "make bench   generate 300,000 posts, serve them with gunicorn, measure against two"
	@echo "             floors (BENCH_ARGS=\"--scale 0.02 --duration 3\" for a quick run)"

install: $(VENV)/.installed

# Reinstalled when pyproject.toml changes; the stamp is written only after a full install.
$(VENV)/.installed: pyproject.toml
	@echo "Installing Forum and its dependencies into $(VENV) (a minute or two the first time)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[test]'
	touch $@

run: install
	$(BIN)/forum demo
	@echo "Serving Forum on http://$(HOST):$(PORT)/ (Ctrl-C stops it), with the worker that sends"
	@echo "its email (into instance/mail unless FORUM_MAIL_URL says otherwise; see /admin/mail)"
	@# The worker runs beside the server and stops with it, by its own PID.
	@$(BIN)/forum worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/forum run --host $(HOST) --port $(PORT)

demo: install
	$(BIN)/forum demo

# The whole suite on SQLite, then again on PostgreSQL when FORUM_TEST_POSTGRES_URL is set
# (.ci/run sets it). The scale-out stack (tests/scaleout) brings its own PostgreSQL: once is enough.
# The first pass runs on every core; the browser journeys and the gates, which measure speed,
# then run alone; the PostgreSQL pass shares one database, so it runs on one core.
test: install lint
	$(BIN)/pytest -m "not browser and not stack"
	$(BIN)/pytest -n 0 -m "browser or stack"
	@if [ -n "$$FORUM_TEST_POSTGRES_URL" ]; then \
		echo "== the suite again on PostgreSQL =="; \
		FORUM_TEST_DATABASE_URL="$$FORUM_TEST_POSTGRES_URL" $(BIN)/pytest -m "not browser and not stack"; \
	fi

# The gates (tests/gates, also part of `make test`): they need Chromium, Java and the npm
# checkers in node_modules (axe-core, vnu-jar, lighthouse), installed from package-lock.json,
# and wapiti in a virtualenv of its own (its pinned dependencies clash with the app's).
WAPITI_VENV ?= .venv-wapiti
check: install node_modules/.installed $(WAPITI_VENV)/.installed
	$(BIN)/pytest -m gates

node_modules/.installed: package.json package-lock.json
	@echo "Installing the checkers (axe-core, the Nu HTML Checker, Lighthouse) into node_modules..."
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(WAPITI_VENV)/.installed:
	@echo "Installing wapiti into $(WAPITI_VENV)..."
	$(PYTHON) -m venv $(WAPITI_VENV)
	$(WAPITI_VENV)/bin/pip install --quiet wapiti3==3.2.3
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(WAPITI_VENV) build dist .pytest_cache .ruff_cache

# Not part of `make test`: minutes at the default scale. Needs wrk (apt-get install -y wrk)
# for exact numbers; without it a small Python load generator stands in.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Strings marked for translation (babel.cfg says where) into translations/messages.pot, the
# catalogues of each language updated from it, then compiled (the .mo files are committed, so
# a fresh clone and the wheel need no build step). Translate the new entries in each
# translations/<language>/LC_MESSAGES/messages.po, then run it again.
translations: install
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords _l --keywords _lp:1c,2 --no-location \
		--sort-output --project Forum --output-file translations/messages.pot .
	$(BIN)/pybabel update --input-file translations/messages.pot --output-dir translations \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile --directory translations --use-fuzzy --statistics
