# Two entry points for a fresh machine (see README.md, "Quick start").
PY := .venv/bin/python

.PHONY: setup demo test
setup:
	bash tools/install.sh

demo: setup
	$(PY) tools/demo.py

test: setup
	$(PY) -m pytest tests
