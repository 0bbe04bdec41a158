#!/usr/bin/env bash
# One command: install what the tests need into .venv and run the whole test suite.
#  0. ruff: lint and format of utils/, tests/, scripts/ and the notebooks;
#  1. unit tests of utils/, checks of the stored notebooks, the bootstrap cell, the
#     figure check, the book build (-W -n --keep-going) and the headless-browser test;
#  2. strict nbval on every page of _toc.yml, figures compared too (conftest.py);
#  3. strict nbval again, under other vector kernels (scripts/cpu_variant.py): PyTorch's
#     portable kernels, MKL's compatible mode, oneDNN at SSE4.1, numpy without its
#     AVX2/AVX-512 paths. A page must pass twice in a row, and its stored outputs must not
#     depend on which kernels this CPU happens to pick (tests/test_cpu_variant.py shows
#     that these variables really change float32 results here);
#  4. every page executed on Colab's library versions (constraints-colab.txt, in
#     .venv-colab): no errors, nothing on stderr, the same verdicts as stored.
# Set ORANGE_SKIP_COLAB=1 to leave out step 4 (it installs a second environment).
# The browser test needs Debian's chromium (apt-get install chromium); .ci/run installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
py=.venv/bin/python
mapfile -t pages < <("$py" scripts/pages.py)
mapfile -t variant < <("$py" scripts/cpu_variant.py)
nbval=(-p no:cacheprovider --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg
       -n 2 --dist loadfile)
echo "== ruff (lint, format)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== unit tests, stored notebooks, book build, browser"
"$py" -m pytest -p no:cacheprovider tests
echo "== strict nbval, first run (${#pages[@]} pages, this CPU's own kernels)"
"$py" -m pytest "${nbval[@]}" "${pages[@]}"
echo "== strict nbval, second run, other kernels: ${variant[*]}"
env "${variant[@]}" "$py" -m pytest "${nbval[@]}" "${pages[@]}"
if [ -z "${ORANGE_SKIP_COLAB:-}" ]; then
  echo "== every page on Colab's library versions (constraints-colab.txt)"
  bash scripts/colab_stack.sh
fi
