#!/usr/bin/env bash
# Create .venv (Python 3.11) in the repository and install the course into it.
#   bash scripts/install.sh            what a reader needs (requirements.txt)
#   bash scripts/install.sh --test     plus what the tests need (requirements-test.txt)
# Set ORANGE_PYTHON to choose the interpreter (default: python3.11, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${ORANGE_PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    sys.exit(f"the course is pinned for Python 3.11; .venv has {sys.version.split()[0]}")
PY
requirements=requirements.txt
if [ "${1:-}" = "--test" ]; then
  requirements=requirements-test.txt
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r "$requirements"
# The course's own package (pyproject.toml), editable: `import utils` works everywhere.
.venv/bin/python -m pip install --quiet --no-deps -e .
echo "installed $requirements into .venv"
