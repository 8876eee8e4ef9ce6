# Two entry points for a fresh machine (see README.md, "Quick start").
PY := .venv/bin/python

.PHONY: setup demo test
setup:
	bash tools/install.sh

demo: setup
	$(PY) tools/demo.py

# one pytest worker per core (at most 4; each gets its share of the threads,
# tests/conftest.py); `pytest tests` alone runs them one after another
test: setup
	$(PY) -m pytest -n auto --maxprocesses 4 tests
