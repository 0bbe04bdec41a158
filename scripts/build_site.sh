#!/usr/bin/env bash
# One command: install the course into .venv and build the website into _build/html
# from the outputs stored in the notebooks (no notebook is executed).
#   bash scripts/build_site.sh           build
#   bash scripts/build_site.sh --serve   build, then serve it on http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/jupyter-book build . -W -n --keep-going
echo
echo "The site is in _build/html. To read it, serve it locally:"
echo "  .venv/bin/python -m http.server --directory _build/html --bind 127.0.0.1 8000"
echo "and open http://127.0.0.1:8000/ in a browser."
if [ "${1:-}" = "--serve" ]; then
  exec .venv/bin/python -m http.server --directory _build/html --bind 127.0.0.1 8000
fi
