# Sourced by the launchers: the Python that has mmpoly's environment.
# $PYTHON if set, else the repository's .venv (what `make demo` / `make test`
# set up) when it exists, else `python` from PATH.
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ -z "$PYTHON" ]; then
    if [ -x "$REPO_DIR/.venv/bin/python" ]; then
        PYTHON="$REPO_DIR/.venv/bin/python"
    else
        PYTHON=python
    fi
fi
export PYTHONPATH="$REPO_DIR${PYTHONPATH:+:$PYTHONPATH}"
