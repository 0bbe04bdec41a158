#!/usr/bin/env bash
# One command: install what the tests need into .venv and run the whole test suite.
#  1. unit tests of utils/, checks of the stored notebooks, the bootstrap cell, the
#     figure check, the book build (-W -n --keep-going) and the headless-browser test;
#  2. strict nbval on every page of _toc.yml, figures compared too (conftest.py);
#  3. the same nbval run a second time: a page must not depend on what its first run
#     left behind.
# The browser test needs Debian's chromium (apt-get install chromium); .ci/run installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
export ORANGE_QUIET=1
py=.venv/bin/python
mapfile -t pages < <("$py" scripts/pages.py)
nbval=(-p no:cacheprovider --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg
       -n 2 --dist loadfile)
echo "== unit tests, stored notebooks, book build, browser"
"$py" -m pytest -p no:cacheprovider tests
echo "== strict nbval, first run (${#pages[@]} pages)"
"$py" -m pytest "${nbval[@]}" "${pages[@]}"
echo "== strict nbval, second run"
"$py" -m pytest "${nbval[@]}" "${pages[@]}"
