# Two set-up commands: `make run` and `make test`. Both create .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The database: `make run DB=/path`, or PERFBOARD_DB from the environment (as the app itself reads it).
PERFBOARD_DB ?= data/perfboard.duckdb
DB ?= $(PERFBOARD_DB)
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint install seed samples bench bench-browser chromium clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

seed: install
	PERFBOARD_DB=$(DB) $(BIN)/python -m perfcore seed --if-empty

# ui/serve.py: `streamlit run app.py` without Streamlit's old pages/ folder mode (no English menu at start)
run: seed
	PERFBOARD_DB=$(DB) $(BIN)/python -m ui.serve --server.address 127.0.0.1 --server.port $(PORT)

# fonts-noto-cjk: without a CJK font chromium draws the Chinese UI as boxes in screenshots, and
# the PDF reports (WeasyPrint, which lays text out with pango) have no Chinese glyphs to embed.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q . \
	   && ldconfig -p 2>/dev/null | grep -q libpangoft2; } || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk \
	      libpango-1.0-0 libpangoft2-1.0-0) >/dev/null; \
	  else echo "chromium or a CJK font not found and apt-get unavailable" >&2; exit 1; fi; }

# CI: lint and types, then everything (slow reliability tests and the browser tests included).
test: install chromium lint
	$(BIN)/python -m pytest -q

# While working: no slow reliability tests, no browser (about a minute less).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

samples: install
	$(BIN)/python scripts/build_samples.py

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache test-output

# Issue 14: the pages in headless Chromium, N sessions at once, at 10,000 and 100,000 forms.
bench-browser: install chromium
	$(BIN)/python bench/browser.py
